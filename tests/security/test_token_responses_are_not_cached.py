"""No cache may keep a response that carries a token, a secret or a credential.

Walks every operation of the OpenAPI schema, anonymously, with a Bearer token
and with the auth cookies, with a body that succeeds where one is needed,
and checks `Cache-Control: no-store` on every answer that carries a token or
a CSRF secret, answers a credentialed request, or belongs to a token flow.
"""

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from jwt_sessions.models import Session
from shop.models import Cart, Order, Product
from tests.helpers.clients import PASSWORD, csrf_headers, log_in

pytestmark = pytest.mark.django_db

JWT = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]+")
# Operations that hand out, rotate, check or take back tokens and secrets:
# every answer they give is no-store, their refusals included.
TOKEN_FLOWS = re.compile(r"^(app_token|token|auth|csrf)_")


def operations(client):
    schema = client.get(reverse("api-schema"), {"format": "json"}).json()
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield method, path, operation["operationId"]


@pytest.fixture
def world(user):
    """Real objects for every path parameter the schema has."""
    product = Product.objects.create(name="Mug", slug="mug", price="9.50", stock=50)
    cart = Cart.objects.create(user=user)
    item = cart.items.create(product=product, quantity=1)
    order = Order.objects.create(user=user, total="9.50")
    return {"product": product, "item": item, "order": order}


def fill_path(path, operation_id, world, session_id):
    ids = {
        "products": world["product"].pk,
        "cart_items": world["item"].pk,
        "orders": world["order"].pk,
        "sessions": session_id,
        # No passkey: its 404 must not be stored either.
        "passkeys": 999_999,
    }
    # No provider is configured: its 404 must not be stored either.
    path = path.replace("{provider_id}", "acme")
    if "{id}" not in path:
        return path
    prefix = next(name for name in ids if operation_id.startswith(name))
    return path.replace("{id}", str(ids[prefix]))


def body_for(operation_id, user, refresh_token, world):
    bodies = {
        "app_token_create": {"email": user.email, "password": PASSWORD},
        "token_create": {"email": user.email, "password": PASSWORD},
        "app_token_refresh_create": {"refresh": refresh_token},
        "app_token_blacklist_create": {"refresh": refresh_token},
        "token_verify_create": {"token": refresh_token},
        "auth_register_create": {
            "email": f"new-{refresh_token[-8:]}@example.com".lower(),
            "password": "a brand new passphrase 31",
        },
        "auth_password_change_create": {
            "old_password": PASSWORD,
            "new_password": PASSWORD,  # refused as unchanged? still a reply
        },
        "cart_items_create": {"product": world["product"].pk, "quantity": 1},
        "cart_items_partial_update": {"quantity": 2},
    }
    return bodies.get(operation_id, {})


def carries_a_secret(response) -> bool:
    text = response.content.decode(errors="replace")
    set_cookies = " ".join(
        morsel.OutputString() for morsel in response.cookies.values()
    )
    return bool(JWT.search(text) or JWT.search(set_cookies) or "csrfToken" in text)


def is_no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


# Operations after which the client's credentials (or the refresh token in
# the body) are used up, so the next operation starts from a fresh login.
USES_UP_CREDENTIALS = {
    "app_token_refresh_create",
    "app_token_blacklist_create",
    "auth_password_change_create",
    "sessions_destroy",
    "sessions_revoke_all_create",
    "sessions_revoke_others_create",
    "token_blacklist_create",
    "token_create",
}


def fresh_client(mode, user):
    """Return a client of `mode`, its extra headers, and a live refresh token."""
    client = Client(enforce_csrf_checks=True)
    pair = (
        Client()
        .post(
            reverse("api:app-token"),
            {"email": user.email, "password": PASSWORD},
            content_type="application/json",
        )
        .json()
    )
    if mode == "bearer":
        headers = {"HTTP_AUTHORIZATION": f"Bearer {pair['access']}"}
    elif mode == "cookie":
        log_in(client, user.email)
        headers = csrf_headers(client)
    else:
        headers = csrf_headers(client)  # login CSRF: a browser has the cookie
    return client, headers, pair["refresh"]


@pytest.mark.parametrize("mode", ["anonymous", "bearer", "cookie"])
def test_every_operation_answers_secrets_and_credentialed_calls_with_no_store(
    user, world, mode
):
    checked, secrets_seen = [], 0
    client, headers, refresh_token = fresh_client(mode, user)
    for method, path, operation_id in sorted(operations(Client())):
        session_id = Session.objects.active().values_list("pk", flat=True).first()
        url = fill_path(path, operation_id, world, session_id)
        body = body_for(operation_id, user, refresh_token, world)
        response = getattr(client, method)(
            url, body, content_type="application/json", **headers
        )
        assert response.status_code < 500, (operation_id, response.content)

        must_not_be_stored = (
            carries_a_secret(response)
            or mode != "anonymous"
            or TOKEN_FLOWS.match(operation_id)
        )
        if must_not_be_stored:
            assert is_no_store(response), (mode, method, url, response.status_code)
            assert "private" in response["Cache-Control"]
        secrets_seen += carries_a_secret(response)
        checked.append(operation_id)
        if operation_id in USES_UP_CREDENTIALS:
            client, headers, refresh_token = fresh_client(mode, user)

    assert len(checked) >= 24
    # Tokens and CSRF secrets did come back, so the check above had teeth.
    assert secrets_seen >= 3


def test_an_app_login_with_tokens_in_the_body_is_no_store(user):
    response = Client().post(
        reverse("api:app-token"),
        {"email": user.email, "password": PASSWORD},
        content_type="application/json",
    )

    assert JWT.search(response.content.decode())
    assert is_no_store(response)
    assert response["Expires"]  # HTTP/1.0 caches too
    assert settings.JWT_COOKIE_ACCESS_NAME not in response.cookies
