"""The auth log: one structured line per auth event, never a secret in it."""

import json
import logging

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from authsite.logging import JSONFormatter
from jwt_sessions.tokens import SESSION_ID_CLAIM, AccessToken
from tests.helpers.clients import PASSWORD


@pytest.fixture
def auth_log(caplog):
    caplog.set_level(logging.INFO, logger="accounts.auth")

    def events():
        return [
            record
            for record in caplog.records
            if record.name == "accounts.auth" and hasattr(record, "event")
        ]

    return events


def post(client, name, body, **headers):
    return client.post(reverse(name), body, content_type="application/json", **headers)


def app_log_in(client, email, password=PASSWORD):
    return post(client, "api:app-token", {"email": email, "password": password})


def test_every_auth_event_is_one_structured_line(auth_log, user):
    app = Client(enforce_csrf_checks=True, REMOTE_ADDR="203.0.113.9")
    secrets = [PASSWORD, "wrong password 99"]

    first = app_log_in(app, user.email).json()
    app_log_in(app, user.email, "wrong password 99")
    second = post(app, "api:app-token-refresh", {"refresh": first["refresh"]}).json()
    later = timezone.now() + timezone.timedelta(
        seconds=settings.JWT_REFRESH_GRACE_SECONDS + 1
    )
    with time_machine.travel(later, tick=False):
        post(app, "api:app-token-refresh", {"refresh": first["refresh"]})
    third = app_log_in(app, user.email).json()
    post(app, "api:app-token-blacklist", {"refresh": third["refresh"]})
    victim = app_log_in(app, user.email).json()
    keeper = app_log_in(app, user.email).json()
    victim_sid = AccessToken(victim["access"])[SESSION_ID_CLAIM]
    ended = app.delete(
        reverse("api:session", args=[victim_sid]),
        HTTP_AUTHORIZATION=f"Bearer {keeper['access']}",
    )
    assert ended.status_code == 204
    secrets += [
        token
        for pair in (first, second, third, victim, keeper)
        for token in pair.values()
    ]

    records = auth_log()

    assert [record.event for record in records] == [
        "login",
        "login_failed",
        "refresh",
        "reuse_detected",
        "login",
        "logout",
        "login",
        "login",
        "session_revoked",
    ]
    first_sid = AccessToken(first["access"])[SESSION_ID_CLAIM]
    login, failed, refresh, reuse = records[:4]
    assert (login.user_id, login.sid, login.ip) == (user.pk, first_sid, "203.0.113.9")
    assert (failed.user_id, failed.sid) == (user.pk, None)
    assert (refresh.user_id, refresh.sid) == (user.pk, first_sid)
    assert (reuse.user_id, reuse.sid) == (user.pk, first_sid)
    assert records[-1].sid == victim_sid
    formatter = JSONFormatter()
    for record in records:
        line = formatter.format(record)
        assert "\n" not in line
        entry = json.loads(line)
        assert entry["event"] == record.event
        assert entry["logger"] == "accounts.auth"
        for secret in secrets:
            assert secret not in line


def test_the_json_formatter_writes_one_object_per_line():
    record = logging.LogRecord(
        "accounts.auth", logging.INFO, __file__, 1, "two\nlines %s", ("x",), None
    )
    record.event = "login"

    line = JSONFormatter().format(record)

    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "two\nlines x"
    assert entry["event"] == "login"
    assert entry["level"] == "INFO"
