"""The sessions API lists and ends one's own sessions, and nobody else's."""

from django.conf import settings
from django.urls import reverse

from jwt_sessions.models import Session
from jwt_sessions.tokens import AccessToken
from tests.helpers.clients import auth_cookie, csrf_headers, second_browser

ACCESS = settings.JWT_COOKIE_ACCESS_NAME


def test_sessions_api_lists_own_active_sessions(logged_in, user, other_user):
    second_browser(user)
    second_browser(other_user)

    response = logged_in.get(reverse("api:sessions"))

    body = response.json()
    assert response.status_code == 200
    assert len(body) == 2
    assert sum(item["current"] for item in body) == 1
    assert {item["device"] for item in body} >= {"Firefox on Windows"}


def test_sessions_api_revoke_others_and_all(logged_in, user):
    other = second_browser(user)

    others = logged_in.post(
        reverse("api:sessions-revoke-others"), **csrf_headers(logged_in)
    )
    assert others.json() == {"ended": 1}
    assert other.get(reverse("api:me")).status_code == 401
    assert logged_in.get(reverse("api:me")).status_code == 200

    everything = logged_in.post(
        reverse("api:sessions-revoke-all"), **csrf_headers(logged_in)
    )
    assert everything.json() == {"ended": 1}
    assert everything.cookies[ACCESS].value == ""
    assert not Session.objects.active().exists()


def test_nobody_can_see_or_end_another_users_session(logged_in, other_user):
    victim = second_browser(other_user)
    victim_sid = AccessToken(auth_cookie(victim, "access"))["sid"]

    api = logged_in.delete(
        reverse("api:session", args=[victim_sid]), **csrf_headers(logged_in)
    )
    page = logged_in.post(
        reverse("accounts:session-end", args=[victim_sid]), **csrf_headers(logged_in)
    )
    listing = logged_in.get(reverse("api:sessions")).json()

    assert api.status_code == 404
    assert page.status_code == 404
    assert victim_sid not in {item["id"] for item in listing}
    assert victim.get(reverse("api:me")).status_code == 200


def test_sessions_endpoints_need_authentication(browser, db):
    assert browser.get(reverse("api:sessions")).status_code == 401
    assert browser.get(reverse("accounts:sessions")).status_code == 302
