"""The pages of a provider login: start, callback, link, unlink."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import FormView, View

from accounts.credentials import AttemptsLockedOut, CredentialsRefused
from accounts.lockout import lockout_response
from jwt_sessions.authentication import current_session_id, read_refresh_cookie
from jwt_sessions.cookies import (
    delete_flow_cookie,
    read_flow_cookie,
    set_auth_cookies,
    set_flow_cookie,
)
from jwt_sessions.flows import Flow
from jwt_sessions.views import StepUpRequiredMixin, safe_next

from . import app_settings, services
from .forms import LinkPasswordForm
from .models import Identity


def refusal_page(request, refused: services.LoginRefused, *, provider=None):
    """The page that says a provider login was refused, why, and what to do."""
    response = TemplateResponse(
        request,
        "oidc/refused.html",
        {"message": refused.message, "code": refused.code, "provider": provider},
        status=refused.status,
    )
    if refused.code != "state_mismatch":
        # A mismatched state was someone else's callback: this browser's own
        # login may still be under way.
        delete_flow_cookie(response, services.LOGIN_FLOW)
    return response


class ProviderMixin:
    def dispatch(self, request, *args, provider_id, **kwargs):
        self.provider = app_settings.provider(provider_id)
        if self.provider is None:
            raise Http404(_("No identity provider of this site has that id."))
        return super().dispatch(request, *args, **kwargs)

    def callback_url(self) -> str:
        return self.request.build_absolute_uri(
            reverse("oidc:callback", args=[self.provider.id])
        )

    def go_to_provider(self, **kwargs):
        try:
            started = services.start_login(
                provider=self.provider, redirect_uri=self.callback_url(), **kwargs
            )
        except services.LoginRefused as refused:
            return refusal_page(self.request, refused, provider=self.provider)
        response = HttpResponseRedirect(started.url)
        # SameSite=Lax: the provider's redirect back is a top-level GET from
        # another site, which carries a Lax cookie and nothing stricter.
        set_flow_cookie(response, started.flow)
        return response


@method_decorator(never_cache, name="dispatch")
class LoginView(ProviderMixin, View):
    """Send the browser to the provider, with this login's flow in a cookie."""

    http_method_names = ["get", "head"]

    def get(self, request):
        next_url = safe_next(request, request.GET.get("next", ""))
        return self.go_to_provider(next_url=next_url)


@method_decorator([csrf_protect, never_cache], name="dispatch")
class LinkStartView(LoginRequiredMixin, StepUpRequiredMixin, ProviderMixin, View):
    """From the security page: link the account to a provider's identity."""

    http_method_names = ["post"]
    step_up_return_url = "mfa:security"

    def post(self, request):
        try:
            started = services.start_login(
                provider=self.provider,
                redirect_uri=self.callback_url(),
                next_url=reverse("mfa:security"),
                link_user=request.user,
                session_id=current_session_id(request),
            )
        except services.LoginRefused as refused:
            return refusal_page(request, refused, provider=self.provider)
        # A page with a link, not a redirect: the security page's CSP
        # (form-action 'self') forbids a form whose answer leaves the site.
        response = TemplateResponse(
            request,
            "oidc/link_start.html",
            {"provider": self.provider, "authorization_url": started.url},
        )
        set_flow_cookie(response, started.flow)
        return response


@method_decorator(never_cache, name="dispatch")
class CallbackView(ProviderMixin, View):
    """Where the provider sends the browser back: finish the login it started."""

    http_method_names = ["get", "head"]

    def get(self, request):
        try:
            outcome = services.finish_callback(
                request=request,
                provider=self.provider,
                token=read_flow_cookie(request, services.LOGIN_FLOW),
                params=request.GET,
                redirect_uri=self.callback_url(),
                replacing=read_refresh_cookie(request),
            )
        except services.LoginRefused as refused:
            return refusal_page(request, refused, provider=self.provider)
        next_url = safe_next(request, outcome.next_url)
        if outcome.linked is not None:
            response = redirect("mfa:security")
            messages.success(
                request,
                _("%(provider)s is linked: you can log in with it.")
                % {"provider": self.provider.name},
            )
        elif outcome.link_flow is not None:
            response = redirect("oidc:link")
            set_flow_cookie(response, outcome.link_flow)
        elif outcome.second_step is not None:
            response = redirect("mfa:login-step")
            set_flow_cookie(response, outcome.second_step)
        else:
            response = HttpResponseRedirect(next_url)
            set_auth_cookies(response, outcome.pair)
            messages.success(request, _("You are logged in."))
        delete_flow_cookie(response, services.LOGIN_FLOW)
        return response


@method_decorator(
    [sensitive_post_parameters("password"), csrf_protect, never_cache],
    name="dispatch",
)
class LinkView(FormView):
    """An account has the provider's email: its password links, then logs in."""

    form_class = LinkPasswordForm
    template_name = "oidc/link.html"

    def dispatch(self, request, *args, **kwargs):
        self.token = read_flow_cookie(request, services.LINK_FLOW)
        self.pending = services.pending_link(self.token)
        if self.pending is None:
            response = refusal_page(request, services.refused_expired())
            delete_flow_cookie(response, services.LINK_FLOW)
            return response
        self.provider = app_settings.provider(self.pending["provider"])
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        try:
            started, next_url = services.finish_link(
                request=self.request,
                token=self.token,
                password=form.cleaned_data["password"],
                replacing=read_refresh_cookie(self.request),
            )
        except services.LoginRefused as refused:
            response = refusal_page(self.request, refused)
            delete_flow_cookie(response, services.LINK_FLOW)
            return response
        except CredentialsRefused as refused:
            form.add_error(None, refused.message)
            response = self.form_invalid(form)
            if isinstance(refused, AttemptsLockedOut):
                return lockout_response(self.request, response.render())
            return response
        if isinstance(started, Flow):
            response = redirect("mfa:login-step")
            set_flow_cookie(response, started)
        else:
            response = HttpResponseRedirect(safe_next(self.request, next_url))
            set_auth_cookies(response, started)
            messages.success(
                self.request,
                _("%(provider)s is linked to your account. You are logged in.")
                % {"provider": self.provider.name},
            )
        delete_flow_cookie(response, services.LINK_FLOW)
        return response

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            provider=self.provider, email=self.pending["email"], **kwargs
        )


@method_decorator([csrf_protect, never_cache], name="dispatch")
class IdentityRemoveView(LoginRequiredMixin, StepUpRequiredMixin, View):
    """Unlink a provider, unless it is the account's last way to log in."""

    http_method_names = ["post"]
    step_up_return_url = "mfa:security"

    def post(self, request, pk):
        try:
            identity = services.unlink_identity(
                request=request, user=request.user, identity_id=pk
            )
        except Identity.DoesNotExist:
            raise Http404(_("No identity of yours has that id.")) from None
        except services.LastWayIn:
            messages.error(
                request,
                _(
                    "This is the only way to log in to your account, so it stays. "
                    "Add a passkey or another provider first."
                ),
            )
            return redirect("mfa:security")
        messages.success(
            request,
            _("%(provider)s is unlinked.") % {"provider": identity.provider_name},
        )
        return redirect("mfa:security")
