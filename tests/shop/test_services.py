"""Checkout: all or nothing, with prices and stock from the database."""

import copy
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse

from shop.models import Cart, CartItem, Order, OrderLine, Product
from shop.services import CheckoutError, add_to_cart, check_out
from tests.helpers.clients import PASSWORD, csrf_headers, log_in
from tests.helpers.users import create_user

from .conftest import fill_cart, make_product


def test_check_out_creates_the_order_and_empties_the_cart(user, mug, pen):
    fill_cart(user, (mug, 2), (pen, 3))

    order = check_out(user=user, login_is_recent=True)

    assert order.user == user
    assert order.total == Decimal("203.50")
    lines = list(order.lines.order_by("product_name"))
    assert [
        (line.product_name, line.unit_price, line.quantity, line.line_total)
        for line in lines
    ] == [
        ("Brass pen", Decimal("58.50"), 3, Decimal("175.50")),
        ("Enamel mug", Decimal("14.00"), 2, Decimal("28.00")),
    ]
    mug.refresh_from_db()
    pen.refresh_from_db()
    assert (mug.stock, pen.stock) == (8, 0)
    assert not CartItem.objects.exists()


def test_order_keeps_the_price_and_name_of_the_moment_of_checkout(user, mug):
    fill_cart(user, (mug, 1))
    order = check_out(user=user, login_is_recent=True)

    Product.objects.filter(pk=mug.pk).update(price=Decimal("99.00"), name="Renamed")

    line = order.lines.get()
    assert (line.product_name, line.unit_price) == ("Enamel mug", Decimal("14.00"))


def test_check_out_uses_the_current_price_not_the_one_seen_when_adding(user, mug):
    fill_cart(user, (mug, 2))
    Product.objects.filter(pk=mug.pk).update(price=Decimal("15.00"))

    order = check_out(user=user, login_is_recent=True)

    assert order.total == Decimal("30.00")


def test_empty_cart_cannot_be_checked_out(user):
    with pytest.raises(CheckoutError) as exc_info:
        check_out(user=user, login_is_recent=True)

    assert exc_info.value.code == "empty_cart"
    assert exc_info.value.message == "Your cart is empty."
    assert not Order.objects.exists()


def assert_nothing_changed(user, stocks: dict, lines: int):
    assert not Order.objects.exists()
    assert not OrderLine.objects.exists()
    assert CartItem.objects.filter(cart__user=user).count() == lines
    assert dict(Product.objects.values_list("name", "stock")) == stocks


@pytest.mark.parametrize(
    ("stock", "message"),
    [
        (2, "Only 2 of Brass pen are left in stock, and your cart asks for 3."),
        (1, "Only 1 of Brass pen is left in stock, and your cart asks for 3."),
    ],
)
def test_short_stock_refuses_naming_the_product_and_changes_nothing(
    user, mug, pen, stock, message
):
    # The cart took all three pens; since then some were sold elsewhere.
    fill_cart(user, (mug, 2), (pen, 3))
    Product.objects.filter(pk=pen.pk).update(stock=stock)

    with pytest.raises(CheckoutError) as exc_info:
        check_out(user=user, login_is_recent=True)

    assert exc_info.value.code == "insufficient_stock"
    assert exc_info.value.message == message
    # The mug, checked first and in stock, was not decremented either.
    assert_nothing_changed(user, {"Enamel mug": 10, "Brass pen": stock}, lines=2)


def test_sold_out_product_is_named(user, mug):
    fill_cart(user, (mug, 1))
    Product.objects.filter(pk=mug.pk).update(stock=0)

    with pytest.raises(CheckoutError) as exc_info:
        check_out(user=user, login_is_recent=True)

    assert exc_info.value.message == "Enamel mug is sold out."


def test_product_withdrawn_after_adding_refuses_checkout(user, mug, pen):
    fill_cart(user, (mug, 1), (pen, 1))
    Product.objects.filter(pk=pen.pk).update(is_active=False)

    with pytest.raises(CheckoutError) as exc_info:
        check_out(user=user, login_is_recent=True)

    assert exc_info.value.code == "product_unavailable"
    assert "Brass pen is no longer for sale." in exc_info.value.message
    assert_nothing_changed(user, {"Enamel mug": 10, "Brass pen": 3}, lines=2)


def test_checkout_leaves_other_users_carts_alone(user, other_user, mug):
    fill_cart(user, (mug, 1))
    fill_cart(other_user, (mug, 2))

    check_out(user=user, login_is_recent=True)

    assert CartItem.objects.get().cart == Cart.objects.get(user=other_user)


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_checkouts_of_the_last_unit_sell_it_once(
    django_user_model,
):
    last = make_product("Last bottle", price="32.00", stock=1)
    buyers = [create_user(f"buyer{n}@example.com", PASSWORD) for n in range(2)]
    clients = []
    for buyer in buyers:
        fill_cart(buyer, (last, 1))
        client = Client(enforce_csrf_checks=True)
        log_in(client, buyer.email)
        clients.append((client, csrf_headers(client)))
    barrier = threading.Barrier(len(clients))
    responses = [None] * len(clients)

    def buy(index):
        client, headers = clients[index]
        try:
            barrier.wait(timeout=10)
            responses[index] = client.post(reverse("api:checkout"), **headers)
        finally:
            connection.close()

    threads = [threading.Thread(target=buy, args=(n,)) for n in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201, 400]
    refused = next(r for r in responses if r.status_code == 400)
    assert refused.json() == {
        "detail": "Last bottle is sold out.",
        "code": "insufficient_stock",
    }
    last.refresh_from_db()
    assert last.stock == 0
    order = Order.objects.get()
    assert order.lines.get().quantity == 1
    # The loser still has the product in their cart, to remove or wait for.
    assert CartItem.objects.get().cart.user != order.user


def test_add_to_cart_makes_the_cart_with_the_first_add(user, mug):
    item, created = add_to_cart(user=user, product=mug, quantity=2)

    assert created
    assert (item.cart.user, item.product, item.quantity) == (user, mug, 2)


@pytest.mark.parametrize("quantity", [0, 100, 11])
def test_a_refused_first_add_leaves_no_empty_cart_behind(user, mug, quantity):
    with pytest.raises(ValidationError):
        add_to_cart(user=user, product=mug, quantity=quantity)

    assert not Cart.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_first_adds_at_once_make_one_cart_holding_both(django_user_model):
    buyer = create_user("twotabs@example.com", PASSWORD)
    mug = make_product("Enamel mug", stock=10)
    pen = make_product("Brass pen", stock=10)
    # Two tabs of one browser (one login, the same cookies), each adding a
    # product to a cart that is not there yet.
    first_tab = Client(enforce_csrf_checks=True)
    log_in(first_tab, buyer.email)
    headers = csrf_headers(first_tab)
    second_tab = Client(enforce_csrf_checks=True)
    second_tab.cookies = copy.deepcopy(first_tab.cookies)
    tabs = {mug: first_tab, pen: second_tab}
    barrier = threading.Barrier(2)
    responses = {}

    def add(product):
        try:
            barrier.wait(timeout=10)
            responses[product.slug] = tabs[product].post(
                reverse("api:cart-items"),
                {"product": product.pk, "quantity": 2},
                content_type="application/json",
                **headers,
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=add, args=(p,)) for p in (mug, pen)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert {slug: r.status_code for slug, r in responses.items()} == {
        "enamel-mug": 201,
        "brass-pen": 201,
    }
    cart = Cart.objects.get(user=buyer)
    assert sorted(cart.items.values_list("product__slug", "quantity")) == [
        ("brass-pen", 2),
        ("enamel-mug", 2),
    ]
