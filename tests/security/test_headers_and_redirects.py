"""Clickjacking, security headers, caching, open redirects, host poisoning, CORS.

References: OWASP Clickjacking Defense, OWASP HTTP Headers and Session
Management Cheat Sheets, OWASP Unvalidated Redirects, RFC 6454 / Fetch (CORS).
"""

import base64

import pytest
from django.core import mail

from tests.helpers.clients import PASSWORD
from tests.security.conftest import RawClient, server_state

pytestmark = pytest.mark.django_db(transaction=True)

PAGES = [
    "/",
    "/accounts/login/",
    "/accounts/signup/",
    "/dashboard/",
    "/accounts/sessions/",
    "/shop/cart/",
    "/admin/",
    "/api/me/",
    "/api/products/",
    "/no-such-page/",
]


@pytest.mark.parametrize("path", PAGES)
def test_every_response_carries_the_security_headers(victim_browser, path):
    """OWASP HTTP Headers: framing, sniffing, referrer and opener are locked down."""
    for accept in ("text/html", "application/json"):
        response = victim_browser.get(path, headers={"Accept": accept})
        csp = response.header("Content-Security-Policy") or ""
        assert response.header("X-Frame-Options") == "DENY"
        assert "frame-ancestors 'none'" in csp
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "style-src 'self'" in csp
        assert response.header("X-Content-Type-Options") == "nosniff"
        assert response.header("Referrer-Policy") == "same-origin"
        assert response.header("Cross-Origin-Opener-Policy") == "same-origin"


@pytest.mark.parametrize("path", ["/dashboard/", "/api/me/", "/accounts/sessions/"])
def test_authenticated_responses_are_never_stored(victim_browser, path):
    """OWASP Session Management: pages for one user must not sit in any cache."""
    response = victim_browser.get(path)
    assert response.status == 200
    assert "no-store" in response.header("Cache-Control")


def test_responses_that_set_or_delete_auth_cookies_are_never_stored(victim, site):
    client = RawClient(site)
    login = client.log_in(victim.email)
    logout = client.post("/api/token/blacklist/", headers=client.same_origin_headers())
    assert "no-store" in login.header("Cache-Control")
    assert "no-store" in logout.header("Cache-Control")


def test_back_after_logout_cannot_show_protected_pages(victim_browser):
    """OWASP Session Management: after logout nothing protected is served."""
    victim_browser.post(
        "/accounts/logout/", headers=victim_browser.same_origin_headers()
    )
    response = victim_browser.get("/dashboard/")
    assert response.status == 302
    assert response.header("Location").startswith("/accounts/login/")


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "\\\\evil.example",
        "https:evil.example",
        "javascript:alert(document.cookie)",
        "data:text/html,<script>alert(1)</script>",
        "https://evil.example%2F@localhost/",
        "/\t/evil.example",
        " //evil.example",
    ],
)
def test_next_never_redirects_off_site(site, victim, target):
    """OWASP Unvalidated Redirects: `next` after login stays on this site."""
    client = RawClient(site)
    client.get("/accounts/login/")
    response = client.post(
        "/accounts/login/",
        form={
            "email": victim.email,
            "password": PASSWORD,
            "next": target,
            "csrfmiddlewaretoken": client.cookies["__Host-csrftoken"],
        },
        headers={"Origin": site},
    )
    assert response.status == 302
    assert response.header("Location") == "/dashboard/"


def test_logout_next_never_redirects_off_site(victim_browser):
    response = victim_browser.post(
        "/accounts/logout/?next=https://evil.example/",
        headers=victim_browser.same_origin_headers(),
    )
    assert response.header("Location") == "/"


def test_a_poisoned_host_header_is_refused_and_sends_no_reset_link(site, victim):
    """OWASP Forgot Password: reset links must not point at an attacker's host."""
    client = RawClient(site)
    before = len(mail.outbox)

    response = client.ask_for_password_reset(
        victim.email, {"Host": "evil.example", "Origin": "http://evil.example"}
    )

    assert response.status == 400
    assert len(mail.outbox) == before


def test_x_forwarded_host_does_not_steer_reset_links(site, victim):
    """OWASP Forgot Password: X-Forwarded-Host is not trusted for links."""
    client = RawClient(site)

    client.ask_for_password_reset(victim.email, {"X-Forwarded-Host": "evil.example"})

    assert "evil.example" not in mail.outbox[-1].body
    assert site.split("//")[1] in mail.outbox[-1].body


def test_http_basic_is_not_an_authentication_scheme_here(site, victim):
    """ASVS: only the schemes the site means to offer authenticate anyone."""
    credentials = base64.b64encode(f"{victim.email}:{PASSWORD}".encode()).decode()
    response = RawClient(site).get(
        "/api/me/", headers={"Authorization": f"Basic {credentials}"}
    )
    assert response.status == 401
    assert response.header("WWW-Authenticate").startswith("Bearer")


def test_a_sessionid_cookie_authenticates_nobody(site, victim):
    response = RawClient(site).get("/api/me/", cookies={"sessionid": "x" * 32})
    assert response.status == 401


def test_cors_is_closed_by_default(victim_browser):
    """Fetch/CORS: another origin cannot read answers made with the cookies."""
    response = victim_browser.get(
        "/api/me/", headers={"Origin": "https://evil.example"}
    )
    assert response.header("Access-Control-Allow-Origin") is None
    assert response.header("Access-Control-Allow-Credentials") is None


def test_cors_allows_credentials_only_for_the_configured_origin(
    victim_browser, settings
):
    """Fetch/CORS: credentials are allowed for the exact front-end origin only."""
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example"]
    settings.CORS_ALLOW_CREDENTIALS = True

    allowed = victim_browser.get("/api/me/", headers={"Origin": "https://app.example"})
    other = victim_browser.get("/api/me/", headers={"Origin": "https://evil.example"})
    lookalike = victim_browser.get(
        "/api/me/", headers={"Origin": "https://app.example.evil.example"}
    )

    assert allowed.header("Access-Control-Allow-Origin") == "https://app.example"
    assert allowed.header("Access-Control-Allow-Credentials") == "true"
    assert other.header("Access-Control-Allow-Origin") is None
    assert lookalike.header("Access-Control-Allow-Origin") is None


def test_tokens_never_appear_in_a_response_body(site, victim):
    """OWASP JWT (token sidejacking / XSS): browser flows keep tokens out of reach."""
    client = RawClient(site)
    bodies = [
        client.log_in(victim.email).body,
        client.post("/api/token/refresh/", headers=client.same_origin_headers()).body,
        client.get("/api/me/").body,
        client.get("/dashboard/").body,
    ]
    for token in (client.cookies["__Host-access"], client.cookies["__Host-refresh"]):
        assert all(token.encode() not in body for body in bodies)
    assert server_state()["active_sessions"]
