"""A token verified once is not verified again, until anything could change."""

from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError

from jwt_sessions.tokens import StrictTokenBackend, verified_access_token
from tests.helpers.clients import auth_cookie, log_in
from tests.helpers.key_files import generate_key, jwt_keys, use_key_file


@pytest.fixture
def access(user):
    browser = Client()
    log_in(browser, user.email)
    return auth_cookie(browser, "access")


def decodes_of(raw, times=3) -> int:
    with mock.patch.object(
        StrictTokenBackend,
        "decode",
        autospec=True,
        side_effect=StrictTokenBackend.decode,
    ) as decode:
        for _ in range(times):
            verified_access_token(raw)
    return decode.call_count


def test_the_same_token_is_verified_once(access):
    assert decodes_of(access) == 1
    assert verified_access_token(access)["sid"]


def test_an_expired_token_is_refused_though_it_was_verified(access):
    verified_access_token(access)

    with (
        time_machine.travel(timezone.now() + timedelta(minutes=6), tick=False),
        pytest.raises(TokenError),
    ):
        verified_access_token(access)


def test_a_new_signing_key_setting_is_seen_at_once(settings, access):
    verified_access_token(access)

    settings.JWT_SIGNING_KEY = "another signing key, long enough to be used " * 2

    with pytest.raises(TokenError):
        verified_access_token(access)


def test_an_emergency_retirement_is_seen_at_once(settings, tmp_path, user):
    use_key_file(settings, tmp_path, "EdDSA")
    leaked = generate_key()
    browser = Client()
    log_in(browser, user.email)
    access = auth_cookie(browser, "access")
    verified_access_token(access)

    jwt_keys("retire", leaked, "--emergency")

    with pytest.raises(TokenError):
        verified_access_token(access)


def test_a_forged_token_is_never_remembered(access):
    forged = access[:-2] + ("AA" if not access.endswith("AA") else "BB")

    for _ in range(2):
        with pytest.raises(TokenError):
            verified_access_token(forged)
