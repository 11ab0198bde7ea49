"""The messages cookie is a host cookie; static files get the protective headers."""

from django.conf import settings
from django.urls import reverse

from tests.helpers.clients import PASSWORD


def test_the_messages_cookie_is_host_prefixed_secure_and_httponly(browser, user):
    browser.get(reverse("accounts:login"))
    response = browser.post(
        reverse("accounts:login"),
        {
            "email": user.email,
            "password": PASSWORD,
            "csrfmiddlewaretoken": browser.cookies[settings.CSRF_COOKIE_NAME].value,
        },
    )

    cookie = response.cookies["__Host-messages"]
    assert cookie.value
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["path"] == "/"
    assert "messages" not in response.cookies


def test_static_files_get_the_protective_headers():
    headers = {}

    settings.WHITENOISE_ADD_HEADERS_FUNCTION(headers, "/x/site.css", "/static/site.css")

    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
