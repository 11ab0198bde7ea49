"""The settings of mfa, read at use (the tests change them)."""

from django.conf import settings


def required_for_staff() -> bool:
    """MFA_REQUIRED_FOR_STAFF: the admin wants a second factor of staff."""
    return bool(getattr(settings, "MFA_REQUIRED_FOR_STAFF", True))


def totp_issuer() -> str:
    """The name authenticator apps show beside the account (MFA_TOTP_ISSUER)."""
    return getattr(settings, "MFA_TOTP_ISSUER", "authsite")
