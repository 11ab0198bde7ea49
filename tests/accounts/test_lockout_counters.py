"""Lockouts catch guessers, not owners; staff can unlock; the log reads well.

Reset-link guessing is counted per address on a counter of its own, so old
reset links opened from one's mail never lock one's login. Staff unlock an
account or an address with `manage.py unlock` or the admin's actions.
"""

import io
import re

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from accounts.models import EVENT_SENTENCES, SecurityEvent
from tests.helpers.clients import PASSWORD, log_in

Event = SecurityEvent.Type
CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/156.0.0.0 Safari/537.36"
)


@pytest.fixture(autouse=True)
def _lockout_after_five(settings):
    settings.AXES_FAILURE_LIMIT = 5


@pytest.fixture
def home():
    """A browser at the owner's address."""
    return Client(REMOTE_ADDR="198.51.100.20", HTTP_USER_AGENT=CHROME)


def app_login(client, email, password):
    return client.post(
        reverse("api:app-token"),
        {"email": email, "password": password},
        content_type="application/json",
    )


def used_reset_link(client, user) -> str:
    """Return a reset link of `user` that has already been used."""
    client.post(reverse("accounts:password_reset"), {"email": user.email})
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+/)", mail.outbox[-1].body)[1]
    user.set_password("a replacement passphrase 61")
    user.save()  # a new password voids every earlier reset link
    user.set_password(PASSWORD)
    user.save()
    return link


def test_old_reset_links_do_not_lock_the_owners_login(home, user):
    link = used_reset_link(home, user)
    for _ in range(4):
        assert home.get(link).status_code == 200  # "this link is no longer valid"

    wrong = app_login(home, user.email, "a typo in the password")
    right = app_login(home, user.email, PASSWORD)

    assert wrong.status_code == 401
    assert right.status_code == 200


def test_reset_link_guessing_is_still_locked_per_address(home, user):
    link = used_reset_link(home, user)
    for _ in range(5):
        home.get(link)

    assert home.get(link).status_code == 429
    # ...while the owner's login from the same address still works.
    assert app_login(home, user.email, PASSWORD).status_code == 200
    locked = SecurityEvent.objects.get(type=Event.LOCKED_OUT)
    assert "Password-reset links opened from 198.51.100.20" in locked.sentence


def test_a_refused_reset_link_is_a_sentence_on_its_owners_log_not_a_failed_login(
    home, user
):
    link = used_reset_link(home, user)
    home.get(link)

    assert not SecurityEvent.objects.filter(type=Event.LOGIN_FAILED).exists()
    event = SecurityEvent.objects.get(type=Event.RESET_LINK_REFUSED)
    assert event.user == user
    assert event.sentence == (
        "A password-reset link for this account was opened, but it had already "
        "been used or had expired."
    )
    assert event.device == "Chrome on Linux"


def test_every_event_type_reads_as_a_sentence():
    for event_type in Event:
        sentence = str(EVENT_SENTENCES[event_type])
        assert sentence[0].isupper() and sentence.endswith("."), event_type


def test_a_login_attempt_on_no_account_names_the_address_for_staff(home, db):
    app_login(home, "nobody@example.com", "whatever it is 123")

    event = SecurityEvent.objects.get(type=Event.LOGIN_FAILED)
    assert event.sentence == (
        "Someone tried to log in as nobody@example.com, which has no account."
    )


def test_the_sessions_page_shows_sentences_and_devices(user):
    browser = Client(enforce_csrf_checks=True, HTTP_USER_AGENT=CHROME)
    log_in(browser, user.email)
    app_login(Client(HTTP_USER_AGENT=CHROME), user.email, "not my password 1")

    page = browser.get(reverse("accounts:sessions")).content.decode()

    assert "Someone tried to log in to this account with a wrong password." in page
    assert "Chrome on Linux" in page
    assert "Mozilla/5.0" not in page


def lock_out(client, email):
    for _ in range(5):
        app_login(client, email, "a wrong password 0")
    assert app_login(client, email, PASSWORD).status_code == 429


def test_unlock_command_unlocks_one_account(home, user):
    lock_out(home, user.email)
    out = io.StringIO()

    call_command("unlock", email=user.email.upper(), stdout=out)

    assert "Unlocked" in out.getvalue()
    # From another address: the account's own counter was what locked it.
    assert (
        app_login(Client(REMOTE_ADDR="203.0.113.9"), user.email, PASSWORD).status_code
        == 200
    )


def test_unlock_command_unlocks_one_address(home, user, other_user):
    for email in (
        "a@example.com",
        "b@example.com",
        "c@example.com",
        "d@example.com",
        "e@example.com",
    ):
        app_login(home, email, "a wrong password 0")
    assert app_login(home, other_user.email, PASSWORD).status_code == 429

    call_command("unlock", ip_address="198.51.100.20", stdout=io.StringIO())

    assert app_login(home, other_user.email, PASSWORD).status_code == 200


def test_unlock_command_needs_a_target_and_says_when_nothing_was_locked(db):
    with pytest.raises(CommandError, match="--email"):
        call_command("unlock", stdout=io.StringIO())
    out = io.StringIO()
    call_command("unlock", email="calm@example.com", stdout=out)
    assert "nothing to do" in out.getvalue()


def test_axes_reset_explains_instead_of_crashing(db):
    with pytest.raises(CommandError, match=r"manage\.py unlock"):
        call_command("axes_reset", stdout=io.StringIO())


def test_axes_reset_of_one_username_works(home, user):
    lock_out(home, user.email)

    call_command("axes_reset_username", user.email, stdout=io.StringIO())

    assert (
        app_login(Client(REMOTE_ADDR="203.0.113.9"), user.email, PASSWORD).status_code
        == 200
    )


def test_staff_unlock_an_account_from_the_admin(home, user, superuser):
    lock_out(home, user.email)
    staff = Client()
    log_in(staff, superuser.email)

    response = staff.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "unlock_accounts", "_selected_action": [user.pk]},
        follow=True,
    )

    assert "1 account unlocked" in response.content.decode()
    assert (
        app_login(Client(REMOTE_ADDR="203.0.113.9"), user.email, PASSWORD).status_code
        == 200
    )


def test_staff_unlock_an_address_from_the_security_log(home, user, superuser):
    lock_out(home, user.email)
    staff = Client(REMOTE_ADDR="192.0.2.1")
    log_in(staff, superuser.email)
    event = SecurityEvent.objects.filter(type=Event.LOCKED_OUT).first()

    response = staff.post(
        reverse("admin:accounts_securityevent_changelist"),
        {"action": "unlock_accounts_and_addresses", "_selected_action": [event.pk]},
        follow=True,
    )

    assert "Unlocked: 198.51.100.20, alice@example.com." in response.content.decode()
    assert app_login(home, user.email, PASSWORD).status_code == 200
