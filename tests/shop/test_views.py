"""The shop's HTML pages, through a browser's cookies and forms."""

from decimal import Decimal
from urllib.parse import quote

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from shop.models import Cart, CartItem, Order, OrderLine, Product
from shop.services import check_out
from tests.helpers.clients import PASSWORD

from .conftest import fill_cart, form_post, make_product, session_check_queries


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_home_lists_active_products_to_anyone(client, mug, pen, retired):
    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert b"Enamel mug" in response.content
    assert b"Brass pen" in response.content
    assert b"Retired lamp" not in response.content
    assert b'action="/shop/products/enamel-mug/add/"' in response.content


def test_product_page_shows_the_product_and_an_add_form(client, pen):
    response = client.get(reverse("shop:product", kwargs={"slug": pen.slug}))

    assert response.status_code == 200
    assert b"Brass pen" in response.content
    assert b"58.50" in response.content
    assert b"3 in stock." in response.content
    assert b'name="quantity"' in response.content


@pytest.mark.parametrize("slug", ["retired-lamp", "no-such-thing"])
def test_inactive_or_unknown_product_page_is_404(client, retired, slug):
    response = client.get(reverse("shop:product", kwargs={"slug": slug}))

    assert response.status_code == 404


def login_url_with_next(next_url: str) -> str:
    return f"{reverse('accounts:login')}?next={quote(next_url, safe='/')}"


ADD_2_MUGS = (
    '<button type="submit">Add 2 × Enamel mug to your cart</button>'  # noqa: RUF001
).encode()


def test_anonymous_add_to_cart_logs_in_and_offers_the_same_add(browser, user, mug):
    product_url = reverse("shop:product", kwargs={"slug": mug.slug})
    add_url = reverse("shop:add-to-cart", kwargs={"slug": mug.slug})
    browser.get(product_url)

    response = form_post(browser, add_url, {"quantity": 2})

    # What was chosen rides in `next`; nothing is stored, nothing is added.
    chosen_url = f"{product_url}?quantity=2"
    assert response.status_code == 302
    assert response["Location"] == login_url_with_next(chosen_url)
    assert not Cart.objects.exists()
    page = browser.get(response["Location"])
    assert f'name="next" value="{chosen_url}"'.encode() in page.content
    response = form_post(
        browser,
        reverse("accounts:login"),
        {"email": user.email, "password": PASSWORD, "next": chosen_url},
    )
    assert response.status_code == 302
    assert response["Location"] == chosen_url
    page = browser.get(chosen_url)
    assert ADD_2_MUGS in page.content
    assert b'<input type="hidden" name="quantity" value="2">' in page.content
    assert not Cart.objects.exists()

    response = form_post(browser, add_url, {"quantity": 2})

    assert response["Location"] == reverse("shop:cart")
    item = CartItem.objects.get()
    assert (item.cart.user, item.product, item.quantity) == (user, mug, 2)


@pytest.mark.parametrize("quantity", ["0", "100", "abc", ""])
def test_anonymous_add_with_a_bad_quantity_comes_back_to_the_plain_product_page(
    browser, mug, quantity
):
    browser.get(reverse("home"))

    response = form_post(
        browser,
        reverse("shop:add-to-cart", kwargs={"slug": mug.slug}),
        {"quantity": quantity},
    )

    assert response["Location"] == login_url_with_next(
        reverse("shop:product", kwargs={"slug": mug.slug})
    )


def test_the_chosen_quantity_on_the_product_page_is_only_offered(logged_in, mug):
    page = logged_in.get(
        reverse("shop:product", kwargs={"slug": mug.slug}), {"quantity": 2}
    )

    assert page.status_code == 200
    assert ADD_2_MUGS in page.content
    assert b"Choose another quantity" in page.content
    assert b'type="number"' not in page.content
    assert not Cart.objects.exists()


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        ("11", "Only 10 of Enamel mug are left in stock."),
        ("0", "Enter a quantity between 1 and 99."),
        ("lots", "Enter a quantity between 1 and 99."),
    ],
)
def test_a_chosen_quantity_that_cannot_be_had_says_why_and_offers_the_plain_form(
    client, mug, quantity, message
):
    page = client.get(
        reverse("shop:product", kwargs={"slug": mug.slug}), {"quantity": quantity}
    )

    content = page.content.decode()
    assert f'<p class="error" role="alert">{message}</p>' in content
    assert 'type="number"' in content
    assert "Add to cart</button>" in content
    assert " to your cart</button>" not in content


def test_add_to_cart_adds_and_says_so(logged_in, user, mug):
    logged_in.get(reverse("shop:product", kwargs={"slug": mug.slug}))

    response = form_post(
        logged_in,
        reverse("shop:add-to-cart", kwargs={"slug": mug.slug}),
        {"quantity": 2},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("shop:cart")
    item = CartItem.objects.get()
    assert (item.cart.user, item.product, item.quantity) == (user, mug, 2)
    page = logged_in.get(reverse("shop:cart"))
    assert "Added 2 × Enamel mug to your cart." in messages_of(page)  # noqa: RUF001
    assert b"Cart (2)" in page.content


def test_add_to_cart_without_csrf_token_is_refused(logged_in, mug):
    response = logged_in.post(
        reverse("shop:add-to-cart", kwargs={"slug": mug.slug}), {"quantity": 1}
    )

    assert response.status_code == 403
    assert not CartItem.objects.exists()


@pytest.mark.parametrize("quantity", ["0", "100", "-1", "abc", "1.5", "", "9" * 30])
def test_add_to_cart_with_a_bad_quantity_changes_nothing(logged_in, mug, quantity):
    product_url = reverse("shop:product", kwargs={"slug": mug.slug})
    logged_in.get(product_url)

    response = form_post(
        logged_in,
        reverse("shop:add-to-cart", kwargs={"slug": mug.slug}),
        {"quantity": quantity},
    )

    assert response.status_code == 302
    assert response["Location"] == product_url
    assert not CartItem.objects.exists()
    page = logged_in.get(product_url)
    assert messages_of(page) == ["Enter a quantity between 1 and 99."]


def test_add_beyond_99_says_why_and_keeps_the_line(logged_in, user):
    clips = make_product("Paper clips", stock=500)
    fill_cart(user, (clips, 95))
    logged_in.get(reverse("shop:cart"))

    form_post(
        logged_in,
        reverse("shop:add-to-cart", kwargs={"slug": clips.slug}),
        {"quantity": 5},
    )

    assert CartItem.objects.get().quantity == 95
    page = logged_in.get(reverse("shop:product", kwargs={"slug": clips.slug}))
    assert messages_of(page) == [
        "You can have at most 99 of Paper clips in your cart, and you already have 95."
    ]


def test_product_page_offers_no_more_than_the_stock(client, pen):
    page = client.get(reverse("shop:product", kwargs={"slug": pen.slug}))

    assert b'name="quantity" value="1" min="1" max="3" required' in page.content


@pytest.mark.parametrize(
    ("in_cart", "adding", "message"),
    [
        (0, 4, "Only 3 of Brass pen are left in stock."),
        (
            3,
            1,
            "Only 3 of Brass pen are left in stock, and you already have 3 in "
            "your cart.",
        ),
    ],
)
def test_add_beyond_the_stock_says_how_many_are_left_and_adds_nothing(
    logged_in, user, pen, in_cart, adding, message
):
    if in_cart:
        fill_cart(user, (pen, in_cart))
    product_url = reverse("shop:product", kwargs={"slug": pen.slug})
    logged_in.get(product_url)

    response = form_post(
        logged_in,
        reverse("shop:add-to-cart", kwargs={"slug": pen.slug}),
        {"quantity": adding},
    )

    assert response["Location"] == product_url
    assert list(CartItem.objects.values_list("quantity", flat=True)) == (
        [in_cart] if in_cart else []
    )
    assert messages_of(logged_in.get(product_url)) == [message]


def test_adding_a_product_sold_out_since_the_page_loaded_says_so(logged_in, pen):
    product_url = reverse("shop:product", kwargs={"slug": pen.slug})
    logged_in.get(product_url)
    Product.objects.filter(pk=pen.pk).update(stock=0)

    form_post(
        logged_in,
        reverse("shop:add-to-cart", kwargs={"slug": pen.slug}),
        {"quantity": 1},
    )

    assert not CartItem.objects.exists()
    page = logged_in.get(product_url)
    assert messages_of(page) == ["Brass pen is sold out."]
    assert b"Sold out." in page.content


def test_adding_an_inactive_product_is_404(logged_in, retired):
    logged_in.get(reverse("home"))

    response = form_post(
        logged_in,
        reverse("shop:add-to-cart", kwargs={"slug": retired.slug}),
        {"quantity": 1},
    )

    assert response.status_code == 404
    assert not CartItem.objects.exists()


def test_cart_page_shows_lines_totals_and_forms(logged_in, user, mug, pen):
    fill_cart(user, (mug, 2), (pen, 1))

    response = logged_in.get(reverse("shop:cart"))

    content = response.content.decode()
    assert response.status_code == 200
    assert "Enamel mug" in content and "Brass pen" in content
    assert "$28.00" in content  # two at 14.00
    assert "$86.50" in content  # the total
    assert 'value="2"' in content
    assert content.count('name="csrfmiddlewaretoken"') >= 5
    assert f'action="{reverse("shop:checkout")}"' in content


def test_anonymous_cart_page_redirects_to_login(client):
    response = client.get(reverse("shop:cart"))

    assert response.status_code == 302
    assert response["Location"] == (
        f"{reverse('accounts:login')}?next={reverse('shop:cart')}"
    )


def test_change_quantity_from_the_cart(logged_in, user, mug):
    item = fill_cart(user, (mug, 2)).items.get()
    logged_in.get(reverse("shop:cart"))

    response = form_post(
        logged_in, reverse("shop:cart-item", kwargs={"pk": item.pk}), {"quantity": 5}
    )

    assert response["Location"] == reverse("shop:cart")
    item.refresh_from_db()
    assert item.quantity == 5
    page = logged_in.get(reverse("shop:cart"))
    assert messages_of(page) == [
        "You now have 5 × Enamel mug in your cart."  # noqa: RUF001
    ]


@pytest.mark.parametrize(
    ("stock", "message"),
    [(1, "Only 1 of Brass pen is left in stock."), (0, "Brass pen is sold out.")],
)
def test_change_quantity_beyond_the_stock_says_how_many_are_left(
    logged_in, user, pen, stock, message
):
    item = fill_cart(user, (pen, 1)).items.get()
    Product.objects.filter(pk=pen.pk).update(stock=stock)
    logged_in.get(reverse("shop:cart"))

    response = form_post(
        logged_in, reverse("shop:cart-item", kwargs={"pk": item.pk}), {"quantity": 2}
    )

    assert response["Location"] == reverse("shop:cart")
    item.refresh_from_db()
    assert item.quantity == 1
    page = logged_in.get(reverse("shop:cart"))
    assert messages_of(page) == [message]
    assert f'max="{stock}"'.encode() in page.content


@pytest.mark.parametrize(
    ("url_name", "data"),
    [("shop:cart-item", {"quantity": 1}), ("shop:cart-item-remove", {})],
)
def test_changing_a_line_without_a_cart_is_404_and_makes_no_cart(
    logged_in, url_name, data
):
    logged_in.get(reverse("shop:cart"))

    response = form_post(logged_in, reverse(url_name, kwargs={"pk": 1}), data)

    assert response.status_code == 404
    assert not Cart.objects.exists()


def test_change_quantity_to_zero_is_refused(logged_in, user, mug):
    item = fill_cart(user, (mug, 2)).items.get()
    logged_in.get(reverse("shop:cart"))

    form_post(
        logged_in, reverse("shop:cart-item", kwargs={"pk": item.pk}), {"quantity": 0}
    )

    item.refresh_from_db()
    assert item.quantity == 2
    page = logged_in.get(reverse("shop:cart"))
    assert messages_of(page) == ["Enter a quantity between 1 and 99."]


def test_remove_from_the_cart(logged_in, user, mug, pen):
    cart = fill_cart(user, (mug, 2), (pen, 1))
    mug_line = cart.items.get(product=mug)
    logged_in.get(reverse("shop:cart"))

    form_post(logged_in, reverse("shop:cart-item-remove", kwargs={"pk": mug_line.pk}))

    assert list(cart.items.values_list("product__name", flat=True)) == ["Brass pen"]
    page = logged_in.get(reverse("shop:cart"))
    assert messages_of(page) == ["Removed Enamel mug from your cart."]


@pytest.mark.parametrize(
    ("url_name", "data"),
    [("shop:cart-item", {"quantity": 1}), ("shop:cart-item-remove", {})],
)
def test_someone_elses_cart_line_is_404(logged_in, other_user, mug, url_name, data):
    item = fill_cart(other_user, (mug, 3)).items.get()
    logged_in.get(reverse("shop:cart"))

    response = form_post(logged_in, reverse(url_name, kwargs={"pk": item.pk}), data)

    assert response.status_code == 404
    item.refresh_from_db()
    assert item.quantity == 3


def test_someone_elses_cart_line_is_404_even_with_a_bad_quantity(
    logged_in, other_user, mug
):
    item = fill_cart(other_user, (mug, 3)).items.get()
    logged_in.get(reverse("shop:cart"))

    response = form_post(
        logged_in, reverse("shop:cart-item", kwargs={"pk": item.pk}), {"quantity": 0}
    )

    assert response.status_code == 404


def test_checkout_places_the_order_and_shows_it(logged_in, user, mug):
    fill_cart(user, (mug, 3))
    logged_in.get(reverse("shop:cart"))

    response = form_post(logged_in, reverse("shop:checkout"))

    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("shop:order", kwargs={"pk": order.pk})
    assert order.total == Decimal("42.00")
    assert not CartItem.objects.exists()
    page = logged_in.get(response["Location"])
    assert messages_of(page) == [f"Thank you! Your order {order.pk} is placed."]
    assert b"Enamel mug" in page.content and b"$42.00" in page.content
    assert b"Cart (0)" in page.content


def test_checkout_refused_returns_to_the_cart_with_the_reason(logged_in, user, pen):
    fill_cart(user, (pen, 3))
    Product.objects.filter(pk=pen.pk).update(stock=2)  # one sold meanwhile
    logged_in.get(reverse("shop:cart"))

    response = form_post(logged_in, reverse("shop:checkout"))

    assert response["Location"] == reverse("shop:cart")
    assert not Order.objects.exists()
    assert CartItem.objects.get().quantity == 3
    assert Product.objects.get(pk=pen.pk).stock == 2
    page = logged_in.get(reverse("shop:cart"))
    assert messages_of(page) == [
        "Only 2 of Brass pen are left in stock, and your cart asks for 3."
    ]


def test_empty_cart_checkout_says_so(logged_in):
    logged_in.get(reverse("shop:cart"))

    form_post(logged_in, reverse("shop:checkout"))

    page = logged_in.get(reverse("shop:cart"))
    assert messages_of(page) == ["Your cart is empty."]
    assert not Order.objects.exists()


def test_anonymous_checkout_redirects_to_login_for_the_cart(browser):
    browser.get(reverse("accounts:login"))

    response = form_post(browser, reverse("shop:checkout"))

    assert response["Location"] == (
        f"{reverse('accounts:login')}?next={reverse('shop:cart')}"
    )


def test_orders_pages_show_only_the_users_own_orders(
    logged_in, user, other_user, mug, pen
):
    fill_cart(user, (mug, 1))
    mine = check_out(user=user, login_is_recent=True)
    fill_cart(other_user, (pen, 1))
    theirs = check_out(user=other_user, login_is_recent=True)

    listing = logged_in.get(reverse("shop:orders"))
    assert f"Order {mine.pk}".encode() in listing.content
    assert f"Order {theirs.pk}".encode() not in listing.content
    page = logged_in.get(reverse("shop:order", kwargs={"pk": mine.pk}))
    assert page.status_code == 200
    assert b"Enamel mug" in page.content
    response = logged_in.get(reverse("shop:order", kwargs={"pk": theirs.pk}))
    assert response.status_code == 404


def test_dashboard_links_to_cart_and_orders_with_the_count(logged_in, user, mug, pen):
    fill_cart(user, (mug, 2), (pen, 1))

    page = logged_in.get(reverse("dashboard"))

    content = page.content.decode()
    assert "Cart (3)" in content
    assert "holds 3 items." in content
    assert f'href="{reverse("shop:cart")}"' in content
    assert f'href="{reverse("shop:orders")}"' in content


def test_anonymous_top_bar_has_the_shop_but_no_cart(client, mug):
    page = client.get(reverse("home"))

    assert b">Shop</a>" in page.content
    assert b"Cart (" not in page.content


@pytest.mark.parametrize("lines", [0, 1, 5])
def test_cart_page_query_count_does_not_grow_with_lines(
    logged_in, user, django_assert_num_queries, lines
):
    fill_cart(
        user,
        *((make_product(f"Thing {n}", stock=5), 1) for n in range(lines)),
    )

    logged_in.get(reverse("shop:cart"))

    # The session check, the user row (the top bar shows the email), then
    # the cart's items with their products (a user who never added anything
    # has no cart, and this query finds no items), and the top bar's count.
    with django_assert_num_queries(session_check_queries() + 1 + 2):
        response = logged_in.get(reverse("shop:cart"))

    assert response.status_code == 200
    assert response.content.count(b'class="quantity"') == lines


@pytest.mark.parametrize("query", [{}, {"quantity": 3}])
def test_product_page_query_count(logged_in, mug, django_assert_num_queries, query):
    url = reverse("shop:product", kwargs={"slug": mug.slug})
    logged_in.get(url)

    # The session check, the user row (the top bar), the product, the count.
    with django_assert_num_queries(session_check_queries() + 1 + 2):
        response = logged_in.get(url, query)

    assert response.status_code == 200


def test_no_orders_yet_page(logged_in):
    page = logged_in.get(reverse("shop:orders"))

    assert b"You have not ordered anything yet." in page.content


def test_order_lines_survive_on_the_order_page(logged_in, user, mug):
    fill_cart(user, (mug, 1))
    order = check_out(user=user, login_is_recent=True)
    OrderLine.objects.filter(order=order).update(product_name="Old name")

    page = logged_in.get(reverse("shop:order", kwargs={"pk": order.pk}))

    assert b"Old name" in page.content


@pytest.mark.parametrize("products", [1, 6])
def test_home_query_count_does_not_grow_with_products(
    client, db, django_assert_num_queries, products
):
    for n in range(products):
        make_product(f"Thing {n}")

    # The paginator's count and the page of products; no user, no cart.
    with django_assert_num_queries(2):
        response = client.get(reverse("home"))

    assert response.content.count(b'class="add-to-cart"') == products
