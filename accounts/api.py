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
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
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

from . import app_settings, email_tokens, services
from .email_tokens import LinkRefused
from .serializers import (
    AppCredentialsSerializer,
    CredentialsSerializer,
    EmailChangeSerializer,
    EmailTokenSerializer,
    PasswordChangeSerializer,
    ReauthenticateSerializer,
    ReauthenticationStateSerializer,
    RegisterSerializer,
    UserSerializer,
)
from .throttles import EMAIL_LINK_THROTTLES, SignupRateThrottle

DETAIL = inline_serializer(
    "Detail", {"detail": serializers.CharField(), "code": serializers.CharField()}
)


class RegisterAPIView(TokenFlowAPIView):
    """Create an account. It does not log in: call POST /api/token/ next."""

    name = gettext_lazy("Create an account")
    throttle_classes = (SignupRateThrottle,)

    @extend_schema(
        request=RegisterSerializer,
        responses={
            201: inline_serializer(
                "RegisteredUser",
                {
                    "id": serializers.IntegerField(),
                    "email": serializers.EmailField(),
                    "email_verified": serializers.BooleanField(),
                },
            ),
            202: inline_serializer(
                "SignupEmailed",
                {
                    "detail": serializers.CharField(),
                    "email": serializers.EmailField(),
                },
            ),
        },
        description=(
            "201 with the new account. With ACCOUNT_EMAIL_VERIFICATION = "
            "mandatory, 202 whether the address was free or taken (a free one "
            "gets an account and its link, a taken one a notice to its owner): "
            "open the emailed link, then log in."
        ),
    )
    def post(self, request):
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if app_settings.email_verification_is_mandatory():
            # The same answer whether the address was free or taken: nothing
            # here logs in, so nothing need tell who has an account.
            services.sign_up_by_email(request=request, **serializer.validated_data)
            email = serializer.validated_data["email"]
            return Response(
                {"detail": services.signed_up_message(email), "email": email},
                status=status.HTTP_202_ACCEPTED,
            )
        user = services.register_user(request=request, **serializer.validated_data)
        return Response(
            {
                "id": user.pk,
                "email": user.email,
                "email_verified": user.email_is_verified,
            },
            status=status.HTTP_201_CREATED,
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
        request=AppCredentialsSerializer,
        responses=PolymorphicProxySerializer(
            component_name="AppLogin",
            serializers=[TokenPairSerializer, AppMfaRequiredSerializer],
            resource_type_field_name=None,
        ),
    )
    def post(self, request):
        serializer = AppCredentialsSerializer(
            data=request.data, context={"request": request}
        )
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        started = mfa.begin_login(
            request=request,
            user=user,
            audience=serializer.validated_data.get("audience"),
        )
        if isinstance(started, Flow):
            # No tokens: the flow token, then POST /api/app/token/mfa/ (with
            # the audience again).
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


class EmailLinkRefused(exceptions.APIException):
    """An emailed link's token that cannot be used; the code says why."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_token"

    def __init__(self, refused: LinkRefused):
        super().__init__(refused.message, code=refused.code)
        self.status_code = refused.status


class EmailVerifyAPIView(NoStoreMixin, APIView):
    """Use an emailed link: verify the address, or finish a change of it.

    The token is the last part of the link's path
    (`/accounts/email/verify/<token>/`): an app that receives the link
    sends it here. No login is needed; the token is the proof. Refusals:
    400 `invalid_token`, 410 `token_expired` or `token_used`, 409
    `already_verified` or `email_taken`.
    """

    name = gettext_lazy("Verify an email address")
    permission_classes = (AllowAny,)

    @extend_schema(
        request=EmailTokenSerializer,
        responses={
            200: inline_serializer(
                "VerifiedEmail",
                {
                    "email": serializers.EmailField(),
                    "email_verified": serializers.BooleanField(),
                    "changed": serializers.BooleanField(),
                },
            ),
            400: DETAIL,
            409: DETAIL,
            410: DETAIL,
        },
    )
    def post(self, request):
        serializer = EmailTokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            link = services.use_email_link(
                request=request, token=serializer.validated_data["token"]
            )
        except LinkRefused as refused:
            raise EmailLinkRefused(refused) from refused
        return Response(
            {
                "email": link.email,
                "email_verified": True,
                "changed": link.purpose == email_tokens.CHANGE,
            }
        )


class EmailVerifyResendAPIView(APIView):
    """Send the verification link again (202), at most a few an hour."""

    name = gettext_lazy("Send the verification link again")
    throttle_classes = EMAIL_LINK_THROTTLES

    @extend_schema(request=None, responses={202: DETAIL, 409: DETAIL})
    def post(self, request):
        if not services.send_verification_email(request=request, user=request.user):
            return Response(
                {
                    "detail": gettext_lazy("Your email address is verified already."),
                    "code": "already_verified",
                },
                status=status.HTTP_409_CONFLICT,
            )
        return Response(
            {
                "detail": gettext_lazy(
                    "We have sent a new link to your address. Open it to "
                    "confirm the address."
                ),
                "code": "email_sent",
            },
            status=status.HTTP_202_ACCEPTED,
        )


class EmailChangeAPIView(APIView):
    """Start a change of the address: a link goes to the new one (202).

    Nothing changes until that link is used (POST /api/email/verify/). The
    answer is the same whether or not another account has the address.
    """

    name = gettext_lazy("Change your email address")
    throttle_classes = EMAIL_LINK_THROTTLES

    @extend_schema(request=EmailChangeSerializer, responses={202: DETAIL, 400: None})
    def post(self, request):
        serializer = EmailChangeSerializer(
            data=request.data, context={"user": request.user, "request": request}
        )
        serializer.is_valid(raise_exception=True)
        services.request_email_change(
            request=request,
            user=request.user,
            new_email=serializer.validated_data["email"],
        )
        return Response(
            {
                "detail": gettext_lazy(
                    "We have sent a link to the new address. Open it to make "
                    "it your address; until then the address stays as it is."
                ),
                "code": "email_sent",
            },
            status=status.HTTP_202_ACCEPTED,
        )
