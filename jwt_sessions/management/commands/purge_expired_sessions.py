"""manage.py purge_expired_sessions: delete what expired sessions leave behind."""

from django.core.management.base import BaseCommand
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from jwt_sessions.models import Session


class Command(BaseCommand):
    help = (
        "Delete login sessions past their absolute limit and SimpleJWT's "
        "outstanding (and blacklisted) tokens that have expired. Run it daily."
    )

    def handle(self, *args, **options):
        now = timezone.now()
        # Past expires_at no token of the session can verify any more, so
        # neither the row nor its tokens protect anything.
        sessions, _ = Session.objects.filter(expires_at__lte=now).delete()
        tokens, _ = OutstandingToken.objects.filter(expires_at__lte=now).delete()
        self.stdout.write(
            f"Deleted {sessions} expired session(s) and {tokens} expired token "
            "record(s)."
        )
