"""The site and the example service (examples/inventory/), each under gunicorn.

Servers prepares the site (SQLite of its own, ES256 keys, one user, the
service registered with `manage.py register_service`), starts and stops
either, and does what an app does. tests/registered_services/
test_example_service.py and `make bench` (bench/service.py) use it.
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

from tests.helpers.subprocesses import BASE_DIR, free_port

EXAMPLE = BASE_DIR / "examples" / "inventory"
GUNICORN = Path(sys.executable).with_name("gunicorn")
EMAIL = "service-user@example.com"
PASSWORD = "correct horse battery staple 42"
NEW_PASSWORD = "another horse battery staple 43"
AUDIENCE = "inventory"
# Every worker of the service refuses a revoked token within this long.
WITHIN = 1.0


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
            raise RuntimeError(f"the server exited: {log.read_text()[-2000:]}")
        with contextlib.suppress(OSError):
            request(port, "GET", path, timeout=2)
            return
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"the server did not start: {log.read_text()[-2000:]}")


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

    def log_out(self, tokens) -> int:
        """Log the app's session out on the site; return the answer's status."""
        return request(
            self.site_port,
            "POST",
            "/api/app/token/blacklist/",
            body={"refresh": tokens["refresh"]},
        )[0]

    def items(self, token) -> int:
        return request(self.service_port, "GET", "/api/items/", token=token)[0]

    def seconds_until_refused(self, token) -> float:
        """Ask the service until 6 answers in a row (both workers) are 401."""
        start = time.monotonic()
        while time.monotonic() - start < 5:
            if all(self.items(token) == 401 for _ in range(6)):
                return time.monotonic() - start
            time.sleep(0.01)
        raise AssertionError("the service still accepted a revoked token after 5 s")

    def delivered(self) -> list:
        with contextlib.closing(sqlite3.connect(self.database)) as db:
            return db.execute(
                "SELECT delivered_at FROM registered_services_serviceevent ORDER BY seq"
            ).fetchall()
