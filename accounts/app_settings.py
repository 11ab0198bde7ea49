"""The settings of accounts' email verification, read at use (tests change them)."""

from datetime import timedelta

from django.conf import settings

OPTIONAL = "optional"
MANDATORY = "mandatory"
EMAIL_VERIFICATION_CHOICES = (OPTIONAL, MANDATORY)


def email_verification() -> str:
    """ACCOUNT_EMAIL_VERIFICATION: may an unverified account log in (optional)?"""
    return getattr(settings, "ACCOUNT_EMAIL_VERIFICATION", OPTIONAL)


def email_verification_is_mandatory() -> bool:
    """Say whether an account must verify its address before it logs in."""
    return email_verification() == MANDATORY


def email_verification_max_age() -> timedelta:
    """ACCOUNT_EMAIL_VERIFICATION_MAX_AGE: how long an emailed link works."""
    value = getattr(settings, "ACCOUNT_EMAIL_VERIFICATION_MAX_AGE", 3 * 24 * 60 * 60)
    return value if isinstance(value, timedelta) else timedelta(seconds=int(value))
