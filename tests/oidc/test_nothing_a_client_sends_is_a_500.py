"""Whatever a client sends to the callback or the app API: never a 500."""

import pytest
from django.core.cache import cache
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import User
from oidc.models import Identity

from .test_provider_login import start

pytestmark = pytest.mark.django_db

PARAM_NAMES = st.sampled_from(["code", "state", "error", "error_description", "x"])
TEXT = st.text(max_size=300)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=4)
    ),
    max_leaves=10,
)
FAST = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@FAST
@given(query=st.dictionaries(PARAM_NAMES, st.lists(TEXT, max_size=3), max_size=5))
def test_any_callback_query_is_refused_with_a_page(acme, query):
    client = Client()
    start(client)
    data = {name: values for name, values in query.items() if values}
    response = client.get("/accounts/oidc/acme/callback/", data)
    assert response.status_code in (400, 403)
    assert not Identity.objects.exists()
    assert not User.objects.exists()


@FAST
@given(body=JSON)
def test_any_app_token_body_is_a_4xx(acme, body):
    client = Client()
    response = client.post(
        "/api/app/oidc/acme/token/", body, content_type="application/json"
    )
    assert 400 <= response.status_code < 500
    assert not User.objects.exists()


@FAST
@given(id_token=TEXT, nonce_suffix=TEXT)
def test_any_id_token_string_is_refused(acme, id_token, nonce_suffix):
    # Forty nonces in a second would be throttled: each example starts afresh.
    cache.clear()
    client = Client()
    nonce = client.post("/api/app/oidc/nonce/").json()["nonce"]
    response = client.post(
        "/api/app/oidc/acme/token/",
        {"id_token": id_token or "x", "nonce": nonce + nonce_suffix},
        content_type="application/json",
    )
    assert response.status_code in (400, 401)
    assert not User.objects.exists()
