"""Telling accounts apart: by message, by status, by timing.

References: OWASP Authentication Cheat Sheet (authentication responses),
ASVS 5.0 V6.3 (user enumeration), CWE-204 / CWE-208 (observable discrepancy).
"""

import statistics
import time

import pytest
from django.core import mail

from accounts.models import User
from tests.helpers.clients import PASSWORD
from tests.security.conftest import RawClient

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def no_lockout(settings):
    # Lockouts are the subject of test_bruteforce; here they would only make
    # the later attempts fast and identical.
    settings.AXES_FAILURE_LIMIT = 1000


@pytest.fixture
def accounts(transactional_db):
    """The four cases an attacker would like to tell apart."""
    User.objects.create_user("active@example.com", PASSWORD)
    User.objects.create_user("inactive@example.com", PASSWORD, is_active=False)
    User.objects.create_user("deleted@example.com", PASSWORD).delete()
    return {
        "wrong password": ("active@example.com", "wrong password 1"),
        "unknown email": ("nobody@example.com", PASSWORD),
        "inactive account": ("inactive@example.com", PASSWORD),
        "deleted user": ("deleted@example.com", PASSWORD),
    }


def answer(response, email):
    """What an attacker compares: status and body, less what differs anyway.

    The per-request CSRF token and the echo of the email the attacker typed
    into the form differ whatever the account; nothing else may.
    """
    import re

    body = re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", response.body)
    return response.status, body.replace(email.encode(), b"<email>")


@pytest.mark.parametrize("door", ["/api/token/", "/api/app/token/", "/accounts/login/"])
def test_every_failed_login_says_the_same_thing(site, accounts, door):
    answers = {}
    for case, (email, password) in accounts.items():
        client = RawClient(site)
        if door == "/accounts/login/":
            client.get(door)
            response = client.post(
                door,
                form={
                    "email": email,
                    "password": password,
                    "csrfmiddlewaretoken": client.cookies["__Host-csrftoken"],
                },
                headers={"Origin": site},
            )
        else:
            response = client.post(
                door,
                json={"email": email, "password": password},
                headers=client.same_origin_headers(),
            )
        answers[case] = answer(response, email)

    assert len(set(answers.values())) == 1, answers
    assert next(iter(answers.values()))[0] in (200, 401)


def test_password_reset_says_the_same_for_every_address(site, accounts):
    """OWASP Forgot Password: the same answer whether or not the account exists."""
    answers = {}
    for case, (email, _password) in accounts.items():
        client = RawClient(site)
        client.get("/accounts/password/reset/")
        response = client.post(
            "/accounts/password/reset/",
            form={
                "email": email,
                "csrfmiddlewaretoken": client.cookies["__Host-csrftoken"],
            },
            headers={"Origin": site},
        )
        answers[case] = (response.status, response.header("Location"))

    assert len(set(answers.values())) == 1, answers
    assert [m.to for m in mail.outbox] == [["active@example.com"]]


def test_failed_logins_take_as_long_for_unknown_and_known_accounts(site, accounts):
    """CWE-208: the hasher runs for unknown and inactive accounts too."""
    client = RawClient(site)
    durations = {case: [] for case in accounts}
    for _round in range(5):
        for case, (email, password) in accounts.items():
            start = time.perf_counter()
            client.post("/api/app/token/", json={"email": email, "password": password})
            durations[case].append(time.perf_counter() - start)
    medians = {case: statistics.median(times) for case, times in durations.items()}

    # Argon2 dominates every path (~tens of ms); a path that skipped it would
    # be several times faster than the others.
    fastest, slowest = min(medians.values()), max(medians.values())
    assert slowest < fastest * 2, medians
