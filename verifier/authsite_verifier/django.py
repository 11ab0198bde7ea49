"""Django and DRF integration: an authentication class and the events view.

Configured by one setting, read at use::

    AUTHSITE_VERIFIER = {
        "ISSUER_URL": "https://auth.example.com",
        "AUDIENCE": "inventory",
        "CLIENT_ID": "svc_...",
        "CLIENT_SECRET": "...",
        # Optional, the Verifier's keyword arguments in capitals:
        # "ISSUER": "authsite", "MAX_TOKEN_LIFETIME": 300, "LEEWAY": 10, ...
    }
"""

import threading
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, RequestDataTooBig
from django.core.signals import setting_changed
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from authsite_verifier.core import Verifier
from authsite_verifier.errors import EventRejected, IssuerUnavailable, TokenRejected

REQUIRED = ("ISSUER_URL", "AUDIENCE", "CLIENT_ID", "CLIENT_SECRET")
OPTIONAL = (
    "ISSUER",
    "ALGORITHMS",
    "LEEWAY",
    "MAX_TOKEN_LIFETIME",
    "POLL_INTERVAL",
    "MAX_STALENESS",
    "JWKS_MIN_REFETCH_INTERVAL",
    "JWKS_MAX_AGE",
    "TIMEOUT",
    "MAX_REVOKED_SESSIONS",
    "MAX_SEEN_EVENTS",
)

_verifiers: dict[tuple, Verifier] = {}
_verifiers_lock = threading.Lock()


def get_verifier() -> Verifier:
    """Return this process's Verifier for the AUTHSITE_VERIFIER setting."""
    config = getattr(settings, "AUTHSITE_VERIFIER", None)
    if not isinstance(config, dict):
        raise ImproperlyConfigured(
            "Set AUTHSITE_VERIFIER to a dict with " + ", ".join(REQUIRED) + "."
        )
    missing = [name for name in REQUIRED if not config.get(name)]
    unknown = sorted(set(config) - set(REQUIRED) - set(OPTIONAL))
    if missing or unknown:
        raise ImproperlyConfigured(
            f"AUTHSITE_VERIFIER lacks {missing} or has unknown keys {unknown}; "
            f"the optional keys are {', '.join(OPTIONAL)}."
        )
    # One Verifier (one poller thread, one deny list) per configuration.
    identity = tuple(sorted((name, repr(value)) for name, value in config.items()))
    with _verifiers_lock:
        verifier = _verifiers.get(identity)
        if verifier is None:
            options = {
                name.lower(): config[name] for name in OPTIONAL if name in config
            }
            try:
                verifier = Verifier(*(config[name] for name in REQUIRED), **options)
            except ValueError as error:
                raise ImproperlyConfigured(f"AUTHSITE_VERIFIER: {error}") from None
            _verifiers[identity] = verifier
    return verifier


def close_verifiers(**kwargs) -> None:
    """Stop every Verifier made from an earlier AUTHSITE_VERIFIER setting."""
    if kwargs.get("setting", "AUTHSITE_VERIFIER") != "AUTHSITE_VERIFIER":
        return
    with _verifiers_lock:
        made = list(_verifiers.values())
        _verifiers.clear()
    for verifier in made:
        verifier.close()


# Tests change the setting with override_settings: no poller of an old one.
setting_changed.connect(close_verifiers)


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The token cannot be checked right now; try again shortly."
    default_code = "issuer_unavailable"


class TokenUser:
    """The user a verified access token stands for: its claims, no database row."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False

    def __init__(self, claims: dict[str, Any]) -> None:
        self.claims = claims
        self.id = self.pk = str(claims["user_id"])
        self.sid = claims["sid"]

    def __str__(self) -> str:
        return f"user {self.id}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TokenUser) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)


class VerifierAuthentication(BaseAuthentication):
    """Authenticate `Authorization: Bearer <access token>` with the Verifier.

    Returns None for any other scheme; a bad, expired or revoked token is
    401 with `WWW-Authenticate: Bearer ... error="invalid_token"`.
    """

    keyword = "Bearer"

    def authenticate(self, request):
        token = self.get_raw_token(request)
        if token is None:
            return None
        claims = self.get_validated_claims(request, token)
        return self.get_user(claims), claims

    def get_raw_token(self, request) -> str | None:
        """Return the Bearer token of the request, None if it carries none."""
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            self._refuse(request, "The Authorization header must be: Bearer <token>.")
        try:
            return parts[1].decode("ascii")
        except UnicodeDecodeError:
            self._refuse(request, "The token is malformed.")

    def get_validated_claims(self, request, token: str) -> dict[str, Any]:
        """Return the verified claims of the token, or raise a DRF exception."""
        try:
            return get_verifier().verify(token)
        except TokenRejected as error:
            self._refuse(request, error.description)
        except IssuerUnavailable:
            raise ServiceUnavailable() from None

    def get_user(self, claims: dict[str, Any]) -> TokenUser:
        """Return the user-like object for verified claims."""
        return TokenUser(claims)

    def authenticate_header(self, request) -> str:
        realm = get_verifier().audience.replace('"', "")
        error = getattr(request, "_verifier_error", None)
        if error is None:
            return f'{self.keyword} realm="{realm}"'
        description = error.replace('"', "'")
        return (
            f'{self.keyword} realm="{realm}", error="invalid_token", '
            f'error_description="{description}"'
        )

    def _refuse(self, request, description: str):
        request._verifier_error = description
        raise exceptions.AuthenticationFailed(description, code="token_not_valid")


@method_decorator(csrf_exempt, name="dispatch")
class EventsView(View):
    """Receive the site's pushed SETs (RFC 8935): 202, or 400 with the reason."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        # Not cookie-authenticated: the SET's signature is the authentication,
        # hence no CSRF check.
        try:
            body = request.body
        except RequestDataTooBig:
            return self._refused(EventRejected("invalid_request", "Too large."))
        try:
            get_verifier().receive(body, request.META.get("CONTENT_TYPE", ""))
        except EventRejected as error:
            return self._refused(error)
        except IssuerUnavailable:
            # 5xx: the site retries, which a 400 would stop.
            response = JsonResponse(
                {"err": "temporarily_unavailable", "description": "Retry later."},
                status=503,
            )
            response["Retry-After"] = "1"
            response["Cache-Control"] = "no-store"
            return response
        response = HttpResponse(status=202)
        response["Cache-Control"] = "no-store"
        return response

    def _refused(self, error: EventRejected) -> JsonResponse:
        response = JsonResponse(error.as_dict(), status=400)
        response["Cache-Control"] = "no-store"
        return response
