"""Users as the tests need them: verified addresses unless a test says not."""

from django.utils import timezone

from accounts.models import User

from .clients import PASSWORD


def create_user(email: str, password: str = PASSWORD, *, verified=True, **extra):
    """Create a user whose address is verified (pass verified=False for one not)."""
    if verified:
        extra.setdefault("email_verified_at", timezone.now())
    return User.objects.create_user(email, password, **extra)
