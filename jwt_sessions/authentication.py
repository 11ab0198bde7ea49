"""The one path that reads the auth cookies and the Bearer header.

`authenticate_cookies()` turns a request's cookies into a user (refreshing
silently when the access token has expired) and is shared by the middleware,
which serves HTML pages and the admin, and by `JWTCookieAuthentication`, which
serves DRF. `JWTBearerAuthentication` serves clients that send the header.
"""

import copy
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.utils.functional import SimpleLazyObject, empty
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, CSRFCheck
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from . import assurance, services, session_state
from .app_settings import app_settings
from .tokens import (
    SESSION_ID_CLAIM,
    USER_ID_CLAIM,
    AccessToken,
    verified_access_token,
)


class TokenUser(SimpleLazyObject):
    """The user an access token speaks for, read from the database on demand.

    Its id, and that it is an active, authenticated user, are known without a
    query: the session check vouched for both. Anything else (the email, the
    staff flags, isinstance(), handing it to the ORM as a model instance)
    loads the row, once, and then answers as the real user would. Code that
    needs only the id says so (`Cart.objects.filter(user_id=request.user.pk)`)
    and costs no query; a call site that forgets costs one, never a wrong
    answer.
    """

    is_active = True
    is_authenticated = True
    is_anonymous = False

    def __init__(self, user_id):
        # What SimpleLazyObject.__init__ sets, and the id as plain attributes
        # (read as such, not through a property): every request authenticated
        # by a token makes one.
        self.__dict__.update(pk=user_id, id=user_id, _wrapped=empty)

    def _setup(self):
        self._wrapped = _load_user(self.pk)

    def __bool__(self):
        return True

    def __repr__(self):
        if self._wrapped is empty:
            return f"<TokenUser: user {self.pk}, not loaded>"
        return f"<TokenUser: {self._wrapped!r}>"

    def __copy__(self):
        if self._wrapped is empty:
            return type(self)(self.pk)
        return copy.copy(self._wrapped)

    def __deepcopy__(self, memo):
        if self._wrapped is empty:
            result = memo[id(self)] = type(self)(self.pk)
            return result
        return copy.deepcopy(self._wrapped, memo)


# The header a Bearer token comes in, as WSGI names it (SimpleJWT's default,
# which checks.py keeps: its SIMPLE_JWT settings are refused).
AUTHORIZATION = "HTTP_AUTHORIZATION"


def _load_user(user_id):
    return get_user_model()._default_manager.get(pk=user_id)


def get_token_user(token: AccessToken) -> TokenUser | None:
    """Return the user of a live session an access token speaks for, or None."""
    # One lookup in the shared cache (no SQL query with Redis), and the user
    # row is not read: a revoked session, a deactivated user (whose sessions
    # end when they are deactivated) or a changed password (which ends every
    # session) is refused on the very next request, in every process.
    claims = token.payload
    user_id = session_state.active_session_user_id(claims[SESSION_ID_CLAIM])
    if user_id is None or str(user_id) != claims[USER_ID_CLAIM]:
        return None
    return TokenUser(user_id)


# Not frozen (whose __init__ goes through object.__setattr__ for each field):
# one is made per request and none is changed after.
@dataclass
class CookieAuthentication:
    """What the auth cookies of one request amount to."""

    user: TokenUser | AnonymousUser
    access_token: AccessToken | None = None
    # A silent refresh happened: these tokens go out as new cookies.
    refreshed: services.TokenPair | None = None
    # The cookies held nothing usable: they are deleted on the response.
    stale: bool = False
    # The refresh cookie is genuine but its session was revoked, for this
    # reason (a Session.RevokeReason): the browser is told why, once.
    ended_reason: str = ""


ANONYMOUS = CookieAuthentication(user=AnonymousUser())


def read_refresh_cookie(request) -> str | None:
    return request.COOKIES.get(app_settings.COOKIE_REFRESH_NAME) or None


def has_auth_cookies(request) -> bool:
    return bool(
        request.COOKIES.get(app_settings.COOKIE_ACCESS_NAME)
        or read_refresh_cookie(request)
    )


def _authenticate_cookies(request) -> CookieAuthentication:
    raw_access = request.COOKIES.get(app_settings.COOKIE_ACCESS_NAME)
    raw_refresh = read_refresh_cookie(request)
    if raw_access:
        try:
            token = verified_access_token(raw_access)
        except TokenError:
            pass  # expired or forged: the refresh cookie may still serve
        else:
            user = get_token_user(token)
            if user is not None:
                return CookieAuthentication(user=user, access_token=token)
    if raw_refresh:
        try:
            pair = services.rotate_refresh_token(raw_token=raw_refresh, request=request)
        except services.SessionEnded as ended:
            return CookieAuthentication(
                user=AnonymousUser(), stale=True, ended_reason=ended.reason
            )
        except TokenError:
            return CookieAuthentication(user=AnonymousUser(), stale=True)
        return CookieAuthentication(
            user=pair.user, access_token=pair.access, refreshed=pair
        )
    if raw_access:
        return CookieAuthentication(user=AnonymousUser(), stale=True)
    return ANONYMOUS


def authenticate_cookies(request) -> CookieAuthentication:
    """Return (once per request) who the request's auth cookies speak for."""
    # Memoised on the Django request: the middleware and DRF share one answer
    # and a refresh token is never rotated twice in one request.
    try:
        return request._jwt_cookie_authentication
    except AttributeError:
        request._jwt_cookie_authentication = _authenticate_cookies(request)
        return request._jwt_cookie_authentication


def current_session_id(request) -> str | None:
    """Return the login session id of a page request's cookies, if any."""
    token = authenticate_cookies(request).access_token
    return token[SESSION_ID_CLAIM] if token is not None else None


def current_assurance(request) -> "assurance.Assurance | None":
    """Return how the login of a page's or DRF's request was proved, if any."""
    if isinstance(request, Request):
        token = request.auth
    else:
        token = authenticate_cookies(request).access_token
    return assurance.Assurance.of(token) if isinstance(token, AccessToken) else None


def login_satisfies(request, requirement: assurance.Requirement) -> bool:
    """Return whether the login of a page's or DRF's request meets `requirement`.

    The one step-up check: pages (views.StepUpRequiredMixin), the API
    (permissions.RecentAuthentication) and any view that decides itself
    (a checkout above STEP_UP_CHECKOUT_OVER) ask it.
    """
    proved = current_assurance(request)
    return proved is not None and requirement.is_met_by(proved)


def cookie_authentication_if_done(request) -> CookieAuthentication | None:
    """Return the cookie authentication of a request if anything asked for it."""
    return getattr(request, "_jwt_cookie_authentication", None)


def enforce_csrf(request) -> None:
    """Refuse a DRF request without a valid CSRF token (as Django's forms do)."""
    # Checked on Django's request, which reads the body only when it is a
    # form. On DRF's, looking for a form's token in request.POST parses any
    # body, and one that does not parse failed the authentication itself: a
    # 400 that showed the browsable API's user as logged out, without forms.
    request = getattr(request, "_request", request)
    if request.method in SAFE_METHODS:
        # What CsrfViewMiddleware accepts without a token; asking it costs
        # every authenticated GET a few microseconds for the same answer.
        return
    check = CSRFCheck(lambda request: None)
    check.process_request(request)
    reason = check.process_view(request, None, (), {})
    if reason:
        raise exceptions.PermissionDenied(
            _(
                "CSRF check failed: %(reason)s Send the %(cookie)s cookie's value "
                "in the X-CSRFToken header (GET /api/csrf/ sets it)."
            )
            % {"reason": reason, "cookie": settings.CSRF_COOKIE_NAME},
            code="csrf_failed",
        )


class JWTBearerAuthentication(JWTAuthentication):
    """Authenticate by the access token in an `Authorization: Bearer` header."""

    def __init__(self) -> None:
        # Not SimpleJWT's, which looks up the user model for the get_user()
        # replaced below: DRF makes an instance for every request.
        super(JWTAuthentication, self).__init__()

    def authenticate(self, request):
        # Not my scheme, said before SimpleJWT reads and encodes the header:
        # a browser's requests (cookies) have none.
        if AUTHORIZATION not in request.META:
            return None
        return super().authenticate(request)

    def get_validated_token(self, raw_token):
        try:
            return verified_access_token(raw_token)
        except TokenError as exc:
            # One answer for every reason: which check failed is no business
            # of whoever holds the token.
            raise InvalidToken() from exc

    def get_user(self, validated_token):
        user = get_token_user(validated_token)
        if user is None:
            # A deleted and a deactivated user look exactly like a bad token.
            raise InvalidToken()
        return user


class JWTCookieAuthentication(BaseAuthentication):
    """Adopt the user of the auth cookies, and insist on a CSRF token."""

    def authenticate(self, request):
        result = authenticate_cookies(request._request)
        if not result.user.is_authenticated:
            return None
        # Cookies ride along with cross-site requests; the CSRF token does
        # not. Every unsafe method authenticated by a cookie must carry it.
        enforce_csrf(request)
        return result.user, result.access_token
