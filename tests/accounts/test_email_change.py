"""Changing the email address: the password, a link to the new one, a notice.

Through the client with the cookies the server set, and the links of the
emails Django's test backend kept.
"""

import re

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts import services
from accounts.models import SecurityEvent
from tests.helpers.clients import PASSWORD, csrf_headers, log_in
from tests.helpers.users import create_user

LINK = re.compile(r"https?://testserver(/accounts/email/verify/(?P<token>[^/\s]+)/)")


def link_in(message):
    match = LINK.search(message.body)
    assert match, message.body
    return match[1], match["token"]


def change(client, email, password=PASSWORD):
    return client.post(
        reverse("api:email-change"),
        {"email": email, "password": password},
        content_type="application/json",
        **csrf_headers(client),
    )


def form_post(client: Client, url: str, data: dict | None = None):
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    return client.post(url, {**(data or {}), "csrfmiddlewaretoken": token})


def test_an_email_change_end_to_end(
    logged_in, user, django_capture_on_commit_callbacks
):
    old_verified_at = user.email_verified_at
    response = change(logged_in, "Alice.New@Example.com")

    assert response.status_code == 202
    assert response.json()["code"] == "email_sent"
    user.refresh_from_db()
    assert user.email == "alice@example.com", "nothing changes before the link"
    assert [m.to for m in mail.outbox] == [["alice.new@example.com"]]
    path, token = link_in(mail.outbox[0])

    page = logged_in.get(path)
    assert page.status_code == 200
    assert b"Confirm your new email address" in page.content
    user.refresh_from_db()
    assert user.email == "alice@example.com"

    # The old address is told once the change is committed.
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = form_post(logged_in, path)
    assert confirmed.status_code == 302
    user.refresh_from_db()
    assert user.email == "alice.new@example.com"
    assert user.email_verified_at > old_verified_at
    notice = mail.outbox[-1]
    assert notice.to == ["alice@example.com"]
    assert "was changed to alice.new@example.com" in notice.body
    assert LINK.search(notice.body) is None
    events = list(user.security_events.values_list("type", flat=True))
    assert SecurityEvent.Type.EMAIL_CHANGED in events
    assert SecurityEvent.Type.EMAIL_CHANGE_REQUESTED in events
    changed = user.security_events.get(type=SecurityEvent.Type.EMAIL_CHANGED)
    assert changed.sentence == (
        "The email address was changed from alice@example.com to alice.new@example.com."
    )
    # This session goes on (see docs/SECURITY.md), and logs in with the new one.
    assert logged_in.get(reverse("api:me")).json()["email"] == user.email
    assert log_in(Client(), "alice.new@example.com").status_code == 200

    again = form_post(logged_in, path)
    assert again.status_code == 410
    api_again = logged_in.post(
        reverse("api:email-verify"),
        {"token": token},
        content_type="application/json",
        **csrf_headers(logged_in),
    )
    assert api_again.json()["code"] == "token_used"


def test_an_app_changes_the_address_with_the_api(app_client, user, user_bearer):
    response = app_client.post(
        reverse("api:email-change"),
        {"email": "alice2@example.com", "password": PASSWORD},
        content_type="application/json",
        **user_bearer,
    )
    assert response.status_code == 202
    _, token = link_in(mail.outbox[-1])

    confirmed = app_client.post(
        reverse("api:email-verify"), {"token": token}, content_type="application/json"
    )

    assert confirmed.status_code == 200
    assert confirmed.json() == {
        "email": "alice2@example.com",
        "email_verified": True,
        "changed": True,
    }
    me = app_client.get(reverse("api:me"), **user_bearer).json()
    assert me["email"] == "alice2@example.com"
    assert me["email_verified"] is True


@pytest.mark.parametrize("password", ["wrong password 1", ""])
def test_a_wrong_password_changes_nothing_and_sends_nothing(logged_in, user, password):
    response = change(logged_in, "alice.new@example.com", password=password)

    assert response.status_code == 400
    assert "password" in response.json()
    user.refresh_from_db()
    assert user.email == "alice@example.com"
    assert mail.outbox == []
    assert not user.security_events.filter(
        type=SecurityEvent.Type.EMAIL_CHANGE_REQUESTED
    ).exists()


def test_a_change_to_the_same_address_is_refused(logged_in):
    response = change(logged_in, "ALICE@example.com")

    assert response.status_code == 400
    assert response.json()["email"] == [
        "That is your address already. Enter the new one."
    ]


def test_a_taken_address_gets_the_same_answer_and_its_owner_a_notice(
    logged_in, user, other_user
):
    free = change(logged_in, "nobody@example.com")
    taken = change(logged_in, other_user.email)

    assert free.status_code == taken.status_code == 202
    assert free.json() == taken.json()
    to_taken = mail.outbox[-1]
    assert to_taken.to == [other_user.email]
    assert LINK.search(to_taken.body) is None, "no link that could take it"
    user.refresh_from_db()
    assert user.email == "alice@example.com"


def test_the_page_answers_the_same_for_a_taken_address(logged_in, user, other_user):
    logged_in.get(reverse("accounts:email-change"))
    answers = []
    for email in ("nobody@example.com", other_user.email):
        response = form_post(
            logged_in,
            reverse("accounts:email-change"),
            {"email": email, "password": PASSWORD},
        )
        page = logged_in.get(response["Location"]).content.decode()
        page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)
        answers.append((response.status_code, page.replace(email, "<email>")))

    assert answers[0][0] == 302
    assert answers[0] == answers[1]


def test_an_address_taken_before_the_link_is_used_is_refused_cleanly(logged_in, user):
    change(logged_in, "wanted@example.com")
    path, token = link_in(mail.outbox[-1])
    thief = create_user("wanted@example.com")

    page = form_post(logged_in, path)
    api = logged_in.post(
        reverse("api:email-verify"),
        {"token": token},
        content_type="application/json",
        **csrf_headers(logged_in),
    )

    assert page.status_code == 409
    assert b"Another account uses this address" in page.content
    assert api.status_code == 409
    assert api.json()["code"] == "email_taken"
    user.refresh_from_db()
    thief.refresh_from_db()
    assert user.email == "alice@example.com"
    assert thief.email == "wanted@example.com"


def test_the_unique_index_refuses_an_address_taken_during_the_change(
    logged_in, user, monkeypatch
):
    """The check before the write passes; the write still meets the index."""
    change(logged_in, "wanted@example.com")
    path, _ = link_in(mail.outbox[-1])

    def taken_just_after_the_check(*, email, user):
        # Another account takes the address between the check and the write
        # (here in the same transaction, which the refusal rolls back).
        create_user(email)
        return False

    monkeypatch.setattr(services, "address_is_taken", taken_just_after_the_check)
    response = form_post(logged_in, path)

    assert response.status_code == 409
    user.refresh_from_db()
    assert user.email == "alice@example.com"
    assert not user.security_events.filter(
        type=SecurityEvent.Type.EMAIL_CHANGED
    ).exists()


def test_a_link_to_the_old_address_dies_with_the_change(app_client, unverified_user):
    bearer = {
        "HTTP_AUTHORIZATION": "Bearer " + _bearer(app_client, unverified_user.email)
    }
    app_client.post(reverse("api:email-verify-resend"), **bearer)
    _, old_link = link_in(mail.outbox[-1])
    app_client.post(
        reverse("api:email-change"),
        {"email": "carol.new@example.com", "password": PASSWORD},
        content_type="application/json",
        **bearer,
    )
    _, change_link = link_in(mail.outbox[-1])
    app_client.post(
        reverse("api:email-verify"),
        {"token": change_link},
        content_type="application/json",
    )

    response = app_client.post(
        reverse("api:email-verify"),
        {"token": old_link},
        content_type="application/json",
    )

    assert response.status_code == 410
    assert response.json()["code"] == "token_used"
    unverified_user.refresh_from_db()
    assert unverified_user.email == "carol.new@example.com"


def test_a_second_change_link_dies_once_the_first_is_used(logged_in, user):
    change(logged_in, "first@example.com")
    first = link_in(mail.outbox[-1])[0]
    change(logged_in, "second@example.com")
    second = link_in(mail.outbox[-1])[0]

    assert form_post(logged_in, first).status_code == 302
    assert form_post(logged_in, second).status_code == 410
    user.refresh_from_db()
    assert user.email == "first@example.com"


def test_the_change_page_needs_the_password(logged_in, user):
    page = logged_in.get(reverse("accounts:email-change"))
    assert page.status_code == 200

    wrong = form_post(
        logged_in,
        reverse("accounts:email-change"),
        {"email": "new@example.com", "password": "nope nope nope"},
    )

    assert wrong.status_code == 200
    assert b"That is not your password" in wrong.content
    assert mail.outbox == []


def test_the_change_page_is_linked_from_the_security_page(logged_in):
    page = logged_in.get(reverse("mfa:security"))

    assert reverse("accounts:email-change").encode() in page.content


def test_the_change_page_wants_a_login(client, db):
    response = client.get(reverse("accounts:email-change"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_changing_the_address_needs_a_login_in_the_api(app_client, db):
    response = app_client.post(
        reverse("api:email-change"),
        {"email": "x@example.com", "password": PASSWORD},
        content_type="application/json",
    )

    assert response.status_code == 401


def _bearer(client, email):
    response = client.post(
        reverse("api:app-token"),
        {"email": email, "password": PASSWORD},
        content_type="application/json",
    )
    return response.json()["access"]
