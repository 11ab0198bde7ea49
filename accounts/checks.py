"""System checks of the email verification settings: ids accounts.E001, E002."""

from django.conf import settings
from django.core.checks import Error, Tags, register

from . import app_settings


@register(Tags.security)
def check_email_verification_settings(app_configs, **kwargs):
    """Refuse a verification mode or link lifetime the site cannot work with."""
    errors = []
    mode = app_settings.email_verification()
    if mode not in app_settings.EMAIL_VERIFICATION_CHOICES:
        errors.append(
            Error(
                f"ACCOUNT_EMAIL_VERIFICATION is {mode!r}, which is not a mode.",
                hint='Set ACCOUNT_EMAIL_VERIFICATION to "optional" (unverified '
                'accounts may log in and see a banner) or "mandatory" (they '
                "may not log in until they open the emailed link).",
                id="accounts.E001",
            )
        )
    raw = getattr(settings, "ACCOUNT_EMAIL_VERIFICATION_MAX_AGE", None)
    try:
        seconds = app_settings.email_verification_max_age().total_seconds()
    except (TypeError, ValueError):
        seconds = 0
    if seconds <= 0:
        errors.append(
            Error(
                f"ACCOUNT_EMAIL_VERIFICATION_MAX_AGE is {raw!r}: no emailed link "
                "could ever work.",
                hint="Set ACCOUNT_EMAIL_VERIFICATION_MAX_AGE to a number of "
                "seconds above 0, e.g. 259200 (three days).",
                id="accounts.E002",
            )
        )
    return errors
