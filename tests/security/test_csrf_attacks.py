"""Cross-site request forgery against every unsafe endpoint a cookie opens.

References: OWASP CSRF Prevention Cheat Sheet (synchronizer token, Origin
check, login CSRF), ASVS 5.0 V3.5 (browser origin separation).
"""

import pytest

from accounts import email_tokens
from jwt_sessions.models import Session
from shop.models import CartItem, Product
from tests.security.conftest import CSRF, RawClient, server_state

pytestmark = pytest.mark.django_db(transaction=True)

EVIL = "https://evil.example"


@pytest.fixture
def product(transactional_db):
    return Product.objects.create(name="Mug", slug="mug", price="9.50", stock=5)


@pytest.fixture
def victim_with_cart(victim_browser, product):
    response = victim_browser.post(
        "/api/cart/items/",
        json={"product": product.pk, "quantity": 1},
        headers=victim_browser.same_origin_headers(),
    )
    assert response.status in (200, 201)
    return victim_browser


def unsafe_endpoints(product, cart_item, session_id):
    """(method, path, body) of every unsafe request the cookies authenticate."""
    # A real link that would change the victim's address to the attacker's.
    link = email_tokens.make_token(
        user=Session.objects.get(pk=session_id).user,
        purpose=email_tokens.CHANGE,
        email="mallory.inbox@example.com",
    )
    return [
        ("POST", "/api/email/verify/resend/", {}),
        ("POST", "/api/email/change/", {"email": "m@example.com", "password": "x"}),
        ("POST", "/api/email/verify/", {"token": link}),
        ("POST", "/accounts/email/verify/resend/", {}),
        (
            "POST",
            "/accounts/email/change/",
            {"email": "m@example.com", "password": "x"},
        ),
        ("POST", f"/accounts/email/verify/{link}/", {}),
        ("POST", "/api/token/", {"email": "mallory@example.com", "password": "x"}),
        ("POST", "/api/token/refresh/", {}),
        ("POST", "/api/token/blacklist/", {}),
        (
            "POST",
            "/api/auth/password/change/",
            {"old_password": "x", "new_password": "attacker passphrase 1"},
        ),
        ("POST", "/api/sessions/revoke-others/", {}),
        ("POST", "/api/sessions/revoke-all/", {}),
        ("DELETE", f"/api/sessions/{session_id}/", None),
        ("POST", "/api/cart/items/", {"product": product.pk, "quantity": 3}),
        ("PATCH", f"/api/cart/items/{cart_item}/", {"quantity": 7}),
        ("DELETE", f"/api/cart/items/{cart_item}/", None),
        ("POST", "/api/cart/checkout/", {}),
        ("POST", "/accounts/logout/", {}),
        (
            "POST",
            "/accounts/password/change/",
            {"old_password": "x", "new_password1": "a", "new_password2": "a"},
        ),
        ("POST", "/accounts/sessions/end-all/", {}),
        ("POST", "/accounts/sessions/end-others/", {}),
        ("POST", f"/accounts/sessions/{session_id}/end/", {}),
        ("POST", f"/shop/products/{product.slug}/add/", {"quantity": 2}),
        ("POST", f"/shop/cart/items/{cart_item}/", {"quantity": 9}),
        ("POST", f"/shop/cart/items/{cart_item}/remove/", {}),
        ("POST", "/shop/cart/checkout/", {}),
        ("POST", "/admin/logout/", {}),
    ]


def forged_requests(method, path, body):
    """The shapes a cross-site page can send without the CSRF token."""
    import json

    yield (
        "form, foreign Origin",
        dict(
            body="&".join(f"{k}={v}" for k, v in (body or {}).items()),
            headers={
                "Origin": EVIL,
                "Content-Type": "application/x-www-form-urlencoded",
            },
        ),
    )
    yield (
        "text/plain JSON, foreign Origin",
        dict(
            body=json.dumps(body or {}),
            headers={"Origin": EVIL, "Content-Type": "text/plain"},
        ),
    )
    yield (
        "JSON, no Origin or Referer",
        dict(body=json.dumps(body or {}), headers={"Content-Type": "application/json"}),
    )
    yield (
        "JSON, null Origin",
        dict(
            body=json.dumps(body or {}),
            headers={"Origin": "null", "Content-Type": "application/json"},
        ),
    )


def test_no_unsafe_endpoint_acts_on_a_forged_cross_site_request(
    victim_with_cart, product
):
    """OWASP CSRF: without the token, a request riding the cookies changes nothing."""
    cart_item = CartItem.objects.get().pk
    session_id = Session.objects.get().pk
    before = server_state()

    refused = []
    for method, path, body in unsafe_endpoints(product, cart_item, session_id):
        for label, request in forged_requests(method, path, body):
            response = victim_with_cart.request(method, path, **request)
            refused.append((method, path, label, response.status))

    assert [r for r in refused if r[3] != 403] == []
    assert server_state() == before
    assert victim_with_cart.get("/api/me/").status == 200


def test_a_valid_token_from_a_foreign_origin_is_still_refused(victim_with_cart):
    """OWASP CSRF (Origin verification): the token alone is not enough cross-site."""
    before = server_state()

    response = victim_with_cart.post(
        "/api/sessions/revoke-all/",
        headers={"X-CSRFToken": victim_with_cart.cookies[CSRF], "Origin": EVIL},
    )

    assert response.status == 403
    assert server_state() == before


def test_the_attackers_own_csrf_token_does_not_work_for_the_victim(
    victim_with_cart, attacker
):
    """OWASP CSRF: tokens are bound to the browser's own CSRF cookie."""
    before = server_state()
    attackers_token = attacker.csrf_token()

    response = victim_with_cart.post(
        "/api/sessions/revoke-all/",
        headers={"X-CSRFToken": attackers_token, "Origin": victim_with_cart.base_url},
    )

    assert response.status == 403
    assert server_state() == before


def test_login_csrf_cannot_log_the_victim_into_the_attackers_account(
    site, attacker_account
):
    """OWASP CSRF (login CSRF): a forged login must not plant the attacker's session."""
    from tests.helpers.clients import PASSWORD

    victim = RawClient(site)
    victim.get("/")
    before = server_state()

    for path, body in (
        ("/accounts/login/", f"email={attacker_account.email}&password={PASSWORD}"),
        (
            "/api/token/",
            f'{{"email": "{attacker_account.email}", "password": "{PASSWORD}"}}',
        ),
    ):
        response = victim.post(
            path,
            body=body,
            headers={
                "Origin": EVIL,
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        assert response.status == 403
        assert not response.set_cookies.get("__Host-access")

    assert server_state() == before


def test_the_same_request_with_the_token_and_origin_works(victim_with_cart):
    """Control: the site's own pages (token + same Origin) are served."""
    response = victim_with_cart.post(
        "/api/sessions/revoke-others/", headers=victim_with_cart.same_origin_headers()
    )
    assert response.status == 200


def test_bearer_requests_need_no_csrf_token(site, victim, product):
    """OWASP CSRF: a header a cross-site page cannot set needs no CSRF token."""
    from tests.helpers.clients import PASSWORD

    app = RawClient(site)
    tokens = app.post(
        "/api/app/token/", json={"email": victim.email, "password": PASSWORD}
    ).json()

    response = app.post(
        "/api/cart/items/",
        json={"product": product.pk, "quantity": 1},
        headers={"Authorization": f"Bearer {tokens['access']}", "Origin": EVIL},
        send_cookies=False,
    )

    assert response.status == 201
