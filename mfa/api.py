"""The second step of a login, and an authenticator app's setup, in JSON.

A browser keeps the second step in an HttpOnly cookie (set by POST
/api/token/ when it answers `mfa_required`); an app gets a `flow_token`
from POST /api/app/token/ and sends it back with the code.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.lockout import LockedOut, retry_after_seconds
from authsite import fields
from jwt_sessions import assurance
from jwt_sessions import services as sessions
from jwt_sessions.api import (
    BrowserTokenFlowAPIView,
    NoStoreMixin,
    TokenFlowAPIView,
    token_pair_response,
)
from jwt_sessions.authentication import read_refresh_cookie
from jwt_sessions.cookies import delete_flow_cookie, read_flow_cookie, set_auth_cookies
from jwt_sessions.permissions import RecentAuthentication
from jwt_sessions.serializers import (
    TokenField,
    TokenPairExpirySerializer,
    TokenPairSerializer,
)

from . import services

FLOW_ENDED = gettext_lazy(
    "This login's second step has ended (it waited too long, was used, or "
    "took too many wrong codes). Log in again with the password."
)


class CodeSerializer(serializers.Serializer):
    code = fields.CharField(max_length=64)


class AppCodeSerializer(CodeSerializer):
    flow_token = TokenField(max_length=512)


class MfaRequiredSerializer(serializers.Serializer):
    """A right password for an account with a second factor: nothing logs in yet."""

    mfa_required = serializers.BooleanField()
    methods = serializers.ListField(
        child=serializers.ChoiceField(choices=services.SECOND_FACTOR_METHODS)
    )


class AppMfaRequiredSerializer(MfaRequiredSerializer):
    flow_token = serializers.CharField(
        help_text=gettext_lazy(
            "Send it back with the code to POST /api/app/token/mfa/."
        )
    )


def mfa_required(user, flow, *, for_app: bool) -> dict:
    """Return what a login answers when it needs the second step."""
    answer = {"mfa_required": True, "methods": services.second_factor_methods(user)}
    if for_app:
        answer["flow_token"] = flow.token
    return answer


def _finish(request, token, code, *, replacing=None):
    try:
        return services.finish_login_step(
            request=request, token=token, code=code, replacing=replacing
        )
    except services.FlowEnded:
        raise exceptions.AuthenticationFailed(
            FLOW_ENDED, code="mfa_flow_ended"
        ) from None
    except services.CodesLockedOut as refused:
        raise LockedOut(refused.message, wait=retry_after_seconds()) from None
    except services.CodeRefused as refused:
        raise exceptions.AuthenticationFailed(
            refused.message, code=refused.code
        ) from None


class CookieLoginStepAPIView(BrowserTokenFlowAPIView):
    """The second step of a browser's login: the code; the tokens go into cookies."""

    name = gettext_lazy("Log in: the code")

    @extend_schema(request=CodeSerializer, responses=TokenPairExpirySerializer)
    def post(self, request):
        serializer = CodeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        pair, _next = _finish(
            request,
            read_flow_cookie(request, services.LOGIN_FLOW),
            serializer.validated_data["code"],
            replacing=read_refresh_cookie(request),
        )
        response = Response(TokenPairExpirySerializer(pair).data)
        set_auth_cookies(response, pair)
        delete_flow_cookie(response, services.LOGIN_FLOW)
        return response


class AppLoginStepAPIView(TokenFlowAPIView):
    """The second step of an app's login: the code and the flow token."""

    name = gettext_lazy("Log in an app: the code")

    @extend_schema(request=AppCodeSerializer, responses=TokenPairSerializer)
    def post(self, request):
        serializer = AppCodeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        pair, _next = _finish(
            request,
            serializer.validated_data["flow_token"],
            serializer.validated_data["code"],
        )
        return Response(TokenPairSerializer(pair).data)


class StepUpProtectedAPIView(NoStoreMixin, APIView):
    permission_classes = (IsAuthenticated, RecentAuthentication)


class TotpAPIView(StepUpProtectedAPIView):
    """Start setting up an authenticator app (POST), or remove it (DELETE)."""

    name = gettext_lazy("Authenticator app")

    @extend_schema(
        request=None,
        responses={
            201: inline_serializer(
                "TotpSetup",
                {
                    "secret": serializers.CharField(),
                    "otpauth_uri": serializers.CharField(),
                },
            )
        },
    )
    def post(self, request):
        try:
            setup = services.start_totp_setup(
                user=request.user, session_id=request.auth["sid"]
            )
        except services.AlreadySetUp:
            raise exceptions.ValidationError(
                {
                    "detail": _(
                        "You already have an authenticator app. Remove it first."
                    )
                },
                code="already_set_up",
            ) from None
        return Response(
            {"secret": setup.secret, "otpauth_uri": setup.uri},
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(responses={204: None})
    def delete(self, request):
        if not services.remove_totp(request=request, user=request.user):
            raise exceptions.NotFound(_("You have no authenticator app."))
        return Response(status=status.HTTP_204_NO_CONTENT)


class TotpConfirmAPIView(StepUpProtectedAPIView):
    """Finish the setup with the app's first code; answer the recovery codes.

    The code proves the app is in the user's hand, so this login then counts
    as two factors: a browser gets new cookies (and their expiry times), an
    app new tokens in the body (`access`, `refresh`), which it must keep.
    """

    name = gettext_lazy("Confirm the authenticator app")

    @extend_schema(
        request=CodeSerializer,
        responses=inline_serializer(
            "TotpConfirmed",
            {
                "recovery_codes": serializers.ListField(child=serializers.CharField()),
                "access": serializers.CharField(required=False),
                "refresh": serializers.CharField(required=False),
            },
        ),
    )
    def post(self, request):
        serializer = CodeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            codes = services.confirm_totp_setup(
                request=request,
                user=request.user,
                session_id=request.auth["sid"],
                code=serializer.validated_data["code"],
            )
        except services.CodeRefused as refused:
            raise exceptions.ValidationError(
                {"code": [refused.message]}, code=refused.code
            ) from None
        except services.AlreadySetUp:
            raise exceptions.ValidationError(
                {"detail": _("You already have an authenticator app.")},
                code="already_set_up",
            ) from None
        pair = sessions.step_up(
            request=request,
            access_token=request.auth,
            methods=(assurance.ONE_TIME_CODE,),
        )
        response = token_pair_response(request, pair)
        response.data = {"recovery_codes": codes, **response.data}
        return response


class RecoveryCodesAPIView(StepUpProtectedAPIView):
    """Replace the recovery codes with ten new ones, shown this once."""

    name = gettext_lazy("Recovery codes")

    @extend_schema(
        request=None,
        responses=inline_serializer(
            "RecoveryCodes",
            {"recovery_codes": serializers.ListField(child=serializers.CharField())},
        ),
    )
    def post(self, request):
        try:
            codes = services.regenerate_recovery_codes(
                request=request, user=request.user
            )
        except services.CodeRefused as refused:
            raise exceptions.ValidationError(
                {"detail": refused.message}, code=refused.code
            ) from None
        return Response({"recovery_codes": codes})
