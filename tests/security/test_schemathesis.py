"""Schemathesis: every operation of the OpenAPI schema, fed generated input.

Whatever schemathesis derives from /api/schema/ (valid and invalid bodies,
paths and query strings), anonymous or with a Bearer token, the site answers
without a server error. Reference: OWASP API Security Top 10, ASVS 5.0 input
handling. Requests go through Django's test client so each example runs in
the test's transaction.
"""

import json
from urllib.parse import urlencode

import pytest
import schemathesis
from django.core.cache import cache
from django.test import Client
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from authsite.wsgi import application
from shop.models import Product
from tests.helpers.clients import PASSWORD, bearer_token
from tests.helpers.users import create_user

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)

pytestmark = pytest.mark.django_db


@pytest.fixture
def bearer(django_user_model, settings):
    settings.AXES_FAILURE_LIMIT = 10**6
    user = create_user("schema@example.com", PASSWORD)
    Product.objects.create(name="Kettle", slug="kettle", price="30.00", stock=4)
    return f"Bearer {bearer_token(Client(), user.email)}"


def send(case, authorization=None):
    """Send a generated case through Django's test client."""
    request = case.as_transport_kwargs(base_url="http://testserver")
    sent_headers = request.get("headers") or {}
    headers = {
        f"HTTP_{name.upper().replace('-', '_')}": value
        for name, value in sent_headers.items()
        if name.lower() not in ("content-type", "content-length", "host")
    }
    if authorization:
        headers["HTTP_AUTHORIZATION"] = authorization
    if "json" in request:
        body = json.dumps(request["json"])
    else:
        body = request.get("data") or request.get("content") or b""
    return Client().generic(
        request["method"],
        request["path"],
        data=body,
        content_type=sent_headers.get("Content-Type", "application/json"),
        QUERY_STRING=urlencode(request.get("query_string") or {}, doseq=True),
        **headers,
    )


@schema.parametrize()
@hypothesis_settings(
    max_examples=12, deadline=None, suppress_health_check=list(HealthCheck)
)
def test_no_operation_answers_with_a_server_error(case, bearer):
    for authorization in (None, bearer):
        response = send(case, authorization)
        assert response.status_code < 500, (
            case.as_curl_command(),
            response.content[:300],
        )
    cache.clear()
