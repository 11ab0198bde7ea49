"""Two processes: the site and the example service, each under gunicorn.

The site (two workers, SQLite of its own, ES256 keys) registers the example
service (examples/inventory/, two workers) with `manage.py register_service`;
an app logs in on the site for the service's audience and calls the service
with its access token. After a logout, a password change or a refresh token
reused on the site, every worker of the service refuses the token within a
second; a service that was down refuses it from its first request; and an
event the site committed but never pushed (its process killed before the
push) is pushed once the site is back.
"""

import time

import pytest

from tests.helpers.example_service import (
    AUDIENCE,
    EMAIL,
    GUNICORN,
    NEW_PASSWORD,
    PASSWORD,
    WITHIN,
    Servers,
    request,
)

pytestmark = pytest.mark.skipif(
    not GUNICORN.exists(), reason="gunicorn is not installed"
)


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    servers = Servers(tmp_path_factory.mktemp("two-processes"))
    servers.prepare()
    try:
        servers.start_site()
        servers.start_service()
        yield servers
    finally:
        servers.stop()


def test_a_logout_on_the_site_is_refused_by_the_service_within_a_second(servers):
    tokens = servers.log_in()
    assert servers.items(tokens["access"]) == 200
    # The site's own API does not take a token minted for the service.
    assert (
        request(servers.site_port, "GET", "/api/me/", token=tokens["access"])[0] == 401
    )

    assert servers.log_out(tokens) == 200

    assert servers.seconds_until_refused(tokens["access"]) < WITHIN


def test_a_password_change_is_refused_by_the_service_within_a_second(servers):
    for_service = servers.log_in()
    for_site = servers.log_in(audience=None)
    assert servers.items(for_service["access"]) == 200

    # Ends every other session of the user, the service's among them.
    status, body = request(
        servers.site_port,
        "POST",
        "/api/auth/password/change/",
        token=for_site["access"],
        body={"old_password": PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert status == 200, body
    try:
        assert servers.seconds_until_refused(for_service["access"]) < WITHIN
    finally:
        servers.manage(
            "shell",
            "-c",
            "from accounts.models import User; u = User.objects.get(email="
            f"{EMAIL!r}); u.set_password({PASSWORD!r}); u.save()",
        )


def test_a_reused_refresh_token_is_refused_by_the_service_within_a_second(servers):
    first = servers.log_in()
    status, second = request(
        servers.site_port,
        "POST",
        "/api/app/token/refresh/",
        body={"refresh": first["refresh"], "audience": AUDIENCE},
    )
    assert status == 200, second
    assert servers.items(second["access"]) == 200
    time.sleep(1.2)  # past JWT_REFRESH_GRACE_SECONDS

    status, _ = request(
        servers.site_port,
        "POST",
        "/api/app/token/refresh/",
        body={"refresh": first["refresh"], "audience": AUDIENCE},
    )
    assert status == 401

    assert servers.seconds_until_refused(second["access"]) < WITHIN


def test_a_service_that_was_down_refuses_a_revoked_token_from_its_first_request(
    servers,
):
    tokens = servers.log_in()
    assert servers.items(tokens["access"]) == 200
    servers.stop_service()

    assert servers.log_out(tokens) == 200
    servers.start_service()

    # Its first answer: introspected, or from the poll that caught up.
    assert servers.items(tokens["access"]) == 401
    assert servers.seconds_until_refused(tokens["access"]) < WITHIN


def test_an_event_committed_but_never_pushed_is_pushed_after_a_restart(servers):
    tokens = servers.log_in()
    assert servers.items(tokens["access"]) == 200
    before = len(servers.delivered())
    # The site's processes push nothing (as if each died right after its
    # commit); then they are killed outright.
    servers.kill_site()
    servers.start_site(SERVICE_EVENTS_DELIVERY="command")
    assert servers.log_out(tokens) == 200
    time.sleep(0.5)
    assert servers.delivered()[before:] == [(None,)]
    servers.kill_site()

    servers.start_site()

    deadline = time.monotonic() + 10
    while servers.delivered()[before:] == [(None,)]:
        assert time.monotonic() < deadline, "the event was not pushed after 10 s"
        time.sleep(0.05)
    assert servers.items(tokens["access"]) == 401
