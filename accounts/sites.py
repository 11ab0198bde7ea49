"""The admin site, logged into and out of through the site's own pages."""

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .views import LogoutView, PasswordChangeView


class AdminSite(admin.AdminSite):
    """The admin, logged into and out of through the site's own JWT pages."""

    site_header = _("authsite administration")
    site_title = _("authsite admin")

    def login(self, request, extra_context=None):
        if request.user.is_authenticated:
            # Logged in, but not staff: say so instead of looping to login.
            return TemplateResponse(
                request,
                "admin/not_staff.html",
                {"site_header": self.site_header},
                status=403,
            )
        next_url = request.GET.get("next") or reverse(
            "admin:index", current_app=self.name
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
