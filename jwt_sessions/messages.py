"""What a browser is told when its login ended, or when a page needs one."""

from django.contrib import messages
from django.utils.translation import gettext_lazy as _

from .models import Session

Reason = Session.RevokeReason

# What a browser whose login was ended from elsewhere is told, by reason.
# Nothing for a logout or a new login on the same browser: its user did it.
# Nothing for a retired key either: its tokens no longer verify, so nothing
# they say (which session, why it ended) can be believed.
WHY_LOGGED_OUT = {
    Reason.ENDED_BY_USER: (
        messages.INFO,
        _("You were logged out because this session was ended from another device."),
    ),
    Reason.PASSWORD_CHANGED: (
        messages.INFO,
        _(
            "You were logged out because your password was changed. Log in with "
            "the new password."
        ),
    ),
    Reason.PASSWORD_RESET: (
        messages.INFO,
        _(
            "You were logged out because your password was reset. Log in with "
            "the new password."
        ),
    ),
    Reason.REUSE_DETECTED: (
        messages.WARNING,
        _(
            "You were logged out for your safety: this session's login was used "
            "twice, which can mean that someone else had a copy of it. Log in "
            "again, and consider changing your password."
        ),
    ),
    Reason.ADMIN: (
        messages.INFO,
        _("You were logged out because a member of staff ended this session."),
    ),
    Reason.ACCOUNT_DEACTIVATED: (
        messages.INFO,
        _("You were logged out because your account has been deactivated."),
    ),
}


def tell_to_log_in(request) -> None:
    """Say why a page sent its anonymous visitor to the login page."""
    messages.info(request, _("Log in to see that page."), fail_silently=True)


def tell_why_logged_out(request, reason: str) -> None:
    """Explain to the browser why its session ended, if it did not end it."""
    if reason in WHY_LOGGED_OUT:
        level, message = WHY_LOGGED_OUT[reason]
        messages.add_message(request, level, message, fail_silently=True)
