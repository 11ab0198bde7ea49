"""Fill the cart, change it, check out, see the order: in a real browser."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from shop.models import CartItem, Order, Product
from tests.helpers.clients import PASSWORD
from tests.helpers.users import create_user

from .conftest import save_screenshot
from .helpers import (
    at_desktop_and_phone_width,
    fits_the_window,
    go_and_log_in,
    log_in,
    top_bar,
)


@pytest.fixture
def products(transactional_db):
    return {
        product.slug: product
        for product in Product.objects.bulk_create(
            [
                Product(name="Enamel mug", slug="enamel-mug", price="12.50", stock=10),
                Product(
                    name="Fountain pen", slug="fountain-pen", price="3.00", stock=5
                ),
                Product(name="Notebook", slug="notebook", price="8.25", stock=7),
            ]
        )
    }


def add_from_shop_window(page, name: str, quantity: int) -> None:
    page.goto("/")
    card = page.locator("li.product").filter(has_text=name)
    card.get_by_label("Quantity").fill(str(quantity))
    card.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("status")).to_have_text(
        f"Added {quantity} × {name} to your cart."  # noqa: RUF001
    )


def cart_row(page, name: str):
    return page.locator("table.cart tbody tr").filter(has_text=name)


@at_desktop_and_phone_width
def test_add_change_remove_check_out_and_see_the_order(page, products):
    create_user("shopper@example.com", PASSWORD)
    go_and_log_in(page, "shopper@example.com")

    add_from_shop_window(page, "Enamel mug", 2)
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    add_from_shop_window(page, "Fountain pen", 1)
    add_from_shop_window(page, "Notebook", 1)
    expect(top_bar(page).get_by_role("link", name="Cart (4)")).to_be_visible()
    expect(page.locator("td.total")).to_have_text("$36.25")

    row = cart_row(page, "Enamel mug")
    row.get_by_label("Quantity of Enamel mug").fill("3")
    row.get_by_role("button", name="Update").click()
    expect(page.get_by_role("status")).to_have_text(
        "You now have 3 × Enamel mug in your cart."  # noqa: RUF001
    )
    expect(page.locator("td.total")).to_have_text("$48.75")

    cart_row(page, "Fountain pen").get_by_role("button", name="Remove").click()
    expect(page.get_by_role("status")).to_have_text(
        "Removed Fountain pen from your cart."
    )
    expect(cart_row(page, "Fountain pen")).to_have_count(0)
    expect(page.locator("td.total")).to_have_text("$45.75")
    expect(top_bar(page).get_by_role("link", name="Cart (4)")).to_be_visible()
    assert fits_the_window(page)
    save_screenshot(page, "cart")

    # The dashboard sums up the cart and says when the login ends.
    top_bar(page).get_by_role("link", name="Dashboard").click()
    expect(page.locator(".login-email")).to_have_text("shopper@example.com")
    expect(page.locator(".session-expires")).to_contain_text("UTC")
    expect(page.locator(".cart-summary")).to_have_text(
        "Your cart holds 4 items. Total: $45.75."
    )
    expect(page.locator(".cart-lines li")).to_have_text(
        ["3 × Enamel mug", "1 × Notebook"]  # noqa: RUF001
    )
    save_screenshot(page, "dashboard")

    top_bar(page).get_by_role("link", name="Cart (4)").click()
    page.get_by_role("button", name="Check out").click()

    order = Order.objects.get(user__email="shopper@example.com")
    expect(page).to_have_url(re.compile(rf"/shop/orders/{order.pk}/$"))
    expect(page.get_by_role("status")).to_have_text(
        f"Thank you! Your order {order.pk} is placed."
    )
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Order {order.pk}")
    expect(page.locator("tbody tr")).to_have_count(2)
    expect(page.locator("td.total")).to_have_text("$45.75")
    expect(top_bar(page).get_by_role("link", name="Cart (0)")).to_be_visible()
    assert fits_the_window(page)
    assert order.total == Decimal("45.75")
    assert Product.objects.get(slug="enamel-mug").stock == 7

    page.get_by_role("link", name="All your orders").click()
    expect(page.get_by_role("link", name=f"Order {order.pk}")).to_be_visible()


def choose_while_logged_out(page, slug: str, quantity: int) -> None:
    """Pick a quantity on a product page and add it, before logging in."""
    page.goto(f"/shop/products/{slug}/")
    page.get_by_label("Quantity").fill(str(quantity))
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()


def add_what_was_chosen(page, slug: str, quantity: int, name: str) -> None:
    """Back on the product page, logged in: one click adds what was chosen."""
    expect(page).to_have_url(
        re.compile(rf"/shop/products/{slug}/\?quantity={quantity}$")
    )
    add = page.get_by_role(
        "button",
        name=f"Add {quantity} × {name} to your cart",  # noqa: RUF001
    )
    assert fits_the_window(page)
    add.click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text(
        f"Added {quantity} × {name} to your cart."  # noqa: RUF001
    )
    expect(cart_row(page, name).get_by_label(f"Quantity of {name}")).to_have_value(
        str(quantity)
    )
    expect(top_bar(page).get_by_role("link", name=f"Cart ({quantity})")).to_be_visible()


@at_desktop_and_phone_width
def test_anonymous_add_to_cart_logs_in_and_adds_the_chosen_quantity_in_one_click(
    page, products
):
    create_user("later@example.com", PASSWORD)
    choose_while_logged_out(page, "notebook", 3)
    assert not CartItem.objects.exists()

    log_in(page, "later@example.com")

    expect(page.get_by_role("heading", name="Notebook")).to_be_visible()
    assert not CartItem.objects.exists()  # a GET never adds
    add_what_was_chosen(page, "notebook", 3, "Notebook")
    item = CartItem.objects.get()
    assert (item.cart.user.email, item.product.slug, item.quantity) == (
        "later@example.com",
        "notebook",
        3,
    )


@at_desktop_and_phone_width
def test_anonymous_add_to_cart_signs_up_and_adds_the_chosen_quantity_in_one_click(
    page, products
):
    choose_while_logged_out(page, "notebook", 3)
    page.get_by_role("link", name="Create an account").click()

    expect(page.get_by_role("heading", name="Create an account")).to_be_visible()
    page.get_by_label("Email").fill("newcomer@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()

    expect(page.get_by_role("status")).to_have_text(
        "Welcome! Your account is ready. We have sent a link to "
        "newcomer@example.com: open it to confirm the address."
    )
    add_what_was_chosen(page, "notebook", 3, "Notebook")
    item = CartItem.objects.get()
    assert (item.cart.user.email, item.quantity) == ("newcomer@example.com", 3)


def test_adding_beyond_the_stock_says_how_many_are_left(page, products):
    create_user("greedy@example.com", PASSWORD)
    go_and_log_in(page, "greedy@example.com")
    page.goto("/shop/products/fountain-pen/")
    quantity = page.get_by_label("Quantity")
    # The form offers no more than the stock.
    expect(quantity).to_have_attribute("max", "5")

    quantity.fill("5")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("status")).to_have_text(
        "Added 5 × Fountain pen to your cart."  # noqa: RUF001
    )
    page.goto("/shop/products/fountain-pen/")
    page.get_by_role("button", name="Add to cart").click()

    expect(page).to_have_url(re.compile(r"/shop/products/fountain-pen/$"))
    expect(page.get_by_role("status")).to_have_text(
        "Only 5 of Fountain pen are left in stock, and you already have 5 in your cart."
    )
    assert CartItem.objects.get().quantity == 5
