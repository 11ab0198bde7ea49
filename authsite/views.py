"""The project's own pages: the dashboard, the favicon and the CSRF refusal."""

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import timezone
from django.utils.timesince import timesince
from django.views.decorators.http import require_safe
from django.views.generic import TemplateView

from jwt_sessions.app_settings import app_settings
from jwt_sessions.authentication import current_session_id
from jwt_sessions.models import Session


class DashboardView(LoginRequiredMixin, TemplateView):
    """Where a login lands: who is logged in, and how long this login lasts."""

    template_name = "dashboard.html"

    def get_context_data(self, **kwargs):
        now = timezone.now()
        return super().get_context_data(
            session=Session.objects.filter(
                pk=current_session_id(self.request), user_id=self.request.user.pk
            ).first(),
            idle_timeout=timesince(now - app_settings.REFRESH_TOKEN_LIFETIME, now),
            **kwargs,
        )


def csrf_failure(request, reason=""):
    """Explain a refused form in plain words: usually a page open too long."""
    return render(
        request,
        "403_csrf.html",
        {"reason": reason, "debug": settings.DEBUG},
        status=403,
    )


@require_safe
def favicon(request):
    """Send browsers that ask for /favicon.ico by themselves to the site's icon."""
    # Looked up per request: with the manifest storage of production the
    # file's name carries its hash, so browsers may cache it for good.
    return redirect(static("favicon.ico"))
