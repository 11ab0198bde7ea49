"""The admin site, logged into and out of through the site's own pages."""

from django.contrib import admin, messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from jwt_sessions import assurance
from jwt_sessions.authentication import login_satisfies
from jwt_sessions.views import reauthenticate_url
from mfa import app_settings as mfa_settings
from mfa import services as mfa

from .views import LogoutView, PasswordChangeView

# What the admin wants of a staff member's login (MFA_REQUIRED_FOR_STAFF):
# two factors, of any age.
STAFF_LOGIN = assurance.Requirement(max_age=0, level=assurance.TWO_FACTORS)


class AdminSite(admin.AdminSite):
    """The admin, logged into and out of through the site's own JWT pages."""

    site_header = _("authsite administration")
    site_title = _("authsite admin")

    def has_permission(self, request):
        return super().has_permission(request) and not self.wants_second_factor(request)

    def wants_second_factor(self, request) -> bool:
        """Return whether a staff member's login lacks the second factor it needs."""
        return (
            mfa_settings.required_for_staff()
            and request.user.is_active
            and request.user.is_staff
            and not login_satisfies(request, STAFF_LOGIN)
        )

    def login(self, request, extra_context=None):
        next_url = request.GET.get("next") or reverse(
            "admin:index", current_app=self.name
        )
        if request.user.is_authenticated and self.wants_second_factor(request):
            # Sent where the factor is set up or proved, never locked out of
            # either: neither page is behind the admin.
            if mfa.has_second_factor(request.user):
                messages.info(
                    request,
                    _(
                        "The admin needs a login with your second factor. Enter a "
                        "code from your authenticator app."
                    )
                    if mfa.has_authenticator_app(request.user)
                    else _(
                        "The admin needs a login with your second factor. Confirm "
                        "with your passkey."
                    ),
                )
                return HttpResponseRedirect(reauthenticate_url(next_url))
            messages.info(
                request,
                _(
                    "The admin needs a second factor. Set up an authenticator app, "
                    "then open the admin again."
                ),
            )
            return redirect("mfa:security")
        if request.user.is_authenticated:
            # Logged in, but not staff: say so instead of looping to login.
            return TemplateResponse(
                request,
                "admin/not_staff.html",
                {"site_header": self.site_header},
                status=403,
            )
        return redirect_to_login(next_url, reverse("accounts:login"))

    def logout(self, request, extra_context=None):
        return LogoutView.as_view()(request)

    def password_change(self, request, extra_context=None):
        # Django's view ends with update_session_auth_hash(), which needs a
        # server-side session: it would set the password, end no other
        # session and answer 500. The site's own page ends the others and
        # gives this browser fresh tokens.
        return PasswordChangeView.as_view()(request)
