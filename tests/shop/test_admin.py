"""The shop's admin pages, for a superuser logged in through the JWT cookies."""

import pytest
from django.urls import reverse

from shop.models import Order, Product
from shop.services import check_out
from tests.helpers.clients import log_in

from .conftest import fill_cart, form_post


@pytest.fixture
def admin_browser(browser, superuser):
    log_in(browser, superuser.email)
    return browser


def test_product_list_edits_stock_in_place(admin_browser, mug, pen):
    url = reverse("admin:shop_product_changelist")

    page = admin_browser.get(url, {"q": "mug"})

    assert page.status_code == 200
    assert b'name="form-0-stock"' in page.content
    assert b"Brass pen" not in page.content


def test_order_page_shows_lines_read_only(admin_browser, user, mug):
    fill_cart(user, (mug, 2))
    order = check_out(user=user, login_is_recent=True)

    page = admin_browser.get(reverse("admin:shop_order_change", args=[order.pk]))

    content = page.content.decode()
    assert page.status_code == 200
    assert "Enamel mug" in content
    assert 'name="lines-0-quantity"' not in content  # read-only, not a field
    assert 'name="lines-MAX_NUM_FORMS" value="0"' in content  # no adding
    assert 'name="lines-0-DELETE"' not in content


def test_cart_page_shows_its_items(admin_browser, user, mug):
    cart = fill_cart(user, (mug, 3))

    page = admin_browser.get(reverse("admin:shop_cart_change", args=[cart.pk]))

    assert page.status_code == 200
    assert b'name="items-0-quantity"' in page.content


def test_order_lines_cannot_be_deleted_through_the_admin(admin_browser, user, mug):
    fill_cart(user, (mug, 2))
    order = check_out(user=user, login_is_recent=True)
    admin_browser.get(reverse("admin:shop_order_change", args=[order.pk]))

    form_post(
        admin_browser,
        reverse("admin:shop_order_change", args=[order.pk]),
        {
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "1",
            "lines-0-id": str(order.lines.get().pk),
            "lines-0-order": str(order.pk),
            "lines-0-DELETE": "on",
        },
    )

    assert Order.objects.get().lines.count() == 1
    assert Product.objects.get(pk=mug.pk).stock == 8
