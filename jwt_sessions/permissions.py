"""DRF's side of step-up: RFC 9470's challenge for a login too old or weak."""

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.permissions import SAFE_METHODS, BasePermission

from . import assurance
from .authentication import login_satisfies


class InsufficientUserAuthentication(exceptions.APIException):
    """401 with RFC 9470's challenge: prove who you are again, then repeat."""

    status_code = 401
    default_code = "insufficient_user_authentication"
    default_detail = _(
        "This action needs a more recent login. Prove who you are again "
        "(GET /api/reauthenticate/ lists how), then repeat the request."
    )

    def __init__(self, requirement: assurance.Requirement, detail=None):
        super().__init__(detail)
        self.requirement = requirement
        # DRF's exception handler sends it as WWW-Authenticate.
        self.auth_header = requirement.challenge()


def require(request, requirement: assurance.Requirement) -> None:
    """Raise InsufficientUserAuthentication unless the request's login meets it."""
    if not login_satisfies(request, requirement):
        raise InsufficientUserAuthentication(requirement)


class RecentAuthentication(BasePermission):
    """Let unsafe requests through only from a login recent and strong enough.

    After IsAuthenticated. The view may set `step_up_requirement` (an
    assurance.Requirement); by default the login must have been proved within
    STEP_UP_MAX_AGE seconds. Safe methods are not asked.
    """

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        require(
            request,
            getattr(view, "step_up_requirement", assurance.RECENT_LOGIN),
        )
        return True
