"""A large order wants a recent login: the API's challenge, the page's question."""

from decimal import Decimal

import pytest
from django.urls import reverse

from shop.models import Order
from tests.helpers.clients import PASSWORD, post_json
from tests.helpers.clock import seconds_later

from .conftest import fill_cart, form_post, make_product

MAX_AGE = 60


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.STEP_UP_MAX_AGE = MAX_AGE
    settings.STEP_UP_CHECKOUT_OVER = Decimal("100.00")


@pytest.fixture
def lamp(db):
    return make_product("Desk lamp", price="60.00", stock=5)


def app_access(client, user):
    response = post_json(
        client, "api:app-token", {"email": user.email, "password": PASSWORD}
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {response.json()['access']}"}


def test_a_large_order_on_an_old_login_is_refused_with_the_challenge(
    app_client, user, lamp
):
    fill_cart(user, (lamp, 2))  # 120.00
    bearer = app_access(app_client, user)

    with seconds_later(MAX_AGE + 1):
        response = post_json(app_client, "api:checkout", **bearer)

    assert response.status_code == 401
    assert 'error="insufficient_user_authentication"' in response["WWW-Authenticate"]
    assert f"max_age={MAX_AGE}" in response["WWW-Authenticate"]
    assert response.json()["code"] == "insufficient_user_authentication"
    assert "Orders over 100.00" in response.json()["detail"]
    assert not Order.objects.exists()
    lamp.refresh_from_db()
    assert lamp.stock == 5
    assert user.cart.items.get().quantity == 2


def test_after_a_step_up_the_large_order_goes_through(app_client, user, lamp):
    fill_cart(user, (lamp, 2))
    bearer = app_access(app_client, user)

    with seconds_later(MAX_AGE + 1):
        stepped = post_json(
            app_client, "api:reauthenticate", {"password": PASSWORD}, **bearer
        )
        fresh = {"HTTP_AUTHORIZATION": f"Bearer {stepped.json()['access']}"}
        response = post_json(app_client, "api:checkout", **fresh)

    assert response.status_code == 201
    assert Order.objects.get().total == Decimal("120.00")


def test_an_order_up_to_the_limit_needs_no_step_up(app_client, user, lamp):
    fill_cart(user, (make_product("Cheap pen", price="40.00"), 1), (lamp, 1))
    bearer = app_access(app_client, user)

    with seconds_later(MAX_AGE + 1):
        response = post_json(app_client, "api:checkout", **bearer)

    assert response.status_code == 201


def test_the_page_asks_again_and_comes_back_to_the_cart(logged_in, user, lamp):
    fill_cart(user, (lamp, 2))

    with seconds_later(MAX_AGE + 1):
        response = form_post(logged_in, reverse("shop:checkout"))
        assert response.status_code == 302
        assert response["Location"] == (
            reverse("accounts:reauthenticate") + "?next=%2Fshop%2Fcart%2F"
        )
        asked = logged_in.get(response["Location"])
        assert "Orders over 100.00 need you to confirm it" in asked.content.decode()
        assert not Order.objects.exists()

        form_post(
            logged_in,
            reverse("accounts:reauthenticate"),
            {"password": PASSWORD, "next": reverse("shop:cart")},
        )
        placed = form_post(logged_in, reverse("shop:checkout"))

    assert placed.status_code == 302
    assert Order.objects.get().total == Decimal("120.00")
