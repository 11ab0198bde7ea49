"""Sign-up, password changes and resets, and the security log.

One function per flow; the HTML views and the API views both call these.
Starting, refreshing and ending login sessions is jwt_sessions' (its
services module); what it reports back through its signals becomes the
security log here (accounts.receivers).
"""

import logging
from dataclasses import dataclass

from django.db import transaction

from jwt_sessions import assurance
from jwt_sessions import services as sessions
from jwt_sessions.authentication import current_assurance
from jwt_sessions.client import client_ip, user_agent
from jwt_sessions.models import Session
from jwt_sessions.services import TokenPair

from .models import SecurityEvent, User, normalize_email

logger = logging.getLogger("accounts.auth")

Reason = Session.RevokeReason
Event = SecurityEvent.Type


def log_auth_event(event: str, *, user_id=None, sid=None, request=None) -> None:
    """Write one structured log line for an auth event; never a token or secret."""
    ip = client_ip(request) if request is not None else None
    logger.info(
        "auth_event type=%s user_id=%s sid=%s",
        event,
        user_id,
        sid,
        extra={
            "event": str(event),
            "user_id": user_id,
            "sid": str(sid) if sid is not None else None,
            "ip": ip,
        },
    )


def record_event(type, *, user, session=None, request=None, detail="") -> None:
    """Keep a security event for the account's owner and for staff."""
    SecurityEvent.objects.create(
        type=type,
        user=user,
        session=session,
        ip_address=client_ip(request) if request is not None else None,
        user_agent=user_agent(request) if request is not None else "",
        detail=detail,
    )
    log_auth_event(
        type,
        user_id=getattr(user, "pk", None),
        sid=getattr(session, "pk", None),
        request=request,
    )


def register_user(*, email: str, password: str) -> User:
    """Create an active user who logs in with `email` and `password`."""
    user = User.objects.create_user(email=normalize_email(email), password=password)
    log_auth_event("signup", user_id=user.pk)
    return user


@dataclass(frozen=True)
class PasswordChange:
    """Why a user's password is being set, and by which request, for the log."""

    reason: str = Reason.PASSWORD_CHANGED
    event: str = Event.PASSWORD_CHANGED
    request: object = None


def expect_password_change(user: User, change: PasswordChange) -> None:
    """Say why `user`'s next saved password change happens (default: changed)."""
    # Read by end_sessions_after_password_change() when the new password is
    # saved; without it a change (changepassword, a shell) is still handled.
    user._password_change = change


def end_sessions_after_password_change(*, user: User) -> int:
    """End every session of `user`, whose new password was just saved."""
    change = user.__dict__.pop("_password_change", None) or PasswordChange()
    ended = sessions.end_sessions(
        user=user, reason=change.reason, request=change.request
    )
    record_event(change.event, user=user, request=change.request)
    return ended


def _set_password(*, request, user: User, new_password: str, reason, event) -> None:
    user.set_password(new_password)
    # Every token issued before the change dies with its session: saving the
    # password does that (accounts.receivers), whichever code path saves it.
    expect_password_change(
        user, PasswordChange(reason=reason, event=event, request=request)
    )
    user.save(update_fields=["password"])


@transaction.atomic
def change_password(*, request, user: User, new_password: str) -> TokenPair:
    """Set a new password, end every session, and log this device in afresh.

    The new login is as strong as the one that changed the password (its
    second factor, if it had one, carries over): the old password was just
    given again, and the device is the same.
    """
    proved = current_assurance(request)
    _set_password(
        request=request,
        user=user,
        new_password=new_password,
        reason=Reason.PASSWORD_CHANGED,
        event=Event.PASSWORD_CHANGED,
    )
    return sessions.log_in(
        request=request,
        user=user,
        methods=proved.methods if proved is not None else (assurance.PASSWORD,),
    )


@transaction.atomic
def reset_password(*, request, user: User, new_password: str) -> None:
    """Set a password chosen through a reset link and end every session."""
    _set_password(
        request=request,
        user=user,
        new_password=new_password,
        reason=Reason.PASSWORD_RESET,
        event=Event.PASSWORD_RESET,
    )
