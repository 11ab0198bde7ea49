"""How soon every worker of another server refuses a revoked session.

Two gunicorn servers (A and B, two workers each) over one PostgreSQL
database of the bench's own and one Redis, with the production settings.
Each trial logs an app in on A, has B's workers answer it from memory
(GET /api/me/ with its Bearer token from four threads at once), logs it out
on A, and from the moment A's answer arrives (its commit is before that)
keeps asking B from four threads until each has been refused. Per trial:
the time of B's first refusal, of the last thread's, and whether any
request started after A's answer was accepted.
"""

import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from .load import free_port

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "authsite_bench_revocation"
HOST = "bench.example"
EMAIL = "revocation@example.com"
PASSWORD = "correct horse battery staple 42"
TRIALS = 40
THREADS = 4


def available() -> bool:
    """Whether PostgreSQL answers on 127.0.0.1:5432 (Redis is checked apart)."""
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=0.5):
            return True
    except OSError:
        return False


def _request(port, method, path, *, token=None, body=None):
    headers = {"Host": HOST, "X-Forwarded-Proto": "https"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if body is not None:
        body = json.dumps(body)
        headers["Content-Type"] = "application/json"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _environment(workdir: Path, redis_url: str) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "JWT_", "DATABASE_", "REDIS_URL"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="authsite.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="bench-only-" + "s" * 50,
        JWT_SIGNING_KEY="bench-only-" + "j" * 50,
        DJANGO_ALLOWED_HOSTS=HOST,
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
        REDIS_URL=redis_url,
        DJANGO_STATIC_ROOT=str(workdir / "static"),
        WEB_CONCURRENCY="2",
        FORWARDED_ALLOW_IPS="127.0.0.1",
        LOGIN_FAILURE_LIMIT="1000",
        PYTHONPATH=str(ROOT),
    )
    return env


def _prepare(env: dict) -> None:
    for sql in (
        f"DROP DATABASE IF EXISTS {DATABASE}",
        f"CREATE DATABASE {DATABASE}",
    ):
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c", sql],
            check=True,
            capture_output=True,
        )
    for command in (
        ["migrate", "--noinput", "-v0"],
        ["collectstatic", "--noinput", "-v0"],
        [
            "shell",
            "-c",
            "from accounts.models import User; "
            f"User.objects.create_user({EMAIL!r}, {PASSWORD!r})",
        ],
    ):
        subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )


def _start(env: dict, log: Path) -> tuple:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "authsite.wsgi"],
        cwd=ROOT,
        env={**env, "HOST": "127.0.0.1", "PORT": str(port)},
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if _request(port, "GET", "/healthz")[0] == 200:
                return port, process
        except OSError:
            pass
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"gunicorn did not start; see {log}")


def _trial(a: int, b: int) -> dict:
    status, body = _request(
        a, "POST", "/api/app/token/", body={"email": EMAIL, "password": PASSWORD}
    )
    assert status == 200, (status, body)
    tokens = json.loads(body)
    access = tokens["access"]

    # Every worker of B sees the session alive, and from then on answers
    # from memory.
    def warm_up():
        for _ in range(6):
            _request(b, "GET", "/api/me/", token=access)

    warm = [threading.Thread(target=warm_up) for _ in range(THREADS)]
    for thread in warm:
        thread.start()
    for thread in warm:
        thread.join()

    status, _ = _request(
        a, "POST", "/api/app/token/blacklist/", body={"refresh": tokens["refresh"]}
    )
    answered = time.monotonic()
    assert status == 200
    refused_at = [None] * THREADS
    accepted_after = [0] * THREADS

    def ask(index):
        while time.monotonic() - answered < 2:
            started = time.monotonic()
            status, _ = _request(b, "GET", "/api/me/", token=access)
            if status == 200:
                accepted_after[index] += 1
            elif status == 401:
                refused_at[index] = time.monotonic() - answered
                return
            if started - answered > 1:
                return

    askers = [threading.Thread(target=ask, args=(i,)) for i in range(THREADS)]
    for thread in askers:
        thread.start()
    for thread in askers:
        thread.join()
    if None in refused_at:
        raise RuntimeError("a revoked session was still accepted after 2 s")
    return {
        "first_ms": min(refused_at) * 1000,
        "last_ms": max(refused_at) * 1000,
        "accepted": sum(accepted_after),
    }


def run(workdir: Path, redis_url: str) -> dict:
    """Measure TRIALS revocations across two servers; return the figures."""
    env = _environment(workdir, redis_url)
    _prepare(env)
    servers = []
    try:
        for name in ("A", "B"):
            servers.append(_start(env, workdir / f"revocation-{name}.log"))
        (a, _), (b, _) = servers
        _trial(a, b)  # the first logins of each worker: not measured
        trials = [_trial(a, b) for _ in range(TRIALS)]
    finally:
        for _, process in servers:
            process.terminate()
            process.wait(timeout=15)
        subprocess.run(
            [
                "psql",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-q",
                "-c",
                f"DROP DATABASE IF EXISTS {DATABASE}",
            ],
            capture_output=True,
        )
    last = sorted(trial["last_ms"] for trial in trials)
    first = sorted(trial["first_ms"] for trial in trials)
    return {
        "trials": len(trials),
        "accepted": sum(trial["accepted"] for trial in trials),
        "first_p50": statistics.median(first),
        "last_p50": statistics.median(last),
        "last_p99": last[min(len(last) - 1, round(0.99 * (len(last) - 1)))],
        "last_max": last[-1],
    }
