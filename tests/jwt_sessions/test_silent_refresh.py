"""Silent refresh: an expired access cookie and a valid refresh cookie."""

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

from jwt_sessions.models import Session
from jwt_sessions.tokens import RefreshToken
from tests.helpers.clients import auth_cookie, csrf_headers
from tests.helpers.forged_tokens import forge, valid_claims

ACCESS = settings.JWT_COOKIE_ACCESS_NAME
REFRESH = settings.JWT_COOKIE_REFRESH_NAME


def later(seconds):
    return time_machine.travel(
        timezone.now() + timezone.timedelta(seconds=seconds), tick=False
    )


@pytest.mark.parametrize(
    ("url", "accept"),
    [("/dashboard/", "text/html"), ("/api/me/", "application/json")],
)
def test_expired_access_with_valid_refresh_is_served_and_rotated(
    logged_in, url, accept
):
    old_refresh = auth_cookie(logged_in, "refresh")

    with later(settings.JWT_ACCESS_LIFETIME + 5):
        response = logged_in.get(url, HTTP_ACCEPT=accept)

    assert response.status_code == 200
    assert b"alice@example.com" in response.content
    assert response.cookies[ACCESS].value
    assert response.cookies[REFRESH].value not in ("", old_refresh)
    assert BlacklistedToken.objects.filter(
        token__jti=RefreshToken(old_refresh)["jti"]
    ).exists()
    assert "no-store" in response["Cache-Control"]


def test_missing_access_cookie_with_valid_refresh_is_served(logged_in):
    del logged_in.cookies[ACCESS]

    response = logged_in.get(reverse("dashboard"))

    assert response.status_code == 200
    assert response.cookies[ACCESS].value


def test_the_refreshed_cookies_keep_working(logged_in):
    with later(settings.JWT_ACCESS_LIFETIME + 5):
        logged_in.get(reverse("dashboard"))
        response = logged_in.get(reverse("dashboard"))

    assert response.status_code == 200
    assert ACCESS not in response.cookies  # the new access token needed no refresh


def test_silent_refresh_on_an_unsafe_request_still_needs_csrf(logged_in):
    with later(settings.JWT_ACCESS_LIFETIME + 5):
        refused = logged_in.post(reverse("api:token-blacklist"))
        allowed = logged_in.post(
            reverse("api:token-blacklist"), **csrf_headers(logged_in)
        )

    assert refused.status_code == 403
    assert allowed.status_code == 200


@pytest.mark.parametrize("how", ["blacklisted", "expired", "forged", "garbage"])
def test_unusable_refresh_cookie_makes_request_anonymous_and_clears_cookies(
    logged_in, user, how
):
    if how == "blacklisted":
        blacklisted = auth_cookie(logged_in, "refresh")
        logged_in.post(reverse("api:token-blacklist"), **csrf_headers(logged_in))
        logged_in.cookies[REFRESH] = blacklisted
    elif how == "forged":
        logged_in.cookies[REFRESH] = forge(
            valid_claims(user, token_type="refresh"), key="x" * 40
        )
    elif how == "garbage":
        logged_in.cookies[REFRESH] = "garbage"
    seconds = settings.JWT_REFRESH_LIFETIME + 5 if how == "expired" else 600

    with later(seconds):
        page = logged_in.get(reverse("dashboard"))
    with later(seconds):
        api = logged_in.get(reverse("api:me"))

    assert page.status_code == 302
    assert page["Location"].startswith(reverse("accounts:login"))
    assert page.cookies[ACCESS].value == ""
    assert page.cookies[REFRESH].value == ""
    assert api.status_code == 401


def test_refresh_never_extends_a_login_past_its_maximum_age(settings, logged_in):
    # Keep the login busy: refresh every few minutes until the absolute limit.
    step = settings.JWT_ACCESS_LIFETIME + 5
    elapsed = 0
    with time_machine.travel(timezone.now(), tick=False) as clock:
        while elapsed < settings.JWT_SESSION_MAX_AGE - 3600:
            clock.shift(settings.JWT_REFRESH_LIFETIME - 60)
            elapsed += settings.JWT_REFRESH_LIFETIME - 60
            assert logged_in.get(reverse("api:me")).status_code == 200
        clock.shift(settings.JWT_SESSION_MAX_AGE - elapsed + step)
        response = logged_in.get(reverse("api:me"))

    assert response.status_code == 401


def test_refresh_cookie_expiry_is_capped_at_the_session_end(settings, browser, user):
    from tests.helpers.clients import log_in

    settings.JWT_SESSION_MAX_AGE = 600
    response = log_in(browser, user.email)

    assert response.cookies[REFRESH]["max-age"] <= 600
    assert (
        response.json()["refresh_expires_at"] == response.json()["session_expires_at"]
    )


def test_a_deactivated_user_is_not_silently_refreshed(logged_in, user):
    user.is_active = False
    user.save()

    with later(settings.JWT_ACCESS_LIFETIME + 5):
        response = logged_in.get(reverse("dashboard"))

    assert response.status_code == 302
    session = Session.objects.get()
    assert session.revoked_reason == Session.RevokeReason.ACCOUNT_DEACTIVATED
    assert BlacklistedToken.objects.get().token.jti == session.refresh_jti
