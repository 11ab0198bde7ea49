"""The accounts API: sign up, log in with a password, the account, its password.

Refreshing, logging out and the sessions endpoints are jwt_sessions' (its
api module); the logins here start the same sessions.
"""

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import (
    PolymorphicProxySerializer,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import InvalidToken

from jwt_sessions import services as sessions
from jwt_sessions.api import (
    NEW_TOKEN_PAIR,
    BrowserTokenFlowAPIView,
    NoStoreMixin,
    TokenFlowAPIView,
    token_pair_response,
)
from jwt_sessions.authentication import read_refresh_cookie
from jwt_sessions.cookies import set_auth_cookies, set_flow_cookie
from jwt_sessions.flows import Flow
from jwt_sessions.permissions import RecentAuthentication
from jwt_sessions.serializers import TokenPairExpirySerializer, TokenPairSerializer
from mfa import services as mfa
from mfa.api import AppMfaRequiredSerializer, MfaRequiredSerializer, mfa_required

from . import services
from .serializers import (
    CredentialsSerializer,
    PasswordChangeSerializer,
    ReauthenticateSerializer,
    ReauthenticationStateSerializer,
    RegisterSerializer,
    UserSerializer,
)
from .throttles import SignupRateThrottle


class RegisterAPIView(TokenFlowAPIView):
    """Create an account. It does not log in: call POST /api/token/ next."""

    name = gettext_lazy("Create an account")
    throttle_classes = (SignupRateThrottle,)

    @extend_schema(
        request=RegisterSerializer,
        responses={
            201: inline_serializer(
                "RegisteredUser",
                {"id": serializers.IntegerField(), "email": serializers.EmailField()},
            )
        },
    )
    def post(self, request):
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.register_user(**serializer.validated_data)
        return Response(
            {"id": user.pk, "email": user.email}, status=status.HTTP_201_CREATED
        )


class CookieTokenObtainAPIView(BrowserTokenFlowAPIView):
    """Log in with email and password; the tokens go into HttpOnly cookies."""

    name = gettext_lazy("Log in")

    @extend_schema(
        request=CredentialsSerializer,
        responses=PolymorphicProxySerializer(
            component_name="BrowserLogin",
            serializers=[TokenPairExpirySerializer, MfaRequiredSerializer],
            resource_type_field_name=None,
        ),
    )
    def post(self, request):
        serializer = CredentialsSerializer(
            data=request.data, context={"request": request}
        )
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        started = mfa.begin_login(
            request=request, user=user, replacing=read_refresh_cookie(request)
        )
        if isinstance(started, Flow):
            # No tokens: the second step's cookie, then POST /api/token/mfa/.
            response = Response(mfa_required(user, started, for_app=False))
            set_flow_cookie(response, started)
            return response
        response = Response(TokenPairExpirySerializer(started).data)
        set_auth_cookies(response, started)
        return response


class MeAPIView(APIView):
    """The user who is logged in."""

    name = gettext_lazy("Your account")

    @extend_schema(responses=UserSerializer)
    def get(self, request):
        return Response(UserSerializer(request.user).data)


class AppTokenObtainAPIView(TokenFlowAPIView):
    """Log in with email and password; both tokens come back in the body."""

    name = gettext_lazy("Log in an app")

    @extend_schema(
        request=CredentialsSerializer,
        responses=PolymorphicProxySerializer(
            component_name="AppLogin",
            serializers=[TokenPairSerializer, AppMfaRequiredSerializer],
            resource_type_field_name=None,
        ),
    )
    def post(self, request):
        serializer = CredentialsSerializer(
            data=request.data, context={"request": request}
        )
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        started = mfa.begin_login(request=request, user=user)
        if isinstance(started, Flow):
            # No tokens: the flow token, then POST /api/app/token/mfa/.
            return Response(mfa_required(user, started, for_app=True))
        return Response(TokenPairSerializer(started).data)


class PasswordChangeAPIView(NoStoreMixin, APIView):
    """Change the password; other sessions end, this one gets fresh tokens.

    A browser gets them as cookies (and the expiry times in the body); an app
    authenticated by Bearer gets `{"access", "refresh"}` in the body.
    """

    name = gettext_lazy("Change your password")

    permission_classes = (IsAuthenticated, RecentAuthentication)

    @extend_schema(request=PasswordChangeSerializer, responses=NEW_TOKEN_PAIR)
    def post(self, request):
        serializer = PasswordChangeSerializer(
            data=request.data, context={"user": request.user, "request": request}
        )
        serializer.is_valid(raise_exception=True)
        pair = services.change_password(
            request=request,
            user=request.user,
            new_password=serializer.validated_data["new_password"],
        )
        return token_pair_response(request, pair)


class ReauthenticateAPIView(NoStoreMixin, APIView):
    """Step up: prove who you are again, for the sensitive actions that ask.

    GET says how this login stands and which methods would renew it; POST
    with the password mints a fresh pair on the same session (cookies for a
    browser, the body for an app, which must keep the new refresh token).
    An action refused with `WWW-Authenticate: Bearer
    error="insufficient_user_authentication"` (RFC 9470) can then be
    repeated.
    """

    name = gettext_lazy("Prove who you are again")

    @extend_schema(responses=ReauthenticationStateSerializer)
    def get(self, request):
        return Response(
            ReauthenticationStateSerializer(
                request.auth, context={"user": request.user}
            ).data
        )

    @extend_schema(request=ReauthenticateSerializer, responses=NEW_TOKEN_PAIR)
    def post(self, request):
        serializer = ReauthenticateSerializer(
            data=request.data, context={"user": request.user, "request": request}
        )
        serializer.is_valid(raise_exception=True)
        try:
            pair = sessions.step_up(
                request=request,
                access_token=request.auth,
                methods=serializer.validated_data["methods"],
            )
        except sessions.SessionEnded as exc:
            raise InvalidToken() from exc
        return token_pair_response(request, pair)
