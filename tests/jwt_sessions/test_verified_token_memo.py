"""A token verified once is not verified again, until anything could change."""

import json
import os
import time
from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError

from jwt_sessions import keys
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


def test_a_key_file_replaced_by_another_process_is_seen_within_20_ms(
    settings, tmp_path, user
):
    key_file = use_key_file(settings, tmp_path, "EdDSA")
    leaked = generate_key()
    generate_key()
    browser = Client()
    log_in(browser, user.email)
    access = auth_cookie(browser, "access")
    verified_access_token(access)
    # What `jwt_keys retire` in a process of its own writes: the file
    # without the key, replaced under this process's feet (no write of its
    # own to tell it).
    data = json.loads(key_file.read_text())
    data["keys"] = [jwk for jwk in data["keys"] if jwk["kid"] != leaked]
    data["active"] = data["keys"][0]["kid"]
    replacement = tmp_path / "replacement.json"
    replacement.write_text(json.dumps(data))
    replacement.chmod(0o600)
    os.replace(replacement, key_file)

    time.sleep(0.020)  # what every process is promised

    with pytest.raises(TokenError):
        verified_access_token(access)


def test_a_token_seen_before_does_not_stat_the_key_file_each_time(
    settings, tmp_path, user
):
    use_key_file(settings, tmp_path, "ES256")
    generate_key()
    browser = Client()
    log_in(browser, user.email)
    access = auth_cookie(browser, "access")
    verified_access_token(access)
    stat = Path.stat
    stats = []

    def counted(path, *args, **kwargs):
        stats.append(path)
        return stat(path, *args, **kwargs)

    checks = 0
    with mock.patch.object(Path, "stat", counted):
        deadline = time.monotonic() + 0.2
        while time.monotonic() < deadline:
            verified_access_token(access)
            checks += 1
            time.sleep(0.001)

    # One look at the file each 20 ms at most: about 10 in 0.2 s.
    assert checks > 50
    assert len(stats) <= 0.2 / keys.RECENT_FOR + 1
