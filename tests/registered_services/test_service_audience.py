"""Access tokens minted for a registered service's audience, and only for it."""

import jwt
import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from jwt_sessions.models import Session
from registered_services.models import RegisteredService
from tests.helpers.clients import PASSWORD, post_json
from tests.helpers.second_factor import give_authenticator_app, next_code
from tests.helpers.services import registered

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(signing_key):
    return registered("shop", "shop-api")


def claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def app_token(user, **extra):
    return post_json(
        Client(), "api:app-token", {"email": user.email, "password": PASSWORD, **extra}
    )


def test_the_access_token_is_for_the_service_and_the_refresh_token_ours(shop, user):
    response = app_token(user, audience="shop-api")

    assert response.status_code == 200, response.content
    access, refresh = response.json()["access"], response.json()["refresh"]
    assert claims(access)["aud"] == "shop-api"
    assert claims(refresh)["aud"] == "authsite"
    assert jwt.get_unverified_header(access) == {
        "alg": "ES256",
        "kid": jwt.get_unverified_header(access)["kid"],
        "typ": "JWT",
    }
    assert claims(access)["sid"] == str(Session.objects.get().pk)
    assert claims(access)["user_id"] == str(user.pk)


def test_without_an_audience_or_with_ours_the_tokens_are_todays(shop, user):
    for extra in ({}, {"audience": "authsite"}):
        access = app_token(user, **extra).json()["access"]
        assert claims(access)["aud"] == "authsite"


@pytest.mark.parametrize("audience", ["nobody-api", "", 7, ["shop-api"], "x" * 300])
def test_an_unknown_audience_is_a_400_and_checks_no_password(shop, user, audience):
    response = app_token(user, audience=audience)

    assert response.status_code == 400
    assert list(response.json()) == ["audience"]
    assert not Session.objects.exists()


def test_an_inactive_services_audience_is_unknown(shop, user):
    RegisteredService.objects.update(is_active=False)

    assert app_token(user, audience="shop-api").status_code == 400


def test_the_sites_own_api_refuses_a_service_token(shop, user):
    access = app_token(user, audience="shop-api").json()["access"]

    response = Client().get(reverse("api:me"), HTTP_AUTHORIZATION=f"Bearer {access}")

    assert response.status_code == 401


def test_the_refresh_mints_for_the_audience_asked_for(shop, user):
    refresh = app_token(user).json()["refresh"]

    response = post_json(
        Client(), "api:app-token-refresh", {"refresh": refresh, "audience": "shop-api"}
    )

    assert response.status_code == 200, response.content
    assert claims(response.json()["access"])["aud"] == "shop-api"
    assert claims(response.json()["refresh"])["aud"] == "authsite"
    unknown = post_json(
        Client(),
        "api:app-token-refresh",
        {"refresh": response.json()["refresh"], "audience": "nobody"},
    )
    assert unknown.status_code == 400
    assert list(unknown.json()) == ["audience"]


def test_a_refresh_racing_the_rotation_gets_the_same_service_pair(shop, user):
    refresh = app_token(user).json()["refresh"]
    ask = {"refresh": refresh, "audience": "shop-api"}

    first = post_json(Client(), "api:app-token-refresh", ask).json()
    racing = post_json(Client(), "api:app-token-refresh", ask)

    assert racing.status_code == 200, racing.content
    assert claims(racing.json()["access"]) == claims(first["access"])
    assert claims(racing.json()["access"])["aud"] == "shop-api"
    assert claims(racing.json()["refresh"]) == claims(first["refresh"])
    assert Session.objects.get().revoked_at is None


def test_the_mfa_step_takes_the_audience(shop, user):
    give_authenticator_app(user)
    flow = app_token(user, audience="shop-api").json()
    assert flow["mfa_required"] is True

    response = post_json(
        Client(),
        "api:app-token-mfa",
        {
            "code": next_code(User.objects.get(pk=user.pk)),
            "flow_token": flow["flow_token"],
            "audience": "shop-api",
        },
    )

    assert response.status_code == 200, response.content
    assert claims(response.json()["access"])["aud"] == "shop-api"
