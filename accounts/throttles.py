"""The sign-up rate limit per client address."""

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
