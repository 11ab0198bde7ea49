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

import contextlib
import http.client
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers.subprocesses import BASE_DIR, free_port

EXAMPLE = BASE_DIR / "examples" / "inventory"
GUNICORN = Path(sys.executable).with_name("gunicorn")
EMAIL = "service-user@example.com"
PASSWORD = "correct horse battery staple 42"
NEW_PASSWORD = "another horse battery staple 43"
AUDIENCE = "inventory"
# Every worker of the service refuses a revoked token within this long.
WITHIN = 1.0

pytestmark = pytest.mark.skipif(
    not GUNICORN.exists(), reason="gunicorn is not installed"
)


def request(port, method, path, *, token=None, body=None, timeout=10):
    headers = {"Host": "127.0.0.1"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if body is not None:
        body = json.dumps(body)
        headers["Content-Type"] = "application/json"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        return response.status, json.loads(data) if data else None
    finally:
        conn.close()


def wait_until_up(port, path, process, log):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited: {log.read_text()[-2000:]}")
        with contextlib.suppress(OSError):
            request(port, "GET", path, timeout=2)
            return
        time.sleep(0.1)
    process.kill()
    pytest.fail(f"the server did not start: {log.read_text()[-2000:]}")


class Servers:
    """The site and the service, each started and stopped as a test needs."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.site_port = free_port()
        self.service_port = free_port()
        self.site = self.service = None
        base = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DJANGO_", "JWT_", "DATABASE_", "SERVICE_EVENTS"))
            and key not in ("REDIS_URL", "PYTHONPATH")
        }
        self.database = workdir / "site.sqlite3"
        self.site_env = {
            **base,
            "DJANGO_SETTINGS_MODULE": "authsite.settings",
            "DJANGO_DEBUG": "1",
            "DJANGO_LOCAL_SECRETS_FILE": str(workdir / "secrets.json"),
            "DATABASE_URL": f"sqlite:///{self.database}",
            "JWT_ALGORITHM": "ES256",
            "JWT_KEYS_FILE": str(workdir / "keys.json"),
            "JWT_REFRESH_GRACE_SECONDS": "1",
            "LOGIN_FAILURE_LIMIT": "1000",
            "WEB_CONCURRENCY": "2",
            "HOST": "127.0.0.1",
            "PORT": str(self.site_port),
        }
        self.service_env = {**base, "PYTHONPATH": str(BASE_DIR / "verifier")}

    def manage(self, *args) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=BASE_DIR,
            env=self.site_env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def prepare(self):
        self.manage("jwt_keys", "generate")
        self.manage("migrate", "--noinput", "-v0")
        self.manage(
            "shell",
            "-c",
            "from accounts.models import User; "
            f"User.objects.create_user({EMAIL!r}, {PASSWORD!r})",
        )
        printed = self.manage(
            "register_service",
            "inventory",
            "--audience",
            AUDIENCE,
            "--events-url",
            f"http://127.0.0.1:{self.service_port}/events/",
        )
        lines = dict(line.split(": ", 1) for line in printed.splitlines())
        self.service_env.update(
            AUTHSITE_URL=f"http://127.0.0.1:{self.site_port}",
            INVENTORY_AUDIENCE=AUDIENCE,
            INVENTORY_CLIENT_ID=lines["client_id"],
            INVENTORY_CLIENT_SECRET=lines["client_secret"],
        )

    def start_site(self, **env):
        log = self.workdir / "site.log"
        self.site = subprocess.Popen(
            [str(GUNICORN), "authsite.wsgi"],
            cwd=BASE_DIR,
            env={**self.site_env, **env},
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        # /healthz: each worker's first request also starts its deliverer.
        wait_until_up(self.site_port, "/healthz", self.site, log)

    def kill_site(self):
        # SIGKILL to the whole process group: no worker finishes anything.
        os.killpg(self.site.pid, signal.SIGKILL)
        self.site.wait(timeout=10)
        self.site = None

    def start_service(self):
        log = self.workdir / "service.log"
        self.service = subprocess.Popen(
            [
                *(str(GUNICORN), "--bind", f"127.0.0.1:{self.service_port}"),
                *("--workers", "2", "--threads", "2", "inventory.wsgi"),
            ],
            cwd=EXAMPLE,
            env=self.service_env,
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        wait_until_up(self.service_port, "/api/items/", self.service, log)

    def stop_service(self):
        self.service.terminate()
        self.service.wait(timeout=15)
        self.service = None

    def stop(self):
        if self.service is not None:
            self.stop_service()
        if self.site is not None:
            self.site.terminate()
            self.site.wait(timeout=15)

    # --- What an app does --------------------------------------------------

    def log_in(self, *, audience=AUDIENCE) -> dict:
        body = {"email": EMAIL, "password": PASSWORD}
        if audience:
            body["audience"] = audience
        status, tokens = request(self.site_port, "POST", "/api/app/token/", body=body)
        assert status == 200, tokens
        return tokens

    def items(self, token) -> int:
        return request(self.service_port, "GET", "/api/items/", token=token)[0]

    def seconds_until_refused(self, token) -> float:
        """Ask the service until 6 answers in a row (both workers) are 401."""
        start = time.monotonic()
        while time.monotonic() - start < 5:
            if all(self.items(token) == 401 for _ in range(6)):
                return time.monotonic() - start
            time.sleep(0.01)
        pytest.fail("the service still accepted a revoked token after 5 s")

    def delivered(self) -> list:
        with contextlib.closing(sqlite3.connect(self.database)) as db:
            return db.execute(
                "SELECT delivered_at FROM registered_services_serviceevent ORDER BY seq"
            ).fetchall()


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

    status, _ = request(
        servers.site_port,
        "POST",
        "/api/app/token/blacklist/",
        body={"refresh": tokens["refresh"]},
    )
    assert status == 200

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

    status, _ = request(
        servers.site_port,
        "POST",
        "/api/app/token/blacklist/",
        body={"refresh": tokens["refresh"]},
    )
    assert status == 200
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
    status, _ = request(
        servers.site_port,
        "POST",
        "/api/app/token/blacklist/",
        body={"refresh": tokens["refresh"]},
    )
    assert status == 200
    time.sleep(0.5)
    assert servers.delivered()[before:] == [(None,)]
    servers.kill_site()

    servers.start_site()

    deadline = time.monotonic() + 10
    while servers.delivered()[before:] == [(None,)]:
        assert time.monotonic() < deadline, "the event was not pushed after 10 s"
        time.sleep(0.05)
    assert servers.items(tokens["access"]) == 401
