"""Changing or resetting a password ends the other sessions, or every one."""

import re

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import SecurityEvent
from jwt_sessions.models import Session
from tests.helpers.clients import PASSWORD, auth_cookie, csrf_headers, second_browser

Event = SecurityEvent.Type


def test_password_change_page_ends_other_sessions_and_keeps_this_one(logged_in, user):
    other = second_browser(user)
    old_access = auth_cookie(logged_in, "access")
    logged_in.get(reverse("accounts:password_change"))

    response = logged_in.post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a whole new passphrase 9",
            "new_password2": "a whole new passphrase 9",
            "csrfmiddlewaretoken": logged_in.cookies[settings.CSRF_COOKIE_NAME].value,
        },
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a whole new passphrase 9")
    assert logged_in.get(reverse("dashboard")).status_code == 200
    assert other.get(reverse("dashboard")).status_code == 302
    stale = Client().get(reverse("api:me"), HTTP_AUTHORIZATION=f"Bearer {old_access}")
    assert stale.status_code == 401  # issued before the change
    assert Session.objects.active().count() == 1
    assert SecurityEvent.objects.filter(type=Event.PASSWORD_CHANGED).exists()


def test_password_change_page_with_a_wrong_old_password_changes_nothing(
    logged_in, user
):
    logged_in.get(reverse("accounts:password_change"))

    response = logged_in.post(
        reverse("accounts:password_change"),
        {
            "old_password": "not it",
            "new_password1": "a whole new passphrase 9",
            "new_password2": "a whole new passphrase 9",
            "csrfmiddlewaretoken": logged_in.cookies[settings.CSRF_COOKIE_NAME].value,
        },
    )

    assert response.status_code == 200
    assert "old_password" in response.context["form"].errors
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert Session.objects.active().count() == 1


def test_password_change_api_on_cookies_sets_fresh_cookies(logged_in, user):
    other = second_browser(user)
    old_access = auth_cookie(logged_in, "access")

    response = logged_in.post(
        reverse("api:password-change"),
        {"old_password": PASSWORD, "new_password": "a whole new passphrase 9"},
        content_type="application/json",
        **csrf_headers(logged_in),
    )

    assert response.status_code == 200
    assert "access" not in response.json()
    assert auth_cookie(logged_in, "access") != old_access
    assert logged_in.get(reverse("api:me")).status_code == 200
    assert other.get(reverse("api:me")).status_code == 401


def test_password_change_api_on_bearer_returns_fresh_tokens(
    app_client, user, user_bearer
):
    response = app_client.post(
        reverse("api:password-change"),
        {"old_password": PASSWORD, "new_password": "a whole new passphrase 9"},
        content_type="application/json",
        **user_bearer,
    )

    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}
    assert app_client.get(reverse("api:me"), **user_bearer).status_code == 401
    fresh = {"HTTP_AUTHORIZATION": f"Bearer {response.json()['access']}"}
    assert app_client.get(reverse("api:me"), **fresh).status_code == 200


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (
            {"old_password": "wrong", "new_password": "a whole new passphrase 9"},
            "old_password",
        ),
        ({"old_password": PASSWORD, "new_password": "password"}, "new_password"),
        ({"old_password": PASSWORD}, "new_password"),
        ({"new_password": "a whole new passphrase 9"}, "old_password"),
    ],
)
def test_password_change_api_rejects_bad_input_and_changes_nothing(
    app_client, user, user_bearer, data, field
):
    response = app_client.post(
        reverse("api:password-change"),
        data,
        content_type="application/json",
        **user_bearer,
    )

    assert response.status_code == 400
    assert field in response.json()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert app_client.get(reverse("api:me"), **user_bearer).status_code == 200


def test_password_change_api_needs_csrf_on_cookies(logged_in, user):
    response = logged_in.post(
        reverse("api:password-change"),
        {"old_password": PASSWORD, "new_password": "a whole new passphrase 9"},
        content_type="application/json",
    )

    assert response.status_code == 403
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def reset_link(client, email):
    client.get(reverse("accounts:password_reset"))
    client.post(
        reverse("accounts:password_reset"),
        {
            "email": email,
            "csrfmiddlewaretoken": client.cookies[settings.CSRF_COOKIE_NAME].value,
        },
    )
    return re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[-1].body)[
        1
    ]


def test_login_page_links_to_password_reset(browser, db):
    page = browser.get(reverse("accounts:login"))

    assert b"Forgot your password?" in page.content
    assert reverse("accounts:password_reset").encode() in page.content


def test_password_reset_by_email_ends_every_session(browser, logged_in, user):
    other = second_browser(user)
    link = reset_link(browser, "ALICE@example.com")
    page = browser.get(link)
    assert page.status_code == 200
    # Its URL holds the token: no Referer to other sites (not "no-referrer",
    # under which browsers send "Origin: null" and CSRF refuses the form).
    assert page["Referrer-Policy"] == "same-origin"

    response = browser.post(
        link,
        {
            "new_password1": "reset passphrase 12345",
            "new_password2": "reset passphrase 12345",
            "csrfmiddlewaretoken": browser.cookies[settings.CSRF_COOKIE_NAME].value,
        },
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_complete")
    user.refresh_from_db()
    assert user.check_password("reset passphrase 12345")
    assert not Session.objects.active().exists()
    assert logged_in.get(reverse("api:me")).status_code == 401
    assert other.get(reverse("api:me")).status_code == 401
    assert SecurityEvent.objects.filter(type=Event.PASSWORD_RESET).exists()
    # The link works once.
    assert b"This link does not work" in browser.get(link).content


def test_password_reset_for_an_unknown_email_says_the_same_and_sends_nothing(
    browser, db
):
    browser.get(reverse("accounts:password_reset"))
    response = browser.post(
        reverse("accounts:password_reset"),
        {
            "email": "nobody@example.com",
            "csrfmiddlewaretoken": browser.cookies[settings.CSRF_COOKIE_NAME].value,
        },
    )

    assert response["Location"] == reverse("accounts:password_reset_done")
    assert mail.outbox == []


def test_a_forged_reset_link_sets_no_password(browser, user):
    link = reset_link(browser, user.email)
    forged = link.rsplit("/", 2)[0] + "/set-password-x/"

    page = browser.get(forged)
    response = browser.post(
        forged,
        {
            "new_password1": "evil passphrase 123",
            "new_password2": "evil passphrase 123",
            "csrfmiddlewaretoken": browser.cookies[settings.CSRF_COOKIE_NAME].value,
        },
    )

    assert b"This link does not work" in page.content
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
