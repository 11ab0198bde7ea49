"""Fixtures of the shop tests: products, and carts filled the way users fill them."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client

from shop.models import Cart, Product
from tests.helpers.clients import log_in


def form_post(client: Client, url: str, data: dict | None = None):
    """POST an HTML form as a browser does, with the CSRF cookie's token."""
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    return client.post(url, {**(data or {}), "csrfmiddlewaretoken": token})


def session_check_queries() -> int:
    """Return the queries that authenticating one request costs: none.

    In the steady state (the session seen before by this process, as every
    test's warm-up request makes it) the process answers from its memory,
    which the revocation feed keeps true (SQLite's commit counter here,
    Redis in CI's second run). The user row is read only by views that need
    more than the user's id, and the pins below count it where a page does.
    """
    return 0


def make_product(name: str, price: str = "10.00", stock: int = 10, **extra):
    slug = name.lower().replace(" ", "-")
    return Product.objects.create(
        name=name, slug=slug, price=Decimal(price), stock=stock, **extra
    )


def fill_cart(user, *lines) -> Cart:
    """Put (product, quantity) lines into the user's cart."""
    cart = Cart.objects.open_for(user)
    for product, quantity in lines:
        cart.add(product, quantity)
    return cart


@pytest.fixture
def mug(db):
    return make_product("Enamel mug", price="14.00", stock=10)


@pytest.fixture
def pen(db):
    return make_product("Brass pen", price="58.50", stock=3)


@pytest.fixture
def retired(db):
    return make_product("Retired lamp", price="30.00", stock=5, is_active=False)


@pytest.fixture
def other_logged_in(db, other_user):
    """A second browser, logged in as `other_user`."""
    client = Client(enforce_csrf_checks=True)
    log_in(client, other_user.email)
    return client
