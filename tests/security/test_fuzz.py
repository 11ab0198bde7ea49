"""Property-based fuzzing of everything a client controls.

Whatever comes in (cookies, Authorization headers, JSON bodies of any shape),
the answer is a 2xx or 4xx, and the database holds nothing half-written.
References: OWASP Input Validation Cheat Sheet, ASVS 5.0 V1/V2 (input
handling), RFC 8725 3.x (token parsing).
"""

import base64
import json
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core import signing
from django.db.models import Count, F, Sum
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from accounts import email_tokens
from accounts.models import User
from shop.models import CartItem, Order, Product
from tests.helpers.clients import PASSWORD, bearer_token
from tests.helpers.users import create_user

pytestmark = pytest.mark.django_db

FUZZ = hypothesis_settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

header_text = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=255), max_size=600
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=50),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


def field_biased_objects(*names):
    """JSON objects that mostly use the endpoint's own field names."""
    return (
        st.dictionaries(
            st.sampled_from(names) | st.text(max_size=8),
            json_values,
            max_size=len(names) + 1,
        )
        | json_values
    )


@pytest.fixture
def fuzz_setup(db, settings):
    settings.AXES_FAILURE_LIMIT = 10**6
    user = create_user("fuzz@example.com", PASSWORD)
    product = Product.objects.create(name="Lamp", slug="lamp", price="20.00", stock=3)
    client = Client()
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {bearer_token(client, user.email)}"}
    item = client.post(
        "/api/cart/items/",
        {"product": product.pk, "quantity": 1},
        content_type="application/json",
        **bearer,
    ).json()
    return {"client": client, "bearer": bearer, "item": item["id"], "product": product}


def assert_database_is_whole():
    """Invariants no request, however malformed, may break."""
    assert not CartItem.objects.filter(quantity__lt=1).exists()
    assert not CartItem.objects.filter(quantity__gt=99).exists()
    assert not Product.objects.filter(stock__lt=0).exists()
    for order in Order.objects.annotate(
        line_count=Count("lines"), summed=Sum("lines__line_total")
    ):
        assert order.line_count > 0
        assert order.total == (order.summed or Decimal("0"))
    assert not Order.objects.filter(lines__line_total__lt=0).exists()
    assert (
        not Order.objects.exclude(
            lines__line_total=F("lines__unit_price") * F("lines__quantity")
        )
        .filter(lines__isnull=False)
        .exists()
    )


@FUZZ
@given(access=header_text, refresh=header_text)
def test_any_auth_cookie_values_get_an_answer(fuzz_setup, access, refresh):
    client = Client()
    client.cookies[settings.JWT_COOKIE_ACCESS_NAME] = access
    client.cookies[settings.JWT_COOKIE_REFRESH_NAME] = refresh
    for path in ("/", "/dashboard/", "/api/me/", "/api/cart/"):
        assert client.get(path).status_code < 500


@FUZZ
@given(raw=header_text)
def test_any_raw_cookie_header_gets_an_answer(fuzz_setup, raw):
    response = Client().get("/api/me/", HTTP_COOKIE=raw)
    assert response.status_code < 500


@FUZZ
@given(value=header_text)
def test_any_authorization_header_gets_an_answer(fuzz_setup, value):
    response = Client().get("/api/me/", HTTP_AUTHORIZATION=value)
    assert response.status_code in (200, 401, 403)


@FUZZ
@given(token=header_text)
def test_any_bearer_token_gets_a_401(fuzz_setup, token):
    response = Client().get("/api/me/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 401


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# Header segments as an attacker builds them: JSON nested to any depth (the
# 1000 "[" of issue 12), any JSON value, any bytes.
header_json = st.one_of(
    st.builds(
        lambda opener, depth: opener * depth,
        st.sampled_from([b"[", b'{"a":', b'{"alg":[']),
        st.integers(min_value=0, max_value=3000),
    ),
    json_values.map(lambda value: json.dumps(value).encode()),
    st.binary(max_size=300),
)
base64url_segments = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
    max_size=3000,
)


def assert_refused_everywhere(token):
    """A 401 for the token as Bearer, as the access cookie and to verify."""
    bearer = Client().get("/api/me/", HTTP_AUTHORIZATION=f"Bearer {token}")
    cookie = Client()
    cookie.cookies[settings.JWT_COOKIE_ACCESS_NAME] = token
    verify = Client().post(
        "/api/token/verify/", {"token": token}, content_type="application/json"
    )
    assert bearer.status_code == 401
    assert cookie.get("/api/me/").status_code == 401
    # Blank, or past the field's max_length, the body is invalid before it
    # is a token.
    assert verify.status_code == (401 if 0 < len(token) <= 8192 else 400)


@FUZZ
@given(header=header_json, payload=json_values, signature=st.binary(max_size=64))
def test_any_json_in_the_header_gets_a_401(fuzz_setup, header, payload, signature):
    payload_segment = b64(json.dumps(payload).encode())
    assert_refused_everywhere(f"{b64(header)}.{payload_segment}.{b64(signature)}")


@FUZZ
@given(segments=st.lists(base64url_segments, min_size=1, max_size=4))
def test_base64url_segments_of_any_length_get_a_401(fuzz_setup, segments):
    assert_refused_everywhere(".".join(segments))


ENDPOINTS = [
    ("post", "/api/auth/register/", ("email", "password"), False),
    ("post", "/api/app/token/", ("email", "password"), False),
    ("post", "/api/app/token/refresh/", ("refresh",), False),
    ("post", "/api/app/token/blacklist/", ("refresh",), False),
    ("post", "/api/token/verify/", ("token",), False),
    ("post", "/api/cart/items/", ("product", "quantity"), True),
    ("patch", "/api/cart/items/{item}/", ("quantity",), True),
    ("post", "/api/cart/checkout/", (), True),
    ("post", "/api/auth/password/change/", ("old_password", "new_password"), True),
    ("post", "/api/email/verify/", ("token",), False),
    ("post", "/api/email/verify/resend/", (), True),
    ("post", "/api/email/change/", ("email", "password"), True),
]


@pytest.mark.parametrize(
    ("method", "path", "fields", "needs_auth"), ENDPOINTS, ids=[e[1] for e in ENDPOINTS]
)
def test_any_json_body_gets_a_2xx_or_4xx_and_leaves_the_database_whole(
    fuzz_setup, method, path, fields, needs_auth
):
    client, bearer = fuzz_setup["client"], fuzz_setup["bearer"]
    url = path.format(item=fuzz_setup["item"])
    users_before = User.objects.count()

    @FUZZ
    @given(body=field_biased_objects(*fields) if fields else json_values)
    def run(body):
        response = getattr(client, method)(
            url, body, content_type="application/json", **(bearer if needs_auth else {})
        )
        assert response.status_code < 500, (body, response.content[:300])
        assert_database_is_whole()
        if response.status_code != 201:
            assert User.objects.count() == users_before or "register" in url

    run()
    # The fuzzed user can still log in: no body changed the password.
    assert User.objects.get(email="fuzz@example.com").check_password(PASSWORD) or (
        "password/change" in url
    )


@FUZZ
@given(
    body=st.binary(max_size=300),
    content_type=st.sampled_from(
        [
            "application/json",
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/xml",
            "",
        ]
    ),
)
def test_any_bytes_in_any_content_type_get_an_answer(fuzz_setup, body, content_type):
    for path in ("/api/app/token/", "/api/cart/items/"):
        response = fuzz_setup["client"].post(
            path, body, content_type=content_type, **fuzz_setup["bearer"]
        )
        assert 200 <= response.status_code < 500
    assert_database_is_whole()


# Tokens as a client could send them: any text, or any JSON signed with the
# site's key and the links' salt (so the checks behind the signature run).
email_link_tokens = header_text | json_values.map(
    lambda value: signing.dumps(value, salt=email_tokens.SALT)
)


@FUZZ
@given(token=email_link_tokens)
def test_any_email_link_token_gets_a_4xx_or_a_200(fuzz_setup, token):
    user = User.objects.get(email="fuzz@example.com")
    try:
        email_tokens.read_token(token)
    except email_tokens.LinkRefused as refused:
        assert 400 <= refused.status < 500
    api = Client().post(
        "/api/email/verify/", {"token": token}, content_type="application/json"
    )
    page = Client().get(f"/accounts/email/verify/{quote(token, safe='')}/")

    assert api.status_code in (200, 400, 409, 410), api.content[:300]
    assert page.status_code in (200, 400, 404, 409, 410)
    user.refresh_from_db()
    assert user.email == "fuzz@example.com"
