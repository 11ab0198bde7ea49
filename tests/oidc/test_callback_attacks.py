"""Callbacks that must log nobody in and create nothing: each attack refused."""

from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from accounts.models import User
from jwt_sessions.app_settings import app_settings
from jwt_sessions.cookies import flow_cookie_name
from jwt_sessions.models import Session
from oidc.models import Identity

from .test_provider_login import start

pytestmark = pytest.mark.django_db

LOGIN_COOKIE = flow_cookie_name("oidc-login")


def assert_nothing_created(client, *, users=0):
    assert User.objects.count() == users
    assert Identity.objects.count() == 0
    assert Session.objects.count() == 0
    assert app_settings.COOKIE_ACCESS_NAME not in client.cookies or not (
        client.cookies[app_settings.COOKIE_ACCESS_NAME].value
    )


def with_param(url: str, **changes) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


def test_a_callback_from_another_browser_is_refused(acme):
    acme.set_user("victim-1", email="ivy@example.com", email_verified=True)
    attacker, victim = Client(), Client()
    # The attacker's own login, finished at the provider; its callback URL
    # is handed to the victim's browser (login CSRF), which has a login of
    # its own under way.
    back = acme.authorize(start(attacker), "victim-1")
    start(victim)
    response = victim.get(back)
    assert response.status_code == 403
    assert "not started in this browser" in response.text
    assert_nothing_created(victim)


def test_a_callback_in_a_browser_with_no_login_under_way_is_refused(acme):
    acme.set_user("victim-2", email="jay@example.com", email_verified=True)
    back = acme.authorize(start(Client()), "victim-2")
    other = Client()
    response = other.get(back)
    assert response.status_code == 400
    assert "expired or was used already" in response.text
    assert_nothing_created(other)


def test_the_browser_that_started_still_finishes_after_a_forged_callback(acme):
    acme.set_user("own-1", email="kim@example.com", email_verified=True)
    owner, stranger = Client(), Client()
    back = acme.authorize(start(owner), "own-1")
    start(stranger)
    assert stranger.get(back).status_code == 403
    assert owner.get(back).status_code == 302
    assert User.objects.filter(email="kim@example.com").exists()


def test_a_replayed_callback_is_refused(acme, browser):
    acme.set_user("replay-1", email="lee@example.com", email_verified=True)
    kept_cookie = None
    location = start(browser)
    kept_cookie = browser.cookies[LOGIN_COOKIE].value
    back = acme.authorize(location, "replay-1")
    assert browser.get(back).status_code == 302
    sessions = Session.objects.count()
    # Even with the flow cookie put back as it was.
    browser.cookies[LOGIN_COOKIE] = kept_cookie
    response = browser.get(back)
    assert response.status_code == 400
    assert Session.objects.count() == sessions == 1


def test_an_expired_login_is_refused(acme, browser):
    acme.set_user("late-1", email="max@example.com", email_verified=True)
    back = acme.authorize(start(browser), "late-1")
    with time_machine.travel(timezone.now() + timedelta(minutes=11), tick=False):
        response = browser.get(back)
    assert response.status_code == 400
    assert "expired" in response.text
    assert_nothing_created(browser)


def test_an_id_token_with_another_nonce_is_refused(acme, browser):
    acme.set_user("nonce-1", email="ned@example.com", email_verified=True)
    # The provider is asked for another nonce than the one this browser's
    # flow holds: its ID token then carries that one.
    location = with_param(start(browser), nonce="not-the-flows-nonce")
    response = browser.get(acme.authorize(location, "nonce-1"))
    assert response.status_code == 400
    assert "could not be verified" in response.text
    assert_nothing_created(browser)


def test_a_code_the_provider_does_not_know_is_refused(acme, browser):
    back = with_param(acme.authorize(start(browser), "nobody-1"), code="made-up")
    response = browser.get(back)
    assert response.status_code == 400
    assert_nothing_created(browser)


def test_an_unverified_email_creates_no_account(acme, browser):
    acme.set_user("unverified-1", email="olive@example.com", email_verified=False)
    response = browser.get(acme.authorize(start(browser), "unverified-1"))
    assert response.status_code == 403
    assert "has not verified your email address" in response.text
    assert_nothing_created(browser)


@pytest.mark.parametrize("verified", [False, None, "true", 1])
def test_an_unverified_email_never_takes_over_an_account(acme, browser, user, verified):
    claims = {"email": user.email.upper()}
    if verified is not None:
        claims["email_verified"] = verified
    acme.set_user("takeover-1", **claims)
    response = browser.get(acme.authorize(start(browser), "takeover-1"))
    assert response.status_code == 403
    assert_nothing_created(browser, users=1)


def test_a_provider_that_is_down_gives_a_page_not_an_error(browser, settings):
    settings.OIDC_PROVIDERS = [
        {
            "id": "acme",
            "name": "Acme",
            "issuer": "http://127.0.0.1:9",
            "client_id": "x",
            "client_secret": "y",
        }
    ]
    settings.OIDC_HTTP_TIMEOUT = 1
    response = browser.get("/accounts/oidc/acme/login/")
    assert response.status_code == 400
    assert "Acme could not be reached" in response.text
