"""Brute-force protection: what django-axes needs from this site.

django-axes counts failed password checks per account and per client address
in the shared cache and refuses further checks for a while once either count
reaches LOGIN_FAILURE_LIMIT. These hooks tell it how to read the account and
the address, and turn a lockout into a 429 with Retry-After.
"""

from axes.handlers.cache import AxesCacheHandler
from axes.helpers import get_cache, make_cache_key_list
from django.conf import settings
from django.core.management import CommandError
from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework import exceptions, status

from .models import normalize_email


def attempted_email(request, credentials) -> str:
    """Return the account an attempt aimed at, normalised like logins are."""
    # ALICE@ and alice@ are one account, so they must share one counter.
    return normalize_email(str((credentials or {}).get("email") or ""))


# Marks the attempts made with password-reset links (see
# PasswordResetConfirmView): they are counted and locked per address only,
# on a counter of their own.
RESET_LINK_CREDENTIALS = {"reset_link": True}
# What django-axes takes for the "username" of a reset-link attempt: with the
# address it makes the key of that counter, which no login ever touches.
RESET_LINK_COUNTER = "(password reset links)"


def is_reset_link_attempt(credentials) -> bool:
    return bool((credentials or {}).get("reset_link"))


def counted_username(request, credentials) -> str:
    """Return the name django-axes counts an attempt under (AXES_USERNAME_CALLABLE)."""
    if is_reset_link_attempt(credentials):
        return RESET_LINK_COUNTER
    return attempted_email(request, credentials)


def lockout_parameters(request, credentials) -> list:
    """Return what failed attempts are counted by: account and address."""
    if is_reset_link_attempt(credentials):
        # Per address, and apart from the logins' count: opening old reset
        # links from one's mail must not lock one's own login, and a valid
        # link must work while someone hammers the account's password (that
        # is how its owner gets back in).
        return [["username", "ip_address"]]
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


def counter_keys(*, email: str | None = None, ip_address: str | None = None):
    """Return the cache keys of the failure counters of an account or address."""
    parameters = []
    if email:
        parameters.append({"username": normalize_email(email)})
    if ip_address:
        parameters.append({"ip_address": ip_address})
        parameters.append({"username": RESET_LINK_COUNTER, "ip_address": ip_address})
    return make_cache_key_list(parameters)


def unlock(*, email: str | None = None, ip_address: str | None = None) -> int:
    """Forget the failed attempts of an account and/or an address.

    Return how many counters held failures. The address's reset-link counter
    goes too. Whoever is unlocked may try again at once.
    """
    cache = get_cache()
    keys = counter_keys(email=email, ip_address=ip_address)
    held = sum(1 for count in cache.get_many(keys).values() if count)
    cache.delete_many(keys)
    return held


class LockoutCacheHandler(AxesCacheHandler):
    """django-axes' cache handler, with an answer for "reset everything"."""

    def reset_attempts(self, *, ip_address=None, username=None, **kwargs):
        if ip_address is None and username is None:
            # A cache cannot list its keys; counters expire by themselves
            # after AXES_COOLOFF_TIME. Say what works instead of crashing.
            raise CommandError(
                "Failed-login counters live in the cache, which cannot list "
                "them all. Unlock one account or address: python manage.py "
                "unlock --email someone@example.com, or --ip 203.0.113.7 (or "
                "the admin's Unlock actions)."
            )
        return unlock(email=username, ip_address=ip_address)


class LockedOut(exceptions.APIException):
    """Too many failed password checks: 429, and when to try again."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "locked_out"

    def __init__(self, detail, *, wait: int):
        super().__init__(detail)
        self.wait = wait  # DRF's handler turns this into Retry-After
