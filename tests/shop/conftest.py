"""Fixtures of the shop tests: products, and carts filled the way users fill them."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shop.models import Cart, Product
from tests.conftest import log_in


def form_post(client: Client, url: str, data: dict | None = None):
    """POST an HTML form as a browser does, with the CSRF cookie's token."""
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    return client.post(url, {**(data or {}), "csrfmiddlewaretoken": token})


def auth_queries(client: Client, **headers) -> int:
    """Return how many queries authenticating one request of `client` costs.

    Measured on GET /api/me/, which does nothing but authenticate, after a
    first request has warmed whatever the auth path caches. Query counts of
    the shop's pages are pinned on top of this, so that they say what the
    shop costs and do not break whenever the accounts app changes its own.
    """
    client.get(reverse("api:me"), **headers)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("api:me"), **headers)
    assert response.status_code == 200, response.content
    return len(queries)


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
