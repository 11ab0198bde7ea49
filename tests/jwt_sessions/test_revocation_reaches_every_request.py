"""An ended session, logout or deactivation is refused on the very next request."""

from django.test import Client
from django.urls import reverse

from jwt_sessions.models import Session
from jwt_sessions.tokens import AccessToken
from tests.helpers.clients import PASSWORD, auth_cookie, csrf_headers, second_browser


def test_ending_a_session_logs_that_device_out_on_its_next_request(logged_in, user):
    other = second_browser(user)
    other_sid = AccessToken(auth_cookie(other, "access"))["sid"]
    assert other.get(reverse("dashboard")).status_code == 200

    response = logged_in.delete(
        reverse("api:session", args=[other_sid]), **csrf_headers(logged_in)
    )

    assert response.status_code == 204
    page = other.get(reverse("dashboard"))
    assert page.status_code == 302
    assert page["Location"].startswith(reverse("accounts:login"))
    assert other.get(reverse("api:me")).status_code == 401
    assert logged_in.get(reverse("api:me")).status_code == 200


def test_a_revoked_sessions_bearer_token_is_refused_at_once(app_client, user):
    tokens = app_client.post(
        reverse("api:app-token"),
        {"email": user.email, "password": PASSWORD},
        content_type="application/json",
    ).json()
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {tokens['access']}"}
    assert app_client.get(reverse("api:me"), **bearer).status_code == 200

    app_client.post(
        reverse("api:app-token-blacklist"),
        {"refresh": tokens["refresh"]},
        content_type="application/json",
    )

    assert app_client.get(reverse("api:me"), **bearer).status_code == 401


def test_logout_refuses_the_access_token_at_once(logged_in):
    access = auth_cookie(logged_in, "access")
    logged_in.post(reverse("api:token-blacklist"), **csrf_headers(logged_in))

    response = logged_in.get(reverse("api:me"), HTTP_AUTHORIZATION=f"Bearer {access}")

    assert response.status_code == 401


def test_deactivating_a_user_refuses_their_tokens_on_the_next_request(logged_in, user):
    user.is_active = False
    user.save()

    assert logged_in.get(reverse("api:me")).status_code == 401
    assert not Session.objects.active().exists()


def test_deleting_a_user_refuses_their_tokens_on_the_next_request(logged_in, user):
    access = auth_cookie(logged_in, "access")
    user.delete()

    response = Client().get(reverse("api:me"), HTTP_AUTHORIZATION=f"Bearer {access}")

    assert response.status_code == 401


def test_a_steady_state_request_costs_no_query_for_the_session_check(
    settings, app_client, user, django_assert_num_queries
):
    # A cache that is not the database (Redis in production) answers the
    # session check; only the user row is read.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    }
    tokens = app_client.post(
        reverse("api:app-token"),
        {"email": user.email, "password": PASSWORD},
        content_type="application/json",
    ).json()
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {tokens['access']}"}
    app_client.get(reverse("api:me"), **bearer)  # warms the cache

    with django_assert_num_queries(1):
        response = app_client.get(reverse("api:me"), **bearer)

    assert response.status_code == 200


def test_an_unreachable_cache_falls_back_to_the_database(settings, logged_in, user):
    other = second_browser(user)
    other_sid = AccessToken(auth_cookie(other, "access"))["sid"]
    # Nothing listens on port 1: every cache call fails.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2},
        }
    }

    ended = logged_in.delete(
        reverse("api:session", args=[other_sid]), **csrf_headers(logged_in)
    )

    assert ended.status_code == 204
    assert other.get(reverse("api:me")).status_code == 401
    assert logged_in.get(reverse("api:me")).status_code == 200
