"""Real parallel requests and a second process: rotation must not fork.

These run with real transactions (`transaction=True`): each thread has its
own database connection, as each gunicorn worker would.
"""

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from jwt_sessions.models import Session
from tests.helpers.clients import PASSWORD, auth_cookie, csrf_headers, log_in
from tests.helpers.users import create_user

ACCESS = settings.JWT_COOKIE_ACCESS_NAME
REFRESH = settings.JWT_COOKIE_REFRESH_NAME
PARALLEL = 8
BASE_DIR = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db(transaction=True)


def in_parallel(request_fn, clients):
    """Fire request_fn(client) from one thread per client at the same moment."""
    barrier = threading.Barrier(len(clients))
    responses = [None] * len(clients)
    errors = []

    def run(index, client):
        try:
            barrier.wait(timeout=10)
            responses[index] = request_fn(client)
        except Exception as exc:  # reported below, with the thread's traceback
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return responses


def copies_of(client, count):
    """Return `count` clients holding the same cookies, like one browser's tabs."""
    copies = []
    for _ in range(count):
        copy = Client(enforce_csrf_checks=True)
        for name, morsel in client.cookies.items():
            copy.cookies[name] = morsel.value
        copies.append(copy)
    return copies


@pytest.fixture
def user(transactional_db):
    return create_user("alice@example.com", PASSWORD)


def test_parallel_refreshes_of_one_token_all_get_the_same_successor(browser, user):
    log_in(browser, user.email)
    old_refresh = auth_cookie(browser, "refresh")
    headers = csrf_headers(browser)

    responses = in_parallel(
        lambda c: c.post(reverse("api:token-refresh"), **headers),
        copies_of(browser, PARALLEL),
    )

    assert [r.status_code for r in responses] == [200] * PARALLEL
    successors = {
        (r.cookies[ACCESS].value, r.cookies[REFRESH].value) for r in responses
    }
    assert len(successors) == 1
    assert old_refresh not in next(iter(successors))
    assert OutstandingToken.objects.count() == 2  # one login, one rotation
    session = Session.objects.get()
    assert session.revoked_at is None


def test_a_burst_of_page_requests_at_expiry_never_logs_out(browser, user):
    log_in(browser, user.email)
    tabs = copies_of(browser, PARALLEL)

    with time_machine.travel(
        timezone.now() + timezone.timedelta(seconds=settings.JWT_ACCESS_LIFETIME + 1)
    ):
        responses = in_parallel(lambda c: c.get(reverse("api:me")), tabs)
        pages = in_parallel(
            lambda c: c.get(reverse("dashboard")), copies_of(browser, 4)
        )

    assert [r.status_code for r in responses] == [200] * PARALLEL
    assert [r.status_code for r in pages] == [200] * 4
    new_cookies = {r.cookies[REFRESH].value for r in responses + pages}
    assert "" not in new_cookies  # no response deleted the cookies
    assert len(new_cookies) == 1
    assert OutstandingToken.objects.count() == 2
    assert Session.objects.get().revoked_at is None


def test_a_change_made_in_another_process_is_seen_on_the_next_request(browser, user):
    log_in(browser, user.email)
    assert browser.get(reverse("api:me")).status_code == 200
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        url = f"sqlite:///{db['NAME']}"
    else:
        url = (
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        )
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "authsite.settings",
    }

    # What an operator would type in `manage.py shell`.
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from accounts.models import User; "
            "u = User.objects.get(email='alice@example.com'); "
            "u.is_active = False; u.save()",
        ],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert browser.get(reverse("api:me")).status_code == 401
