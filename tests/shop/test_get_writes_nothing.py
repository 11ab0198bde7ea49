"""A GET never writes: walking every page of the shop changes no row."""

import re

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, reverse

from shop import urls as shop_urls
from shop.models import Order

from .conftest import fill_cart

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


def shop_url_names() -> list[str]:
    """Name every URL of the shop, pages and API, plus the dashboard and home."""
    return [
        "home",
        "dashboard",
        *(
            f"shop:{pattern.name}"
            for pattern in shop_urls.urlpatterns
            if isinstance(pattern, URLPattern)
        ),
        *(
            f"api:{pattern.name}"
            for pattern in shop_urls.api_urlpatterns
            if isinstance(pattern, URLPattern)
        ),
    ]


@pytest.fixture
def urls(user, other_user, mug):
    """Every shop URL, with ids of things the walk may look at."""
    # The user has an order (so the order pages have one to show) but no
    # cart: orders do not need one, and a cart is what a GET must not make.
    order = Order.objects.create(user=user, total=0)
    someone_elses_line = fill_cart(other_user, (mug, 1)).items.get()
    # A new URL with arguments fails to reverse here until it is given some.
    kwargs = {
        "shop:product": {"slug": mug.slug},
        "shop:add-to-cart": {"slug": mug.slug},
        "shop:cart-item": {"pk": someone_elses_line.pk},
        "shop:cart-item-remove": {"pk": someone_elses_line.pk},
        "shop:order": {"pk": order.pk},
        "api:product": {"pk": mug.pk},
        "api:cart-item": {"pk": someone_elses_line.pk},
        "api:order": {"pk": order.pk},
    }
    return [
        *(reverse(name, kwargs=kwargs.get(name)) for name in shop_url_names()),
        # What a logged-out add comes back to after login: it offers the add.
        reverse("shop:product", kwargs={"slug": mug.slug}) + "?quantity=3",
    ]


def test_the_walk_finds_every_url_of_the_shop():
    names = shop_url_names()

    assert {"dashboard", "shop:cart", "api:cart", "shop:product"} <= set(names)
    # An include() in the shop's URLs would be skipped by the walk above.
    assert len(names) == 2 + len(shop_urls.urlpatterns) + len(shop_urls.api_urlpatterns)


def test_no_get_of_the_shop_writes_a_row(logged_in, urls):
    # Authentication has answered once, so the session's state is cached
    # (in the database cache without Redis): what follows is the pages alone.
    logged_in.get(reverse("home"))
    writes, statuses = {}, {}

    for url in urls:
        # Each page on its own: undo whatever one wrote, so that a cart one
        # page made cannot hide that the next page would have made it too.
        with transaction.atomic(), CaptureQueriesContext(connection) as queries:
            response = logged_in.get(url)
            transaction.set_rollback(True)
        statuses[url] = response.status_code
        found = [query["sql"] for query in queries if WRITE.match(query["sql"])]
        if found:
            writes[url] = found

    assert writes == {}
    # Each page answered (200) or refused the GET (405): none was cut short
    # by an error before it could write.
    assert set(statuses.values()) <= {200, 405}
    assert statuses[reverse("shop:cart")] == statuses[reverse("api:cart")] == 200
