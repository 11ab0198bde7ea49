"""Refresh, verify and log out, for browsers and for apps; Bearer on any request."""

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

from jwt_sessions.tokens import RefreshToken
from tests.helpers.clients import (
    PASSWORD,
    auth_cookie,
    bearer_token,
    csrf_headers,
    post_json,
)

ACCESS = settings.JWT_COOKIE_ACCESS_NAME
REFRESH = settings.JWT_COOKIE_REFRESH_NAME


def after_the_grace_interval():
    return time_machine.travel(
        timezone.now()
        + timezone.timedelta(seconds=settings.JWT_REFRESH_GRACE_SECONDS + 1),
        tick=False,
    )


def test_refresh_rotates_and_sets_new_cookies(logged_in):
    old_access = auth_cookie(logged_in, "access")
    old_refresh = auth_cookie(logged_in, "refresh")

    response = post_json(logged_in, "api:token-refresh", **csrf_headers(logged_in))

    assert response.status_code == 200
    assert response.json()["user"]["email"] == "alice@example.com"
    assert auth_cookie(logged_in, "refresh") != old_refresh
    assert auth_cookie(logged_in, "access") != old_access
    assert BlacklistedToken.objects.filter(
        token__jti=RefreshToken(old_refresh)["jti"]
    ).exists()


def test_refresh_with_a_rotated_token_is_401_and_clears_cookies(logged_in):
    old_refresh = auth_cookie(logged_in, "refresh")
    post_json(logged_in, "api:token-refresh", **csrf_headers(logged_in))
    logged_in.cookies[REFRESH] = old_refresh

    with after_the_grace_interval():
        response = post_json(logged_in, "api:token-refresh", **csrf_headers(logged_in))

    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"
    assert response["WWW-Authenticate"].startswith('Bearer realm="api"')
    assert response.cookies[REFRESH].value == ""


def test_refresh_without_cookie_is_401(browser, db):
    response = post_json(browser, "api:token-refresh", **csrf_headers(browser))

    assert response.status_code == 401
    assert "Log in again" in response.json()["detail"]


def test_blacklist_logs_out_and_the_refresh_token_is_dead(logged_in):
    refresh = auth_cookie(logged_in, "refresh")

    response = post_json(logged_in, "api:token-blacklist", **csrf_headers(logged_in))

    assert response.status_code == 200
    assert BlacklistedToken.objects.filter(
        token__jti=RefreshToken(refresh)["jti"]
    ).exists()
    logged_in.cookies[REFRESH] = refresh
    again = post_json(logged_in, "api:token-refresh", **csrf_headers(logged_in))
    assert again.status_code == 401


def test_verify_follows_simplejwt_semantics(logged_in, app_client):
    access = auth_cookie(logged_in, "access")
    refresh = auth_cookie(logged_in, "refresh")

    assert post_json(app_client, "api:token-verify", {"token": access}).json() == {}
    assert (
        post_json(app_client, "api:token-verify", {"token": refresh}).status_code == 200
    )
    bad = post_json(app_client, "api:token-verify", {"token": access + "x"})
    assert bad.status_code == 401
    assert bad.json()["code"] == "token_not_valid"
    assert post_json(app_client, "api:token-verify", {}).status_code == 400

    post_json(logged_in, "api:token-blacklist", **csrf_headers(logged_in))
    assert (
        post_json(app_client, "api:token-verify", {"token": refresh}).status_code == 401
    )


def test_csrf_endpoint_sets_the_cookie_and_returns_the_token(browser, db):
    response = browser.get(reverse("api:csrf"))

    assert response.status_code == 200
    assert response.cookies[settings.CSRF_COOKIE_NAME].value
    assert response.json()["csrfToken"]


def test_app_refresh_rotates_and_the_old_token_is_refused(app_client, user):
    tokens = post_json(
        app_client, "api:app-token", {"email": user.email, "password": PASSWORD}
    ).json()

    first = post_json(
        app_client, "api:app-token-refresh", {"refresh": tokens["refresh"]}
    )
    with after_the_grace_interval():
        second = post_json(
            app_client, "api:app-token-refresh", {"refresh": tokens["refresh"]}
        )

    assert first.status_code == 200
    assert set(first.json()) == {"access", "refresh"}
    assert first.json()["refresh"] != tokens["refresh"]
    assert second.status_code == 401
    assert not first.cookies


def test_app_blacklist_logs_out(app_client, user):
    tokens = post_json(
        app_client, "api:app-token", {"email": user.email, "password": PASSWORD}
    ).json()

    response = post_json(
        app_client, "api:app-token-blacklist", {"refresh": tokens["refresh"]}
    )
    again = post_json(
        app_client, "api:app-token-refresh", {"refresh": tokens["refresh"]}
    )

    assert response.status_code == 200
    assert again.status_code == 401
    assert (
        post_json(
            app_client, "api:app-token-blacklist", {"refresh": "garbage"}
        ).status_code
        == 401
    )


def test_bearer_authenticates_without_csrf_or_cookies(app_client, user):
    token = bearer_token(app_client, user.email)

    response = app_client.get(reverse("api:me"), HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 200
    assert response.json()["email"] == user.email


@pytest.mark.parametrize(
    "header",
    [
        "Bearer garbage",
        "Bearer a.b.c",
        "Bearer " + "A" * 100_000,
        "Bearer one two",
        "Bearer \u00e9\u00e8",
    ],
)
def test_a_bad_bearer_token_is_401_never_500(app_client, db, header):
    response = app_client.get(reverse("api:me"), HTTP_AUTHORIZATION=header)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith('Bearer realm="api"')
    assert set(response.json()) >= {"detail", "code"}


def test_an_invalid_bearer_token_is_named_in_www_authenticate(app_client, db):
    response = app_client.get(reverse("api:me"), HTTP_AUTHORIZATION="Bearer x.y.z")

    assert response["WWW-Authenticate"] == 'Bearer realm="api", error="invalid_token"'


def test_a_refresh_token_is_not_accepted_as_bearer(app_client, user):
    tokens = post_json(
        app_client, "api:app-token", {"email": user.email, "password": PASSWORD}
    ).json()

    response = app_client.get(
        reverse("api:me"), HTTP_AUTHORIZATION=f"Bearer {tokens['refresh']}"
    )

    assert response.status_code == 401
