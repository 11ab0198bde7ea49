"""Registering a service: the command and the admin show its secret once."""

import hashlib
import re

import pytest
from django.core.management import CommandError
from django.test import Client
from django.urls import reverse

from registered_services.models import RegisteredService
from tests.helpers.clients import admin_post, log_in
from tests.helpers.services import register_service, registered


def test_the_command_prints_exactly_the_client_id_and_secret(db, signing_key):
    output = register_service(
        "shop", "--audience", "shop-api", "--events-url", "https://shop.example/ev"
    )

    lines = output.splitlines()
    assert len(lines) == 2
    assert re.fullmatch(r"client_id: svc_[A-Za-z0-9_-]{22}", lines[0])
    assert re.fullmatch(r"client_secret: [A-Za-z0-9_-]{43}", lines[1])
    secret = lines[1].removeprefix("client_secret: ")
    service = RegisteredService.objects.get(name="shop")
    assert service.client_id == lines[0].removeprefix("client_id: ")
    assert service.audience == "shop-api"
    assert service.events_url == "https://shop.example/ev"
    # Only the digest is kept: the secret itself is nowhere in the row.
    assert service.client_secret_digest == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(RegisteredService.objects.values().get())


def test_the_events_url_is_optional(db, signing_key):
    registered("poller", "poller-api")

    assert RegisteredService.objects.get(name="poller").events_url == ""


def test_remove_removes_the_service(db, signing_key):
    registered("shop", "shop-api")

    register_service("shop", "--remove")

    assert not RegisteredService.objects.exists()
    with pytest.raises(CommandError, match="No service"):
        register_service("shop", "--remove")


def test_registering_under_hs256_is_refused_with_what_to_do(db, settings):
    settings.JWT_ALGORITHM = "HS256"

    with pytest.raises(CommandError) as refused:
        register_service("shop", "--audience", "shop-api")

    message = str(refused.value)
    assert "ES256" in message and "EdDSA" in message and "RS256" in message
    assert "manage.py jwt_keys generate" in message
    assert not RegisteredService.objects.exists()


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--events-url", "http://shop.example/events"], "https://"),
        (["--events-url", "ftp://localhost/events"], "http(s)"),
        (["--events-url", "https://user:pw@shop.example/"], "credentials"),
    ],
)
def test_an_events_url_off_this_machine_must_be_https(db, signing_key, args, complaint):
    with pytest.raises(CommandError, match=re.escape(complaint)):
        register_service("shop", "--audience", "shop-api", *args)

    assert not RegisteredService.objects.exists()


@pytest.mark.parametrize(
    "url", ["http://localhost:9000/events", "http://127.0.0.1/e", "http://[::1]/e"]
)
def test_plain_http_is_allowed_on_a_loopback_host(db, signing_key, url):
    registered("dev", "dev-api", url)

    assert RegisteredService.objects.get().events_url == url


@pytest.mark.parametrize("audience", ["authsite", "has space", "x" * 201, "é"])
def test_the_audience_must_be_a_new_plain_string(db, signing_key, audience):
    with pytest.raises(CommandError, match="audience"):
        register_service("shop", "--audience", audience)


def test_name_and_audience_are_unique(db, signing_key):
    registered("shop", "shop-api")

    with pytest.raises(CommandError, match="name"):
        register_service("shop", "--audience", "other-api")
    with pytest.raises(CommandError, match="audience"):
        register_service("other", "--audience", "shop-api")


def test_the_admin_shows_the_secret_once_and_keeps_only_its_digest(
    signing_key, superuser
):
    admin = Client()
    log_in(admin, superuser.email)
    admin.get(reverse("admin:registered_services_registeredservice_add"))

    response = admin_post(
        admin,
        reverse("admin:registered_services_registeredservice_add"),
        {
            "name": "shop",
            "audience": "shop-api",
            "events_url": "https://shop.example/events",
            "is_active": "on",
        },
    )

    # Shown in the answer itself, never stored: not in a cookie (messages
    # ride in one), not in any cache.
    assert response.status_code == 200, response.content
    assert "no-store" in response["Cache-Control"]
    service = RegisteredService.objects.get()
    shown = response.content.decode()
    secret = re.search(r"client_secret: ([A-Za-z0-9_-]{43})", shown).group(1)
    assert service.client_id in shown
    assert service.secret_matches(secret)
    assert all(secret not in morsel.value for morsel in admin.cookies.values())
    # Never again: not on the change page, not in the list.
    change = reverse(
        "admin:registered_services_registeredservice_change", args=(service.pk,)
    )
    assert secret not in admin.get(change).content.decode()
    listing = reverse("admin:registered_services_registeredservice_changelist")
    assert secret not in admin.get(listing).content.decode()


def test_the_admin_refuses_to_register_under_hs256(settings, superuser):
    settings.JWT_ALGORITHM = "HS256"
    admin = Client()
    log_in(admin, superuser.email)

    response = admin.get(reverse("admin:registered_services_registeredservice_add"))

    assert response.status_code == 403
