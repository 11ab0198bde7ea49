from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User

DEMO_USERS = (
    # (email, password, is_staff)
    ("demo@example.com", "demo-password-2026", False),
    ("staff@example.com", "staff-password-2026", True),
)


class Command(BaseCommand):
    help = "Create (or reset) the demo user and the staff user, and print them."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off (the passwords are public).",
        )

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates accounts with published passwords; with "
                "DJANGO_DEBUG=0 add --force if you really want them."
            )
        for email, password, is_staff in DEMO_USERS:
            user, _ = User.objects.get_or_create(email=email)
            user.is_staff = user.is_superuser = is_staff
            user.is_active = True
            user.set_password(password)
            user.save()
            role = "staff user" if is_staff else "demo user"
            self.stdout.write(f"  {role:<10} {email} / {password}")
