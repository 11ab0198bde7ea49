"""The auth cookies: their attributes when set, and when deleted."""

import time

import jwt
import pytest
from django.conf import settings
from django.urls import reverse

from tests.helpers.clients import csrf_headers, log_in

ACCESS = settings.JWT_COOKIE_ACCESS_NAME
REFRESH = settings.JWT_COOKIE_REFRESH_NAME


def test_cookie_names_use_the_host_prefix():
    assert ACCESS == "__Host-access"
    assert REFRESH == "__Host-refresh"
    assert settings.CSRF_COOKIE_NAME == "__Host-csrftoken"


@pytest.mark.parametrize("name", [ACCESS, REFRESH])
def test_login_sets_httponly_secure_samesite_host_cookies(browser, user, name):
    response = log_in(browser, user.email)

    cookie = response.cookies[name]
    assert cookie.value
    assert cookie["httponly"] is True
    assert cookie["secure"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == "/"
    assert cookie["domain"] == ""  # __Host- cookies must not name a domain


def test_cookies_live_as_long_as_their_tokens(browser, user):
    response = log_in(browser, user.email)
    now = time.time()

    lifetimes = {
        ACCESS: settings.JWT_ACCESS_LIFETIME,
        REFRESH: settings.JWT_REFRESH_LIFETIME,
    }
    for name, lifetime in lifetimes.items():
        cookie = response.cookies[name]
        claims = jwt.decode(cookie.value, options={"verify_signature": False})
        assert claims["exp"] - claims["iat"] == lifetime
        # The browser drops the cookie when its token expires: max-age counts
        # from the answer, rounded up to the second (however slow the login).
        assert claims["exp"] <= now + cookie["max-age"] <= claims["exp"] + 2


@pytest.mark.parametrize(
    ("method", "url_name"),
    [("post", "accounts:logout"), ("post", "api:token-blacklist")],
)
def test_logout_deletes_cookies_with_the_attributes_they_were_set_with(
    logged_in, method, url_name
):
    response = getattr(logged_in, method)(reverse(url_name), **csrf_headers(logged_in))

    for name in (ACCESS, REFRESH):
        cookie = response.cookies[name]
        assert cookie.value == ""
        assert cookie["max-age"] == 0
        assert cookie["expires"] == "Thu, 01 Jan 1970 00:00:00 GMT"
        assert cookie["path"] == "/"
        assert cookie["secure"] is True
        assert cookie["httponly"] is True
        assert cookie["samesite"] == "Lax"


def test_insecure_cookies_drop_the_host_prefix_when_configured(settings, browser, user):
    settings.JWT_COOKIE_SECURE = False
    settings.JWT_COOKIE_ACCESS_NAME = "access"
    settings.JWT_COOKIE_REFRESH_NAME = "refresh"

    response = log_in(browser, user.email)

    assert response.cookies["access"]["secure"] == ""
    assert response.cookies["access"]["httponly"] is True
    assert ACCESS not in response.cookies


def test_no_response_ever_sets_a_sessionid_cookie(browser, user, staff_user):
    # Every flow of the site, one after another, on one browser.
    seen = set()
    for response in (
        browser.get(reverse("home")),
        browser.get(reverse("accounts:login")),
        log_in(browser, staff_user.email),
        browser.get(reverse("dashboard")),
        browser.get(reverse("admin:index")),
        browser.get(reverse("api:me"), HTTP_ACCEPT="text/html"),
        browser.post(reverse("api:token-refresh"), **csrf_headers(browser)),
        browser.post(reverse("accounts:logout"), **csrf_headers(browser)),
    ):
        seen.update(response.cookies)
    assert settings.SESSION_COOKIE_NAME not in seen
    assert "sessionid" not in seen
    assert {ACCESS, REFRESH} <= seen


def test_there_is_no_server_side_session_store(db):
    from django.db import connection

    assert "django.contrib.sessions" not in settings.INSTALLED_APPS
    assert "django_session" not in connection.introspection.table_names()
    assert not any("SessionMiddleware" in m for m in settings.MIDDLEWARE)
