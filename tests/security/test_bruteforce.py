"""Password guessing through every door, and what stops it.

References: OWASP Authentication Cheat Sheet (account lockout, throttling),
ASVS 5.0 V6.3 (authentication lifecycle: anti-automation), RFC 6585 (429).
"""

import time

import pytest
from django.core import mail

from accounts.models import SecurityEvent, User
from tests.helpers.clients import PASSWORD
from tests.security.conftest import RawClient, server_state

pytestmark = pytest.mark.django_db(transaction=True)

WRONG = "not the password 0"


@pytest.fixture(autouse=True)
def small_limit(settings):
    settings.AXES_FAILURE_LIMIT = 3


def html_login(client, email, password, headers=None):
    client.get("/accounts/login/")
    return client.post(
        "/accounts/login/",
        form={
            "email": email,
            "password": password,
            "csrfmiddlewaretoken": client.cookies["__Host-csrftoken"],
        },
        headers={"Origin": client.base_url, **(headers or {})},
    )


def browser_api_login(client, email, password, headers=None):
    return client.post(
        "/api/token/",
        json={"email": email, "password": password},
        headers={**client.same_origin_headers(), **(headers or {})},
    )


def app_api_login(client, email, password, headers=None):
    return client.post(
        "/api/app/token/", json={"email": email, "password": password}, headers=headers
    )


LOGIN_DOORS = [html_login, browser_api_login, app_api_login]


@pytest.mark.parametrize("door", LOGIN_DOORS, ids=lambda d: d.__name__)
def test_guessing_a_password_locks_the_account_with_429_and_retry_after(
    site, victim, door
):
    """OWASP Authentication: after a few failures the account is locked a while."""
    client = RawClient(site)
    for _ in range(2):
        assert door(client, victim.email, WRONG).status in (200, 401)
    assert door(client, victim.email, WRONG).status == 429  # the third locks
    before = server_state()

    locked = door(client, victim.email, PASSWORD)  # even the right password

    assert locked.status == 429
    assert int(locked.header("Retry-After")) == 15 * 60
    assert b"Too many failed attempts" in locked.body
    assert server_state() == before  # no token, no session, no last_login


@pytest.mark.parametrize("door", LOGIN_DOORS, ids=lambda d: d.__name__)
def test_the_account_counter_is_shared_by_every_door_and_every_case(site, victim, door):
    """Failures through one door and in any letter case count for the account."""
    client = RawClient(site)
    html_login(client, "VICTIM@example.com", WRONG)
    browser_api_login(client, victim.email, WRONG)
    app_api_login(client, "Victim@Example.com", WRONG)

    assert door(RawClient(site), victim.email, PASSWORD).status == 429


def test_one_address_guessing_many_accounts_is_locked_out(
    site, victim, attacker_account, settings
):
    """OWASP Authentication: spraying one password over accounts is throttled."""
    settings.TRUSTED_PROXY_COUNT = 1
    client = RawClient(site)
    sprayer = {"X-Forwarded-For": "203.0.113.7"}
    for email in ("a@example.com", "b@example.com", "c@example.com"):
        app_api_login(client, email, WRONG, headers=sprayer)

    from_sprayer = app_api_login(client, victim.email, PASSWORD, headers=sprayer)
    elsewhere = app_api_login(
        client, victim.email, PASSWORD, headers={"X-Forwarded-For": "198.51.100.2"}
    )

    assert from_sprayer.status == 429
    assert elsewhere.status == 200


def test_a_forged_x_forwarded_for_does_not_reset_the_counter(site, victim, settings):
    """OWASP Authentication: the client cannot choose the address it is counted by."""
    settings.TRUSTED_PROXY_COUNT = 0  # no proxy: X-Forwarded-For is the client's word
    client = RawClient(site)
    for n in range(3):
        app_api_login(
            client,
            f"user{n}@example.com",
            WRONG,
            headers={"X-Forwarded-For": f"192.0.2.{n}"},
        )

    response = app_api_login(
        client, victim.email, PASSWORD, headers={"X-Forwarded-For": "192.0.2.200"}
    )

    assert response.status == 429


def test_only_the_trusted_proxys_entry_counts(site, victim, settings):
    """With one proxy, entries the client wrote to the left of it are ignored."""
    settings.TRUSTED_PROXY_COUNT = 1
    client = RawClient(site)
    for n in range(3):
        app_api_login(
            client,
            f"user{n}@example.com",
            WRONG,
            headers={"X-Forwarded-For": f"10.9.9.{n}, 203.0.113.9"},
        )

    response = app_api_login(
        client,
        victim.email,
        PASSWORD,
        headers={"X-Forwarded-For": "10.9.9.77, 203.0.113.9"},
    )

    assert response.status == 429


def test_the_lock_lifts_after_the_cool_off(site, victim, settings):
    settings.AXES_COOLOFF_TIME = __import__("datetime").timedelta(seconds=2)
    client = RawClient(site)
    for _ in range(3):
        app_api_login(client, victim.email, WRONG)
    assert app_api_login(client, victim.email, PASSWORD).status == 429

    time.sleep(2.5)

    assert app_api_login(client, victim.email, PASSWORD).status == 200


def test_admin_staff_log_in_through_the_same_protected_door(site, settings):
    """The admin has no login of its own: its login page is the guarded one."""
    staff = User.objects.create_user("boss@example.com", PASSWORD, is_staff=True)
    client = RawClient(site)
    redirect = client.get("/admin/login/?next=/admin/")
    assert redirect.header("Location").startswith("/accounts/login/")
    for _ in range(3):
        html_login(client, staff.email, WRONG)

    assert html_login(client, staff.email, PASSWORD).status == 429


@pytest.mark.parametrize("door", ["html", "api"])
def test_guessing_the_old_password_on_password_change_locks_out(
    victim_browser, victim, door
):
    """OWASP Authentication: re-authentication is a password check like a login."""

    def attempt(old):
        if door == "api":
            return victim_browser.post(
                "/api/auth/password/change/",
                json={"old_password": old, "new_password": "brand new passphrase 77"},
                headers=victim_browser.same_origin_headers(),
            )
        victim_browser.get("/accounts/password/change/")
        return victim_browser.post(
            "/accounts/password/change/",
            form={
                "old_password": old,
                "new_password1": "brand new passphrase 77",
                "new_password2": "brand new passphrase 77",
                "csrfmiddlewaretoken": victim_browser.cookies["__Host-csrftoken"],
            },
            headers={"Origin": victim_browser.base_url},
        )

    for _ in range(2):
        assert attempt(WRONG).status in (200, 400)
    assert attempt(WRONG).status == 429
    before = server_state()

    locked = attempt(PASSWORD)

    assert locked.status == 429
    assert locked.header("Retry-After")
    assert server_state() == before


def test_guessing_reset_links_locks_out(site, victim):
    """OWASP Forgot Password: reset tokens are guarded like passwords."""
    import re

    client = RawClient(site)
    client.ask_for_password_reset(victim.email)
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+/)", mail.outbox[-1].body)[1]
    uid = link.split("/")[3]
    for n in range(3):
        client.get(f"/accounts/reset/{uid}/guess-{n}/")

    response = client.get(link)  # even the real link, for now

    assert response.status == 429
    assert b"Too many" in response.body


def test_failures_and_lockouts_are_on_record_for_staff(site, victim):
    """ASVS: failed authentication is logged; staff can see who was targeted."""
    client = RawClient(site)
    app_api_login(client, "ghost@example.com", WRONG)
    for _ in range(3):
        app_api_login(client, victim.email, WRONG)

    events = SecurityEvent.objects.order_by("created_at")
    assert events.filter(type="login_failed", user=victim).count() == 3
    assert events.filter(
        type="login_failed", user=None, detail__contains="ghost"
    ).exists()
    assert events.filter(type="locked_out").exists()
