"""Every error under /api/ is DRF's JSON shape, and wrong types are 400s.

Errors that no DRF view answers (an unknown URL, a missing trailing slash, a
body over DATA_UPLOAD_MAX_MEMORY_SIZE, a view that fails) are the ones tested
here, with DEBUG on and off.
"""

import json

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import SecurityEvent, User
from jwt_sessions.models import Session
from shop.models import CartItem, Product
from tests.helpers.clients import PASSWORD


@pytest.fixture(params=[False, True], ids=["debug-off", "debug-on"])
def debug(request, settings):
    settings.DEBUG = request.param
    return request.param


def assert_api_error(response, status, code):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == code
    assert body["detail"].endswith(".")
    return body


@pytest.mark.django_db
@pytest.mark.usefixtures("debug")
def test_an_unknown_api_url_is_a_json_404_pointing_to_the_docs(client):
    body = assert_api_error(client.get("/api/no-such-thing/"), 404, "not_found")
    assert "/api/docs/" in body["detail"]
    assert_api_error(client.get("/api/sessions/not-a-uuid/"), 404, "not_found")


@pytest.mark.django_db
@pytest.mark.usefixtures("debug")
def test_a_missing_trailing_slash_is_named_not_redirected(client):
    # A redirect would drop the POST's body; with DEBUG on Django raises.
    response = client.post(
        "/api/app/token",
        {"email": "alice@example.com", "password": PASSWORD},
        content_type="application/json",
    )

    body = assert_api_error(response, 404, "not_found")
    assert "/api/app/token/" in body["detail"]


@pytest.mark.django_db
def test_pages_keep_their_trailing_slash_redirect_and_html_404(client):
    assert client.get("/accounts/login").status_code == 301
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.django_db
@pytest.mark.usefixtures("debug")
@pytest.mark.parametrize(
    ("method", "name"),
    [
        ("put", "api:products"),
        ("get", "api:app-token"),
        ("delete", "api:token-refresh"),
        ("patch", "api:csrf"),
    ],
)
def test_a_wrong_method_is_a_json_405_with_allow(client, method, name):
    response = getattr(client, method)(reverse(name))

    assert_api_error(response, 405, "method_not_allowed")
    assert "Allow" in response


@pytest.mark.django_db
@pytest.mark.usefixtures("debug")
def test_a_body_over_the_upload_limit_is_a_json_413_and_changes_nothing(
    client, user, settings
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = json.dumps(
        {"email": user.email, "password": PASSWORD, "padding": "x" * 20_000}
    )

    response = client.post(
        reverse("api:app-token"), body, content_type="application/json"
    )

    detail = assert_api_error(response, 413, "request_too_large")["detail"]
    assert "10000 bytes" in detail
    assert not Session.objects.exists()


@pytest.mark.django_db
def test_a_body_within_the_limit_still_logs_in(client, user, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    response = client.post(
        reverse("api:app-token"),
        {"email": user.email, "password": PASSWORD, "padding": "x" * 5_000},
        content_type="application/json",
    )
    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.urls("tests.authsite.failing_urls")
def test_a_failing_view_under_api_is_a_json_500_with_debug_off(settings):
    settings.DEBUG = False
    client = Client(raise_request_exception=False)

    body = assert_api_error(client.get("/api/broken/"), 500, "server_error")
    assert "a bug in a view" not in body["detail"]


@pytest.mark.django_db
def test_the_browsable_api_keeps_its_html_error_pages(client):
    response = client.get(reverse("api:me"), HTTP_ACCEPT="text/html")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("text/html")


# --- wrong types are 400s that name the field ---------------------------------


@pytest.fixture
def product(db):
    return Product.objects.create(name="Mug", slug="mug", price="9.50", stock=10)


@pytest.mark.parametrize(
    "wrong",
    [
        lambda pk: pk + 0.5,  # the ORM would have found `pk`
        lambda pk: True,
        lambda pk: f"{pk}.0",
        lambda pk: [pk],
        lambda pk: {"id": pk},
    ],
    ids=["float", "bool", "decimal-text", "list", "object"],
)
def test_a_product_id_of_the_wrong_type_is_refused_naming_the_field(
    client, user_bearer, product, wrong
):
    response = client.post(
        reverse("api:cart-items"),
        {"product": wrong(product.pk), "quantity": 1},
        content_type="application/json",
        **user_bearer,
    )

    assert response.status_code == 400, response.content
    assert set(response.json()) == {"product"}
    assert not CartItem.objects.exists()


@pytest.mark.parametrize("quantity", [2.5, True, "2.0", [2], None])
def test_a_quantity_of_the_wrong_type_is_refused_naming_the_field(
    client, user_bearer, product, quantity
):
    response = client.post(
        reverse("api:cart-items"),
        {"product": product.pk, "quantity": quantity},
        content_type="application/json",
        **user_bearer,
    )

    assert response.status_code == 400, response.content
    assert set(response.json()) == {"quantity"}
    assert not CartItem.objects.exists()


def test_whole_numbers_as_json_numbers_or_form_text_are_accepted(
    client, user_bearer, product
):
    for body in (
        {"product": product.pk, "quantity": 2},
        {"product": str(product.pk), "quantity": "1"},
    ):
        response = client.post(
            reverse("api:cart-items"),
            body,
            content_type="application/json",
            **user_bearer,
        )
        assert response.status_code in (200, 201), response.content
    assert CartItem.objects.get().quantity == 3


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "body", "field"),
    [
        ("api:app-token-refresh", {"refresh": 42}, "refresh"),
        ("api:app-token-blacklist", {"refresh": ["a.b.c"]}, "refresh"),
        ("api:token-verify", {"token": 42}, "token"),
        ("api:token-verify", {"token": {"a": 1}}, "token"),
        (
            "api:app-token",
            {"email": "alice@example.com", "password": 12345678},
            "password",
        ),
        ("api:app-token", {"email": 42, "password": PASSWORD}, "email"),
        (
            "api:register",
            {"email": "new@example.com", "password": 1234567890123},
            "password",
        ),
    ],
)
def test_a_string_field_given_another_type_is_a_400_not_a_bad_token(
    client, user, name, body, field
):
    events = SecurityEvent.objects.count()

    response = client.post(reverse(name), body, content_type="application/json")

    assert response.status_code == 400, response.content
    assert field in response.json()
    assert User.objects.count() == 1
    assert SecurityEvent.objects.count() == events  # not a failed login
