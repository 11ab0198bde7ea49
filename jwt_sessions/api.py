"""The token and session API: refresh, verify, log out, list and end sessions.

Browser flows carry the tokens in the HttpOnly cookies (and want the CSRF
token on every call); app flows carry them in the JSON body and the Bearer
header. The views that check a password and start a login are the
project's (they need its credential check): they build on
BrowserTokenFlowAPIView and TokenFlowAPIView below.
"""

from django.middleware.csrf import get_token
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import ensure_csrf_cookie
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    PolymorphicProxySerializer,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from . import assurance, services
from .authentication import (
    JWTCookieAuthentication,
    enforce_csrf,
    get_token_user,
    read_refresh_cookie,
)
from .cookies import delete_auth_cookies, set_auth_cookies
from .middleware import forbid_caching
from .models import Session
from .permissions import RecentAuthentication, require
from .serializers import (
    NO_REFRESH_COOKIE,
    AppRefreshTokenSerializer,
    RefreshTokenSerializer,
    SessionSerializer,
    TokenPairExpirySerializer,
    TokenPairSerializer,
    TokenSerializer,
)
from .tokens import SESSION_ID_CLAIM, AccessToken, RefreshToken


def uses_cookies(request) -> bool:
    """Return whether the request was authenticated by the auth cookies."""
    return isinstance(request.successful_authenticator, JWTCookieAuthentication)


# What an endpoint that issues a new pair to a logged-in client answers.
NEW_TOKEN_PAIR = PolymorphicProxySerializer(
    component_name="NewTokenPair",
    serializers=[TokenPairExpirySerializer, TokenPairSerializer],
    resource_type_field_name=None,
)


def token_pair_response(request, pair: services.TokenPair) -> Response:
    """Answer a new pair as the client takes it: cookies, or the body for an app.

    A request authenticated by the auth cookies gets them set (and only the
    expiry times in the body); one authenticated by Bearer gets
    `{"access", "refresh"}` in the body, and must keep the new refresh token.
    """
    if not uses_cookies(request):
        return Response(TokenPairSerializer(pair).data)
    response = Response(TokenPairExpirySerializer(pair).data)
    set_auth_cookies(response, pair)
    return response


class NoStoreMixin:
    """Forbid every cache to keep any answer of this view, refusals included."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # Tokens, CSRF secrets and their refusals are for this client alone
        # (RFC 6749 section 5.1). The middleware covers credentialed
        # requests; an app's login has no credential yet, and gets its
        # tokens in the body.
        forbid_caching(response)
        return response


class TokenFlowAPIView(NoStoreMixin, APIView):
    """Base of the views that hand out or take back tokens.

    They authenticate nobody (a stale cookie or header must never block a
    login) and answer a failed check with 401 and a Bearer challenge.
    """

    authentication_classes = ()
    permission_classes = (AllowAny,)

    def get_authenticate_header(self, request):
        return 'Bearer realm="api"'


class BrowserTokenFlowAPIView(TokenFlowAPIView):
    """Base of the views that set, rotate or delete the auth cookies."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # Login CSRF, forced refresh and forced logout are all attacks
        # worth refusing: every cookie-writing endpoint wants the token.
        enforce_csrf(request)


class CookieTokenRefreshAPIView(BrowserTokenFlowAPIView):
    """Rotate the refresh cookie and set a fresh pair of cookies."""

    name = gettext_lazy("Refresh the login")

    @extend_schema(request=None, responses=TokenPairExpirySerializer)
    def post(self, request):
        raw_token = read_refresh_cookie(request)
        try:
            pair = services.rotate_refresh_token(
                raw_token=raw_token or "", request=request
            )
        except TokenError as exc:
            raise InvalidToken(NO_REFRESH_COOKIE) from exc
        response = Response(TokenPairExpirySerializer(pair).data)
        set_auth_cookies(response, pair)
        return response

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        if isinstance(exc, InvalidToken):
            # Cookies that cannot be refreshed are of no further use.
            delete_auth_cookies(response)
        return response


class CookieTokenBlacklistAPIView(BrowserTokenFlowAPIView):
    """Log out: blacklist the refresh cookie and delete both cookies."""

    name = gettext_lazy("Log out")

    @extend_schema(
        request=None,
        responses=inline_serializer("LoggedOut", {"detail": serializers.CharField()}),
    )
    def post(self, request):
        services.log_out(raw_token=read_refresh_cookie(request), request=request)
        response = Response({"detail": "You have been logged out."})
        delete_auth_cookies(response)
        return response


class TokenVerifyAPIView(TokenFlowAPIView):
    """Say whether a token is valid (200 {}) or not (401), as SimpleJWT does."""

    name = gettext_lazy("Check a token")

    @extend_schema(request=TokenSerializer, responses=OpenApiTypes.OBJECT)
    def post(self, request):
        serializer = TokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        raw_token = serializer.validated_data["token"]
        # Only the two kinds this site issues, and only while their session
        # lives; a refresh token must also be its session's current one.
        try:
            access = AccessToken(raw_token)
        except TokenError:
            session = services.session_of_refresh_token(raw_token)
            if session is None or RefreshToken(raw_token)["jti"] != session.refresh_jti:
                raise InvalidToken() from None
        else:
            if get_token_user(access) is None:
                raise InvalidToken()
        return Response({})


@method_decorator(ensure_csrf_cookie, name="dispatch")
class CsrfAPIView(TokenFlowAPIView):
    """Set the CSRF cookie; single-page clients echo it in X-CSRFToken."""

    name = gettext_lazy("CSRF token")

    @extend_schema(
        responses=inline_serializer("CsrfToken", {"csrfToken": serializers.CharField()})
    )
    def get(self, request):
        return Response({"csrfToken": get_token(request)})


class AppTokenRefreshAPIView(TokenFlowAPIView):
    """Exchange a refresh token for a new pair; the old one stops working."""

    name = gettext_lazy("Refresh an app's tokens")

    @extend_schema(request=AppRefreshTokenSerializer, responses=TokenPairSerializer)
    def post(self, request):
        serializer = AppRefreshTokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            pair = services.rotate_refresh_token(
                raw_token=serializer.validated_data["refresh"],
                request=request,
                audience=serializer.validated_data.get("audience"),
            )
        except TokenError as exc:
            raise InvalidToken() from exc
        return Response(TokenPairSerializer(pair).data)


class AppTokenBlacklistAPIView(TokenFlowAPIView):
    """Log out: the refresh token is blacklisted."""

    name = gettext_lazy("Log out an app")

    @extend_schema(request=RefreshTokenSerializer, responses=OpenApiTypes.OBJECT)
    def post(self, request):
        serializer = RefreshTokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if not services.log_out(
            raw_token=serializer.validated_data["refresh"], request=request
        ):
            raise InvalidToken()
        return Response({})


class SessionListAPIView(APIView):
    """The user's active sessions; `current` marks the one making this call."""

    name = gettext_lazy("Your sessions")

    @extend_schema(responses=SessionSerializer(many=True))
    def get(self, request):
        sessions = request.user.login_sessions.active().order_by("-last_used_at")
        return Response(
            SessionSerializer(
                sessions,
                many=True,
                context={"current_session_id": request.auth[SESSION_ID_CLAIM]},
            ).data
        )


class SessionAPIView(APIView):
    """End one of the user's sessions; its tokens are refused at once."""

    name = gettext_lazy("Session")

    @extend_schema(responses={204: None})
    def delete(self, request, pk):
        if str(pk) != request.auth[SESSION_ID_CLAIM]:
            # Ending another device's login is sensitive; ending one's own
            # is logging out.
            require(request, assurance.RECENT_LOGIN)
        try:
            services.end_session(user=request.user, session_id=pk, request=request)
        except Session.DoesNotExist:
            raise NotFound(_("No active session of yours has that id.")) from None
        response = Response(status=status.HTTP_204_NO_CONTENT)
        if str(pk) == request.auth[SESSION_ID_CLAIM] and uses_cookies(request):
            delete_auth_cookies(response)
        return response


ENDED_SESSIONS = inline_serializer(
    "EndedSessions", {"ended": serializers.IntegerField()}
)


class SessionRevokeOthersAPIView(APIView):
    """End every session of the user but the one making this call."""

    name = gettext_lazy("End your other sessions")
    permission_classes = (IsAuthenticated, RecentAuthentication)

    @extend_schema(request=None, responses=ENDED_SESSIONS)
    def post(self, request):
        count = services.end_sessions(
            user=request.user,
            keep=Session(pk=request.auth[SESSION_ID_CLAIM]),
            reason=Session.RevokeReason.ENDED_BY_USER,
            request=request,
        )
        return Response({"ended": count})


class SessionRevokeAllAPIView(APIView):
    """End every session of the user, the calling one included."""

    name = gettext_lazy("End all your sessions")
    permission_classes = (IsAuthenticated, RecentAuthentication)

    @extend_schema(request=None, responses=ENDED_SESSIONS)
    def post(self, request):
        count = services.end_sessions(
            user=request.user,
            reason=Session.RevokeReason.ENDED_BY_USER,
            request=request,
        )
        response = Response({"ended": count})
        if uses_cookies(request):
            delete_auth_cookies(response)
        return response
