"""Client authentication of registered services (RFC 6749 2.3.1).

HTTP Basic `client_id:client_secret` (each form-urlencoded first), or on a
POST the `client_id` and `client_secret` form fields (client_secret_post).
No cookie authenticates a service, so CSRF has nothing to protect here.
"""

import base64
import binascii
import hmac
from urllib.parse import unquote_plus

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.throttling import SimpleRateThrottle

from jwt_sessions.client import client_ip

from .models import RegisteredService, secret_digest

REALM = 'Basic realm="authsite"'
BAD_CLIENT = _("Client authentication failed.")
# Compared against when no service has the client id, so that an unknown id
# takes as long to refuse as a wrong secret.
UNKNOWN_CLIENT_DIGEST = secret_digest("no service has this client id")


class ClientAuthFailureThrottle(SimpleRateThrottle):
    """Count failed client authentications per address (rate: "service_client")."""

    # Secrets are 256 random bits: guessing is hopeless, but a client that
    # keeps failing is refused for a while, before any lookup is made.
    scope = "service_client"

    def get_rate(self):
        # Read at use, not bound at import as DRF does: tests change it.
        from rest_framework.settings import api_settings

        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope, "30/minute")

    def get_cache_key(self, request, view):
        return self.cache_format % {
            "scope": self.scope,
            "ident": client_ip(request) or "unknown",
        }

    def is_exceeded(self, request) -> bool:
        """Say whether this address has failed too often lately (counts nothing)."""
        self.key = self.get_cache_key(request, None)
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        return len(self.history) >= self.num_requests


class ServiceClientAuthentication(BaseAuthentication):
    """Authenticate a registered service by its client id and secret.

    request.auth is the RegisteredService; request.user stays anonymous
    (a service is no user of the site).
    """

    def authenticate(self, request):
        credentials = self.read_credentials(request)
        if credentials is None:
            return None
        throttle = ClientAuthFailureThrottle()
        if throttle.is_exceeded(request):
            raise exceptions.Throttled(wait=throttle.wait())
        client_id, secret = credentials
        service = RegisteredService.objects.active().filter(client_id=client_id).first()
        if service is None:
            # As long as a wrong secret takes: the answer times no lookup.
            hmac.compare_digest(secret_digest(secret), UNKNOWN_CLIENT_DIGEST)
        if service is None or not service.secret_matches(secret):
            throttle.throttle_success()  # records this failure
            raise exceptions.AuthenticationFailed(BAD_CLIENT)
        return AnonymousUser(), service

    def authenticate_header(self, request):
        return REALM

    def read_credentials(self, request) -> tuple[str, str] | None:
        """Return (client_id, secret) from the one method the client used, or None."""
        header = get_authorization_header(request).split()
        basic = self._basic(header) if header else None
        posted = None
        if request.method == "POST":
            data = request.data
            if "client_id" in data or "client_secret" in data:
                client_id, secret = data.get("client_id"), data.get("client_secret")
                if not isinstance(client_id, str) or not isinstance(secret, str):
                    raise exceptions.AuthenticationFailed(BAD_CLIENT)
                posted = client_id, secret
        if basic and posted:
            # RFC 6749 2.3: a client uses one method per request.
            raise exceptions.AuthenticationFailed(
                _("Authenticate with one method: HTTP Basic or the form fields.")
            )
        return basic or posted

    def _basic(self, header) -> tuple[str, str]:
        if header[0].lower() != b"basic":
            raise exceptions.AuthenticationFailed(BAD_CLIENT)
        try:
            (encoded,) = header[1:]
            decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise exceptions.AuthenticationFailed(BAD_CLIENT) from None
        client_id, colon, secret = decoded.partition(":")
        if not colon:
            raise exceptions.AuthenticationFailed(BAD_CLIENT)
        # RFC 6749 2.3.1: both were form-urlencoded before being joined.
        return unquote_plus(client_id), unquote_plus(secret)
