"""Crafted bytes where a token goes: a 401 or the anonymous page, never a 500.

Outside testing (issue 12) found that a token whose header segment is deeply
nested JSON (a thousand `[`, under 3 KB, so it fits in a cookie) raised
RecursionError while its header was read, and every page, the login and the
admin answered 500. These cases put that token, and others of its class, in
every place a client's token is read, through the real endpoints.
"""

import base64
import hashlib
import hmac
import json
import logging
import sys

import jwt
import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from rest_framework_simplejwt.exceptions import TokenError

from jwt_sessions.keys import get_key_set
from jwt_sessions.tokens import MAX_HEADER_SEGMENT_LENGTH, MAX_TOKEN_LENGTH, AccessToken
from tests.helpers.forged_tokens import forge, valid_claims

ACCESS = settings.JWT_COOKIE_ACCESS_NAME
REFRESH = settings.JWT_COOKIE_REFRESH_NAME

pytestmark = pytest.mark.django_db


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# An empty payload and a zero signature: only the header is odd, and the
# header is what is read first.
TAIL = f"{b64(b'{}')}.{b64(bytes(32))}"
CRAFTED = {
    # The report's token: 1342 characters, which a browser keeps as a cookie.
    "nested-arrays": f"{b64(b'[' * 1000)}.{TAIL}",
    "nested-objects": b64(b'{"a":' * 1000) + "." + TAIL,
    "oversized-header": b64(b'{"alg":"HS256","x":"' + b"A" * 2000 + b'"}') + "." + TAIL,
    "header-just-too-long": "e" * (MAX_HEADER_SEGMENT_LENGTH + 1) + "." + TAIL,
    "oversized-token": "eyJhbGciOiJIUzI1NiJ9." + "A" * MAX_TOKEN_LENGTH + "." + TAIL,
    "non-ascii": b64(b'{"alg":"HS256"}') + "\u00e9." + TAIL,
    "not-base64url": "eyJ+/=." + TAIL,
}
CASES = pytest.mark.parametrize("token", list(CRAFTED.values()), ids=list(CRAFTED))


@pytest.fixture
def visitor():
    """A browser whose 500s come back as responses, logged as in production."""
    return Client(enforce_csrf_checks=True, raise_request_exception=False)


@pytest.fixture
def errors(caplog):
    """Return what was logged at ERROR or with a traceback (a 500 is both)."""
    caplog.set_level(logging.WARNING)
    return lambda: [
        record
        for record in caplog.records
        if record.levelno >= logging.ERROR or record.exc_info
    ]


def assert_cookies_deleted(response):
    assert response.cookies[ACCESS].value == ""
    assert response.cookies[REFRESH].value == ""
    assert response.cookies[ACCESS]["max-age"] == 0


# What an anonymous visitor gets from each page: the shop window and the
# login page themselves, the admin a redirect to the login.
PAGES = [("home", 200), ("accounts:login", 200), ("admin:index", 302)]


@CASES
@pytest.mark.parametrize("cookie", [ACCESS, REFRESH], ids=["access", "refresh"])
@pytest.mark.parametrize(("page", "status"), PAGES, ids=[p for p, _ in PAGES])
def test_a_crafted_auth_cookie_gets_the_anonymous_page_and_is_deleted(
    visitor, errors, token, cookie, page, status
):
    visitor.cookies[cookie] = token

    response = visitor.get(reverse(page))

    assert response.status_code == status
    assert_cookies_deleted(response)
    assert errors() == []


@CASES
@pytest.mark.parametrize("cookie", [ACCESS, REFRESH], ids=["access", "refresh"])
def test_a_crafted_auth_cookie_gets_the_public_api_as_anonymous(
    visitor, errors, token, cookie
):
    visitor.cookies[cookie] = token

    products = visitor.get(reverse("api:products"))
    me = visitor.get(reverse("api:me"))

    assert products.status_code == 200
    assert_cookies_deleted(products)
    assert me.status_code == 401
    assert errors() == []


@CASES
def test_a_crafted_refresh_cookie_cannot_be_refreshed(visitor, errors, token):
    visitor.get(reverse("api:csrf"))
    csrf = visitor.cookies[settings.CSRF_COOKIE_NAME].value
    visitor.cookies[REFRESH] = token

    refresh = visitor.post(reverse("api:token-refresh"), HTTP_X_CSRFTOKEN=csrf)
    logout = visitor.post(reverse("api:token-blacklist"), HTTP_X_CSRFTOKEN=csrf)

    assert refresh.status_code == 401
    assert_cookies_deleted(refresh)
    assert logout.status_code == 200
    assert_cookies_deleted(logout)
    assert errors() == []


@CASES
@pytest.mark.parametrize("url", ["api:products", "api:me", "api:cart"])
def test_a_crafted_bearer_token_gets_a_401(visitor, errors, token, url):
    response = visitor.get(reverse(url), HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert errors() == []


@CASES
@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("api:token-verify", "token"),
        ("api:app-token-refresh", "refresh"),
        ("api:app-token-blacklist", "refresh"),
    ],
)
def test_a_crafted_token_field_gets_a_401(visitor, errors, token, url, field):
    response = visitor.post(
        reverse(url), {field: token}, content_type="application/json"
    )

    assert response.status_code == 401
    assert errors() == []


@CASES
def test_a_crafted_token_with_crafted_cookies_gets_a_401_from_verify(
    visitor, errors, token
):
    visitor.cookies[ACCESS] = token
    visitor.cookies[REFRESH] = token

    response = visitor.post(
        reverse("api:token-verify"),
        {"token": token},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert response.status_code == 401
    assert errors() == []


def compact_json(value: dict) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def padded(text: bytes, size: int) -> bytes:
    """Return a JSON object padded with blanks to `size` bytes (same value)."""
    return text[:-1] + b" " * (size - len(text)) + text[-1:]


def signed_with_our_key(header: bytes, payload: bytes) -> str:
    """Return a token of exactly these header and payload bytes, HS256-signed."""
    signing_input = f"{b64(header)}.{b64(payload)}"
    key = settings.JWT_SIGNING_KEY.encode()
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


# An HS256 signature: 32 bytes, 43 characters of unpadded base64url.
SIGNATURE_LENGTH = 43


@pytest.mark.parametrize("part", ["header", "token"])
@pytest.mark.parametrize(
    ("over", "status"), [(False, 200), (True, 401)], ids=["at-limit", "over"]
)
def test_a_signed_token_is_refused_past_the_length_limits_and_not_before(
    app_client, user, part, over, status
):
    # Blanks change no JSON value, so both tokens say the same thing with our
    # signature: only their length differs, and the limit decides.
    header = compact_json({"alg": "HS256", "kid": get_key_set().active.kid})
    claims = compact_json(valid_claims(user))
    if part == "header":
        header = padded(header, MAX_HEADER_SEGMENT_LENGTH * 3 // 4 + over)
    else:
        room = MAX_TOKEN_LENGTH - len(b64(header)) - 2 - SIGNATURE_LENGTH
        claims = padded(claims, room * 3 // 4 + over)
    token = signed_with_our_key(header, claims)
    if part == "header":
        assert (len(token.partition(".")[0]) > MAX_HEADER_SEGMENT_LENGTH) is over
    else:
        assert (len(token) > MAX_TOKEN_LENGTH) is over

    response = app_client.get(reverse("api:me"), HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == status


def stack_depth() -> int:
    frame, depth = sys._getframe(), 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1
    return depth


def call_with_free_frames(free: int, function):
    """Call `function` with only about `free` frames of stack left."""

    def descend(levels):
        return function() if levels <= 0 else descend(levels - 1)

    return descend(sys.getrecursionlimit() - stack_depth() - free)


def test_a_header_nested_deeper_than_the_stack_left_is_an_invalid_token():
    # 192 "[" fit in the header limit; a request that arrives with less stack
    # than that to spare (deep middleware, a deep test runner) still gets an
    # invalid token, not the RecursionError of issue 12.
    token = f"{b64(b'[' * 192)}.{TAIL}"

    def decode():
        with pytest.raises(TokenError) as refused:
            AccessToken(token)
        return refused.value

    refused = call_with_free_frames(80, decode)

    causes = []
    while refused is not None:
        causes.append(type(refused))
        refused = refused.__cause__
    # The header's parser ran out of stack, and said the header is not JSON.
    assert causes[-2:] == [jwt.DecodeError, RecursionError]


@pytest.mark.parametrize(
    "spelling",
    [
        lambda sid: "x",
        lambda sid: "",
        lambda sid: sid.upper(),
        lambda sid: sid.replace("-", ""),
        lambda sid: "{" + sid + "}",
    ],
    ids=["not-a-uuid", "empty", "upper-case", "no-hyphens", "braces"],
)
def test_a_signed_token_whose_sid_is_not_as_we_issue_it_is_refused(
    visitor, errors, user, spelling
):
    # Found by the fuzzer (tests/fuzz/crashers/): signed with our key, a sid
    # that is no UUID reached the session query, which raised (a 500). Other
    # spellings of a live session's id found it, though we never issue them.
    claims = valid_claims(user)
    access = forge({**claims, "sid": spelling(claims["sid"])})
    refresh = forge({**claims, "sid": spelling(claims["sid"]), "token_type": "refresh"})
    visitor.cookies[REFRESH] = refresh

    bearer = visitor.get(reverse("api:me"), HTTP_AUTHORIZATION=f"Bearer {access}")
    page = visitor.get(reverse("home"))
    rotated = visitor.post(
        reverse("api:app-token-refresh"),
        {"refresh": refresh},
        content_type="application/json",
    )

    assert page.status_code == 200
    assert_cookies_deleted(page)
    assert rotated.status_code == 401
    assert bearer.status_code == 401
    assert errors() == []
