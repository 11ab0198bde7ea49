"""The shop's JSON API, through cookies (with CSRF) and Bearer tokens."""

import json

import pytest
from django.urls import reverse

from shop.models import Cart, CartItem, Order, Product
from shop.services import check_out
from tests.helpers.clients import csrf_headers

from .conftest import fill_cart, make_product, session_check_queries


def api_post(client, name, data=None, headers=None, **kwargs):
    return client.post(
        reverse(name, kwargs=kwargs or None),
        data if isinstance(data, str) else json.dumps(data),
        content_type="application/json",
        **(headers or {}),
    )


def item_url(item) -> str:
    return reverse("api:cart-item", kwargs={"pk": item.pk})


# --- catalogue ---------------------------------------------------------------


def test_products_are_public_paginated_and_only_active(client, mug, retired):
    response = client.get(reverse("api:products"))

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["results"] == [
        {
            "id": mug.pk,
            "name": "Enamel mug",
            "slug": "enamel-mug",
            "description": "",
            "price": "14.00",
            "stock": 10,
        }
    ]


def test_products_come_20_a_page(client, db):
    for n in range(21):
        make_product(f"Thing {n:02}")

    first = client.get(reverse("api:products")).json()
    second = client.get(reverse("api:products"), {"page": 2}).json()

    assert (first["count"], len(first["results"]), len(second["results"])) == (
        21,
        20,
        1,
    )
    assert first["next"] and second["next"] is None


def test_product_detail_is_public_and_404_when_inactive(client, mug, retired):
    found = client.get(reverse("api:product", kwargs={"pk": mug.pk}))
    hidden = client.get(reverse("api:product", kwargs={"pk": retired.pk}))

    assert (found.status_code, found.json()["name"]) == (200, "Enamel mug")
    assert hidden.status_code == 404


# --- authentication and CSRF ------------------------------------------------


@pytest.mark.parametrize(
    ("method", "name", "kwargs"),
    [
        ("get", "api:cart", {}),
        ("post", "api:cart-items", {}),
        ("patch", "api:cart-item", {"pk": 1}),
        ("delete", "api:cart-item", {"pk": 1}),
        ("post", "api:checkout", {}),
        ("get", "api:orders", {}),
        ("get", "api:order", {"pk": 1}),
    ],
)
def test_cart_and_orders_need_authentication(app_client, method, name, kwargs):
    response = getattr(app_client, method)(reverse(name, kwargs=kwargs or None))

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["code"] == "not_authenticated"


def test_cookie_add_without_csrf_token_is_refused(logged_in, mug):
    response = api_post(logged_in, "api:cart-items", {"product": mug.pk, "quantity": 1})

    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"
    assert not CartItem.objects.exists()


def test_cookie_checkout_without_csrf_token_is_refused(logged_in, user, mug):
    fill_cart(user, (mug, 1))

    response = api_post(logged_in, "api:checkout")

    assert response.status_code == 403
    assert not Order.objects.exists()
    assert CartItem.objects.count() == 1


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_cookie_change_without_csrf_token_is_refused(logged_in, user, mug, method):
    item = fill_cart(user, (mug, 2)).items.get()

    response = getattr(logged_in, method)(
        item_url(item), json.dumps({"quantity": 5}), content_type="application/json"
    )

    assert response.status_code == 403
    item.refresh_from_db()
    assert item.quantity == 2


def test_bearer_add_needs_no_csrf_token(app_client, user_bearer, user, mug):
    response = api_post(
        app_client,
        "api:cart-items",
        {"product": mug.pk, "quantity": 2},
        headers=user_bearer,
    )

    assert response.status_code == 201
    assert CartItem.objects.get().cart.user == user


# --- the cart ---------------------------------------------------------------


def test_cart_shows_items_total_and_count(logged_in, user, mug, pen):
    cart = fill_cart(user, (mug, 2), (pen, 1))

    response = logged_in.get(reverse("api:cart"))

    assert response.status_code == 200
    mug_line = cart.items.get(product=mug)
    assert response.json() == {
        "items": [
            {
                "id": mug_line.pk,
                "product": {
                    "id": mug.pk,
                    "name": "Enamel mug",
                    "slug": "enamel-mug",
                    "price": "14.00",
                },
                "quantity": 2,
                "line_total": "28.00",
            },
            {
                "id": cart.items.get(product=pen).pk,
                "product": {
                    "id": pen.pk,
                    "name": "Brass pen",
                    "slug": "brass-pen",
                    "price": "58.50",
                },
                "quantity": 1,
                "line_total": "58.50",
            },
        ],
        "total": "86.50",
        "count": 3,
    }


def test_empty_cart(logged_in):
    response = logged_in.get(reverse("api:cart"))

    assert response.json() == {"items": [], "total": "0.00", "count": 0}


def test_add_creates_a_line_with_201_then_adds_to_it_with_200(logged_in, mug):
    headers = csrf_headers(logged_in)
    body = {"product": mug.pk, "quantity": 2}

    created = api_post(logged_in, "api:cart-items", body, headers)
    added = api_post(logged_in, "api:cart-items", body, headers)

    assert created.status_code == 201
    assert added.status_code == 200
    assert created.json()["id"] == added.json()["id"]
    assert added.json()["quantity"] == 4
    assert added.json()["line_total"] == "56.00"
    assert CartItem.objects.get().quantity == 4


def test_client_sent_price_is_ignored(logged_in, mug):
    api_post(
        logged_in,
        "api:cart-items",
        {"product": mug.pk, "quantity": 1, "price": "0.01"},
        csrf_headers(logged_in),
    )

    response = api_post(
        logged_in, "api:checkout", {"total": "0.01"}, csrf_headers(logged_in)
    )

    assert response.status_code == 201
    assert response.json()["total"] == "14.00"


def test_add_beyond_99_on_an_existing_line_is_400(logged_in, user):
    clips = make_product("Paper clips", stock=500)
    fill_cart(user, (clips, 60))

    response = api_post(
        logged_in,
        "api:cart-items",
        {"product": clips.pk, "quantity": 40},
        csrf_headers(logged_in),
    )

    assert response.status_code == 400
    assert response.json() == {
        "quantity": [
            "You can have at most 99 of Paper clips in your cart, "
            "and you already have 60."
        ]
    }
    assert CartItem.objects.get().quantity == 60


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
def test_add_beyond_the_stock_is_400_saying_how_many_are_left(
    app_client, user_bearer, user, pen, in_cart, adding, message
):
    if in_cart:
        fill_cart(user, (pen, in_cart))

    response = api_post(
        app_client,
        "api:cart-items",
        {"product": pen.pk, "quantity": adding},
        headers=user_bearer,
    )

    assert response.status_code == 400
    assert response.json() == {"quantity": [message]}
    assert list(CartItem.objects.values_list("quantity", flat=True)) == (
        [in_cart] if in_cart else []
    )


def test_a_refused_first_add_makes_no_cart(app_client, user_bearer, pen):
    api_post(
        app_client,
        "api:cart-items",
        {"product": pen.pk, "quantity": 4},
        headers=user_bearer,
    )

    assert not Cart.objects.exists()


def test_adding_a_sold_out_product_is_400(app_client, user_bearer, pen):
    Product.objects.filter(pk=pen.pk).update(stock=0)

    response = api_post(
        app_client,
        "api:cart-items",
        {"product": pen.pk, "quantity": 1},
        headers=user_bearer,
    )

    assert response.status_code == 400
    assert response.json() == {"quantity": ["Brass pen is sold out."]}


HUGE = 10**30


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"product": "UNKNOWN", "quantity": 1}, "product"),
        ({"product": "RETIRED", "quantity": 1}, "product"),
        ({"product": "abc", "quantity": 1}, "product"),
        ({"product": HUGE, "quantity": 1}, "product"),
        ({"product": [1], "quantity": 1}, "product"),
        ({"product": {"id": 1}, "quantity": 1}, "product"),
        ({"product": None, "quantity": 1}, "product"),
        ({"product": True, "quantity": 1}, "product"),
        ({"quantity": 1}, "product"),
        ({"product": "MUG", "quantity": 0}, "quantity"),
        ({"product": "MUG", "quantity": 100}, "quantity"),
        ({"product": "MUG", "quantity": -1}, "quantity"),
        ({"product": "MUG", "quantity": "abc"}, "quantity"),
        ({"product": "MUG", "quantity": 1.5}, "quantity"),
        ({"product": "MUG", "quantity": HUGE}, "quantity"),
        ({"product": "MUG", "quantity": [1]}, "quantity"),
        ({"product": "MUG", "quantity": {"n": 1}}, "quantity"),
        ({"product": "MUG", "quantity": None}, "quantity"),
        ({"product": "MUG", "quantity": True}, "quantity"),
        ({"product": "MUG"}, "quantity"),
    ],
)
def test_bad_add_input_is_400_and_changes_nothing(
    logged_in, user, mug, pen, retired, body, field
):
    item = fill_cart(user, (pen, 1)).items.get()
    ids = {"MUG": mug.pk, "RETIRED": retired.pk, "UNKNOWN": retired.pk + 1000}
    body = {
        key: ids.get(value, value) if isinstance(value, str) else value
        for key, value in body.items()
    }

    response = api_post(logged_in, "api:cart-items", body, csrf_headers(logged_in))

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert list(CartItem.objects.values_list("pk", "quantity")) == [(item.pk, 1)]


@pytest.mark.parametrize(
    "raw", ["not json", "[1, 2]", '"a string"', "null", "", '{"product": 1,'], ids=repr
)
def test_non_object_body_is_400_and_changes_nothing(logged_in, mug, raw):
    response = api_post(logged_in, "api:cart-items", raw, csrf_headers(logged_in))

    assert response.status_code == 400
    assert not CartItem.objects.exists()


def test_quantity_one_point_zero_is_taken_as_one(logged_in, mug):
    response = api_post(
        logged_in,
        "api:cart-items",
        {"product": mug.pk, "quantity": 1.0},
        csrf_headers(logged_in),
    )

    assert response.status_code == 201
    assert CartItem.objects.get().quantity == 1


def test_patch_sets_the_quantity(logged_in, user, mug):
    item = fill_cart(user, (mug, 2)).items.get()

    response = logged_in.patch(
        item_url(item),
        json.dumps({"quantity": 7}),
        content_type="application/json",
        **csrf_headers(logged_in),
    )

    assert response.status_code == 200
    assert response.json()["quantity"] == 7
    assert response.json()["line_total"] == "98.00"
    item.refresh_from_db()
    assert item.quantity == 7


@pytest.mark.parametrize(
    "body", [{"quantity": 0}, {"quantity": 100}, {"quantity": "x"}, {}, [7]]
)
def test_bad_patch_is_400_and_changes_nothing(logged_in, user, mug, body):
    item = fill_cart(user, (mug, 2)).items.get()

    response = logged_in.patch(
        item_url(item),
        json.dumps(body),
        content_type="application/json",
        **csrf_headers(logged_in),
    )

    assert response.status_code == 400
    item.refresh_from_db()
    assert item.quantity == 2


@pytest.mark.parametrize(
    ("stock", "message"),
    [
        (3, "Only 3 of Brass pen are left in stock."),
        (1, "Only 1 of Brass pen is left in stock."),
    ],
)
def test_patch_beyond_the_stock_is_400_saying_how_many_are_left(
    app_client, user_bearer, user, pen, stock, message
):
    item = fill_cart(user, (pen, 1)).items.get()
    Product.objects.filter(pk=pen.pk).update(stock=stock)

    response = app_client.patch(
        item_url(item),
        json.dumps({"quantity": stock + 1}),
        content_type="application/json",
        **user_bearer,
    )

    assert response.status_code == 400
    assert response.json() == {"quantity": [message]}
    item.refresh_from_db()
    assert item.quantity == 1


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_changing_a_line_without_a_cart_is_404_and_makes_no_cart(
    app_client, user_bearer, method
):
    response = getattr(app_client, method)(
        reverse("api:cart-item", kwargs={"pk": 1}),
        json.dumps({"quantity": 1}),
        content_type="application/json",
        **user_bearer,
    )

    assert response.status_code == 404
    assert not Cart.objects.exists()


def test_delete_removes_the_line(app_client, user_bearer, user, mug, pen):
    cart = fill_cart(user, (mug, 2), (pen, 1))

    response = app_client.delete(item_url(cart.items.get(product=mug)), **user_bearer)

    assert response.status_code == 204
    assert list(cart.items.values_list("product", flat=True)) == [pen.pk]


def test_someone_elses_cart_line_is_404_to_patch_and_delete(
    app_client, user_bearer, other_user, mug
):
    item = fill_cart(other_user, (mug, 3)).items.get()

    patched = app_client.patch(
        item_url(item),
        json.dumps({"quantity": 1}),
        content_type="application/json",
        **user_bearer,
    )
    bad_patch = app_client.patch(
        item_url(item),
        json.dumps({"quantity": 0}),
        content_type="application/json",
        **user_bearer,
    )
    deleted = app_client.delete(item_url(item), **user_bearer)

    assert (patched.status_code, bad_patch.status_code, deleted.status_code) == (
        404,
        404,
        404,
    )
    item.refresh_from_db()
    assert item.quantity == 3


def test_cart_shows_only_the_users_own_items(logged_in, other_user, mug):
    fill_cart(other_user, (mug, 3))

    response = logged_in.get(reverse("api:cart"))

    assert response.json()["items"] == []


@pytest.mark.parametrize("lines", [0, 1, 5])
def test_cart_query_count_does_not_grow_with_lines(
    app_client, user_bearer, user, django_assert_num_queries, lines
):
    fill_cart(
        user,
        *((make_product(f"Thing {n}", stock=5), 1) for n in range(lines)),
    )

    app_client.get(reverse("api:cart"), **user_bearer)

    # The session check, then the cart's items with their products, in one
    # query; the user row is never read.
    with django_assert_num_queries(session_check_queries() + 1):
        response = app_client.get(reverse("api:cart"), **user_bearer)

    assert len(response.json()["items"]) == lines


# --- checkout and orders ----------------------------------------------------


def test_checkout_returns_the_order_with_201(logged_in, user, mug, pen):
    fill_cart(user, (mug, 2), (pen, 1))

    response = api_post(logged_in, "api:checkout", headers=csrf_headers(logged_in))

    assert response.status_code == 201
    order = Order.objects.get()
    body = response.json()
    assert body["id"] == order.pk
    assert body["total"] == "86.50"
    assert body["lines"] == [
        {
            "product": mug.pk,
            "product_name": "Enamel mug",
            "unit_price": "14.00",
            "quantity": 2,
            "line_total": "28.00",
        },
        {
            "product": pen.pk,
            "product_name": "Brass pen",
            "unit_price": "58.50",
            "quantity": 1,
            "line_total": "58.50",
        },
    ]
    assert not CartItem.objects.exists()
    assert Product.objects.get(pk=pen.pk).stock == 2


def test_checkout_with_bearer_needs_no_csrf_token(app_client, user_bearer, user, mug):
    fill_cart(user, (mug, 1))

    response = api_post(app_client, "api:checkout", headers=user_bearer)

    assert response.status_code == 201
    assert Order.objects.get().user == user


@pytest.mark.parametrize(
    ("setup", "code", "detail"),
    [
        ("empty", "empty_cart", "Your cart is empty."),
        (
            "retired",
            "product_unavailable",
            "Brass pen is no longer for sale. Remove it from your cart to check out.",
        ),
        (
            "short",
            "insufficient_stock",
            "Only 2 of Brass pen are left in stock, and your cart asks for 3.",
        ),
    ],
)
def test_refused_checkout_is_400_with_code_and_changes_nothing(
    app_client, user_bearer, user, mug, pen, setup, code, detail
):
    if setup != "empty":
        fill_cart(user, (mug, 1), (pen, 3 if setup == "short" else 1))
    if setup == "retired":
        Product.objects.filter(pk=pen.pk).update(is_active=False)
    if setup == "short":
        Product.objects.filter(pk=pen.pk).update(stock=2)  # one sold meanwhile
    lines_before = CartItem.objects.count()
    stock_before = dict(Product.objects.values_list("pk", "stock"))

    response = api_post(app_client, "api:checkout", headers=user_bearer)

    assert response.status_code == 400
    assert response.json() == {"detail": detail, "code": code}
    assert not Order.objects.exists()
    assert CartItem.objects.count() == lines_before
    assert dict(Product.objects.values_list("pk", "stock")) == stock_before


def test_orders_are_the_users_own(app_client, user_bearer, user, other_user, mug):
    fill_cart(user, (mug, 1))
    mine = check_out(user=user, login_is_recent=True)
    fill_cart(other_user, (mug, 2))
    theirs = check_out(user=other_user, login_is_recent=True)

    listing = app_client.get(reverse("api:orders"), **user_bearer)
    own = app_client.get(reverse("api:order", kwargs={"pk": mine.pk}), **user_bearer)
    other = app_client.get(
        reverse("api:order", kwargs={"pk": theirs.pk}), **user_bearer
    )

    assert [order["id"] for order in listing.json()["results"]] == [mine.pk]
    assert own.status_code == 200
    assert own.json()["lines"][0]["quantity"] == 1
    assert other.status_code == 404
