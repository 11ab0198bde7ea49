"""`python -m bench`: run every measurement, print the report, write it to docs/."""

import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from . import load, report, revocation, service

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = "redis://127.0.0.1:6379/5"
WRK_KEYS = ("anonymous", "cookie", "bearer", "session", "simplejwt", "stateless")
WRK_REDIS_KEYS = ("anonymous", "cookie", "bearer")


def redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def child_env(workdir: Path, name: str, *, redis: bool) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "JWT_", "DATABASE_")) and key != "REDIS_URL"
    }
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        # The settings module generates local keys only with DEBUG on at
        # import; bench.settings then turns DEBUG off.
        DJANGO_DEBUG="1",
        DJANGO_LOCAL_SECRETS_FILE=str(workdir / "secrets.json"),
        DATABASE_URL=f"sqlite:///{workdir / name}.sqlite3",
        PYTHONPATH=str(ROOT),
    )
    if redis:
        env["REDIS_URL"] = REDIS_URL
    return env


def run_inprocess(env: dict, out: Path) -> dict:
    subprocess.run(
        [sys.executable, "-W", "ignore", "-m", "bench.inprocess", str(out)],
        env=env,
        cwd=ROOT,
        check=True,
    )
    return json.loads(out.read_text())


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    versions = {
        name: metadata.version(name)
        for name in (
            "Django",
            "djangorestframework",
            "djangorestframework-simplejwt",
            "PyJWT",
            "argon2-cffi",
            "gunicorn",
        )
    }
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "load": os.getloadavg(),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "versions": versions,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit,
    }


def main():
    info = machine()
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        workdir = Path(tmp)
        runs = {}
        wrk = {}
        # (run name, label, with Redis, rows of the load test)
        configurations = [("db", "database cache", False, WRK_KEYS)]
        if redis_answers():
            configurations.append(("redis", "Redis cache", True, WRK_REDIS_KEYS))
        for name, label, redis, wrk_keys in configurations:
            print(f"bench: in-process, {label} ...", file=sys.stderr)
            env = child_env(workdir, f"{name}-cache", redis=redis)
            runs[name] = run_inprocess(env, workdir / f"{name}-cache.json")
            if load.available():
                print(f"bench: wrk against gunicorn, {label} ...", file=sys.stderr)
                credentials = runs[name]["credentials"]
                wrk[name] = load.run(
                    env, credentials, load.rows_for(credentials, wrk_keys)
                )
        latency = None
        if redis_answers() and revocation.available():
            print("bench: revocation across two servers ...", file=sys.stderr)
            latency = revocation.run(workdir, REDIS_URL)
        elsewhere = None
        if service.available():
            print("bench: revocation heard by another service ...", file=sys.stderr)
            elsewhere = service.run()
    text = report.render(
        info,
        runs,
        wrk,
        wrk_available=load.available(),
        latency=latency,
        elsewhere=elsewhere,
    )
    print(text)
    (ROOT / "docs" / "BENCHMARKS.md").write_text(text)
    print("bench: written to docs/BENCHMARKS.md", file=sys.stderr)


if __name__ == "__main__":
    main()
