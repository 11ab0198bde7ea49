"""Two app servers (gunicorn, two workers each) over one PostgreSQL and one Redis.

Both run the production settings (DEBUG off, HTTPS redirect on) behind an
imagined TLS proxy: every request carries `X-Forwarded-Proto: https` and the
site's one host name, as the proxy would send it, so the cookies a browser got
from one server are what it sends to the other.

The revocation feed (JWT_REVOCATION_FEED_URL) is a redis-server of this
module's own, so that a test can stop it while the cache stays up. The last
tests start two more servers over PostgreSQL alone: the database cache, and
the database's LISTEN/NOTIFY as the feed.

Runs when DATABASE_URL is PostgreSQL and REDIS_URL is set (CI's second run;
without REDIS_URL, only the tests over PostgreSQL alone); skipped otherwise,
because SQLite and the database cache are one machine's.
"""

import contextlib
import http.client
import json
import os
import re
import subprocess
import sys
import threading
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from accounts.models import User
from jwt_sessions.tokens import SESSION_ID_CLAIM, AccessToken
from tests.helpers.clients import PASSWORD
from tests.helpers.redis_server import RedisServer
from tests.helpers.subprocesses import free_port

BASE_DIR = Path(__file__).resolve().parents[2]
HOST = "shop.example"
ORIGIN = f"https://{HOST}"


def shared_services_missing(*, redis: bool = True) -> str | None:
    """Say why this machine's settings cannot run two servers, if they cannot."""
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        return "needs DATABASE_URL=postgres://... (SQLite is one machine's file)"
    if redis and not settings.REDIS_URL:
        return "needs REDIS_URL=redis://... (the database cache is not shared here)"
    return None


def needs(reason: str | None) -> None:
    if reason and os.environ.get("CI") and os.environ.get("DATABASE_URL"):
        # CI's PostgreSQL run exists for this test: a skip there is a failure.
        pytest.fail(f"the scale-out test did not run in CI: {reason}")
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="module", autouse=True)
def _needs_postgresql():
    needs(shared_services_missing(redis=False))


def database_url() -> str:
    """Return a URL of the test database pytest-django created."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    return (
        f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        f"/{quote(db['NAME'], safe='')}"
    )


class AppServer:
    """One gunicorn process serving the site on a port of its own."""

    def __init__(self, name: str, env: dict, log_dir: Path):
        self.name = name
        self.port = free_port()
        self.application_name = f"scale-out server {name} on {self.port}"
        self.log_path = log_dir / f"{name}.log"
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "authsite.wsgi"],
            cwd=BASE_DIR,
            # PGAPPNAME names this server's connections in pg_stat_activity.
            env={
                **env,
                "HOST": "127.0.0.1",
                "PORT": str(self.port),
                "PGAPPNAME": self.application_name,
            },
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def request(self, method, path, *, headers=None, body=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            conn.close()

    def wait_until_healthy(self, deadline_seconds=60):
        deadline = time.monotonic() + deadline_seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                status, _, _ = self.request("GET", "/healthz", headers={"Host": HOST})
            except OSError:
                status = None
            if status == 200:
                return
            time.sleep(0.2)
        self.stop()
        log = self.log_path.read_text(errors="replace")
        pytest.fail(f"app server {self.name} did not start:\n{log}")

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        self._log.close()


@pytest.fixture(scope="module")
def feed():
    """The Redis that carries revocations to every worker (of this module's own)."""
    needs(shared_services_missing())
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def servers(django_db_setup, django_db_blocker, tmp_path_factory, feed):
    """Start app servers A and B on the test database and the test Redis."""
    with django_db_blocker.unblock():
        url = database_url()
    with app_servers(
        tmp_path_factory,
        DATABASE_URL=url,
        REDIS_URL=settings.REDIS_URL,
        JWT_REVOCATION_FEED_URL=feed.url,
    ) as started:
        yield started


@pytest.fixture(scope="module")
def servers_without_redis(django_db_setup, django_db_blocker, tmp_path_factory):
    """Start app servers A and B on the test database alone (no REDIS_URL)."""
    database_cache = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "django_cache",
        }
    }
    with django_db_blocker.unblock(), override_settings(CACHES=database_cache):
        url = database_url()
        # What `migrate` makes where the cache is the database's.
        made_table = "django_cache" not in connection.introspection.table_names()
        call_command("createcachetable", verbosity=0)
    try:
        with app_servers(tmp_path_factory, DATABASE_URL=url) as started:
            yield started
    finally:
        if made_table:
            with django_db_blocker.unblock(), connection.cursor() as cursor:
                cursor.execute("DROP TABLE django_cache")


@contextlib.contextmanager
def app_servers(tmp_path_factory, **environment):
    """Start app servers A and B with the production settings and `environment`."""
    static_root = tmp_path_factory.mktemp("static")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "JWT_", "DATABASE_URL", "REDIS_URL"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="authsite.settings",
        # The documented production settings, nothing relaxed.
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=settings.SECRET_KEY,
        JWT_SIGNING_KEY=settings.JWT_SIGNING_KEY,
        DJANGO_ALLOWED_HOSTS=HOST,
        DJANGO_STATIC_ROOT=str(static_root),
        WEB_CONCURRENCY="2",
        FORWARDED_ALLOW_IPS="127.0.0.1",
        **environment,
    )
    collected = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert collected.returncode == 0, collected.stderr
    log_dir = tmp_path_factory.mktemp("gunicorn")
    started = []
    try:
        for name in ("A", "B"):
            started.append(AppServer(name, env, log_dir))
        for server in started:
            server.wait_until_healthy()
        yield tuple(started)
    finally:
        for server in started:
            server.stop()


class Browser:
    """Cookies and CSRF token of one browser, sent to whichever server."""

    def __init__(self):
        self.cookies: dict[str, str] = {}

    def request(self, server, method, path, *, body=None, cookies=None):
        headers = {
            "Host": HOST,
            "X-Forwarded-Proto": "https",
            "Origin": ORIGIN,
            "User-Agent": "scale-out-test",
        }
        sent = self.cookies if cookies is None else cookies
        if sent:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in sent.items())
        csrf = self.cookies.get(settings.CSRF_COOKIE_NAME)
        if csrf:
            headers["X-CSRFToken"] = csrf
        if body is not None:
            body = json.dumps(body)
            headers["Content-Type"] = "application/json"
        status, response_headers, content = server.request(
            method, path, headers=headers, body=body
        )
        for name, value in response_headers:
            if name.lower() == "set-cookie":
                for morsel in SimpleCookie(value).values():
                    if morsel["max-age"] == "0" or not morsel.value:
                        self.cookies.pop(morsel.key, None)
                    else:
                        self.cookies[morsel.key] = morsel.value
        return status, content

    def log_in(self, server, email):
        self.request(server, "GET", "/api/csrf/")
        status, content = self.request(
            server, "POST", "/api/token/", body={"email": email, "password": PASSWORD}
        )
        assert status == 200, content

    @property
    def access(self) -> str:
        return self.cookies[settings.JWT_COOKIE_ACCESS_NAME]

    @property
    def session_id(self) -> str:
        return AccessToken(self.access)[SESSION_ID_CLAIM]

    def only_access(self, access=None) -> dict:
        """Cookies as they are once the refresh cookie is out of the picture."""
        return {
            settings.CSRF_COOKIE_NAME: self.cookies[settings.CSRF_COOKIE_NAME],
            settings.JWT_COOKIE_ACCESS_NAME: access or self.access,
        }


def me(browser, server, **kwargs):
    status, content = browser.request(server, "GET", "/api/me/", **kwargs)
    return status, json.loads(content) if status == 200 else content


@pytest.fixture
def user(transactional_db):
    # Committed, so the servers' own connections see it.
    return User.objects.create_user("scale@example.com", PASSWORD)


def test_each_server_is_healthy_and_https_only(servers):
    _, b = servers
    for server in servers:
        status, headers, _ = server.request(
            "GET", "/accounts/login/", headers={"Host": HOST}
        )
        assert status == 301
        assert dict(headers)["Location"] == f"https://{HOST}/accounts/login/"
        status, _, body = server.request("GET", "/api/me/", headers={"Host": HOST})
        assert status == 403  # an API call over HTTP fails, it is not redirected
        assert json.loads(body)["code"] == "https_required"
    status, headers, body = b.request("GET", "/healthz", headers={"Host": HOST})
    assert status == 200
    assert json.loads(body)["checks"] == {"database": "ok", "cache": "ok"}


def test_static_files_are_served_with_debug_off(servers):
    _, b = servers
    _, page = Browser().request(b, "GET", "/accounts/login/")
    stylesheets = re.findall(r'href="(/static/[^"]+\.css)"', page.decode())
    assert stylesheets, page

    status, headers, css = b.request(
        "GET", stylesheets[0], headers={"Host": HOST, "X-Forwarded-Proto": "https"}
    )

    assert status == 200
    assert css
    # A hashed name (manifest storage): browsers may keep it forever.
    assert "immutable" in dict(headers)["Cache-Control"]


def test_a_login_on_one_server_works_on_the_other(servers, user):
    a, b = servers
    browser = Browser()
    browser.log_in(a, user.email)

    status, found = me(browser, b)
    assert status == 200
    assert (found["id"], found["email"]) == (user.pk, user.email)


def test_a_refresh_on_one_server_while_the_other_serves_the_old_access_token(
    servers, user
):
    a, b = servers
    browser = Browser()
    browser.log_in(a, user.email)
    old_access = browser.access

    status, _ = browser.request(a, "POST", "/api/token/refresh/")

    assert status == 200
    assert browser.access != old_access
    # The old access token lives on until it expires, on either server...
    assert me(browser, b, cookies=browser.only_access(old_access))[0] == 200
    assert me(browser, b)[0] == 200
    # ...but not past the end of its session.
    status, _ = browser.request(a, "POST", "/api/token/blacklist/")
    assert status == 200
    assert me(browser, b, cookies=browser.only_access(old_access))[0] == 401


def test_a_session_revoked_on_one_server_is_refused_by_the_other(servers, user):
    a, b = servers
    owner, stolen = Browser(), Browser()
    owner.log_in(a, user.email)
    stolen.log_in(b, user.email)
    # B has now seen, and cached, the stolen session as alive.
    assert me(stolen, b, cookies=stolen.only_access())[0] == 200

    status, _ = owner.request(a, "DELETE", f"/api/sessions/{stolen.session_id}/")

    assert status == 204
    assert me(stolen, b, cookies=stolen.only_access())[0] == 401
    assert me(stolen, b)[0] == 401  # its refresh cookie is worthless too
    assert me(owner, b)[0] == 200


def test_a_logout_on_one_server_is_seen_by_the_other(servers, user):
    a, b = servers
    browser = Browser()
    browser.log_in(b, user.email)
    access_only = browser.only_access()
    assert me(browser, a, cookies=access_only)[0] == 200

    status, _ = browser.request(b, "POST", "/api/token/blacklist/")

    assert status == 200
    assert me(browser, a, cookies=access_only)[0] == 401


def statuses(browser, server, cookies, *, requests=24, parallel=4) -> list[int]:
    """GET /api/me/ `requests` times, `parallel` at once: every worker answers."""
    found = []

    def ask():
        for _ in range(requests // parallel):
            found.append(me(browser, server, cookies=cookies)[0])

    threads = [threading.Thread(target=ask) for _ in range(parallel)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return found


def test_a_revocation_on_one_server_is_refused_by_every_worker_of_the_other(
    servers, user
):
    a, b = servers
    owner, stolen = Browser(), Browser()
    owner.log_in(a, user.email)
    stolen.log_in(b, user.email)
    cookies = stolen.only_access()
    # Every worker of B has seen it alive, and answers from memory.
    assert set(statuses(stolen, b, cookies)) == {200}

    status, _ = owner.request(a, "DELETE", f"/api/sessions/{stolen.session_id}/")
    assert status == 204
    # The goal is 50 ms from the commit; the feed delivers in well under 5.
    time.sleep(0.005)

    assert set(statuses(stolen, b, cookies)) == {401}
    assert set(statuses(owner, b, owner.only_access())) == {200}


def test_with_the_feed_stopped_no_revoked_session_is_accepted(servers, feed, user):
    a, b = servers
    owner, stolen = Browser(), Browser()
    owner.log_in(a, user.email)
    stolen.log_in(b, user.email)
    # Taken now: a refused request deletes the browser's cookies.
    owner_cookies, stolen_cookies = owner.only_access(), stolen.only_access()
    assert set(statuses(stolen, b, stolen_cookies)) == {200}

    feed.stop()
    try:
        status, _ = owner.request(a, "DELETE", f"/api/sessions/{stolen.session_id}/")
        assert status == 204
        # Nobody heard of it; every worker asks the shared state instead.
        assert set(statuses(stolen, b, stolen_cookies)) == {401}
        # And the service goes on for everyone else.
        assert set(statuses(owner, b, owner_cookies)) == {200}
    finally:
        feed.start()

    # Back: each worker subscribes again (within a second) and goes on.
    time.sleep(1.2)
    assert set(statuses(owner, b, owner_cookies)) == {200}
    assert set(statuses(stolen, b, stolen_cookies)) == {401}
    later = Browser()
    later.log_in(b, user.email)
    later_cookies, later_session = later.only_access(), later.session_id
    assert set(statuses(later, b, later_cookies)) == {200}
    status, _ = owner.request(a, "DELETE", f"/api/sessions/{later_session}/")
    assert status == 204
    time.sleep(0.005)
    assert set(statuses(later, b, later_cookies)) == {401}


def feed_listeners(server) -> int:
    """Count the workers of `server` whose feed listens on the database."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE application_name = %s AND query LIKE %s",
            [server.application_name, "%jwt_sessions_ping_%"],
        )
        return cursor.fetchone()[0]


def until_every_worker_listens(server, browser, cookies):
    """Ask until both workers of `server` listen; every answer must be 200."""
    deadline = time.monotonic() + 10
    while feed_listeners(server) < 2:
        assert time.monotonic() < deadline, "a worker never listened"
        assert set(statuses(browser, server, cookies)) == {200}


def test_over_postgresql_alone_every_worker_of_the_other_server_refuses_a_revocation(
    servers_without_redis, user
):
    a, b = servers_without_redis
    owner, stolen = Browser(), Browser()
    owner.log_in(a, user.email)
    stolen.log_in(b, user.email)
    cookies = stolen.only_access()
    # Every worker of B has seen it alive, and listens to the database.
    assert set(statuses(stolen, b, cookies)) == {200}
    until_every_worker_listens(b, stolen, cookies)

    status, _ = owner.request(a, "DELETE", f"/api/sessions/{stolen.session_id}/")
    assert status == 204
    # The goal is 50 ms from the commit; the database delivers in well under 5.
    time.sleep(0.005)

    assert set(statuses(stolen, b, cookies)) == {401}
    assert set(statuses(owner, b, owner.only_access())) == {200}


def test_over_postgresql_alone_a_dropped_listener_accepts_no_revoked_session(
    servers_without_redis, user
):
    a, b = servers_without_redis
    owner, stolen = Browser(), Browser()
    owner.log_in(a, user.email)
    stolen.log_in(b, user.email)
    owner_cookies, stolen_cookies = owner.only_access(), stolen.only_access()
    until_every_worker_listens(b, stolen, stolen_cookies)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid, 2000) FROM pg_stat_activity"
            " WHERE application_name = %s AND query LIKE %s",
            [b.application_name, "%jwt_sessions_ping_%"],
        )
    status, _ = owner.request(a, "DELETE", f"/api/sessions/{stolen.session_id}/")
    assert status == 204
    # Nobody heard of it; every worker asks the shared state, and listens
    # again at once, having forgotten what it remembered.
    assert set(statuses(stolen, b, stolen_cookies)) == {401}
    assert set(statuses(owner, b, owner_cookies)) == {200}
    until_every_worker_listens(b, owner, owner_cookies)
    assert set(statuses(stolen, b, stolen_cookies)) == {401}
    later = Browser()
    later.log_in(b, user.email)
    later_cookies, later_session = later.only_access(), later.session_id
    assert set(statuses(later, b, later_cookies)) == {200}
    status, _ = owner.request(a, "DELETE", f"/api/sessions/{later_session}/")
    assert status == 204
    time.sleep(0.005)
    assert set(statuses(later, b, later_cookies)) == {401}
