"""Sign-up, login, refresh, logout, password changes and session revocation.

One function per flow; the HTML views and the API views both call these.
None of them touches a cookie (that is `accounts.cookies`).

A login is a `Session`: the family of refresh tokens that share its id, the
`sid` claim. Rotation happens under a row lock on the session, so one refresh
token never forks into two live successors; a rotated token presented again
within JWT_REFRESH_GRACE_SECONDS gets the same successor pair, and later it
is reuse, which ends the session.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import user_logged_in
from django.db import transaction
from django.middleware.csrf import rotate_token
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import (
    BlacklistedToken,
    OutstandingToken,
)
from rest_framework_simplejwt.utils import datetime_to_epoch

from . import session_state
from .client import client_ip, user_agent
from .models import SecurityEvent, Session, User, normalize_email
from .tokens import SESSION_ID_CLAIM, AccessToken, RefreshToken

logger = logging.getLogger("accounts.auth")

Reason = Session.RevokeReason
Event = SecurityEvent.Type


class SessionEnded(TokenError):
    """The refresh token's login session is over (or never existed)."""

    def __init__(self, message: str, *, reason: str = ""):
        super().__init__(message)
        # Why the session was revoked (a Session.RevokeReason), so that its
        # browser can be told; "" when it expired or never existed.
        self.reason = reason


@dataclass(frozen=True)
class TokenPair:
    session: Session
    access: AccessToken
    refresh: RefreshToken

    @property
    def user(self) -> User:
        return self.session.user

    @property
    def access_expires_at(self) -> datetime:
        return self.access.expires_at

    @property
    def refresh_expires_at(self) -> datetime:
        return self.refresh.expires_at

    @property
    def session_expires_at(self) -> datetime:
        return self.session.expires_at


# Completes "A session was ended ..." in the security log, for each reason.
REVOKED_BECAUSE = {
    Reason.LOGOUT: gettext_lazy("by logging out"),
    Reason.REPLACED: gettext_lazy("by a new login on the same device"),
    Reason.ENDED_BY_USER: gettext_lazy("from the sessions page"),
    Reason.PASSWORD_CHANGED: gettext_lazy("because the password was changed"),
    Reason.PASSWORD_RESET: gettext_lazy("because the password was reset"),
    Reason.REUSE_DETECTED: gettext_lazy(
        "because an old sign-in token of it was used again"
    ),
    Reason.ACCOUNT_DEACTIVATED: gettext_lazy("because the account was deactivated"),
    Reason.ADMIN: gettext_lazy("by staff"),
}


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


def _issue_token_pair(session: Session, *, auth_time: int) -> TokenPair:
    refresh = RefreshToken.for_session(session, auth_time=auth_time)
    return TokenPair(session=session, access=refresh.access_token, refresh=refresh)


def register_user(*, email: str, password: str) -> User:
    """Create an active user who logs in with `email` and `password`."""
    user = User.objects.create_user(email=normalize_email(email), password=password)
    log_auth_event("signup", user_id=user.pk)
    return user


@transaction.atomic
def log_in(*, request, user: User, replacing: str | None = None) -> TokenPair:
    """Start a new login session for an already authenticated `user`.

    `replacing` is the refresh token the client held until now, if any: its
    session ends, so a browser that logs in again (as anyone) keeps no
    second live session behind the new one.
    """
    previous = session_of_refresh_token(replacing)
    if previous is not None:
        _revoke_sessions([previous], reason=Reason.REPLACED)
    # Whole seconds, as in the tokens' auth_time and exp claims.
    now = timezone.now().replace(microsecond=0)
    session = Session(
        user=user,
        created_at=now,
        last_used_at=now,
        expires_at=now + timedelta(seconds=settings.JWT_SESSION_MAX_AGE),
        user_agent=user_agent(request),
        ip_address=client_ip(request),
    )
    pair = _issue_token_pair(session, auth_time=datetime_to_epoch(now))
    session.refresh_jti = pair.refresh["jti"]
    session.signing_kid = pair.refresh.kid
    session.save(force_insert=True)
    # A new login gets a new CSRF token (as django.contrib.auth.login does),
    # so a token planted before the login is worthless after it. Clients that
    # never received a CSRF cookie (apps using Bearer) are not given one.
    if settings.CSRF_COOKIE_NAME in request.COOKIES:
        rotate_token(request)
    user_logged_in.send(sender=user.__class__, request=request, user=user)
    record_event(Event.LOGIN, user=user, session=session, request=request)
    return pair


def rotate_refresh_token(*, raw_token: str, request=None) -> TokenPair:
    """Exchange a refresh token for the next pair of its session.

    Raises TokenError when the token is invalid or expired, its session has
    ended, or it was already rotated (reuse, which also ends the session).
    """
    refresh = RefreshToken(raw_token)  # signature, claims and type
    with transaction.atomic():
        session = (
            Session.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(pk=refresh[SESSION_ID_CLAIM])
            .first()
        )
        if session is None or not session.is_active or not session.user.is_active:
            raise SessionEnded(
                "Token is invalid or expired",
                reason=session.revoked_reason if session is not None else "",
            )
        now = timezone.now()
        if refresh["jti"] == session.refresh_jti:
            return _rotate(session, refresh, now=now)
        grace = timedelta(seconds=settings.JWT_REFRESH_GRACE_SECONDS)
        if (
            refresh["jti"] == session.previous_refresh_jti
            and now <= session.rotated_at + grace
        ):
            return _successor_pair(session)
        # An old refresh token of this family came back after its successor
        # was issued: one of the two holders is not the user. End the login
        # (committed, unlike everything before the raise below).
        _revoke_sessions([session], reason=Reason.REUSE_DETECTED)
        record_event(
            Event.REUSE_DETECTED,
            user=session.user,
            session=session,
            request=request,
        )
    raise SessionEnded("Token is invalid or expired", reason=Reason.REUSE_DETECTED)


def _rotate(session: Session, refresh: RefreshToken, *, now) -> TokenPair:
    pair = _issue_token_pair(session, auth_time=refresh["auth_time"])
    BlacklistedToken.objects.get_or_create(
        token=OutstandingToken.objects.get(jti=refresh["jti"])
    )
    session.previous_refresh_jti = refresh["jti"]
    session.refresh_jti = pair.refresh["jti"]
    session.signing_kid = pair.refresh.kid
    session.rotated_at = now
    session.last_used_at = now
    session.successor_claims = {
        "refresh": pair.refresh.payload,
        "access": pair.access.payload,
    }
    session.save(
        update_fields=[
            "previous_refresh_jti",
            "refresh_jti",
            "signing_kid",
            "rotated_at",
            "last_used_at",
            "successor_claims",
        ]
    )
    log_auth_event("refresh", user_id=session.user_id, sid=session.pk)
    return pair


def _successor_pair(session: Session) -> TokenPair:
    """Return the pair the session's last rotation issued, signed again."""
    # The same claims, the jti above all, make it the same pair: the session
    # takes exactly one refresh jti next. HS256, RS256 and EdDSA signatures
    # are deterministic, so the tokens are byte for byte the first ones;
    # ES256 draws a fresh nonce, so only the signature bytes differ.
    #
    # Signed by the key that signed them the first time (signing_kid), even
    # if `jwt_keys activate` made another key active since: that key still
    # verifies and keeps its private part until it is retired, and a copy
    # signed by the new key would be a token whose key the session does not
    # record, which an emergency retirement of that key would then miss. If
    # that key can no longer sign (gone from the key file, or kept there as a
    # public key only) the pair cannot be had again: the request is refused
    # rather than given a token signed by a key the session never recorded.
    # (An emergency retirement of it has ended this session anyway.)
    #
    # Sessions rotated before their claims were kept (migration 0007) have
    # none: the racing request is refused (and may log its browser out), but
    # it is no reuse, so the session is not ended.
    claims = session.successor_claims
    try:
        return TokenPair(
            session=session,
            access=AccessToken.from_claims(claims["access"], kid=session.signing_kid),
            refresh=RefreshToken.from_claims(
                claims["refresh"], kid=session.signing_kid
            ),
        )
    except (KeyError, TypeError, TokenError) as exc:
        raise SessionEnded("Token is invalid or expired") from exc


def _revoke_sessions(sessions, *, reason: str) -> None:
    """End `sessions`: blacklist their live refresh token, refuse their tokens."""
    now = timezone.now()
    ids = [session.pk for session in sessions]
    if not ids:
        return
    Session.objects.filter(pk__in=ids, revoked_at__isnull=True).update(
        revoked_at=now, revoked_reason=reason
    )
    # Every older refresh token of a family was blacklisted when it was
    # rotated; the current one of each family is what is left to blacklist.
    jtis = [session.refresh_jti for session in sessions]
    BlacklistedToken.objects.bulk_create(
        [
            BlacklistedToken(token=outstanding)
            for outstanding in OutstandingToken.objects.filter(jti__in=jtis).exclude(
                blacklistedtoken__isnull=False
            )
        ]
    )
    session_state.mark_revoked(ids)
    for session in sessions:
        session.revoked_at, session.revoked_reason = now, reason


def session_of_refresh_token(raw_token: str | None) -> Session | None:
    """Return the active session a valid refresh token belongs to, if any."""
    if not raw_token:
        return None
    try:
        refresh = RefreshToken(raw_token)
    except TokenError:
        return None
    return (
        Session.objects.active()
        .select_related("user")
        .filter(pk=refresh[SESSION_ID_CLAIM])
        .first()
    )


@transaction.atomic
def log_out(*, raw_token: str | None, request=None) -> bool:
    """End the session of a refresh token; return whether there was one."""
    session = session_of_refresh_token(raw_token)
    if session is None:
        return False
    _revoke_sessions([session], reason=Reason.LOGOUT)
    record_event(Event.LOGOUT, user=session.user, session=session, request=request)
    return True


@transaction.atomic
def end_session(*, user: User, session_id, request=None, reason=Reason.ENDED_BY_USER):
    """End one of `user`'s active sessions; raise Session.DoesNotExist if none."""
    session = Session.objects.active().get(pk=session_id, user=user)
    _revoke_sessions([session], reason=reason)
    record_event(
        Event.SESSION_REVOKED,
        user=user,
        session=session,
        request=request,
        detail=_("A session on %(device)s was ended %(why)s.")
        % {"device": session.device, "why": REVOKED_BECAUSE[reason]},
    )
    return session


@transaction.atomic
def end_sessions(*, user: User, reason: str, keep=None, request=None) -> int:
    """End every active session of `user` but `keep`; return how many ended."""
    sessions = Session.objects.active().filter(user=user)
    if keep is not None:
        sessions = sessions.exclude(pk=keep.pk)
    sessions = list(sessions)
    _revoke_sessions(sessions, reason=reason)
    if sessions:
        record_event(
            Event.SESSION_REVOKED,
            user=user,
            request=request,
            detail=ngettext(
                "%(count)d session was ended %(why)s.",
                "%(count)d sessions were ended %(why)s.",
                len(sessions),
            )
            % {"count": len(sessions), "why": REVOKED_BECAUSE[reason]},
        )
    return len(sessions)


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
    ended = end_sessions(user=user, reason=change.reason, request=change.request)
    record_event(change.event, user=user, request=change.request)
    return ended


def _set_password(*, request, user: User, new_password: str, reason, event) -> None:
    user.set_password(new_password)
    # Every token issued before the change dies with its session: saving the
    # password does that (accounts.signals), whichever code path saves it.
    expect_password_change(
        user, PasswordChange(reason=reason, event=event, request=request)
    )
    user.save(update_fields=["password"])


@transaction.atomic
def change_password(*, request, user: User, new_password: str) -> TokenPair:
    """Set a new password, end every session, and log this device in afresh."""
    _set_password(
        request=request,
        user=user,
        new_password=new_password,
        reason=Reason.PASSWORD_CHANGED,
        event=Event.PASSWORD_CHANGED,
    )
    return log_in(request=request, user=user)


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
