"""The OpenAPI 3 schema at /api/schema/ and its Swagger UI at /api/docs/."""

import re

import pytest
from django.conf import settings
from django.urls import reverse
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(client):
    response = client.get(reverse("api-schema"), {"format": "json"})
    assert response.status_code == 200
    return response.json()


def test_the_schema_is_a_valid_openapi_3_document(schema):
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)  # raises on anything the OpenAPI 3 spec refuses


def test_the_schema_describes_the_bearer_and_cookie_schemes(schema):
    schemes = schema["components"]["securitySchemes"]

    assert schemes["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": schemes["bearerAuth"]["description"],
    }
    assert schemes["cookieAuth"]["type"] == "apiKey"
    assert schemes["cookieAuth"]["in"] == "cookie"
    assert schemes["cookieAuth"]["name"] == settings.JWT_COOKIE_ACCESS_NAME
    assert "X-CSRFToken" in schemes["cookieAuth"]["description"]


def test_the_schema_covers_the_whole_api(schema):
    paths = schema["paths"]

    for path in [
        "/api/token/",
        "/api/token/refresh/",
        "/api/app/token/",
        "/api/me/",
        "/api/sessions/{id}/",
        "/api/cart/",
        "/api/cart/checkout/",
        "/api/orders/{id}/",
        "/api/introspect/",
        "/api/events/",
    ]:
        assert path in paths
    assert "/api/schema/" not in paths
    me_security = paths["/api/me/"]["get"]["security"]
    assert {"bearerAuth": []} in me_security
    assert {"cookieAuth": []} in me_security


def test_the_services_endpoints_take_client_authentication_only(schema):
    schemes = schema["components"]["securitySchemes"]
    assert schemes["serviceClientAuth"]["scheme"] == "basic"
    for path, method in (("/api/introspect/", "post"), ("/api/events/", "get")):
        assert schema["paths"][path][method]["security"] == [{"serviceClientAuth": []}]
    introspect = schema["paths"]["/api/introspect/"]["post"]["requestBody"]
    assert list(introspect["content"]) == ["application/x-www-form-urlencoded"]


def test_login_endpoints_need_no_credentials(schema):
    assert schema["paths"]["/api/token/"]["post"]["security"] == [{}] or not (
        schema["paths"]["/api/token/"]["post"].get("security")
    )


def test_the_docs_page_loads_nothing_from_another_site(client):
    response = client.get(reverse("api-docs"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls
    assert all(url.startswith("/") for url in urls), urls
    assert "cdn" not in html.lower()


def test_the_docs_page_start_up_script_is_served_as_a_file(client):
    # No inline script: the page works under a Content-Security-Policy.
    html = client.get(reverse("api-docs")).content.decode()
    assert re.search(r"<script>\s*\S", html) is None
    script = client.get(reverse("api-docs"), {"script": ""})

    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.content.decode()


def test_the_docs_page_has_no_inline_style(client):
    # The Content-Security-Policy refuses inline styles; the page's few rules
    # come from static/css/swagger.css instead.
    html = client.get(reverse("api-docs")).content.decode()

    assert "<style" not in html
    assert "css/swagger.css" in html
