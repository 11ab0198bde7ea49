"""A short wrk load test per row against gunicorn pinned to one core."""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

WRK = "/usr/bin/wrk"
DURATION = "4s"
CONNECTIONS = 8


def available() -> bool:
    return Path(WRK).exists() and shutil.which("taskset") is not None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(port, process, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("gunicorn exited; see its output above")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")


def parse(output: str) -> dict:
    def number(pattern):
        match = re.search(pattern, output)
        return match and match.group(1)

    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    latency = re.search(r"Latency\s+([\d.]+)(us|ms|s)", output)
    return {
        "rps": float(number(r"Requests/sec:\s+([\d.]+)") or 0),
        "latency_ms": float(latency.group(1)) * scale[latency.group(2)]
        if latency
        else None,
        "errors": int(number(r"Non-2xx or 3xx responses:\s+(\d+)") or 0),
    }


def run(env, credentials, rows):
    """Serve with gunicorn on core 0; run wrk on core 1 for each (key, path, header)."""
    port = free_port()
    server_env = {
        **env,
        "WEB_CONCURRENCY": "1",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "GUNICORN_LOG_LEVEL": "warning",
    }
    cores = os.cpu_count() or 1
    server = subprocess.Popen(
        ["taskset", "-c", "0", sys.executable, "-m", "gunicorn", "authsite.wsgi"],
        env=server_env,
    )
    results = {}
    try:
        wait_for(port, server)
        client_pin = ["taskset", "-c", "1"] if cores > 1 else []
        for key, path, header in rows:
            command = [
                *client_pin,
                WRK,
                "-t1",
                f"-c{CONNECTIONS}",
                f"-d{DURATION}",
                *(["-H", header] if header else []),
                f"http://127.0.0.1:{port}{path}",
            ]
            output = subprocess.run(
                command, capture_output=True, text=True, check=True
            ).stdout
            results[key] = parse(output)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return results


def rows_for(credentials, keys):
    access = credentials["access"]
    stock = credentials["stock_access"]
    table = {
        "anonymous": ("/anonymous/cart/", None),
        "cookie": ("/ours/cart/", f"Cookie: {credentials['access_cookie']}={access}"),
        "bearer": ("/ours/cart/", f"Authorization: Bearer {access}"),
        "session": (
            "/peer-session/cart/",
            f"Cookie: {credentials['session_cookie']}={credentials['session_key']}",
        ),
        "simplejwt": ("/peer-simplejwt/cart/", f"Authorization: Bearer {stock}"),
        "stateless": ("/peer-stateless/cart/", f"Authorization: Bearer {stock}"),
    }
    return [(key, *table[key]) for key in keys]
