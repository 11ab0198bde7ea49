"""GET /healthz: what a load balancer asks each app server."""

import pytest
from django.db import OperationalError
from django.urls import reverse

from authsite import health


class Unreachable:
    """A cache or database connection whose server does not answer."""

    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise OperationalError("connection refused")

        return fail


@pytest.mark.django_db
def test_healthz_answers_200_when_the_database_and_the_cache_answer(client):
    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok"},
    }
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_answers_503_when_the_cache_does_not(client, monkeypatch):
    monkeypatch.setattr(health, "cache", Unreachable())

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "cache": "failed"}
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_answers_503_when_the_database_does_not(client, monkeypatch):
    monkeypatch.setattr(health, "connection", Unreachable())

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "failed", "cache": "ok"}


@pytest.mark.django_db
def test_healthz_is_not_redirected_to_https(client, settings):
    # Load balancers probe each app server directly over plain HTTP.
    settings.SECURE_SSL_REDIRECT = True

    assert client.get(reverse("healthz")).status_code == 200
    assert client.get(reverse("home")).status_code == 301


@pytest.mark.django_db
def test_healthz_refuses_unsafe_methods(client):
    assert client.post(reverse("healthz")).status_code == 405
