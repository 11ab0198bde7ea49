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


def test_add_beyond_99_refuses_and_keeps_the_line(user, mug):
    cart = fill_cart(user, (mug, 98))

    with pytest.raises(ValidationError) as exc_info:
        cart.add(mug, 2)

    error = exc_info.value.error_dict["quantity"][0]
    assert error.code == "max_quantity"
    assert "at most 99 of Enamel mug" in error.messages[0]
    assert "already have 98" in error.messages[0]
    assert CartItem.objects.get().quantity == 98


def test_add_up_to_exactly_99_is_allowed(user, mug):
    cart = fill_cart(user, (mug, 98))

    cart.add(mug, 1)

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
