"""Introspection (RFC 7662) and the events poll (RFC 8936 style) for services."""

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.parsers import FormParser
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError

from jwt_sessions.api import NoStoreMixin
from jwt_sessions.models import Session
from jwt_sessions.tokens import SESSION_ID_CLAIM, USER_ID_CLAIM, AccessToken

from .authentication import REALM, ServiceClientAuthentication
from .events import CannotSign, sign_event
from .models import RegisteredService, ServiceEvent

INACTIVE = {"active": False}
MAX_LIMIT = 500
DEFAULT_LIMIT = 100


class IsRegisteredService(BasePermission):
    def has_permission(self, request, view):
        return isinstance(request.auth, RegisteredService)


class ServiceAPIView(NoStoreMixin, APIView):
    """Base of the endpoints only registered services call.

    Only client authentication applies: neither the auth cookies nor a
    Bearer token says anything here, so no cookie can make a request
    (and CSRF is not involved). Errors take OAuth's shape.
    """

    authentication_classes = (ServiceClientAuthentication,)
    permission_classes = (IsRegisteredService,)

    def handle_exception(self, exc):
        if isinstance(
            exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed
        ):
            response = Response(
                {
                    "error": "invalid_client",
                    "error_description": str(exc.detail)
                    if isinstance(exc, exceptions.AuthenticationFailed)
                    else _("Authenticate with the service's client id and secret."),
                },
                status=401,
                headers={"WWW-Authenticate": REALM},
            )
            return response
        return super().handle_exception(exc)


def invalid_request(description: str) -> Response:
    return Response(
        {"error": "invalid_request", "error_description": description}, status=400
    )


class IntrospectionRequestSerializer(serializers.Serializer):
    token = serializers.CharField()
    token_type_hint = serializers.CharField(required=False)
    client_id = serializers.CharField(required=False)
    client_secret = serializers.CharField(required=False)


INTROSPECTION = inline_serializer(
    "Introspection",
    {
        "active": serializers.BooleanField(),
        "iss": serializers.CharField(required=False),
        "aud": serializers.CharField(required=False),
        "sub": serializers.CharField(required=False),
        "sid": serializers.CharField(required=False),
        "exp": serializers.IntegerField(required=False),
        "iat": serializers.IntegerField(required=False),
        "jti": serializers.CharField(required=False),
        "auth_time": serializers.IntegerField(required=False),
        "amr": serializers.ListField(child=serializers.CharField(), required=False),
        "acr": serializers.CharField(required=False),
        "token_type": serializers.CharField(required=False),
    },
)
OAUTH_ERROR = inline_serializer(
    "OAuthError",
    {"error": serializers.CharField(), "error_description": serializers.CharField()},
)


class IntrospectionAPIView(ServiceAPIView):
    """Say whether an access token for the calling service is active (RFC 7662)."""

    name = "Introspect a token"
    parser_classes = (FormParser,)

    @extend_schema(
        request={"application/x-www-form-urlencoded": IntrospectionRequestSerializer},
        responses={200: INTROSPECTION, 400: OAUTH_ERROR, 401: OAUTH_ERROR},
        description=(
            "For registered services (HTTP Basic or client_secret_post). "
            '`{"active": false}` unless the token is a valid access token of '
            "this service's audience whose login session is alive now."
        ),
    )
    def post(self, request):
        token = request.data.get("token")
        if not isinstance(token, str) or not token:
            return invalid_request(_("Give the token to introspect in `token`."))
        service = request.auth
        try:
            access = AccessToken.for_audience(token, audience=service.audience)
        except TokenError:
            return Response(INACTIVE)
        # The database, not a cache: an ended session is inactive at once.
        session = (
            Session.objects.select_related("user")
            .filter(pk=access[SESSION_ID_CLAIM])
            .first()
        )
        if (
            session is None
            or not session.is_active
            or not session.user.is_active
            or str(session.user_id) != access[USER_ID_CLAIM]
        ):
            return Response(INACTIVE)
        claims = access.payload
        return Response(
            {
                "active": True,
                "iss": claims["iss"],
                "aud": claims["aud"],
                "sub": claims[USER_ID_CLAIM],
                "sid": claims[SESSION_ID_CLAIM],
                "exp": claims["exp"],
                "iat": claims["iat"],
                "jti": claims["jti"],
                "auth_time": claims["auth_time"],
                "amr": claims.get("amr", []),
                "acr": claims.get("acr", ""),
                "token_type": "Bearer",
            }
        )


def _whole_number(value, *, name: str, default: int, low: int, high: int | None):
    if value is None:
        return default
    if not (isinstance(value, str) and value.isascii() and value.isdigit()):
        raise ValueError(name)
    number = int(value)
    if number < low or (high is not None and number > high) or len(value) > 19:
        raise ValueError(name)
    return number


class EventsAPIView(ServiceAPIView):
    """The calling service's revocation events after a seq (an RFC 8936 style poll)."""

    name = "Revocation events"

    @extend_schema(
        parameters=[
            OpenApiParameter("after", int, description="The last seq you hold (0)."),
            OpenApiParameter("limit", int, description="At most this many (1-500)."),
        ],
        responses={
            200: inline_serializer(
                "EventsPoll",
                {
                    "sets": serializers.DictField(child=serializers.CharField()),
                    "moreAvailable": serializers.BooleanField(),
                    "last": serializers.IntegerField(),
                },
            ),
            400: OAUTH_ERROR,
            401: OAUTH_ERROR,
        },
    )
    def get(self, request):
        try:
            after = _whole_number(
                request.query_params.get("after"),
                name="after",
                default=0,
                low=0,
                high=None,
            )
            limit = _whole_number(
                request.query_params.get("limit"),
                name="limit",
                default=DEFAULT_LIMIT,
                low=1,
                high=MAX_LIMIT,
            )
        except ValueError as exc:
            return invalid_request(
                _("after must be a whole number of 0 or more.")
                if str(exc) == "after"
                else _("limit must be a whole number from 1 to 500.")
            )
        service = RegisteredService.objects.get(pk=request.auth.pk)
        events = list(
            ServiceEvent.objects.filter(
                service=service, seq__gt=after, expires_at__gt=timezone.now()
            ).order_by("seq")[: limit + 1]
        )
        try:
            sets = {event.jti: sign_event(event) for event in events[:limit]}
        except CannotSign as exc:
            return Response(
                {"error": "temporarily_unavailable", "error_description": str(exc)},
                status=503,
            )
        return Response(
            {
                "sets": sets,
                "moreAvailable": len(events) > limit,
                "last": service.last_seq,
            }
        )
