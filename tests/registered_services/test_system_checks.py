"""Start-up says what is wrong: HS256 with services, bad events URLs."""

import pytest

from registered_services import checks
from registered_services.models import RegisteredService
from tests.helpers.services import registered

pytestmark = pytest.mark.django_db


def ids(messages):
    return [message.id for message in messages]


def test_no_services_no_messages(settings):
    settings.JWT_ALGORITHM = "HS256"

    assert checks.check_registered_services(None) == []


def test_services_under_hs256_are_warned_of(signing_key, settings):
    registered("shop", "shop-api")
    settings.JWT_ALGORITHM = "HS256"

    messages = checks.check_registered_services(None)

    assert ids(messages) == ["registered_services.W001"]
    assert "jwt_keys generate" in messages[0].hint


def test_an_events_url_in_plain_http_off_this_machine_is_an_error(signing_key):
    registered("shop", "shop-api")
    RegisteredService.objects.update(events_url="http://shop.example/events")

    assert ids(checks.check_registered_services(None)) == ["registered_services.E001"]


def test_a_good_setup_has_no_messages(signing_key):
    registered("shop", "shop-api", "https://shop.example/events")

    assert checks.check_registered_services(None) == []


def test_an_unknown_delivery_mode_is_an_error(settings):
    settings.SERVICE_EVENTS_DELIVERY = "carrier-pigeon"

    assert ids(checks.check_delivery_setting(None)) == ["registered_services.E002"]
