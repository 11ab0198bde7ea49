"""The login's second step, and the security page where second factors are kept."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import FormView, TemplateView, View

from accounts.lockout import lockout_response
from jwt_sessions import assurance
from jwt_sessions import services as sessions
from jwt_sessions.authentication import (
    authenticate_cookies,
    current_session_id,
    read_refresh_cookie,
)
from jwt_sessions.cookies import delete_flow_cookie, read_flow_cookie, set_auth_cookies
from jwt_sessions.views import StepUpRequiredMixin, safe_next

from . import services
from .forms import CodeForm, PasskeyNameForm, SetupConfirmForm
from .models import Authenticator


@method_decorator(
    [sensitive_post_parameters("code"), csrf_protect, never_cache], name="dispatch"
)
class LoginStepView(FormView):
    """The second step of a login: a code from the app, or a recovery code."""

    form_class = CodeForm
    template_name = "mfa/login_step.html"

    def dispatch(self, request, *args, **kwargs):
        self.token = read_flow_cookie(request, services.LOGIN_FLOW)
        self.step_user = services.login_step_user(self.token)
        if self.step_user is None:
            return self.start_again()
        return super().dispatch(request, *args, **kwargs)

    def start_again(self):
        messages.info(
            self.request,
            _("Your login waited too long for its code. Log in again."),
        )
        response = redirect("accounts:login")
        delete_flow_cookie(response, services.LOGIN_FLOW)
        return response

    def form_valid(self, form):
        try:
            pair, next_url = services.finish_login_step(
                request=self.request,
                token=self.token,
                code=form.cleaned_data["code"],
                replacing=read_refresh_cookie(self.request),
            )
        except services.FlowEnded:
            return self.start_again()
        except services.CodeRefused as refused:
            form.add_error(None, refused.message)
            response = self.form_invalid(form)
            if isinstance(refused, services.CodesLockedOut):
                return lockout_response(self.request, response.render())
            return response
        response = HttpResponseRedirect(safe_next(self.request, next_url))
        set_auth_cookies(response, pair)
        delete_flow_cookie(response, services.LOGIN_FLOW)
        messages.success(self.request, _("You are logged in."))
        return response

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            step_user=self.step_user,
            methods=services.second_factor_methods(self.step_user),
            **kwargs,
        )


class SecurityView(LoginRequiredMixin, TemplateView):
    """What protects the account: the authenticator app and recovery codes."""

    template_name = "mfa/security.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        token = authenticate_cookies(self.request).access_token
        auth = assurance.Assurance.of(token) if token is not None else None
        return super().get_context_data(
            has_totp=services.has_authenticator_app(user),
            passkeys=services.passkeys_of(user),
            recovery_codes_left=services.recovery_codes_left(user),
            login_level=auth.level if auth is not None else None,
            **kwargs,
        )


@method_decorator(
    [sensitive_post_parameters("code"), csrf_protect, never_cache], name="dispatch"
)
class TotpSetupView(LoginRequiredMixin, StepUpRequiredMixin, FormView):
    """Add an authenticator app: scan the QR code, then confirm with a code."""

    form_class = SetupConfirmForm
    template_name = "mfa/totp_setup.html"

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and services.has_authenticator_app(user):
            messages.info(request, _("You already have an authenticator app."))
            return redirect("mfa:security")
        return super().dispatch(request, *args, **kwargs)

    def get_setup(self):
        sid = current_session_id(self.request)
        return services.pending_totp_setup(
            user=self.request.user, session_id=sid
        ) or services.start_totp_setup(user=self.request.user, session_id=sid)

    def form_valid(self, form):
        try:
            codes = services.confirm_totp_setup(
                request=self.request,
                user=self.request.user,
                session_id=current_session_id(self.request),
                code=form.cleaned_data["code"],
            )
        except services.CodeRefused as refused:
            form.add_error(None, refused.message)
            return self.form_invalid(form)
        except services.AlreadySetUp:
            return redirect("mfa:security")
        # The code proved the app is in the user's hand: this login counts
        # as two factors from now on (and may open the admin).
        pair = sessions.step_up(
            request=self.request,
            access_token=authenticate_cookies(self.request).access_token,
            methods=(assurance.ONE_TIME_CODE,),
        )
        response = TemplateResponse(
            self.request,
            "mfa/recovery_codes.html",
            {"codes": codes, "new_app": True},
        )
        set_auth_cookies(response, pair)
        return response

    def get_context_data(self, **kwargs):
        return super().get_context_data(setup=self.get_setup(), **kwargs)


@method_decorator([csrf_protect, never_cache], name="dispatch")
class TotpRemoveView(LoginRequiredMixin, StepUpRequiredMixin, View):
    """Remove the authenticator app (and its recovery codes)."""

    http_method_names = ["post"]
    step_up_return_url = "mfa:security"

    def post(self, request):
        if services.remove_totp(request=request, user=request.user):
            messages.success(
                request,
                _(
                    "The authenticator app has been removed, with its recovery "
                    "codes. Logins now ask only for your password."
                ),
            )
        return redirect("mfa:security")


@method_decorator([csrf_protect, never_cache], name="dispatch")
class RecoveryCodesView(LoginRequiredMixin, StepUpRequiredMixin, View):
    """Make ten new recovery codes; the old ones stop working. Shown once."""

    http_method_names = ["post"]
    step_up_return_url = "mfa:security"

    def post(self, request):
        try:
            codes = services.regenerate_recovery_codes(
                request=request, user=request.user
            )
        except services.CodeRefused as refused:
            messages.error(request, refused.message)
            return redirect("mfa:security")
        return TemplateResponse(
            request, "mfa/recovery_codes.html", {"codes": codes, "new_app": False}
        )


@method_decorator([csrf_protect, never_cache], name="dispatch")
class PasskeyAddView(LoginRequiredMixin, StepUpRequiredMixin, FormView):
    """Add a passkey: name it, then the browser makes it (passkeys.js)."""

    form_class = PasskeyNameForm
    template_name = "mfa/passkey_add.html"

    def form_valid(self, form):
        # Reached only without JavaScript: the ceremony needs the browser's
        # navigator.credentials, which only the script can call.
        form.add_error(
            None,
            _(
                "Your browser did not run this page's script, which creating a "
                "passkey needs. Turn JavaScript on, or use another browser."
            ),
        )
        return self.form_invalid(form)


@method_decorator([csrf_protect, never_cache], name="dispatch")
class PasskeyRenameView(LoginRequiredMixin, View):
    """Rename one of the user's passkeys (no recent login needed)."""

    http_method_names = ["post"]

    def post(self, request, pk):
        form = PasskeyNameForm(request.POST)
        if form.is_valid() and form.cleaned_data["name"]:
            try:
                services.rename_passkey(
                    user=request.user, passkey_id=pk, name=form.cleaned_data["name"]
                )
            except Authenticator.DoesNotExist:
                raise Http404(_("You have no passkey with that id.")) from None
            messages.success(request, _("The passkey has been renamed."))
        else:
            messages.error(
                request, _("Give the passkey a name of 100 characters or less.")
            )
        return redirect("mfa:security")


@method_decorator([csrf_protect, never_cache], name="dispatch")
class PasskeyRemoveView(LoginRequiredMixin, StepUpRequiredMixin, View):
    """Remove one of the user's passkeys."""

    http_method_names = ["post"]
    step_up_return_url = "mfa:security"

    def post(self, request, pk):
        try:
            services.remove_passkey(request=request, user=request.user, passkey_id=pk)
        except Authenticator.DoesNotExist:
            raise Http404(_("You have no passkey with that id.")) from None
        messages.success(
            request, _("The passkey has been removed: it no longer logs you in.")
        )
        return redirect("mfa:security")
