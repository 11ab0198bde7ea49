"""Start, refresh and end login sessions: one function per step.

The HTML views and the API views of every app call these; none of them
touches a cookie (that is `cookies.py`), and none of them writes a security
log: they send the signals of `signals.py`, which the site turns into one.

A login is a `Session`: the family of refresh tokens that share its id, the
`sid` claim. Refresh-token rotation happens under a row lock on the
session, so one refresh token never forks into two live successors; a
rotated token presented again within JWT_REFRESH_GRACE_SECONDS gets the same
successor pair, and later it is reuse, which ends the session.
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth import user_logged_in
from django.db import transaction
from django.middleware.csrf import rotate_token
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import (
    BlacklistedToken,
    OutstandingToken,
)
from rest_framework_simplejwt.utils import datetime_to_epoch

from . import assurance, session_state
from .app_settings import app_settings
from .assurance import Assurance
from .client import client_ip, user_agent
from .models import Session
from .signals import (
    refresh_token_reused,
    session_refreshed,
    session_revoked,
    session_started,
    session_stepped_up,
)
from .tokens import SESSION_ID_CLAIM, AccessToken, RefreshToken

Reason = Session.RevokeReason


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
    def user(self):
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


def _issue_token_pair(
    session: Session, *, auth: Assurance, audience: str | None = None
) -> TokenPair:
    refresh = RefreshToken.for_session(session, auth=auth)
    access = refresh.access_token
    if audience is not None and audience != app_settings.AUDIENCE:
        # For another service (a validated audience: see audience_is_allowed).
        # Only the access token: the refresh token is this site's alone. The
        # aud claim is kept in the payload too, so the pair stored for the
        # grace interval (successor_claims) is signed for it again.
        access.audience = audience
        access["aud"] = audience
    return TokenPair(session=session, access=access, refresh=refresh)


def audience_is_allowed(audience: str | None) -> bool:
    """Say whether access tokens may be minted for `audience` (None: ours)."""
    if audience is None or audience == app_settings.AUDIENCE:
        return True
    return bool(app_settings.AUDIENCE_VALIDATOR(audience))


@transaction.atomic
def log_in(
    *,
    request,
    user,
    methods=(assurance.PASSWORD,),
    replacing: str | None = None,
    audience: str | None = None,
) -> TokenPair:
    """Start a new login session for an already authenticated `user`.

    Does what django.contrib.auth.login() does for a server-side session:
    rotates the CSRF token and sends user_logged_in. `methods` are how the
    user proved who they are (RFC 8176 values: the tokens' amr). `replacing`
    is the refresh token the client held until now, if any: its session
    ends, so a browser that logs in again (as anyone) keeps no second live
    session behind the new one. `audience` is the access token's aud (None:
    JWT_AUDIENCE); the caller has checked it with audience_is_allowed().
    """
    previous = session_of_refresh_token(replacing)
    if previous is not None:
        revoke_sessions([previous], reason=Reason.REPLACED, request=request)
    # Whole seconds, as in the tokens' auth_time and exp claims.
    now = timezone.now().replace(microsecond=0)
    session = Session(
        user=user,
        created_at=now,
        last_used_at=now,
        expires_at=now + app_settings.SESSION_MAX_AGE,
        user_agent=user_agent(request),
        ip_address=client_ip(request),
    )
    pair = _issue_token_pair(
        session,
        auth=Assurance(
            methods=assurance.methods_together(methods),
            auth_time=datetime_to_epoch(now),
        ),
        audience=audience,
    )
    session.refresh_jti = pair.refresh["jti"]
    session.signing_kid = pair.refresh.kid
    session.save(force_insert=True)
    # A new login gets a new CSRF token (as django.contrib.auth.login does),
    # so a token planted before the login is worthless after it. Clients that
    # never received a CSRF cookie (apps using Bearer) are not given one.
    if settings.CSRF_COOKIE_NAME in request.COOKIES:
        rotate_token(request)
    user_logged_in.send(sender=user.__class__, request=request, user=user)
    session_started.send(sender=Session, session=session, request=request)
    return pair


def rotate_refresh_token(
    *, raw_token: str, request=None, audience: str | None = None
) -> TokenPair:
    """Exchange a refresh token for the next pair of its session.

    `audience` is the new access token's aud, as for log_in(). A request
    that races a rotation gets that rotation's pair, with the audience it
    was minted for. Raises TokenError when the token is invalid or expired,
    its session has ended, or it was already rotated (reuse, which also ends
    the session).
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
            pair = _rotate(
                session, auth=Assurance.of(refresh), now=now, audience=audience
            )
            session_refreshed.send(sender=Session, session=session, request=request)
            return pair
        if (
            refresh["jti"] == session.previous_refresh_jti
            and now <= session.rotated_at + app_settings.REFRESH_GRACE
        ):
            return _successor_pair(session)
        # An old refresh token of this family came back after its successor
        # was issued: one of the two holders is not the user. End the login
        # (committed, unlike everything before the raise below).
        revoke_sessions([session], reason=Reason.REUSE_DETECTED, request=request)
        refresh_token_reused.send(sender=Session, session=session, request=request)
    raise SessionEnded("Token is invalid or expired", reason=Reason.REUSE_DETECTED)


@transaction.atomic
def step_up(*, request, access_token: AccessToken, methods) -> TokenPair:
    """Renew the proof of who a login's user is: a new pair on the same session.

    `access_token` is the verified token of the request (its session is the
    one stepped up); `methods` are those the user has just used (RFC 8176
    values). The new tokens' amr joins them to the login's earlier ones and
    their auth_time is now; the session's current refresh token is rotated
    out (still honoured for the grace interval, as after a refresh), so the
    client must keep the new pair. Raise SessionEnded if the session has
    ended meanwhile.
    """
    session = (
        Session.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(pk=access_token[SESSION_ID_CLAIM])
        .first()
    )
    if session is None or not session.is_active or not session.user.is_active:
        raise SessionEnded("Token is invalid or expired")
    now = timezone.now().replace(microsecond=0)
    earlier = Assurance.of(access_token)
    auth = Assurance(
        methods=assurance.methods_together(earlier.methods, methods),
        auth_time=datetime_to_epoch(now),
    )
    pair = _rotate(session, auth=auth, now=now)
    session_stepped_up.send(
        sender=Session,
        session=session,
        methods=tuple(methods),
        request=request,
    )
    return pair


def _rotate(
    session: Session, *, auth: Assurance, now, audience: str | None = None
) -> TokenPair:
    """Issue the session's next pair, and rotate its current refresh token out."""
    pair = _issue_token_pair(session, auth=auth, audience=audience)
    BlacklistedToken.objects.get_or_create(
        token=OutstandingToken.objects.get(jti=session.refresh_jti)
    )
    session.previous_refresh_jti = session.refresh_jti
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
    # Sessions rotated before their claims were kept (accounts migration
    # 0007) have none: the racing request is refused (and may log its
    # browser out), but it is no reuse, so the session is not ended.
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


def revoke_sessions(
    sessions, *, reason: str, request=None, one_by_one: bool = True
) -> None:
    """End `sessions`: blacklist their live refresh token, refuse their tokens.

    The one place a session ends. Every process refuses its access tokens
    from its next request on (session_state), and session_revoked tells
    the rest of the site.
    """
    sessions = list(sessions)
    if not sessions:
        return
    now = timezone.now()
    ids = [session.pk for session in sessions]
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
    session_revoked.send(
        sender=Session,
        sessions=sessions,
        reason=reason,
        request=request,
        one_by_one=one_by_one,
    )


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
    revoke_sessions([session], reason=Reason.LOGOUT, request=request)
    return True


@transaction.atomic
def end_session(*, user, session_id, request=None, reason=Reason.ENDED_BY_USER):
    """End one of `user`'s active sessions; raise Session.DoesNotExist if none."""
    session = (
        Session.objects.active()
        .select_related("user")
        .get(pk=session_id, user_id=user.pk)
    )
    revoke_sessions([session], reason=reason, request=request)
    return session


@transaction.atomic
def end_sessions(*, user, reason: str, keep=None, request=None) -> int:
    """End every active session of `user` but `keep`; return how many ended."""
    sessions = Session.objects.active().select_related("user").filter(user_id=user.pk)
    if keep is not None:
        sessions = sessions.exclude(pk=keep.pk)
    sessions = list(sessions)
    revoke_sessions(sessions, reason=reason, request=request, one_by_one=False)
    return len(sessions)


@transaction.atomic
def end_sessions_signed_with(kid: str) -> int:
    """End every active session whose current refresh token `kid` signed."""
    # Recorded at every login and rotation: the tokens themselves are not
    # kept anywhere to be read back.
    signed = list(
        Session.objects.active().filter(signing_kid=kid).select_related("user")
    )
    revoke_sessions(signed, reason=Reason.KEY_RETIRED)
    return len(signed)
