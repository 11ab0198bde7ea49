"""Set request.user from the auth cookies, for pages, the admin and DRF."""

import time
from functools import partial
from urllib.parse import parse_qs, urlsplit

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.shortcuts import resolve_url
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.functional import SimpleLazyObject
from django.utils.http import http_date

from .authentication import (
    AUTHORIZATION,
    authenticate_cookies,
    cookie_authentication_if_done,
    has_auth_cookies,
)
from .cookies import delete_auth_cookies, set_auth_cookies, sets_auth_cookies
from .messages import tell_to_log_in, tell_why_logged_out

# What add_never_cache_headers() writes on a response that has neither
# header yet, as nearly every one has not: written as it is rather than
# parsed and built again (the largest cost an authenticated request added
# in `make bench`'s profile).
NEVER_CACHE = "max-age=0, no-cache, no-store, must-revalidate, private"


# What patch_vary_headers(response, CREDENTIAL_HEADERS) makes of the Vary
# headers a response usually has (none, or DRF's "Accept").
CREDENTIAL_HEADERS = ("Cookie", "Authorization")
VARY_WITH_CREDENTIALS = {
    None: "Cookie, Authorization",
    "Accept": "Accept, Cookie, Authorization",
}


def forbid_caching(response) -> None:
    """Forbid every cache to keep `response`, as add_never_cache_headers does."""
    if response.has_header("Cache-Control") or response.has_header("Expires"):
        add_never_cache_headers(response)
        return
    response.headers["Expires"] = _now_as_http_date()
    response.headers["Cache-Control"] = NEVER_CACHE


def vary_with_credentials(response) -> None:
    """Say that `response` depends on the credentials, as patch_vary_headers does."""
    vary = VARY_WITH_CREDENTIALS.get(response.headers.get("Vary"))
    if vary is None:
        patch_vary_headers(response, CREDENTIAL_HEADERS)
    else:
        response.headers["Vary"] = vary


_http_date = (None, "")


def _now_as_http_date() -> str:
    # http_date() of the current second, formatted once per second.
    global _http_date
    second = int(time.time())
    if _http_date[0] != second:
        _http_date = (second, http_date(second))
    return _http_date[1]


def _get_user(request):
    result = authenticate_cookies(request)
    # Told while the page is made, so the page shows it (the top bar asks for
    # the user before the messages are listed).
    _explain_ended_session(request, result)
    return result.user


def _explain_ended_session(request, result) -> None:
    # Once: the cookies of the ended session are deleted on this response,
    # so the next request has nothing left to explain.
    if result.ended_reason and not getattr(request, "_told_why_logged_out", False):
        request._told_why_logged_out = True
        tell_why_logged_out(request, result.ended_reason)


def _sends_to_log_in(request, response) -> bool:
    """Say whether a page answered its visitor with "log in, then come back"."""
    # A page (GET), not a form: a refused POST says what it needs itself.
    if request.method not in ("GET", "HEAD") or response.status_code != 302:
        return False
    location = urlsplit(response.get("Location", ""))
    return location.path == resolve_url(settings.LOGIN_URL) and (
        REDIRECT_FIELD_NAME in parse_qs(location.query)
    )


async def _aget_user(request):
    return await sync_to_async(_get_user)(request)


class JWTAuthenticationMiddleware(AuthenticationMiddleware):
    """Set request.user from the JWT cookies; send refreshed or deleted ones.

    Takes the place of Django's AuthenticationMiddleware (and subclasses it so
    the admin recognises it). The cookies are read only when something asks
    for request.user, so public pages that never do cost nothing. A browser
    whose session was ended elsewhere (not by its own logout) is told why in
    a message, as its cookies are deleted, and a visitor that a page sends to
    the login page is told to log in to see it; MessageMiddleware must come
    before this one so that a message added here still reaches the browser.
    """

    def process_request(self, request):
        request.user = SimpleLazyObject(partial(_get_user, request))
        request.auser = partial(_aget_user, request)

    def process_response(self, request, response):
        result = cookie_authentication_if_done(request)
        # A view that logged someone in or out has written the cookies it
        # meant to; what the request arrived with must not overwrite that.
        if result is not None and not sets_auth_cookies(response):
            if result.refreshed is not None:
                set_auth_cookies(response, result.refreshed)
            elif result.stale:
                delete_auth_cookies(response)
                # An API request (DRF asks for the cookies' user itself) is
                # told here, and the next page shows it.
                _explain_ended_session(request, result)
        if (
            result is not None
            and not result.user.is_authenticated
            and _sends_to_log_in(request, response)
        ):
            # Whichever view refused (ours, the shop's, the admin's login),
            # the login page then says why it is there.
            tell_to_log_in(request)
        if (
            has_auth_cookies(request)
            or AUTHORIZATION in request.META
            or sets_auth_cookies(response)
        ):
            # Whatever answers a credentialed request, or carries tokens,
            # is for this client alone and must not be stored by any cache.
            forbid_caching(response)
            vary_with_credentials(response)
        return response
