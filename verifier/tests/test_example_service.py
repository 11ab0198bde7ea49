"""The example service under gunicorn (two workers) against the fake issuer."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from fake_issuer import AUDIENCE, CLIENT_ID, CLIENT_SECRET, wait_until

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "inventory"
GUNICORN = Path(sys.executable).with_name("gunicorn")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def service_url(issuer):
    if not GUNICORN.exists():
        pytest.skip("gunicorn is not installed")
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "verifier"),
        "DJANGO_SETTINGS_MODULE": "inventory.settings",
        "AUTHSITE_URL": issuer.url,
        "INVENTORY_AUDIENCE": AUDIENCE,
        "INVENTORY_CLIENT_ID": CLIENT_ID,
        "INVENTORY_CLIENT_SECRET": CLIENT_SECRET,
    }
    process = subprocess.Popen(
        [
            *(str(GUNICORN), "--bind", f"127.0.0.1:{port}"),
            *("--workers", "2", "--threads", "2", "inventory.wsgi"),
        ],
        cwd=EXAMPLE,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"

    def answers():
        try:
            return requests.get(f"{url}/api/items/", timeout=1).status_code == 401
        except requests.ConnectionError:
            return False

    try:
        wait_until(answers, timeout=20)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_example_refuses_a_logged_out_token_within_a_second(issuer, service_url):
    token = issuer.mint(sid="s-1", user_id="7")
    bearer = {"Authorization": f"Bearer {token}"}
    first = requests.get(f"{service_url}/api/items/", headers=bearer, timeout=5)
    assert first.status_code == 200
    assert first.json()["user_id"] == "7"

    revoked_at = time.monotonic()
    pushed = requests.post(
        f"{service_url}/events/",
        data=issuer.revoke("s-1"),
        headers={"Content-Type": "application/secevent+jwt"},
        timeout=5,
    )
    assert pushed.status_code == 202

    # Either worker: the one the push reached, or the other by its poll.
    def refused_by_every_worker():
        statuses = {
            requests.get(
                f"{service_url}/api/items/", headers=bearer, timeout=5
            ).status_code
            for _ in range(6)
        }
        return statuses == {401}

    wait_until(refused_by_every_worker, timeout=1.0)
    assert time.monotonic() - revoked_at < 1.0


def test_example_refuses_a_token_for_another_audience(issuer, service_url):
    token = issuer.mint(aud="orders")

    response = requests.get(
        f"{service_url}/api/items/",
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )

    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
