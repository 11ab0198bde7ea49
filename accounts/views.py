"""The account pages: log in, sign up, log out, sessions, password, email address."""

import math

from axes.handlers.proxy import AxesProxyHandler
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.signals import user_login_failed
from django.contrib.auth.tokens import default_token_generator
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.http import urlsafe_base64_decode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import FormView, TemplateView, View

from jwt_sessions import services as sessions
from jwt_sessions.authentication import (
    authenticate_cookies,
    current_session_id,
    read_refresh_cookie,
)
from jwt_sessions.cookies import delete_auth_cookies, set_auth_cookies, set_flow_cookie
from jwt_sessions.flows import Flow
from jwt_sessions.models import Session
from jwt_sessions.views import StepUpRequiredMixin, safe_next
from mfa import services as mfa

from . import app_settings, email_tokens, services
from .email_tokens import LinkRefused
from .forms import (
    EMAIL_LINKS_THROTTLED_MESSAGE,
    SIGNUP_THROTTLED_MESSAGE,
    EmailChangeForm,
    LoginForm,
    PasswordChangeForm,
    ReauthenticateForm,
    SignupForm,
)
from .lockout import RESET_LINK_CREDENTIALS, lockout_message, lockout_response
from .models import SecurityEvent, User
from .throttles import SignupRateThrottle, email_link_wait


class LoginView(auth_views.LoginView):
    """Django's login page, with the login carried in JWT cookies."""

    form_class = LoginForm
    template_name = "registration/login.html"

    def form_valid(self, form):
        started = mfa.begin_login(
            request=self.request,
            user=form.get_user(),
            next_url=self.get_success_url(),
            replacing=read_refresh_cookie(self.request),
        )
        if isinstance(started, Flow):
            # The password was right; nothing logs in before the code.
            response = redirect("mfa:login-step")
            set_flow_cookie(response, started)
            return response
        response = HttpResponseRedirect(self.get_success_url())
        set_auth_cookies(response, started)
        messages.success(self.request, _("You are logged in."))
        return response


@method_decorator(
    [sensitive_post_parameters("password1", "password2"), csrf_protect, never_cache],
    name="dispatch",
)
class SignupView(auth_views.RedirectURLMixin, FormView):
    form_class = SignupForm
    template_name = "accounts/signup.html"
    # The dashboard, unless the login page sent the visitor here with a
    # `next` (say, a product they chose while logged out); Django's mixin
    # follows it only if it stays on this site, as the login does.
    next_page = reverse_lazy("dashboard")

    def post(self, request, *args, **kwargs):
        if not SignupRateThrottle().allow_request(request, self):
            form = self.get_form()
            form.is_valid()
            form.add_error(None, SIGNUP_THROTTLED_MESSAGE)
            return lockout_response(request, self.form_invalid(form).render())
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        if app_settings.email_verification_is_mandatory():
            # No login until the address is proved (ACCOUNT_EMAIL_VERIFICATION),
            # and the same answer whether the address was free or taken.
            services.sign_up_by_email(
                request=self.request,
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
            )
            messages.info(
                self.request, services.signed_up_message(form.cleaned_data["email"])
            )
            return redirect("accounts:login")
        user = services.register_user(
            request=self.request,
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
        )
        pair = sessions.log_in(
            request=self.request,
            user=user,
            replacing=read_refresh_cookie(self.request),
        )
        response = HttpResponseRedirect(self.get_success_url())
        set_auth_cookies(response, pair)
        messages.success(
            self.request,
            _(
                "Welcome! Your account is ready. We have sent a link to "
                "%(email)s: open it to confirm the address."
            )
            % {"email": user.email},
        )
        return response

    def get_context_data(self, **kwargs):
        return super().get_context_data(next=self.get_redirect_url(), **kwargs)


@method_decorator([csrf_protect, never_cache], name="dispatch")
class LogoutView(TemplateView):
    """GET asks for confirmation; POST logs out and deletes the cookies."""

    template_name = "accounts/logout.html"

    def post(self, request, *args, **kwargs):
        sessions.log_out(raw_token=read_refresh_cookie(request), request=request)
        response = HttpResponseRedirect(self.get_success_url())
        delete_auth_cookies(response)
        messages.info(request, _("You have been logged out."))
        return response

    def get_success_url(self):
        next_url = self.request.POST.get("next") or self.request.GET.get("next")
        return safe_next(self.request, next_url, default="/")


class SessionListView(LoginRequiredMixin, TemplateView):
    """The user's active sessions, and their recent security events."""

    template_name = "accounts/sessions.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        return super().get_context_data(
            sessions=user.login_sessions.active().order_by("-last_used_at"),
            current_session_id=current_session_id(self.request),
            events=user.security_events.select_related("session")[:20],
            **kwargs,
        )


@method_decorator([csrf_protect, never_cache], name="dispatch")
class SessionEndView(LoginRequiredMixin, StepUpRequiredMixin, View):
    """End one of the user's sessions (this device's one is a logout)."""

    http_method_names = ["post"]
    step_up_return_url = "accounts:sessions"

    def needs_step_up(self):
        # Ending another device's login is sensitive; ending one's own is
        # logging out.
        return str(self.kwargs["pk"]) != current_session_id(self.request)

    def post(self, request, pk):
        current = str(pk) == current_session_id(request)
        try:
            sessions.end_session(user=request.user, session_id=pk, request=request)
        except Session.DoesNotExist:
            raise Http404(_("No active session of yours has that id.")) from None
        if current:
            response = redirect_to_login(reverse("accounts:sessions"))
            delete_auth_cookies(response)
            messages.info(request, _("You have been logged out."))
            return response
        messages.success(request, _("The session has been ended."))
        return redirect("accounts:sessions")


@method_decorator([csrf_protect, never_cache], name="dispatch")
class SessionEndOthersView(LoginRequiredMixin, StepUpRequiredMixin, View):
    """End every session of the user but this one."""

    http_method_names = ["post"]
    step_up_return_url = "accounts:sessions"

    def post(self, request):
        count = sessions.end_sessions(
            user=request.user,
            keep=Session(pk=current_session_id(request)),
            reason=Session.RevokeReason.ENDED_BY_USER,
            request=request,
        )
        messages.success(
            request,
            ngettext(
                "%(count)d other session has been ended.",
                "%(count)d other sessions have been ended.",
                count,
            )
            % {"count": count},
        )
        return redirect("accounts:sessions")


@method_decorator([csrf_protect, never_cache], name="dispatch")
class SessionEndAllView(LoginRequiredMixin, StepUpRequiredMixin, View):
    """End every session of the user, this one included."""

    http_method_names = ["post"]
    step_up_return_url = "accounts:sessions"

    def post(self, request):
        sessions.end_sessions(
            user=request.user,
            reason=Session.RevokeReason.ENDED_BY_USER,
            request=request,
        )
        response = redirect("accounts:login")
        delete_auth_cookies(response)
        messages.info(request, _("You have been logged out everywhere."))
        return response


@method_decorator(
    [sensitive_post_parameters("password"), csrf_protect, never_cache],
    name="dispatch",
)
class ReauthenticateView(LoginRequiredMixin, auth_views.RedirectURLMixin, FormView):
    """Step up: ask for the password again, then go on to `next`.

    Sensitive pages send a user here whose login is older than
    STEP_UP_MAX_AGE (StepUpRequiredMixin); the same session goes on, with a
    fresh pair of cookies whose auth_time is now.
    """

    form_class = ReauthenticateForm
    template_name = "accounts/reauthenticate.html"
    next_page = reverse_lazy("dashboard")

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "user": self.request.user,
            "request": self.request,
            "with_code": mfa.has_authenticator_app(self.request.user),
        }

    def form_valid(self, form):
        try:
            pair = sessions.step_up(
                request=self.request,
                access_token=authenticate_cookies(self.request).access_token,
                methods=form.methods,
            )
        except sessions.SessionEnded:
            return redirect_to_login(self.get_success_url())
        response = HttpResponseRedirect(self.get_success_url())
        set_auth_cookies(response, pair)
        messages.success(self.request, _("Thank you. You can go on."))
        return response

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            next=self.get_redirect_url(),
            has_passkey=mfa.passkeys_of(self.request.user).exists(),
            **kwargs,
        )


class PasswordChangeView(StepUpRequiredMixin, auth_views.PasswordChangeView):
    """Change the password; every other session ends, this one goes on."""

    form_class = PasswordChangeForm
    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("dashboard")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}

    def form_valid(self, form):
        pair = services.change_password(
            request=self.request,
            user=form.user,
            new_password=form.cleaned_data["new_password1"],
        )
        response = HttpResponseRedirect(self.get_success_url())
        set_auth_cookies(response, pair)
        messages.success(
            self.request,
            _("Your password has been changed. Every other session has been ended."),
        )
        return response


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "registration/password_reset_form.html"
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "registration/password_reset_done.html"


@method_decorator(
    [sensitive_post_parameters("new_password1", "new_password2"), never_cache],
    name="dispatch",
)
class PasswordResetConfirmView(FormView):
    """Choose a new password through a reset link; every session ends.

    Django's own view parks the link's token in the server-side session and
    redirects to a URL without it. There is no session here, and a cookie
    would keep the token at rest in the browser, so the token stays in the
    URL until it is used (which voids it). Referrer-Policy: same-origin keeps
    that URL off every other site; see `referrer_policy`.
    """

    # Not "no-referrer": under it Chromium sends "Origin: null" with the
    # form's POST, which CSRF refuses, so no reset could ever be finished.
    # "same-origin" sends no Referer at all to other sites, and the real
    # Origin (and full Referer) only to this one. Pinned here, not left to
    # SECURE_REFERRER_POLICY, because this page's URL holds a credential.
    referrer_policy = "same-origin"

    form_class = SetPasswordForm
    template_name = "registration/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")
    token_generator = default_token_generator

    def dispatch(self, request, *args, uidb64, token, **kwargs):
        self.user = self.get_user(uidb64)
        # Guessing reset links counts like guessing passwords, against the
        # client's address (not the account: see lockout_parameters).
        credentials = RESET_LINK_CREDENTIALS
        if not AxesProxyHandler.is_allowed(request, credentials):
            response = lockout_response(
                request,
                render(
                    request,
                    self.template_name,
                    {"validlink": False, "locked_out_message": lockout_message()},
                ),
            )
        else:
            self.validlink = self.user is not None and (
                self.token_generator.check_token(self.user, token)
            )
            if not self.validlink:
                user_login_failed.send(
                    sender=__name__, credentials=credentials, request=request
                )
                if self.user is not None:
                    services.record_event(
                        SecurityEvent.Type.RESET_LINK_REFUSED,
                        user=self.user,
                        request=request,
                    )
            response = super().dispatch(request, *args, **kwargs)
        response["Referrer-Policy"] = self.referrer_policy
        return response

    def get_user(self, uidb64):
        try:
            pk = urlsafe_base64_decode(uidb64).decode()
            return User._default_manager.get(pk=pk)
        except (
            TypeError,
            ValueError,
            OverflowError,
            User.DoesNotExist,
            ValidationError,
        ):
            return None

    def post(self, request, *args, **kwargs):
        if not self.validlink:
            return self.get(request, *args, **kwargs)
        return super().post(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.user}

    def form_valid(self, form):
        services.reset_password(
            request=self.request,
            user=self.user,
            new_password=form.cleaned_data["new_password1"],
        )
        return super().form_valid(form)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(validlink=self.validlink, **kwargs)
        if not self.validlink:
            context["form"] = None
        return context


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "registration/password_reset_complete.html"


def _throttled(request, wait) -> HttpResponse:
    # 429 with Retry-After, as a refused sign-up is answered.
    response = render(
        request,
        "accounts/email_throttled.html",
        {"message": EMAIL_LINKS_THROTTLED_MESSAGE},
        status=429,
    )
    response["Retry-After"] = str(max(1, math.ceil(wait)))
    return response


@method_decorator([csrf_protect, never_cache], name="dispatch")
class EmailVerifyView(TemplateView):
    """An emailed link: GET shows what it does, the form's POST does it.

    A GET changes nothing: mail scanners and link previews open links by
    themselves, and must not verify an address (or change one) for whoever
    typed it. The "Confirm" button's POST, with its CSRF token, does. The
    link's token is in the URL, as the password reset's is: Referrer-Policy
    same-origin keeps it off every other site.
    """

    template_name = "accounts/email_verify.html"
    referrer_policy = "same-origin"

    def dispatch(self, request, *args, **kwargs):
        response = super().dispatch(request, *args, **kwargs)
        response["Referrer-Policy"] = self.referrer_policy
        return response

    def get(self, request, token):
        try:
            link = services.read_email_link(token=token)
        except LinkRefused as refused:
            return self.refused(refused)
        return self.render_to_response(self.get_context_data(link=link))

    def post(self, request, token):
        try:
            link = services.use_email_link(request=request, token=token)
        except LinkRefused as refused:
            return self.refused(refused)
        if link.purpose == email_tokens.CHANGE:
            message = _("Your email address is now %(email)s.")
        else:
            message = _("Thank you: %(email)s is verified.")
        messages.success(request, message % {"email": link.email})
        if request.user.is_authenticated and request.user.pk == link.user.pk:
            return redirect("dashboard")
        return redirect("accounts:login")

    def refused(self, refused: LinkRefused):
        return self.render_to_response(
            self.get_context_data(refused=refused), status=refused.status
        )


@method_decorator([csrf_protect, never_cache], name="dispatch")
class EmailVerifyResendView(LoginRequiredMixin, View):
    """Send the verification link again (the banner's button), within the limit."""

    http_method_names = ["post"]

    def post(self, request):
        next_url = safe_next(request, request.POST.get("next"))
        if request.user.email_is_verified:
            messages.info(request, _("Your email address is verified already."))
            return HttpResponseRedirect(next_url)
        wait = email_link_wait(request, user=request.user)
        if wait is not None:
            return _throttled(request, wait)
        services.send_verification_email(request=request, user=request.user)
        messages.success(
            request,
            _("We have sent a new link to %(email)s. Open it to confirm the address.")
            % {"email": request.user.email},
        )
        return HttpResponseRedirect(next_url)


@method_decorator(
    [sensitive_post_parameters("password"), csrf_protect, never_cache],
    name="dispatch",
)
class EmailChangeView(LoginRequiredMixin, FormView):
    """Ask to change the address: the password, then a link to the new one.

    The password is asked for here, every time, so no step-up page comes
    first: giving it is as fresh a proof as the step-up would ask for.
    """

    form_class = EmailChangeForm
    template_name = "accounts/email_change.html"

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "user": self.request.user,
            "request": self.request,
        }

    def post(self, request, *args, **kwargs):
        wait = email_link_wait(request, user=request.user)
        if wait is not None:
            return _throttled(request, wait)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        email = form.cleaned_data["email"]
        services.request_email_change(
            request=self.request, user=self.request.user, new_email=email
        )
        # The same answer whether or not another account has the address.
        messages.success(
            self.request,
            _(
                "We have sent a link to %(email)s. Open it to make it your "
                "address; until then your address stays %(current)s."
            )
            % {"email": email, "current": self.request.user.email},
        )
        return redirect("mfa:security")
