"""DRF's browsable API on the JWT cookie."""

import re

import pytest
from django.conf import settings
from django.urls import URLResolver, get_resolver, reverse

from tests.helpers.clients import auth_cookie, csrf_headers


def test_browsable_api_shows_the_cookie_user(logged_in):
    response = logged_in.get(reverse("api:me"), HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert b"alice@example.com" in response.content


def test_browsable_api_log_in_link_leads_to_the_site_login(browser, db):
    response = browser.get(reverse("api:csrf"), HTTP_ACCEPT="text/html")

    assert b"href='/api-auth/login/?next=/api/csrf/'" in response.content
    login = browser.get("/api-auth/login/?next=/api/csrf/")
    assert login.status_code == 200
    assert b'name="email"' in login.content


def test_browsable_api_log_out_form_logs_out(logged_in):
    page = logged_in.get(reverse("api:me"), HTTP_ACCEPT="text/html")
    assert b'action="/api-auth/logout/?next=/api/me/"' in page.content

    response = logged_in.post(
        "/api-auth/logout/?next=/api/me/",
        {"csrfmiddlewaretoken": logged_in.cookies[settings.CSRF_COOKIE_NAME].value},
    )

    assert response.status_code == 302
    assert response["Location"] == "/api/me/"
    assert auth_cookie(logged_in, "access") is None


def test_browsable_api_html_form_post_works_on_the_cookie(logged_in):
    # The HTML form of the browsable API posts form-encoded with the token.
    old_refresh = auth_cookie(logged_in, "refresh")

    response = logged_in.post(
        reverse("api:token-refresh"),
        {"csrfmiddlewaretoken": logged_in.cookies[settings.CSRF_COOKIE_NAME].value},
        HTTP_ACCEPT="text/html",
    )

    assert response.status_code == 200
    assert auth_cookie(logged_in, "refresh") != old_refresh


def api_views():
    """Return (URL name, view class) of every view under /api/."""
    (api,) = [
        pattern
        for pattern in get_resolver().url_patterns
        if isinstance(pattern, URLResolver) and pattern.namespace == "api"
    ]
    return [(pattern.name, pattern.callback.cls) for pattern in api.url_patterns]


@pytest.mark.parametrize(("url_name", "view"), api_views(), ids=lambda v: str(v))
def test_every_api_view_is_titled_for_people(url_name, view):
    # DRF would make "Cart Item List Api" of the class name.
    name = view.__dict__.get("name")
    assert name, f"api:{url_name} ({view.__name__}) sets no name"
    assert "Api" not in str(name) and "API" not in str(name)


def test_browsable_pages_show_their_human_titles(logged_in):
    page = logged_in.get(reverse("api:cart-items"), HTTP_ACCEPT="text/html")
    html = page.content.decode()

    assert "<title>Cart items · authsite API</title>" in html
    assert re.search(r"<h1>\s*Cart items\s*</h1>", html)
    assert re.search(r'<a href="/api/cart/">\s*Your cart\s*</a>', html)  # crumbs
    me = logged_in.get(reverse("api:me"), HTTP_ACCEPT="text/html").content.decode()
    assert "<title>Your account · authsite API</title>" in me


def test_the_cart_page_links_to_where_items_are_added(logged_in):
    page = logged_in.get(reverse("api:cart"), HTTP_ACCEPT="text/html")

    assert b'<a href="/api/cart/items/">/api/cart/items/</a>' in page.content
    assert b'<a href="/api/cart/checkout/">/api/cart/checkout/</a>' in page.content
    # The JSON answer is unchanged.
    assert set(logged_in.get(reverse("api:cart")).json()) == {"items", "total", "count"}


def test_a_body_that_does_not_parse_keeps_the_user_and_the_form(logged_in):
    page = logged_in.post(
        reverse("api:cart-items"),
        '{"product": ',
        content_type="application/json",
        HTTP_ACCEPT="text/html",
        **csrf_headers(logged_in),
    )

    assert page.status_code == 400
    assert b"parse_error" in page.content
    assert b'<li class="navbar-text api-user">alice@example.com</li>' in page.content
    assert b'id="post-generic-content-form"' in page.content


def test_a_body_that_does_not_parse_is_still_checked_for_csrf_first(logged_in):
    response = logged_in.post(
        reverse("api:cart-items"), '{"product": ', content_type="application/json"
    )

    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"
