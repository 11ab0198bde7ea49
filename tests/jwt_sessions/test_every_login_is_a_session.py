"""Every login is a login session of its own: who, where, until when."""

from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import SecurityEvent
from jwt_sessions.models import Session
from jwt_sessions.tokens import AccessToken, RefreshToken
from tests.helpers.clients import CHROME, auth_cookie, log_in, second_browser

Event = SecurityEvent.Type


def test_login_starts_a_session_that_records_who_where_and_until_when(browser, user):
    browser.defaults["HTTP_USER_AGENT"] = CHROME

    log_in(browser, user.email)

    session = Session.objects.get()
    assert session.user == user
    assert session.ip_address == "127.0.0.1"
    assert session.device == "Chrome on Linux"
    assert session.expires_at == session.created_at + timezone.timedelta(
        seconds=settings.JWT_SESSION_MAX_AGE
    )
    assert session.revoked_at is None
    access = AccessToken(auth_cookie(browser, "access"))
    refresh_token = RefreshToken(auth_cookie(browser, "refresh"))
    assert access["sid"] == refresh_token["sid"] == str(session.pk)
    assert session.refresh_jti == refresh_token["jti"]
    assert SecurityEvent.objects.filter(type=Event.LOGIN, session=session).exists()


def test_every_login_is_its_own_session(browser, user):
    log_in(browser, user.email)
    second_browser(user)

    assert Session.objects.filter(user=user).count() == 2


def test_logging_in_again_on_a_browser_ends_its_previous_session(logged_in, user):
    """ASVS 7.2.4: a new login replaces the browser's old session, not adds one."""
    old = Session.objects.get()
    old_access = auth_cookie(logged_in, "access")

    log_in(logged_in, user.email)

    old.refresh_from_db()
    assert old.revoked_reason == Session.RevokeReason.REPLACED
    assert Session.objects.active().count() == 1
    stale = Client().get(reverse("api:me"), HTTP_AUTHORIZATION=f"Bearer {old_access}")
    assert stale.status_code == 401
    assert logged_in.get(reverse("api:me")).status_code == 200
