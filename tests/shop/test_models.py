"""The cart aggregate and the database's own guarantees."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from shop.models import Cart, CartContents, CartItem, Product

from .conftest import fill_cart, make_product


def test_active_lists_only_products_for_sale(mug, retired):
    assert list(Product.objects.active()) == [mug]


def test_open_for_returns_the_same_cart_every_time(user):
    first = Cart.objects.open_for(user)

    assert Cart.objects.open_for(user) == first
    assert Cart.objects.count() == 1


def test_a_user_cannot_have_two_carts(user):
    Cart.objects.create(user=user)

    with pytest.raises(IntegrityError):
        Cart.objects.create(user=user)


def test_add_puts_units_onto_the_existing_line(user, mug):
    cart = Cart.objects.open_for(user)

    first, created = cart.add(mug, 2)
    second, created_again = cart.add(mug, 3)

    assert created and not created_again
    assert first.pk == second.pk
    assert CartItem.objects.get().quantity == 5


def test_add_beyond_99_refuses_and_keeps_the_line(user):
    clips = make_product("Paper clips", stock=500)
    cart = fill_cart(user, (clips, 98))

    with pytest.raises(ValidationError) as exc_info:
        cart.add(clips, 2)

    error = exc_info.value.error_dict["quantity"][0]
    assert error.code == "max_quantity"
    assert "at most 99 of Paper clips" in error.messages[0]
    assert "already have 98" in error.messages[0]
    assert CartItem.objects.get().quantity == 98


def test_add_up_to_exactly_99_is_allowed(user):
    clips = make_product("Paper clips", stock=500)
    cart = fill_cart(user, (clips, 98))

    cart.add(clips, 1)

    assert CartItem.objects.get().quantity == 99


@pytest.mark.parametrize("quantity", [0, -1, 100, True, 1.5, "2"])
def test_add_refuses_a_quantity_outside_1_to_99(user, mug, quantity):
    cart = Cart.objects.open_for(user)

    with pytest.raises(ValidationError) as exc_info:
        cart.add(mug, quantity)

    assert exc_info.value.error_dict["quantity"][0].code == "invalid_quantity"
    assert not CartItem.objects.exists()


def test_add_refuses_an_inactive_product(user, retired):
    cart = Cart.objects.open_for(user)

    with pytest.raises(ValidationError) as exc_info:
        cart.add(retired, 1)

    assert exc_info.value.messages == ["Retired lamp is no longer for sale."]
    assert not CartItem.objects.exists()


def test_set_quantity_and_remove_change_only_this_carts_lines(user, other_user, mug):
    cart = fill_cart(user, (mug, 1))
    other_item = fill_cart(other_user, (mug, 4)).items.get()

    cart.set_quantity(cart.items.get().pk, 7)
    with pytest.raises(CartItem.DoesNotExist):
        cart.set_quantity(other_item.pk, 1)
    with pytest.raises(CartItem.DoesNotExist):
        cart.remove(other_item.pk)

    assert cart.items.get().quantity == 7
    other_item.refresh_from_db()
    assert other_item.quantity == 4
    cart.remove(cart.items.get().pk)
    assert not cart.items.exists()


def test_contents_add_up_the_lines_in_the_order_they_were_added(user, mug, pen):
    fill_cart(user, (pen, 3), (mug, 2))

    contents = CartContents.of(user)

    assert [item.product for item in contents.items] == [pen, mug]
    assert contents.total == Decimal("203.50")
    assert contents.count == 5


def test_contents_of_a_user_without_a_cart_are_empty_and_make_no_cart(user):
    contents = CartContents.of(user)

    assert (contents.items, contents.total, contents.count) == ([], 0, 0)
    assert not Cart.objects.exists()


def test_contents_are_only_the_users_own(user, other_user, mug):
    fill_cart(other_user, (mug, 1))

    assert CartContents.of(user).items == []


def test_database_refuses_a_quantity_of_100(user, mug):
    cart = Cart.objects.open_for(user)

    with pytest.raises(IntegrityError):
        CartItem.objects.create(cart=cart, product=mug, quantity=100)


def test_database_refuses_two_lines_for_one_product(user, mug):
    cart = fill_cart(user, (mug, 1))

    with pytest.raises(IntegrityError):
        CartItem.objects.create(cart=cart, product=mug, quantity=1)


def test_database_refuses_a_negative_price(db):
    with pytest.raises(IntegrityError):
        make_product("Free money", price="-1.00")


# --- stock ------------------------------------------------------------------


def stock_error(exc_info) -> ValidationError:
    return exc_info.value.error_dict["quantity"][0]


@pytest.mark.parametrize(
    ("stock", "message"),
    [
        (1, "Only 1 of Brass pen is left in stock."),
        (3, "Only 3 of Brass pen are left in stock."),
        (0, "Brass pen is sold out."),
    ],
)
def test_add_beyond_the_stock_says_how_many_are_left(user, pen, stock, message):
    Product.objects.filter(pk=pen.pk).update(stock=stock)
    pen.refresh_from_db()
    cart = Cart.objects.open_for(user)

    with pytest.raises(ValidationError) as exc_info:
        cart.add(pen, stock + 1)

    assert stock_error(exc_info).code == "insufficient_stock"
    assert exc_info.value.messages == [message]
    assert not CartItem.objects.exists()


def test_add_up_to_exactly_the_stock_is_allowed(user, pen):
    cart = Cart.objects.open_for(user)

    cart.add(pen, 2)
    cart.add(pen, 1)

    assert CartItem.objects.get().quantity == pen.stock == 3


@pytest.mark.parametrize(
    ("in_cart", "adding", "stock", "message"),
    [
        (
            3,
            1,
            3,
            "Only 3 of Brass pen are left in stock, and you already have 3 in "
            "your cart.",
        ),
        (
            2,
            2,
            3,
            "Only 3 of Brass pen are left in stock, and you already have 2 in "
            "your cart.",
        ),
        (
            1,
            1,
            1,
            "Only 1 of Brass pen is left in stock, and you already have 1 in "
            "your cart.",
        ),
    ],
)
def test_add_counts_what_the_cart_already_holds(
    user, pen, in_cart, adding, stock, message
):
    cart = fill_cart(user, (pen, in_cart))
    Product.objects.filter(pk=pen.pk).update(stock=stock)
    pen.refresh_from_db()

    with pytest.raises(ValidationError) as exc_info:
        cart.add(pen, adding)

    assert stock_error(exc_info).code == "insufficient_stock"
    assert exc_info.value.messages == [message]
    assert CartItem.objects.get().quantity == in_cart


def test_set_quantity_beyond_the_stock_says_how_many_are_left(user, pen):
    cart = fill_cart(user, (pen, 1))
    item = cart.items.get()

    with pytest.raises(ValidationError) as exc_info:
        cart.set_quantity(item.pk, 4)

    assert stock_error(exc_info).code == "insufficient_stock"
    assert exc_info.value.messages == ["Only 3 of Brass pen are left in stock."]
    item.refresh_from_db()
    assert item.quantity == 1


def test_set_quantity_reads_the_stock_of_now_not_of_the_add(user, pen):
    cart = fill_cart(user, (pen, 3))
    item = cart.items.get()
    Product.objects.filter(pk=pen.pk).update(stock=1)

    with pytest.raises(ValidationError) as exc_info:
        cart.set_quantity(item.pk, 2)
    cart.set_quantity(item.pk, 1)

    assert exc_info.value.messages == ["Only 1 of Brass pen is left in stock."]
    item.refresh_from_db()
    assert item.quantity == 1


@pytest.mark.parametrize(("stock", "most"), [(0, 0), (3, 3), (99, 99), (500, 99)])
def test_max_quantity_is_the_stock_up_to_99(db, stock, most):
    assert make_product("Thing", stock=stock).max_quantity == most
