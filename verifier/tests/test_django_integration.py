"""The DRF authentication class and the events view, through Django's client."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, override_settings

from authsite_verifier.django import get_verifier
from fake_issuer import AUDIENCE, CLIENT_ID, CLIENT_SECRET, ISSUER, wait_until

SET_TYPE = "application/secevent+jwt"


@pytest.fixture
def service(issuer):
    """Settings of a service that trusts the fake issuer; its fresh Verifier."""
    config = {
        "ISSUER_URL": issuer.url,
        "AUDIENCE": AUDIENCE,
        "CLIENT_ID": CLIENT_ID,
        "CLIENT_SECRET": CLIENT_SECRET,
        "ISSUER": ISSUER,
        "POLL_INTERVAL": 0.05,
        "MAX_STALENESS": 0.5,
        "TIMEOUT": 0.5,
    }
    with override_settings(
        AUTHSITE_VERIFIER=config,
        ROOT_URLCONF="service_urls",
        MIDDLEWARE=[],
        ALLOWED_HOSTS=["testserver"],
    ):
        verifier = get_verifier()
        verifier.start()
        wait_until(verifier.is_fresh)
        yield verifier


def items(token, scheme="Bearer"):
    return Client().get("/api/items/", HTTP_AUTHORIZATION=f"{scheme} {token}")


def push(body, content_type=SET_TYPE):
    return Client(enforce_csrf_checks=True).post(
        "/events/", body, content_type=content_type
    )


def test_bearer_token_authenticates_as_its_user(issuer, service):
    response = items(issuer.mint(sid="s-1", user_id="7"))

    assert response.status_code == 200
    assert response.json() == {"user": "7", "sid": "s-1"}


def test_missing_token_is_401_with_a_bearer_challenge(service):
    response = Client().get("/api/items/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == f'Bearer realm="{AUDIENCE}"'


def test_other_scheme_is_not_ours(issuer, service):
    response = items("dXNlcjpwYXNz", scheme="Basic")

    assert response.status_code == 401
    assert "invalid_token" not in response["WWW-Authenticate"]


def test_bad_token_is_401_saying_invalid_token(issuer, service):
    response = items(issuer.mint(aud="orders"))

    assert response.status_code == 401
    assert response.json()["detail"] == "The token is for another audience."
    assert response["WWW-Authenticate"].startswith(
        f'Bearer realm="{AUDIENCE}", error="invalid_token", error_description="'
    )


def test_bearer_header_with_extra_parts_is_401(issuer, service):
    response = items(issuer.mint() + " more")

    assert response.status_code == 401


def test_pushed_event_is_202_and_the_session_is_refused_at_once(issuer, service):
    token = issuer.mint(sid="s-gone")
    assert items(token).status_code == 200
    issuer.poll_mode = "fail"  # only the push can tell

    response = push(issuer.revoke("s-gone"))

    assert response.status_code == 202
    assert response.content == b""
    refused = items(token)
    assert refused.status_code == 401
    assert "revoked" in refused["WWW-Authenticate"]
    assert items(issuer.mint(sid="s-alive")).status_code == 200


def test_replayed_event_is_400_invalid_request(issuer, service):
    body = issuer.revoke("s-gone")
    assert push(body).status_code == 202

    response = push(body)

    assert response.status_code == 400
    assert response.json()["err"] == "invalid_request"
    assert response.json()["description"]


def test_event_for_another_audience_is_400_invalid_audience(issuer, service):
    claims = issuer.event_claims("s-1", seq=1, aud="orders")

    response = push(issuer.sign(claims, typ="secevent+jwt"))

    assert response.status_code == 400
    assert response.json() == {
        "err": "invalid_audience",
        "description": "The event is for another audience.",
    }


def test_garbage_event_is_400(service):
    response = push(b"\x00\xff not a jwt", content_type="application/octet-stream")

    assert response.status_code == 400
    assert response.json()["err"] == "invalid_request"


def test_events_view_answers_only_post(service):
    assert Client().get("/events/").status_code == 405


def test_events_view_is_503_when_the_keys_cannot_be_fetched(issuer, make_verifier):
    config = {
        "ISSUER_URL": "http://127.0.0.1:9",  # nothing listens on discard
        "AUDIENCE": AUDIENCE,
        "CLIENT_ID": CLIENT_ID,
        "CLIENT_SECRET": CLIENT_SECRET,
        "TIMEOUT": 0.5,
    }
    with override_settings(
        AUTHSITE_VERIFIER=config, ROOT_URLCONF="service_urls", MIDDLEWARE=[]
    ):
        response = push(issuer.revoke("s-1"))
        token_response = items(issuer.mint())

    assert response.status_code == 503  # the site retries
    assert token_response.status_code == 503


@pytest.mark.parametrize(
    "config",
    [None, {}, {"ISSUER_URL": "http://x", "AUDIENCE": "a", "CLIENT_ID": "i"}],
)
def test_missing_configuration_says_what_to_set(config):
    with (
        override_settings(AUTHSITE_VERIFIER=config),
        pytest.raises(ImproperlyConfigured, match="AUTHSITE_VERIFIER"),
    ):
        get_verifier()


def test_unknown_option_says_which_are_known():
    config = {
        "ISSUER_URL": "http://x",
        "AUDIENCE": "a",
        "CLIENT_ID": "i",
        "CLIENT_SECRET": "s",
        "POLL_INTERVALL": 1,
    }
    with (
        override_settings(AUTHSITE_VERIFIER=config),
        pytest.raises(ImproperlyConfigured, match="POLL_INTERVAL"),
    ):
        get_verifier()
