"""Fixtures shared by the whole suite.

Every logged-in client here logs in the way a browser or an app does, through
the real endpoints, and then carries the real cookies the server set. Nothing
uses force_login.
"""

import pytest
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.test import Client
from django.urls import reverse

from accounts.models import User

PASSWORD = "correct horse battery staple 42"


@pytest.fixture(autouse=True)
def _empty_shared_cache():
    """Start every test with an empty Redis cache, as the database starts empty."""
    # The database cache lives in the test database and goes with it; Redis
    # keeps revocations and throttle counters across tests unless emptied.
    # (So REDIS_URL must name a database that tests may flush.)
    cache = caches["default"]
    if not isinstance(cache, DatabaseCache):
        cache.clear()


def csrf_headers(client: Client) -> dict:
    """Return the header a single-page client echoes its CSRF cookie in."""
    if settings.CSRF_COOKIE_NAME not in client.cookies:
        client.get(reverse("api:csrf"))
    return {"HTTP_X_CSRFTOKEN": client.cookies[settings.CSRF_COOKIE_NAME].value}


def log_in(client: Client, email: str, password: str = PASSWORD):
    """Log `client` in through POST /api/token/, as a single-page app does."""
    response = client.post(
        reverse("api:token"),
        {"email": email, "password": password},
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
    return response.json()["access"]


def auth_cookie(client: Client, which: str) -> str | None:
    name = {
        "access": settings.JWT_COOKIE_ACCESS_NAME,
        "refresh": settings.JWT_COOKIE_REFRESH_NAME,
    }[which]
    morsel = client.cookies.get(name)
    return morsel.value if morsel is not None and morsel.value else None


@pytest.fixture
def user(db):
    return User.objects.create_user("alice@example.com", PASSWORD)


@pytest.fixture
def other_user(db):
    return User.objects.create_user("bob@example.com", PASSWORD)


@pytest.fixture
def staff_user(db):
    return User.objects.create_user("staff@example.com", PASSWORD, is_staff=True)


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("root@example.com", PASSWORD)


@pytest.fixture
def browser(db):
    """A browser: keeps cookies, and CSRF is enforced as in production."""
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def logged_in(browser, user):
    """A browser logged in as `user` through the API login."""
    log_in(browser, user.email)
    return browser


@pytest.fixture
def app_client(db):
    """A non-browser client: no cookies matter, CSRF is enforced regardless."""
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def user_bearer(app_client, user):
    """Authorization header kwargs for `user`, obtained from /api/app/token/."""
    return {"HTTP_AUTHORIZATION": f"Bearer {bearer_token(app_client, user.email)}"}
