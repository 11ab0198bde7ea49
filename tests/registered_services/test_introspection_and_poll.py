"""Introspection (RFC 7662) and the events poll, for registered services only."""

import base64
from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from jwt_sessions.models import Session
from tests.helpers.clients import PASSWORD, bearer_token, log_in, post_json
from tests.helpers.services import registered, verify_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(signing_key):
    return registered("shop", "shop-api")


def service_tokens(user, audience="shop-api") -> dict:
    response = post_json(
        Client(),
        "api:app-token",
        {"email": user.email, "password": PASSWORD, "audience": audience},
    )
    assert response.status_code == 200, response.content
    return response.json()


def introspect(data, client=None, **headers):
    """POST form-encoded, as RFC 7662 has it."""
    return (client or Client()).post(
        reverse("api:introspect"),
        urlencode(data),
        content_type="application/x-www-form-urlencoded",
        **headers,
    )


def test_a_live_access_token_of_the_service_is_active_with_its_claims(shop, user):
    access = service_tokens(user)["access"]
    session = Session.objects.get(user=user)

    response = introspect({"token": access}, **shop.basic)

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    body = response.json()
    assert body.pop("active") is True
    assert body.pop("token_type") == "Bearer"
    assert body["iss"] == "authsite"
    assert body["aud"] == "shop-api"
    assert body["sub"] == str(user.pk)
    assert body["sid"] == str(session.pk)
    assert body["amr"] == ["pwd"]
    assert set(body) == {"iss", "aud", "sub", "sid", "exp", "iat", "jti"} | {
        "auth_time",
        "amr",
        "acr",
    }


def test_client_secret_post_works_too(shop, user):
    access = service_tokens(user)["access"]

    response = introspect(
        {
            "token": access,
            "client_id": shop.client_id,
            "client_secret": shop.client_secret,
        }
    )

    assert response.json()["active"] is True


def test_a_revoked_session_is_inactive_at_once(shop, user):
    tokens = service_tokens(user)

    post_json(Client(), "api:app-token-blacklist", {"refresh": tokens["refresh"]})

    response = introspect({"token": tokens["access"]}, **shop.basic)
    assert response.json() == {"active": False}


def test_a_deactivated_user_is_inactive(shop, user):
    access = service_tokens(user)["access"]
    user.is_active = False
    user.save()

    assert introspect({"token": access}, **shop.basic).json() == {"active": False}


@pytest.mark.parametrize(
    "token",
    ["garbage", "a.b.c", "x" * 5000, "eyJhbGciOiJub25lIn0.e30.", "é.é.é"],
)
def test_garbage_is_inactive_not_an_error(shop, token):
    response = introspect({"token": token}, **shop.basic)

    assert response.status_code == 200
    assert response.json() == {"active": False}


def test_tokens_of_another_audience_or_kind_are_inactive(shop, user):
    registered("orders", "orders-api")
    orders_access = service_tokens(user, "orders-api")["access"]
    site = service_tokens(user, "authsite")
    access_for_shop = service_tokens(user)

    for token in (orders_access, site["access"], access_for_shop["refresh"]):
        response = introspect({"token": token}, **shop.basic)
        assert response.json() == {"active": False}


def test_a_missing_token_is_invalid_request(shop):
    response = introspect({}, **shop.basic)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert response.json()["error_description"]


def basic(client_id, secret):
    pair = f"{client_id}:{secret}".encode()
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(pair).decode()}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"HTTP_AUTHORIZATION": "Basic !!!"},
        {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(b"no-colon").decode()},
        {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(b"\xff:\xfe").decode()},
        {"HTTP_AUTHORIZATION": "Bearer something"},
        {"HTTP_AUTHORIZATION": "Basic"},
        basic("svc_unknown", "whatever"),
    ],
)
def test_bad_client_authentication_is_invalid_client(shop, user, headers):
    response = introspect({"token": "x"}, **headers)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Basic realm="authsite"'
    assert "no-store" in response["Cache-Control"]
    assert response.json()["error"] == "invalid_client"


def test_a_wrong_secret_and_two_methods_at_once_are_refused(shop):
    assert (
        introspect({"token": "x"}, **basic(shop.client_id, "nope")).status_code == 401
    )
    both = {"token": "x", "client_id": shop.client_id, "client_secret": "y"}
    assert introspect(both, **shop.basic).status_code == 401


def test_an_inactive_service_cannot_authenticate(shop):
    type(shop.service).objects.update(is_active=False)

    assert introspect({"token": "x"}, **shop.basic).status_code == 401


def test_the_auth_cookies_authenticate_nothing_here(shop, user):
    browser = Client(enforce_csrf_checks=True)
    log_in(browser, user.email)

    response = introspect({"token": "x"}, client=browser)

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    # And a Bearer token of a user is no client credential either.
    token = bearer_token(Client(), user.email)
    response = introspect({"token": token}, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 401


def test_failed_client_authentication_is_throttled(shop, settings):
    cache.clear()
    wrong = basic(shop.client_id, "nope")
    rest = settings.REST_FRAMEWORK
    settings.REST_FRAMEWORK = {
        **rest,
        "DEFAULT_THROTTLE_RATES": {**rest["DEFAULT_THROTTLE_RATES"]}
        | {"service_client": "3/minute"},
    }

    statuses = [introspect({"token": "x"}, **wrong).status_code for _ in range(4)]

    assert statuses == [401, 401, 401, 429]
    # Even the right secret waits now: the address is refused before a lookup.
    assert introspect({"token": "x"}, **shop.basic).status_code == 429
    cache.clear()


def test_a_json_body_is_a_clear_4xx(shop):
    response = Client().post(
        reverse("api:introspect"),
        {"token": "x"},
        content_type="application/json",
        **shop.basic,
    )

    assert 400 <= response.status_code < 500


# --- The poll ------------------------------------------------------------------


def end_sessions_of(user, count):
    for _ in range(count):
        tokens = service_tokens(user)
        post_json(Client(), "api:app-token-blacklist", {"refresh": tokens["refresh"]})


def poll(registration, **params):
    return Client().get(reverse("api:events"), params, **registration.basic)


def test_the_poll_pages_through_the_services_events_in_seq_order(shop, user):
    orders = registered("orders", "orders-api")
    end_sessions_of(user, 5)

    first = poll(shop, limit=2)

    assert first.status_code == 200
    assert "no-store" in first["Cache-Control"]
    body = first.json()
    assert body["moreAvailable"] is True
    assert body["last"] == 5
    events = [verify_event(s, audience="shop-api") for s in body["sets"].values()]
    assert [e["seq"] for e in events] == [1, 2]
    assert list(body["sets"]) == [e["jti"] for e in events]
    rest = poll(shop, after=2, limit=500).json()
    seqs = [verify_event(s, audience="shop-api")["seq"] for s in rest["sets"].values()]
    assert seqs == [3, 4, 5]
    assert rest["moreAvailable"] is False
    assert poll(shop, after=5).json() == {"sets": {}, "moreAvailable": False, "last": 5}
    # Each service sees its own events, for its own audience.
    theirs = poll(orders).json()["sets"]
    assert len(theirs) == 5
    assert not set(theirs) & (set(body["sets"]) | set(rest["sets"]))


def test_the_poll_of_a_service_with_no_events(shop):
    assert poll(shop).json() == {"sets": {}, "moreAvailable": False, "last": 0}


@pytest.mark.parametrize(
    "params",
    [
        {"after": "-1"},
        {"after": "x"},
        {"after": "1.5"},
        {"after": "9" * 40},
        {"limit": "0"},
        {"limit": "501"},
        {"limit": ""},
        {"after": "\u0661"},  # an Arabic-Indic digit one
    ],
)
def test_bad_after_or_limit_is_invalid_request(shop, params):
    response = poll(shop, **params)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_the_poll_wants_client_authentication(shop):
    response = Client().get(reverse("api:events"))

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Basic realm="authsite"'
    assert response.json()["error"] == "invalid_client"


def test_a_poll_costs_a_fixed_number_of_queries(shop, user):
    end_sessions_of(user, 3)

    with CaptureQueriesContext(connection) as queries:
        assert len(poll(shop).json()["sets"]) == 3

    # The client lookup, the service's last_seq, its events (and, with the
    # database cache, the failure throttle's read), however many events.
    ours = [q for q in queries if "registered_services" in q["sql"]]
    assert len(ours) == 3
    assert len(queries) <= 4
