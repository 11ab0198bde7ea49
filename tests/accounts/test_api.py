"""The accounts API: register, log in (by cookie or for apps), me, bad bodies."""

import pytest
from django.conf import settings
from django.urls import reverse
from rest_framework_simplejwt.token_blacklist.models import (
    BlacklistedToken,
    OutstandingToken,
)

from accounts.models import User
from tests.helpers.clients import PASSWORD, csrf_headers, log_in, post_json

ACCESS = settings.JWT_COOKIE_ACCESS_NAME
REFRESH = settings.JWT_COOKIE_REFRESH_NAME
GENERIC_LOGIN_ERROR = (
    "That email and password do not match an active account. Check both and try again."
)


# --- register -----------------------------------------------------------------


def test_register_creates_user_and_returns_id_and_email(app_client, db):
    response = post_json(
        app_client, "api:register", {"email": "Zoe@Example.com", "password": PASSWORD}
    )

    assert response.status_code == 201
    user = User.objects.get()
    assert response.json() == {
        "id": user.pk,
        "email": "zoe@example.com",
        "email_verified": False,
    }
    assert user.check_password(PASSWORD)
    assert ACCESS not in response.cookies


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"email": "a@example.com", "password": "password"}, "password"),
        ({"email": "a@example.com", "password": "a@example.com"}, "password"),
        ({"email": "a@example.com", "password": "1234567890"}, "password"),
        ({"email": "not-an-email", "password": PASSWORD}, "email"),
        ({"email": "ALICE@example.com", "password": PASSWORD}, "email"),
        ({"password": PASSWORD}, "email"),
        ({"email": "a@example.com"}, "password"),
        ({"email": ["a@example.com"], "password": PASSWORD}, "email"),
        ({"email": "a@example.com", "password": "x" * 5000}, "password"),
    ],
)
def test_register_answers_400_with_field_errors(app_client, user, data, field):
    response = post_json(app_client, "api:register", data)

    assert response.status_code == 400
    assert field in response.json()
    assert User.objects.count() == 1


# --- browser login ------------------------------------------------------------


def test_login_returns_user_and_expiry_times_but_no_token(browser, user):
    response = log_in(browser, "ALICE@example.com")

    body = response.json()
    assert body["user"]["email"] == "alice@example.com"
    assert set(body) == {
        "user",
        "access_expires_at",
        "refresh_expires_at",
        "session_expires_at",
    }
    access, refresh = response.cookies[ACCESS].value, response.cookies[REFRESH].value
    assert access not in response.content.decode()
    assert refresh not in response.content.decode()
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("alice@example.com", "wrong password"),
        ("nobody@example.com", PASSWORD),
        ("inactive@example.com", PASSWORD),
    ],
    ids=["wrong-password", "unknown-email", "inactive"],
)
def test_login_failure_is_one_401_that_does_not_say_which(
    browser, user, email, password
):
    User.objects.create_user("inactive@example.com", PASSWORD, is_active=False)

    response = post_json(
        browser,
        "api:token",
        {"email": email, "password": password},
        **csrf_headers(browser),
    )

    assert response.status_code == 401
    assert response.json() == {
        "detail": GENERIC_LOGIN_ERROR,
        "code": "invalid_credentials",
    }
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert ACCESS not in response.cookies
    assert not OutstandingToken.objects.exists()


def test_login_with_a_stale_cookie_still_works(browser, user):
    browser.cookies[ACCESS] = "garbage"
    browser.cookies[REFRESH] = "garbage"

    response = log_in(browser, user.email)

    assert response.status_code == 200


def test_login_rotates_the_csrf_token(browser, user):
    before = csrf_headers(browser)["HTTP_X_CSRFTOKEN"]

    log_in(browser, user.email)

    assert browser.cookies[settings.CSRF_COOKIE_NAME].value != before


# --- CSRF on every cookie-writing endpoint -------------------------------------


@pytest.mark.parametrize(
    "url_name", ["api:token", "api:token-refresh", "api:token-blacklist"]
)
def test_cookie_endpoints_refuse_requests_without_csrf_token(browser, user, url_name):
    log_in(browser, user.email)
    outstanding = OutstandingToken.objects.count()

    response = post_json(browser, url_name, {"email": user.email, "password": PASSWORD})

    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"
    assert ACCESS not in response.cookies
    assert OutstandingToken.objects.count() == outstanding
    assert not BlacklistedToken.objects.exists()


@pytest.mark.parametrize(
    "url_name", ["api:token", "api:token-refresh", "api:token-blacklist"]
)
def test_cookie_endpoints_refuse_a_forged_csrf_token(browser, user, url_name):
    log_in(browser, user.email)

    response = post_json(
        browser,
        url_name,
        {"email": user.email, "password": PASSWORD},
        HTTP_X_CSRFTOKEN="A" * 64,
    )

    assert response.status_code == 403


# --- me ---------------------------------------------------------------------


def test_me_returns_the_cookie_user(logged_in):
    response = logged_in.get(reverse("api:me"))

    assert response.status_code == 200
    assert response.json()["email"] == "alice@example.com"
    assert "no-store" in response["Cache-Control"]


def test_me_without_credentials_is_401_with_www_authenticate(browser, db):
    response = browser.get(reverse("api:me"))

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json() == {
        "detail": "Authentication credentials were not provided.",
        "code": "not_authenticated",
    }


# --- apps: tokens in bodies ---------------------------------------------------


def test_app_login_returns_tokens_in_body_and_sets_no_cookie(app_client, user):
    response = post_json(
        app_client, "api:app-token", {"email": user.email, "password": PASSWORD}
    )

    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}
    assert not response.cookies


def test_app_login_failure_is_401(app_client, user):
    response = post_json(
        app_client, "api:app-token", {"email": user.email, "password": "nope"}
    )

    assert response.status_code == 401
    assert response.json()["detail"] == GENERIC_LOGIN_ERROR


@pytest.mark.parametrize(
    "body",
    ["", "{", "[]", "null", '{"email": null, "password": null}', "x" * 200_000],
)
@pytest.mark.parametrize("url_name", ["api:app-token", "api:register", "api:token"])
def test_malformed_bodies_get_a_4xx(app_client, db, url_name, body):
    response = app_client.post(
        reverse(url_name),
        body,
        content_type="application/json",
        **csrf_headers(app_client),
    )

    assert 400 <= response.status_code < 500
