"""The second step of a login, an authenticator app's setup, passkeys, in JSON.

A browser keeps the second step in an HttpOnly cookie (set by POST
/api/token/ when it answers `mfa_required`); an app gets a `flow_token`
from POST /api/app/token/ and sends it back with the code.
"""

from django.contrib import messages
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
    NEW_TOKEN_PAIR,
    BrowserTokenFlowAPIView,
    NoStoreMixin,
    TokenFlowAPIView,
    token_pair_response,
    uses_cookies,
)
from jwt_sessions.authentication import read_refresh_cookie
from jwt_sessions.cookies import (
    delete_flow_cookie,
    read_flow_cookie,
    set_auth_cookies,
    set_flow_cookie,
)
from jwt_sessions.permissions import RecentAuthentication
from jwt_sessions.serializers import (
    AudienceField,
    TokenField,
    TokenPairExpirySerializer,
    TokenPairSerializer,
)
from jwt_sessions.views import safe_next

from . import services
from .models import Authenticator

FLOW_ENDED = gettext_lazy(
    "This login's second step has ended (it waited too long, was used, or "
    "took too many wrong codes). Log in again with the password."
)


class CodeSerializer(serializers.Serializer):
    code = fields.CharField(max_length=64)


class AppCodeSerializer(CodeSerializer):
    flow_token = TokenField(max_length=512)
    audience = AudienceField()


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


def _finish(request, token, code, *, replacing=None, audience=None):
    try:
        return services.finish_login_step(
            request=request,
            token=token,
            code=code,
            replacing=replacing,
            audience=audience,
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
            audience=serializer.validated_data.get("audience"),
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


# --- Passkeys ---------------------------------------------------------------------
# A ceremony is two calls: its options (the challenge, kept in a flow bound
# to this client: the flow cookie for a browser, `flow_token` in the answer
# for an app), then the credential that navigator.credentials answered,
# sent as its JSON (PublicKeyCredential.toJSON()) with, for an app, the
# flow_token. Any refusal answers the same (`passkey_refused`) and changes
# nothing.


class PasskeySerializer(serializers.ModelSerializer):
    """One passkey, as its owner sees it (nothing secret is ever stored)."""

    synced = serializers.SerializerMethodField()

    class Meta:
        model = Authenticator
        fields = ("id", "name", "created_at", "last_used_at", "synced")
        read_only_fields = ("id", "created_at", "last_used_at", "synced")

    def get_synced(self, passkey) -> bool:
        return bool(passkey.data.get("backup_eligible"))


class PasskeyRenameSerializer(serializers.Serializer):
    name = fields.CharField(max_length=100)


OPTIONS = inline_serializer(
    "PasskeyOptions",
    {
        "options": serializers.DictField(
            help_text=gettext_lazy(
                "PublicKeyCredentialCreationOptionsJSON or ...RequestOptionsJSON: "
                "give it to PublicKeyCredential.parse...OptionsFromJSON()."
            )
        ),
        "flow_token": serializers.CharField(
            required=False,
            help_text=gettext_lazy(
                "Only for a client without cookies: send it back with the credential."
            ),
        ),
    },
)
CREDENTIAL = inline_serializer(
    "PasskeyCredential",
    {
        "id": serializers.CharField(),
        "rawId": serializers.CharField(),
        "type": serializers.CharField(),
        "response": serializers.DictField(),
        "name": serializers.CharField(required=False),
        "flow_token": serializers.CharField(required=False),
        "next": serializers.CharField(required=False),
    },
)


class PasskeyNotAccepted(exceptions.APIException):
    """400: the passkey ceremony of a logged-in user proved nothing."""

    status_code = 400
    default_code = "passkey_refused"


def _refusal(refused: services.PasskeyRefused):
    return exceptions.AuthenticationFailed(refused.message, code=refused.code)


def _not_accepted(refused: services.PasskeyRefused):
    return PasskeyNotAccepted(refused.message, code=refused.code)


def _credential(request) -> dict:
    if not isinstance(request.data, dict):
        raise exceptions.ValidationError(
            {"detail": _("Send the credential as a JSON object.")}, code="invalid"
        )
    return {
        key: value
        for key, value in request.data.items()
        if key not in ("name", "flow_token", "mfa_flow_token", "next")
    }


def _options_response(request, flow, options, *, for_app: bool, status_code=200):
    if for_app:
        return Response({"options": options, "flow_token": flow.token}, status_code)
    response = Response({"options": options}, status_code)
    set_flow_cookie(response, flow)
    return response


def _flow_token(request, kind: str, *, for_app: bool):
    if for_app:
        data = request.data if isinstance(request.data, dict) else {}
        token = data.get("flow_token")
        return token if isinstance(token, str) else None
    return read_flow_cookie(request, kind)


class PasskeyRegisterOptionsAPIView(StepUpProtectedAPIView):
    """Begin adding a passkey: the options of navigator.credentials.create()."""

    name = gettext_lazy("Add a passkey: options")

    @extend_schema(request=None, responses=OPTIONS)
    def post(self, request):
        try:
            flow, options = services.start_passkey_registration(
                user=request.user, session_id=request.auth["sid"]
            )
        except services.PasskeyRefused as refused:
            raise _not_accepted(refused) from None
        return _options_response(
            request, flow, options, for_app=not uses_cookies(request)
        )


class PasskeyRegisterAPIView(StepUpProtectedAPIView):
    """Keep the new passkey: the credential create() made, and a name."""

    name = gettext_lazy("Add a passkey")

    @extend_schema(request=CREDENTIAL, responses={201: PasskeySerializer})
    def post(self, request):
        for_app = not uses_cookies(request)
        name = request.data.get("name") if isinstance(request.data, dict) else ""
        try:
            passkey = services.finish_passkey_registration(
                request=request,
                user=request.user,
                session_id=request.auth["sid"],
                token=_flow_token(
                    request, services.PASSKEY_REGISTER_FLOW, for_app=for_app
                ),
                credential=_credential(request),
                name=name if isinstance(name, str) else "",
            )
        except services.PasskeyRefused as refused:
            raise _not_accepted(refused) from None
        response = Response(
            PasskeySerializer(passkey).data, status=status.HTTP_201_CREATED
        )
        if not for_app:
            delete_flow_cookie(response, services.PASSKEY_REGISTER_FLOW)
            messages.success(
                request._request,
                _("The passkey “%(name)s” has been added.") % {"name": passkey.name},
            )
        return response


class PasskeyListAPIView(NoStoreMixin, APIView):
    """Your passkeys."""

    name = gettext_lazy("Passkeys")

    @extend_schema(responses=PasskeySerializer(many=True))
    def get(self, request):
        passkeys = services.passkeys_of(request.user)
        return Response(PasskeySerializer(passkeys, many=True).data)


class RecentAuthenticationToRemove(RecentAuthentication):
    """Removing a passkey wants a recent login; renaming it does not."""

    def has_permission(self, request, view):
        return request.method != "DELETE" or super().has_permission(request, view)


class PasskeyAPIView(NoStoreMixin, APIView):
    """Rename one of your passkeys (PATCH), or remove it (DELETE)."""

    name = gettext_lazy("Passkey")
    permission_classes = (IsAuthenticated, RecentAuthenticationToRemove)

    @extend_schema(request=PasskeyRenameSerializer, responses=PasskeySerializer)
    def patch(self, request, pk):
        serializer = PasskeyRenameSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            passkey = services.rename_passkey(
                user=request.user,
                passkey_id=pk,
                name=serializer.validated_data["name"],
            )
        except Authenticator.DoesNotExist:
            raise exceptions.NotFound(_("You have no passkey with that id.")) from None
        return Response(PasskeySerializer(passkey).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, pk):
        try:
            services.remove_passkey(request=request, user=request.user, passkey_id=pk)
        except Authenticator.DoesNotExist:
            raise exceptions.NotFound(_("You have no passkey with that id.")) from None
        return Response(status=status.HTTP_204_NO_CONTENT)


class CookiePasskeyLoginOptionsAPIView(BrowserTokenFlowAPIView):
    """Begin a browser's passkey login: the same options whoever asks."""

    name = gettext_lazy("Log in with a passkey: options")

    @extend_schema(request=None, responses=OPTIONS)
    def post(self, request):
        flow, options = services.start_passkey_login()
        return _options_response(request, flow, options, for_app=False)


class CookiePasskeyLoginAPIView(BrowserTokenFlowAPIView):
    """Log a browser in with a passkey alone; the tokens go into cookies.

    In the login's second step (the password was right) the passkey of that
    same account finishes it: the login then counts the password too, and
    `redirect` is where the password step was going.
    """

    name = gettext_lazy("Log in with a passkey")

    @extend_schema(
        request=CREDENTIAL,
        responses=inline_serializer(
            "PasskeyLoggedIn",
            {
                "user": serializers.DictField(),
                "access_expires_at": serializers.DateTimeField(),
                "refresh_expires_at": serializers.DateTimeField(),
                "session_expires_at": serializers.DateTimeField(),
                "redirect": serializers.CharField(),
            },
        ),
    )
    def post(self, request):
        try:
            user, methods, next_url = services.finish_passkey_login(
                request=request,
                token=read_flow_cookie(request, services.PASSKEY_LOGIN_FLOW),
                credential=_credential(request),
                login_step_token=read_flow_cookie(request, services.LOGIN_FLOW),
            )
        except services.PasskeyRefused as refused:
            raise _refusal(refused) from None
        pair = sessions.log_in(
            request=request._request,
            user=user,
            methods=methods,
            replacing=read_refresh_cookie(request),
        )
        asked = request.data.get("next")
        response = Response(
            {
                **TokenPairExpirySerializer(pair).data,
                "redirect": safe_next(
                    request, next_url or (asked if isinstance(asked, str) else "")
                ),
            }
        )
        set_auth_cookies(response, pair)
        delete_flow_cookie(response, services.PASSKEY_LOGIN_FLOW)
        delete_flow_cookie(response, services.LOGIN_FLOW)
        messages.success(request._request, _("You are logged in."))
        return response


class AppPasskeyLoginOptionsAPIView(TokenFlowAPIView):
    """Begin an app's passkey login: the options and the flow_token."""

    name = gettext_lazy("Log an app in with a passkey: options")

    @extend_schema(request=None, responses=OPTIONS)
    def post(self, request):
        flow, options = services.start_passkey_login()
        return _options_response(request, flow, options, for_app=True)


class AppPasskeyLoginAPIView(TokenFlowAPIView):
    """Log an app in with a passkey: the credential and the flow_token.

    Alone, or as the second step of a password login: then the body also
    carries `mfa_flow_token`, the `flow_token` POST /api/app/token/ answered
    with `mfa_required`, and the login counts the password too.
    """

    name = gettext_lazy("Log an app in with a passkey")

    @extend_schema(request=CREDENTIAL, responses=TokenPairSerializer)
    def post(self, request):
        step = (
            request.data.get("mfa_flow_token")
            if isinstance(request.data, dict)
            else None
        )
        try:
            user, methods, _next = services.finish_passkey_login(
                request=request,
                token=_flow_token(request, services.PASSKEY_LOGIN_FLOW, for_app=True),
                credential=_credential(request),
                login_step_token=step if isinstance(step, str) else None,
            )
        except services.PasskeyRefused as refused:
            raise _refusal(refused) from None
        pair = sessions.log_in(request=request._request, user=user, methods=methods)
        return Response(TokenPairSerializer(pair).data)


class PasskeyStepUpOptionsAPIView(NoStoreMixin, APIView):
    """Begin proving who you are again with one of your passkeys."""

    name = gettext_lazy("Confirm it's you with a passkey: options")

    @extend_schema(request=None, responses=OPTIONS)
    def post(self, request):
        try:
            flow, options = services.start_passkey_step_up(
                user=request.user, session_id=request.auth["sid"]
            )
        except services.PasskeyRefused as refused:
            raise _not_accepted(refused) from None
        return _options_response(
            request, flow, options, for_app=not uses_cookies(request)
        )


class PasskeyStepUpAPIView(NoStoreMixin, APIView):
    """Step up with a passkey: a fresh pair on the same session.

    A browser gets new cookies (and `redirect`, its `next` if safe), an app
    the new pair in the body, which it must keep.
    """

    name = gettext_lazy("Confirm it's you with a passkey")

    @extend_schema(request=CREDENTIAL, responses=NEW_TOKEN_PAIR)
    def post(self, request):
        for_app = not uses_cookies(request)
        try:
            methods = services.finish_passkey_step_up(
                request=request,
                user=request.user,
                session_id=request.auth["sid"],
                token=_flow_token(
                    request, services.PASSKEY_STEP_UP_FLOW, for_app=for_app
                ),
                credential=_credential(request),
            )
        except services.PasskeyRefused as refused:
            raise _not_accepted(refused) from None
        try:
            pair = sessions.step_up(
                request=request, access_token=request.auth, methods=methods
            )
        except sessions.SessionEnded:
            raise exceptions.AuthenticationFailed(code="session_ended") from None
        if for_app:
            return Response(TokenPairSerializer(pair).data)
        asked = request.data.get("next")
        response = Response(
            {
                **TokenPairExpirySerializer(pair).data,
                "redirect": safe_next(request, asked if isinstance(asked, str) else ""),
            }
        )
        set_auth_cookies(response, pair)
        delete_flow_cookie(response, services.PASSKEY_STEP_UP_FLOW)
        messages.success(request._request, _("Thank you. You can go on."))
        return response
