"""A browser whose session was ended from elsewhere is told why, once."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from jwt_sessions import services
from jwt_sessions.models import Session
from jwt_sessions.tokens import RefreshToken
from tests.helpers.clients import PASSWORD, auth_cookie, csrf_headers, log_in
from tests.helpers.forged_tokens import forge, valid_claims

REFRESH = settings.JWT_COOKIE_REFRESH_NAME
Reason = Session.RevokeReason
NEW_PASSWORD = "a brand new passphrase 2026"
WHY = {
    Reason.ENDED_BY_USER: (
        "You were logged out because this session was ended from another device."
    ),
    Reason.PASSWORD_CHANGED: (
        "You were logged out because your password was changed. Log in with the "
        "new password."
    ),
    Reason.PASSWORD_RESET: (
        "You were logged out because your password was reset. Log in with the new "
        "password."
    ),
    Reason.REUSE_DETECTED: (
        "You were logged out for your safety: this session&#x27;s login was used "
        "twice, which can mean that someone else had a copy of it. Log in again, "
        "and consider changing your password."
    ),
    Reason.ADMIN: "You were logged out because a member of staff ended this session.",
    Reason.ACCOUNT_DEACTIVATED: (
        "You were logged out because your account has been deactivated."
    ),
}


def messages_of(page) -> list[str]:
    """Return the texts of the messages a page shows."""
    return re.findall(r'<li class="[a-z ]*">(.*?)</li>', page.content.decode())


def another_browser(user) -> Client:
    other = Client(enforce_csrf_checks=True)
    log_in(other, user.email)
    return other


def session_of(client) -> Session:
    return Session.objects.get(pk=RefreshToken(auth_cookie(client, "refresh"))["sid"])


# How each reason comes about, done the way it is done on the site.


def end_it_from_the_sessions_page(victim, user):
    other = another_browser(user)
    other.get(reverse("accounts:sessions"))
    other.post(
        reverse("accounts:session-end", args=(session_of(victim).pk,)),
        {"csrfmiddlewaretoken": other.cookies[settings.CSRF_COOKIE_NAME].value},
    )


def change_the_password_elsewhere(victim, user):
    other = another_browser(user)
    response = other.post(
        reverse("api:password-change"),
        {"old_password": PASSWORD, "new_password": NEW_PASSWORD},
        content_type="application/json",
        **csrf_headers(other),
    )
    assert response.status_code == 200


def reset_the_password_by_email(victim, user):
    other = Client()
    other.post(reverse("accounts:password_reset"), {"email": user.email})
    link = re.search(r"/accounts/reset/\S+/", mail.outbox[-1].body)[0]
    other.get(link)
    response = other.post(
        link, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response.status_code == 302


def reuse_a_copied_refresh_token(victim, user):
    copy = Client(enforce_csrf_checks=True)
    copy.cookies[REFRESH] = auth_cookie(victim, "refresh")
    victim.post(reverse("api:token-refresh"), **csrf_headers(victim))
    with time_machine.travel(
        timezone.now() + timedelta(seconds=settings.JWT_REFRESH_GRACE_SECONDS + 1)
    ):
        copy.post(reverse("api:token-refresh"), **csrf_headers(copy))


def have_staff_end_it(victim, user):
    services.end_session(
        user=user, session_id=session_of(victim).pk, reason=Reason.ADMIN
    )


def deactivate_the_account(victim, user):
    user.is_active = False
    user.save()


ENDINGS = {
    Reason.ENDED_BY_USER: end_it_from_the_sessions_page,
    Reason.PASSWORD_CHANGED: change_the_password_elsewhere,
    Reason.PASSWORD_RESET: reset_the_password_by_email,
    Reason.REUSE_DETECTED: reuse_a_copied_refresh_token,
    Reason.ADMIN: have_staff_end_it,
    Reason.ACCOUNT_DEACTIVATED: deactivate_the_account,
}


@pytest.mark.parametrize("reason", list(ENDINGS), ids=str)
def test_the_login_page_says_once_why_the_session_ended(logged_in, user, reason):
    ended = session_of(logged_in)
    ENDINGS[reason](logged_in, user)
    ended.refresh_from_db()
    assert ended.revoked_reason == reason

    sent = logged_in.get(reverse("dashboard"), follow=True)

    assert sent.redirect_chain[-1][0] == f"{reverse('accounts:login')}?next=/dashboard/"
    assert WHY[reason] in messages_of(sent)
    assert auth_cookie(logged_in, "refresh") is None
    # Said once: the next page has nothing to explain.
    again = logged_in.get(reverse("accounts:login"))
    assert not any("You were logged out" in text for text in messages_of(again))


def test_a_public_page_says_it_at_once(logged_in, user):
    end_it_from_the_sessions_page(logged_in, user)

    page = logged_in.get(reverse("home"))

    assert messages_of(page) == [WHY[Reason.ENDED_BY_USER]]
    assert not messages_of(logged_in.get(reverse("home")))


def test_an_api_request_leaves_it_for_the_next_page(logged_in, user):
    end_it_from_the_sessions_page(logged_in, user)

    refused = logged_in.get(reverse("api:me"))
    page = logged_in.get(reverse("accounts:login"))

    assert refused.status_code == 401
    assert messages_of(page) == [WHY[Reason.ENDED_BY_USER]]


def test_a_logout_elsewhere_with_the_same_cookies_says_nothing(logged_in, user):
    # Another tab of the same browser logged out: its user knows.
    tab = Client(enforce_csrf_checks=True)
    tab.cookies[REFRESH] = auth_cookie(logged_in, "refresh")
    tab.post(reverse("api:token-blacklist"), **csrf_headers(tab))
    assert session_of(logged_in).revoked_reason == Reason.LOGOUT

    page = logged_in.get(reverse("dashboard"), follow=True)

    assert page.redirect_chain
    assert not any("You were logged out" in text for text in messages_of(page))


def test_a_new_login_on_the_same_browser_says_nothing_about_the_old_one(
    logged_in, user
):
    replaced = Client(enforce_csrf_checks=True)
    replaced.cookies[REFRESH] = auth_cookie(logged_in, "refresh")
    log_in(logged_in, user.email)  # ends the old session: "replaced"

    page = replaced.get(reverse("dashboard"), follow=True)

    assert Session.objects.filter(revoked_reason=Reason.REPLACED).exists()
    assert not any("You were logged out" in text for text in messages_of(page))


def test_an_expired_session_says_nothing(logged_in, user):
    session = session_of(logged_in)
    Session.objects.filter(pk=session.pk).update(expires_at=timezone.now())

    page = logged_in.get(reverse("dashboard"), follow=True)

    assert page.redirect_chain
    assert not any("You were logged out" in text for text in messages_of(page))


@pytest.mark.parametrize(
    "cookie",
    [
        "garbage",
        "eyJhbGciOiJIUzI1NiJ9.eyJzaWQiOiJ4In0.c2lnbmF0dXJl",  # a made-up JWT
    ],
)
def test_a_garbage_refresh_cookie_says_nothing_and_writes_nothing(browser, db, cookie):
    browser.cookies[REFRESH] = cookie

    with CaptureQueriesContext(connection) as queries:
        page = browser.get(reverse("accounts:login"))

    assert page.status_code == 200
    assert not messages_of(page)
    assert not [query for query in queries if not query["sql"].startswith("SELECT")]
    assert page.cookies[REFRESH].value == ""  # deleted


def test_only_a_genuine_token_of_the_ended_session_gives_the_reason(browser, user):
    claims = valid_claims(user, "refresh")
    Session.objects.filter(pk=claims["sid"]).update(
        revoked_at=timezone.now(), revoked_reason=Reason.ADMIN
    )
    browser.cookies[REFRESH] = forge(claims, key="not the site's key " * 3)

    with CaptureQueriesContext(connection) as queries:
        page = browser.get(reverse("accounts:login"))

    assert not messages_of(page)
    assert not queries  # refused on its signature, before any lookup
    browser.cookies[REFRESH] = forge(claims)
    told = browser.get(reverse("accounts:login"))
    assert messages_of(told) == [WHY[Reason.ADMIN]]


def test_logging_in_again_over_the_old_cookies_says_only_that(logged_in, user):
    end_it_from_the_sessions_page(logged_in, user)

    # The login form was already open: it is sent with the old cookies.
    response = logged_in.post(
        reverse("accounts:login"),
        {
            "email": user.email,
            "password": PASSWORD,
            "csrfmiddlewaretoken": logged_in.cookies[settings.CSRF_COOKIE_NAME].value,
        },
        follow=True,
    )

    assert response.redirect_chain[0][0] == reverse("dashboard")
    assert messages_of(response) == ["You are logged in."]
