"""manage.py unlock: forget the failed logins of an account or an address."""

from django.core.management.base import CommandError

from accounts import lockout
from authsite.commands import DatabaseCommand


class Command(DatabaseCommand):
    help = (
        "Forget the failed logins of an account or a client address, so that "
        "it may try again at once (the admin's Unlock actions do the same)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--email", help="the account's email address")
        parser.add_argument("--ip", dest="ip_address", help="the client address")

    def handle(self, *, email, ip_address, **options):
        if not email and not ip_address:
            raise CommandError("Name an account (--email) or an address (--ip).")
        held = lockout.unlock(email=email, ip_address=ip_address)
        whom = " and ".join(filter(None, [email, ip_address]))
        if held:
            self.stdout.write(f"Unlocked {whom}: its failed attempts are forgotten.")
        else:
            self.stdout.write(f"{whom} had no failed attempts counted; nothing to do.")
