"""Clients that log in the way a browser or an app does, and read their cookies."""

from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts.models import User

from .second_factor import next_code

PASSWORD = "correct horse battery staple 42"
CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/156.0.0.0 Safari/537.36"
)
FIREFOX = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0"
)


def csrf_headers(client: Client) -> dict:
    """Return the header a single-page client echoes its CSRF cookie in."""
    if settings.CSRF_COOKIE_NAME not in client.cookies:
        client.get(reverse("api:csrf"))
    return {"HTTP_X_CSRFTOKEN": client.cookies[settings.CSRF_COOKIE_NAME].value}


def log_in(client: Client, email: str, password: str = PASSWORD):
    """Log `client` in through POST /api/token/, as a single-page app does.

    A user with an authenticator app (staff, in the fixtures) then sends
    its code to POST /api/token/mfa/, as that app would.
    """
    response = client.post(
        reverse("api:token"),
        {"email": email, "password": password},
        content_type="application/json",
        **csrf_headers(client),
    )
    assert response.status_code == 200, response.content
    if response.json().get("mfa_required"):
        response = client.post(
            reverse("api:token-mfa"),
            {"code": next_code(User.objects.get(email=email))},
            content_type="application/json",
            **csrf_headers(client),
        )
        assert response.status_code == 200, response.content
    return response


def bearer_token(client: Client, email: str, password: str = PASSWORD) -> str:
    """Return an access token obtained the way a mobile app obtains one."""
    response = client.post(
        reverse("api:app-token"),
        {"email": email, "password": password},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    if response.json().get("mfa_required"):
        response = client.post(
            reverse("api:app-token-mfa"),
            {
                "code": next_code(User.objects.get(email=email)),
                "flow_token": response.json()["flow_token"],
            },
            content_type="application/json",
        )
        assert response.status_code == 200, response.content
    return response.json()["access"]


def auth_cookie(client: Client, which: str) -> str | None:
    name = {
        "access": settings.JWT_COOKIE_ACCESS_NAME,
        "refresh": settings.JWT_COOKIE_REFRESH_NAME,
    }[which]
    morsel = client.cookies.get(name)
    return morsel.value if morsel is not None and morsel.value else None


def admin_post(client, url, data):
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    return client.post(url, {**data, "csrfmiddlewaretoken": token})


def refresh(client):
    return client.post(reverse("api:token-refresh"), **csrf_headers(client))


def second_browser(user):
    client = Client(enforce_csrf_checks=True, HTTP_USER_AGENT=FIREFOX)
    log_in(client, user.email)
    return client


def post_json(client, url_name, data=None, **extra):
    return client.post(
        reverse(url_name), data or {}, content_type="application/json", **extra
    )
