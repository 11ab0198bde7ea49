from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import FormView, TemplateView

from . import services
from .authentication import current_session_id, read_refresh_cookie
from .cookies import delete_auth_cookies, set_auth_cookies
from .forms import LoginForm, SignupForm


class LoginView(auth_views.LoginView):
    """Django's login page, with the login carried in JWT cookies."""

    form_class = LoginForm
    template_name = "registration/login.html"

    def form_valid(self, form):
        pair = services.log_in(request=self.request, user=form.get_user())
        response = HttpResponseRedirect(self.get_success_url())
        set_auth_cookies(response, pair)
        messages.success(self.request, _("You are logged in."))
        return response


@method_decorator(
    [sensitive_post_parameters("password1", "password2"), csrf_protect, never_cache],
    name="dispatch",
)
class SignupView(FormView):
    form_class = SignupForm
    template_name = "accounts/signup.html"
    success_url = reverse_lazy("dashboard")

    def form_valid(self, form):
        user = services.register_user(
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
        )
        pair = services.log_in(request=self.request, user=user)
        response = HttpResponseRedirect(self.get_success_url())
        set_auth_cookies(response, pair)
        messages.success(self.request, _("Welcome! Your account is ready."))
        return response


@method_decorator([csrf_protect, never_cache], name="dispatch")
class LogoutView(TemplateView):
    """GET asks for confirmation; POST logs out and deletes the cookies."""

    template_name = "accounts/logout.html"

    def post(self, request, *args, **kwargs):
        services.log_out(raw_token=read_refresh_cookie(request), request=request)
        response = HttpResponseRedirect(self.get_success_url())
        delete_auth_cookies(response)
        messages.info(request, _("You have been logged out."))
        return response

    def get_success_url(self):
        next_url = self.request.POST.get("next") or self.request.GET.get("next")
        if next_url and url_has_allowed_host_and_scheme(
            next_url,
            allowed_hosts={self.request.get_host()},
            require_https=self.request.is_secure(),
        ):
            return next_url
        return resolve_url("/")


class DashboardView(LoginRequiredMixin, TemplateView):
    template_name = "accounts/dashboard.html"

    def get_context_data(self, **kwargs):
        now = timezone.now()
        return super().get_context_data(
            session=self.request.user.login_sessions.filter(
                pk=current_session_id(self.request)
            ).first(),
            idle_timeout=timesince(
                now - timedelta(seconds=settings.JWT_REFRESH_LIFETIME), now
            ),
            **kwargs,
        )


class HomeView(TemplateView):
    template_name = "home.html"


def csrf_failure(request, reason=""):
    """Explain a refused form in plain words: usually a page open too long."""
    return render(
        request,
        "403_csrf.html",
        {"reason": reason, "debug": settings.DEBUG},
        status=403,
    )
