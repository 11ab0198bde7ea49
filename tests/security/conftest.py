"""An attacker's toolkit: raw HTTP against the running site.

Requests are written by hand with http.client, cookies and headers included,
so nothing a browser or Django's test client would add or refuse gets in the
way. `RawClient` keeps cookies the way a browser would (it also keeps Secure
ones over http, as browsers do for localhost).
"""

import http.client
import json as jsonlib
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

import pytest
from django.conf import settings

from accounts.models import User
from tests.helpers.clients import PASSWORD
from tests.helpers.users import create_user

ACCESS = settings.JWT_COOKIE_ACCESS_NAME
REFRESH = settings.JWT_COOKIE_REFRESH_NAME
CSRF = settings.CSRF_COOKIE_NAME

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class RawResponse:
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    set_cookies: SimpleCookie

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def json(self):
        return jsonlib.loads(self.body)


@dataclass
class RawClient:
    base_url: str
    cookies: dict = field(default_factory=dict)

    def request(
        self,
        method,
        path,
        *,
        headers=None,
        body: bytes | str | None = None,
        json=None,
        form=None,
        cookies=None,
        send_cookies=True,
    ) -> RawResponse:
        url = urlsplit(self.base_url)
        connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        all_headers = {"Host": url.netloc}
        if json is not None:
            body = jsonlib.dumps(json)
            all_headers["Content-Type"] = "application/json"
        elif form is not None:
            body = urlencode(form, doseq=True)
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        jar = {**(self.cookies if send_cookies else {}), **(cookies or {})}
        if jar:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in jar.items())
        all_headers.update(headers or {})
        if isinstance(body, str):
            body = body.encode()
        try:
            connection.request(method, path, body=body, headers=all_headers)
            raw = connection.getresponse()
            response = RawResponse(
                status=raw.status,
                headers=raw.headers,
                body=raw.read(),
                set_cookies=SimpleCookie(),
            )
        finally:
            connection.close()
        for line in response.headers.get_all("Set-Cookie") or []:
            response.set_cookies.load(line)
        if send_cookies:
            for name, morsel in response.set_cookies.items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        return response

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.request("POST", path, **kwargs)

    def csrf_token(self) -> str:
        if CSRF not in self.cookies:
            self.get("/api/csrf/")
        return self.cookies[CSRF]

    def same_origin_headers(self) -> dict:
        """What a page of the site itself sends with a fetch()."""
        return {"X-CSRFToken": self.csrf_token(), "Origin": self.base_url}

    def ask_for_password_reset(self, email, headers=None) -> RawResponse:
        """Fill in the "Forgot your password?" form as a browser would."""
        self.get("/accounts/password/reset/")
        return self.post(
            "/accounts/password/reset/",
            form={"email": email, "csrfmiddlewaretoken": self.cookies[CSRF]},
            headers={"Origin": self.base_url, **(headers or {})},
        )

    def log_in(self, email, password=PASSWORD) -> RawResponse:
        response = self.post(
            "/api/token/",
            json={"email": email, "password": password},
            headers=self.same_origin_headers(),
        )
        assert response.status == 200, response.body
        return response


@pytest.fixture
def site(live_server):
    return live_server.url


@pytest.fixture
def victim(transactional_db):
    return create_user("victim@example.com", PASSWORD)


@pytest.fixture
def attacker_account(transactional_db):
    return create_user("mallory@example.com", PASSWORD)


@pytest.fixture
def victim_browser(site, victim):
    """The victim's browser, logged in: the cookies an attacker wants to ride."""
    client = RawClient(site)
    client.log_in(victim.email)
    return client


@pytest.fixture
def attacker(site):
    """A client with no cookies of the site's: the attacker's own machine."""
    return RawClient(site)


def server_state() -> dict:
    """Everything an attack could change on the server, in comparable form."""
    from rest_framework_simplejwt.token_blacklist.models import (
        BlacklistedToken,
        OutstandingToken,
    )

    from jwt_sessions.models import Session
    from shop.models import CartItem, Order, Product

    return {
        "outstanding_tokens": OutstandingToken.objects.count(),
        "blacklisted_tokens": BlacklistedToken.objects.count(),
        "active_sessions": sorted(
            str(pk) for pk in Session.objects.active().values_list("pk", flat=True)
        ),
        "cart_items": sorted(CartItem.objects.values_list("product_id", "quantity")),
        "orders": Order.objects.count(),
        "stock": sorted(Product.objects.values_list("pk", "stock")),
        "users": sorted(
            User.objects.values_list(
                "email", "email_verified_at", "password", "last_login"
            )
        ),
    }


@pytest.fixture(autouse=True)
def _forget_lockouts():
    """Start and end each attack with empty failure counters.

    The counters live in the cache, and a database cache table is not
    emptied between transactional tests; a lockout must not leak into the
    next test.
    """
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
