"""The rate limits of sign-ups and of emailed links, in the shared cache."""

from rest_framework.throttling import SimpleRateThrottle

from jwt_sessions.client import client_ip


class SignupRateThrottle(SimpleRateThrottle):
    """Limit sign-ups per client address (rate: REST_FRAMEWORK's "signup")."""

    # A sign-up must say when an email address is taken; limiting how often
    # one address may ask keeps that from becoming a bulk lookup of accounts.
    scope = "signup"

    def get_cache_key(self, request, view):
        return self.cache_format % {
            "scope": self.scope,
            "ident": client_ip(request) or "unknown",
        }


class EmailLinkRateThrottle(SimpleRateThrottle):
    """Limit the emailed links one account asks for (rate: "email_link").

    A verification link sent again, or a link to confirm a new address: each
    is a mail to an address someone typed, so neither may become a way to
    flood an inbox. The count lives in the shared cache, as every
    throttle's does, so every process sees the same one.
    """

    scope = "email_link"

    def __init__(self, user=None):
        # The account, where the request is not logged in as it (a login
        # refused for want of a verified address sends the link again).
        self.user = user
        super().__init__()

    def get_rate(self):
        # Read at use, not bound at import as DRF does: tests change it.
        from rest_framework.settings import api_settings

        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]

    def get_cache_key(self, request, view):
        user = self.user or getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": user.pk}


class EmailLinkAddressRateThrottle(EmailLinkRateThrottle):
    """Limit the emailed links one client address asks for ("email_link_ip")."""

    scope = "email_link_ip"

    def get_cache_key(self, request, view):
        return self.cache_format % {
            "scope": self.scope,
            "ident": client_ip(request) or "unknown",
        }


EMAIL_LINK_THROTTLES = (EmailLinkRateThrottle, EmailLinkAddressRateThrottle)


def email_link_wait(request, *, user=None, view=None) -> float | None:
    """Count one emailed link; return None if allowed, else seconds to wait."""
    waits = []
    for throttle_class in EMAIL_LINK_THROTTLES:
        throttle = throttle_class(user=user)
        if not throttle.allow_request(request, view):
            waits.append(throttle.wait() or 0)
    return max(waits) if waits else None
