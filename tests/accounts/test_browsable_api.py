"""DRF's browsable API on the JWT cookie."""

from django.conf import settings
from django.urls import reverse

from tests.conftest import auth_cookie


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
