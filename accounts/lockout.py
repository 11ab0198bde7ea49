"""Brute-force protection: what django-axes needs from this site.

django-axes counts failed password checks per account and per client address
in the shared cache and refuses further checks for a while once either count
reaches LOGIN_FAILURE_LIMIT. These hooks tell it how to read the account and
the address, and turn a lockout into a 429 with Retry-After.
"""

from django.conf import settings
from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import normalize_email


def attempted_email(request, credentials) -> str:
    """Return the account an attempt aimed at, normalised like logins are."""
    # ALICE@ and alice@ are one account, so they must share one counter.
    return normalize_email(str((credentials or {}).get("email") or ""))


# Marks the attempts made with password-reset links (see
# PasswordResetConfirmView): they are counted and locked per address only.
RESET_LINK_CREDENTIALS = {"reset_link": True}


def lockout_parameters(request, credentials) -> list[str]:
    """Return what failed attempts are counted by: account and address."""
    if (credentials or {}).get("reset_link"):
        # A valid reset link must work while someone hammers the account's
        # password: that is how its owner gets back in.
        return ["ip_address"]
    return ["username", "ip_address"]


def retry_after_seconds() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def lockout_message() -> str:
    minutes = max(1, round(retry_after_seconds() / 60))
    return ngettext(
        "Too many failed attempts. Wait %(minutes)d minute, then try again.",
        "Too many failed attempts. Wait %(minutes)d minutes, then try again.",
        minutes,
    ) % {"minutes": minutes}


def is_locked_out(request) -> bool:
    """Return whether the last password check of `request` hit a lockout."""
    return bool(getattr(request, "axes_locked_out", False))


def lockout_response(request, original_response=None, credentials=None):
    """Answer a locked-out attempt with 429 and Retry-After.

    The form or serializer that checked the password has already put the
    lockout message where the user will read it; this only fixes the status
    and tells clients how long to wait.
    """
    response = original_response
    if response is None:
        response = HttpResponse(lockout_message(), content_type="text/plain")
    response.status_code = 429
    response.reason_phrase = _("Too Many Requests")
    response["Retry-After"] = str(retry_after_seconds())
    return response
