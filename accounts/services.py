"""Login, refresh, logout and sign-up: one function per flow.

The HTML views and the API views both call these; none of them touches a
cookie (that is `accounts.cookies`) or a request body.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

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
from rest_framework_simplejwt.utils import datetime_from_epoch, datetime_to_epoch

from .models import User, normalize_email
from .tokens import AUTH_TIME_CLAIM, AccessToken, RefreshToken

logger = logging.getLogger("accounts.auth")


@dataclass(frozen=True)
class TokenPair:
    user: User
    access: AccessToken
    refresh: RefreshToken

    @property
    def access_expires_at(self) -> datetime:
        return self.access.expires_at

    @property
    def refresh_expires_at(self) -> datetime:
        return self.refresh.expires_at

    @property
    def session_expires_at(self) -> datetime:
        return session_expires_at(self.refresh[AUTH_TIME_CLAIM])


def session_expires_at(auth_time: int) -> datetime:
    """Return when a login made at `auth_time` (epoch seconds) ends for good."""
    return datetime_from_epoch(auth_time) + timedelta(
        seconds=settings.JWT_SESSION_MAX_AGE
    )


def _issue_token_pair(*, user: User, auth_time: int) -> TokenPair:
    """Issue a refresh token (recorded as outstanding) and its access token."""
    refresh = RefreshToken.for_login(
        user, auth_time=auth_time, not_after=session_expires_at(auth_time)
    )
    return TokenPair(user=user, access=refresh.access_token, refresh=refresh)


def register_user(*, email: str, password: str) -> User:
    """Create an active user who logs in with `email` and `password`."""
    user = User.objects.create_user(email=normalize_email(email), password=password)
    logger.info("signup user_id=%s", user.pk)
    return user


def log_in(*, request, user: User) -> TokenPair:
    """Start a new login for an already authenticated `user`."""
    pair = _issue_token_pair(user=user, auth_time=datetime_to_epoch(timezone.now()))
    # A new login gets a new CSRF token (as django.contrib.auth.login does),
    # so a token planted before the login is worthless after it. Clients that
    # never received a CSRF cookie (apps using Bearer) are not given one.
    if settings.CSRF_COOKIE_NAME in request.COOKIES:
        rotate_token(request)
    user_logged_in.send(sender=user.__class__, request=request, user=user)
    logger.info("login user_id=%s", user.pk)
    return pair


def rotate_refresh_token(*, raw_token: str) -> TokenPair:
    """Exchange a refresh token for a new pair; the old one is blacklisted.

    Raises TokenError when the token is invalid, expired, blacklisted, past
    its login's maximum age, or its user can no longer log in.
    """
    refresh = RefreshToken(raw_token)  # signature, claims, type, blacklist
    auth_time = refresh[AUTH_TIME_CLAIM]
    if timezone.now() >= session_expires_at(auth_time):
        raise TokenError("Token is invalid or expired")
    user = User.objects.filter(pk=refresh["user_id"], is_active=True).first()
    if user is None:
        raise TokenError("Token is invalid or expired")

    with transaction.atomic():
        # The row lock makes rotation atomic: of several requests presenting
        # the same refresh token at once, exactly one issues a successor.
        outstanding = (
            OutstandingToken.objects.select_for_update()
            .filter(jti=refresh["jti"])
            .first()
        )
        if (
            outstanding is None
            or BlacklistedToken.objects.filter(token=outstanding).exists()
        ):
            raise TokenError("Token is blacklisted")
        BlacklistedToken.objects.create(token=outstanding)
        pair = _issue_token_pair(user=user, auth_time=auth_time)
    logger.info("refresh user_id=%s", user.pk)
    return pair


def log_out(*, raw_token: str | None) -> bool:
    """Blacklist a refresh token; return whether it was a live token."""
    if not raw_token:
        return False
    try:
        refresh = RefreshToken(raw_token)
    except TokenError:
        return False
    outstanding = OutstandingToken.objects.filter(jti=refresh["jti"]).first()
    if outstanding is None:
        return False
    _, created = BlacklistedToken.objects.get_or_create(token=outstanding)
    logger.info("logout user_id=%s", refresh["user_id"])
    return created
