"""A login says how and when it was proved; sensitive actions want it recent.

Tokens carry amr, acr and auth_time through every refresh. A sensitive
action on an older login is refused: the API with RFC 9470's challenge, a
page by sending the user to /accounts/reauthenticate/ and back. Proving it
again (a step-up) mints a new pair on the same session.
"""

import jwt
import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts.models import SecurityEvent
from jwt_sessions import assurance
from jwt_sessions.models import Session
from jwt_sessions.tokens import AccessToken, RefreshToken
from tests.helpers.clients import (
    PASSWORD,
    auth_cookie,
    csrf_headers,
    post_json,
    refresh,
    second_browser,
)
from tests.helpers.clock import seconds_later
from tests.helpers.forged_tokens import forge, valid_claims

# Shorter than an access token's five minutes: a Bearer token is still
# valid when its login stops counting as recent.
MAX_AGE = 60
CHALLENGE = (
    'Bearer realm="api", error="insufficient_user_authentication", '
    'error_description="A more recent or stronger authentication is needed", '
    f"max_age={MAX_AGE}"
)


@pytest.fixture(autouse=True)
def _max_age(settings):
    settings.STEP_UP_MAX_AGE = MAX_AGE


def claims_of(raw):
    return jwt.decode(raw, options={"verify_signature": False})


def app_login(client, user):
    response = post_json(
        client, "api:app-token", {"email": user.email, "password": PASSWORD}
    )
    assert response.status_code == 200, response.content
    return response.json()


def bearer(access):
    return {"HTTP_AUTHORIZATION": f"Bearer {access}"}


# --- What the tokens say ----------------------------------------------------


def test_a_password_login_says_pwd_aal1_and_when(app_client, user):
    pair = app_login(app_client, user)

    for raw in (pair["access"], pair["refresh"]):
        claims = claims_of(raw)
        assert claims["amr"] == ["pwd"]
        assert claims["acr"] == "aal1"
        assert abs(claims["auth_time"] - claims["iat"]) <= 1


def test_a_refresh_keeps_how_and_when_the_login_was_proved(app_client, user):
    pair = app_login(app_client, user)
    with seconds_later(120):
        response = post_json(
            app_client, "api:app-token-refresh", {"refresh": pair["refresh"]}
        )
    assert response.status_code == 200
    new = claims_of(response.json()["access"])
    old = claims_of(pair["access"])
    assert (new["amr"], new["acr"], new["auth_time"]) == (
        old["amr"],
        old["acr"],
        old["auth_time"],
    )
    assert new["iat"] > old["iat"]


@pytest.mark.parametrize(
    ("groups", "amr", "acr"),
    [
        ((["pwd"],), ("pwd",), "aal1"),
        ((["pwd"], ["pwd"]), ("pwd",), "aal1"),
        ((["pwd"], ["otp"]), ("mfa", "otp", "pwd"), "aal2"),
        ((["hwk", "user"],), ("hwk", "mfa", "user"), "aal2"),
        ((["otp"], ["hwk"]), ("hwk", "otp"), "aal1"),
        ((["mfa", "pwd"],), ("pwd",), "aal1"),
    ],
)
def test_methods_reach_two_factors_only_when_of_two_kinds(groups, amr, acr):
    assert assurance.methods_together(*groups) == amr
    assert assurance.level_of(amr) == acr


@pytest.mark.parametrize(
    "amr", ["pwd", [1], ["pwd", "sms"], {"pwd": 1}, ["pwd"] * 20, None]
)
def test_a_token_whose_amr_is_not_a_list_of_our_methods_is_refused(
    app_client, user, amr
):
    raw = forge(valid_claims(user, amr=amr))

    assert app_client.get(reverse("api:me"), **bearer(raw)).status_code == 401


def test_a_token_from_before_amr_counts_as_a_password_login(app_client, user):
    # Issued by the code before this change: no amr, no acr.
    raw = forge(valid_claims(user))
    token = AccessToken(raw)

    assert assurance.Assurance.of(token).methods == ("pwd",)
    assert assurance.Assurance.of(token).level == "aal1"
    assert app_client.get(reverse("api:me"), **bearer(raw)).status_code == 200


# --- The API: RFC 9470's challenge -------------------------------------------


def test_an_old_login_is_refused_a_password_change_with_the_challenge(app_client, user):
    pair = app_login(app_client, user)

    with seconds_later(MAX_AGE + 1):
        response = post_json(
            app_client,
            "api:password-change",
            {"old_password": PASSWORD, "new_password": "a whole new passphrase 9"},
            **bearer(pair["access"]),
        )

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == CHALLENGE
    assert response.json()["code"] == "insufficient_user_authentication"
    assert "/api/reauthenticate/" in response.json()["detail"]
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_a_recent_login_changes_the_password_without_a_step_up(app_client, user):
    pair = app_login(app_client, user)

    with seconds_later(MAX_AGE - 5):
        response = post_json(
            app_client,
            "api:password-change",
            {"old_password": PASSWORD, "new_password": "a whole new passphrase 9"},
            **bearer(pair["access"]),
        )

    assert response.status_code == 200


def test_an_app_steps_up_with_the_password_and_then_may_go_on(app_client, user):
    pair = app_login(app_client, user)
    sid = claims_of(pair["access"])["sid"]

    with seconds_later(MAX_AGE + 1):
        stepped = post_json(
            app_client,
            "api:reauthenticate",
            {"password": PASSWORD},
            **bearer(pair["access"]),
        )
        assert stepped.status_code == 200, stepped.content
        new = stepped.json()
        assert claims_of(new["access"])["sid"] == sid  # the same login goes on
        assert (
            claims_of(new["access"])["auth_time"]
            > claims_of(pair["access"])["auth_time"]
        )
        assert Session.objects.get(pk=sid).is_active
        changed = post_json(
            app_client,
            "api:password-change",
            {"old_password": PASSWORD, "new_password": "a whole new passphrase 9"},
            **bearer(new["access"]),
        )

    assert changed.status_code == 200


def test_a_step_up_rotates_the_old_refresh_token_out(app_client, user, settings):
    pair = app_login(app_client, user)
    with seconds_later(MAX_AGE + 1):
        post_json(
            app_client,
            "api:reauthenticate",
            {"password": PASSWORD},
            **bearer(pair["access"]),
        )
    session = Session.objects.get()
    assert session.previous_refresh_jti == RefreshToken(pair["refresh"])["jti"]

    # After the grace interval the old one is reuse, which ends the login.
    with seconds_later(MAX_AGE + 1 + settings.JWT_REFRESH_GRACE_SECONDS + 1):
        reused = post_json(
            app_client, "api:app-token-refresh", {"refresh": pair["refresh"]}
        )
    assert reused.status_code == 401
    session.refresh_from_db()
    assert session.revoked_reason == Session.RevokeReason.REUSE_DETECTED


def test_a_wrong_password_steps_nothing_up_and_counts_as_a_failed_login(
    app_client, user
):
    pair = app_login(app_client, user)
    session = Session.objects.get()

    response = post_json(
        app_client,
        "api:reauthenticate",
        {"password": "wrong"},
        **bearer(pair["access"]),
    )

    assert response.status_code == 400
    assert response.json()["non_field_errors"] == [
        "That is not your password. Enter it again."
    ]
    assert Session.objects.get().refresh_jti == session.refresh_jti
    assert SecurityEvent.objects.filter(
        user=user, type=SecurityEvent.Type.LOGIN_FAILED
    ).exists()


def test_guessing_the_password_at_the_step_up_locks_out_like_a_login(
    app_client, user, settings
):
    pair = app_login(app_client, user)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        post_json(
            app_client,
            "api:reauthenticate",
            {"password": "wrong"},
            **bearer(pair["access"]),
        )

    response = post_json(
        app_client,
        "api:reauthenticate",
        {"password": PASSWORD},
        **bearer(pair["access"]),
    )

    assert response.status_code == 429
    assert "Retry-After" in response


def test_the_api_says_how_the_login_stands_and_how_to_renew_it(app_client, user):
    pair = app_login(app_client, user)
    auth_time = claims_of(pair["access"])["auth_time"]

    response = app_client.get(reverse("api:reauthenticate"), **bearer(pair["access"]))

    assert response.status_code == 200
    body = response.json()
    assert body["methods"] == ["password"]
    assert body["amr"] == ["pwd"]
    assert body["acr"] == "aal1"
    assert body["max_age"] == MAX_AGE
    assert body["auth_time"].startswith("20")
    assert body["recent_until"] > body["auth_time"]
    assert auth_time


def test_a_browser_step_up_needs_the_csrf_token_and_sets_new_cookies(logged_in, user):
    csrf_checked = Client(enforce_csrf_checks=True)
    csrf_checked.cookies = logged_in.cookies
    old_access = auth_cookie(logged_in, "access")

    refused = post_json(csrf_checked, "api:reauthenticate", {"password": PASSWORD})
    assert refused.status_code == 403

    response = post_json(
        csrf_checked,
        "api:reauthenticate",
        {"password": PASSWORD},
        **csrf_headers(csrf_checked),
    )
    assert response.status_code == 200
    assert "access" not in response.json()  # tokens never reach JavaScript
    assert auth_cookie(csrf_checked, "access") != old_access


def test_the_security_log_records_a_step_up_with_the_device_and_method(
    app_client, user
):
    pair = app_login(app_client, user)
    post_json(
        app_client,
        "api:reauthenticate",
        {"password": PASSWORD},
        HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0",
        **bearer(pair["access"]),
    )

    event = SecurityEvent.objects.get(type=SecurityEvent.Type.STEPPED_UP)
    assert event.session == Session.objects.get()
    assert "with the password" in event.sentence


def test_ending_another_session_needs_a_recent_login_ending_ones_own_does_not(
    app_client, user
):
    pair = app_login(app_client, user)
    other = second_browser(user)
    other_sid = Session.objects.exclude(pk=claims_of(pair["access"])["sid"]).get().pk

    with seconds_later(MAX_AGE + 1):
        refused = app_client.delete(
            reverse("api:session", args=[other_sid]), **bearer(pair["access"])
        )
        assert refused.status_code == 401
        assert refused["WWW-Authenticate"] == CHALLENGE
        for name in ("api:sessions-revoke-others", "api:sessions-revoke-all"):
            response = post_json(app_client, name, **bearer(pair["access"]))
            assert response.status_code == 401, name
        assert Session.objects.active().count() == 2
        assert other.get(reverse("api:me")).status_code == 200

        own = app_client.delete(
            reverse("api:session", args=[claims_of(pair["access"])["sid"]]),
            **bearer(pair["access"]),
        )
    assert own.status_code == 204


def test_no_age_limit_when_step_up_max_age_is_zero(app_client, user, settings):
    settings.STEP_UP_MAX_AGE = 0
    pair = app_login(app_client, user)

    with seconds_later(250):
        response = post_json(
            app_client, "api:sessions-revoke-others", **bearer(pair["access"])
        )

    assert response.status_code == 200


# --- Pages: asked again, then on to where the user was ------------------------


def test_an_old_login_is_asked_again_before_the_password_page_and_comes_back(
    logged_in, user
):
    page = reverse("accounts:password_change")
    with seconds_later(MAX_AGE + 1):
        asked = logged_in.get(page)
        assert asked.status_code == 302
        assert asked["Location"] == (
            reverse("accounts:reauthenticate")
            + "?next=%2Faccounts%2Fpassword%2Fchange%2F"
        )
        form = logged_in.get(asked["Location"])
        assert form.status_code == 200
        assert user.email in form.content.decode()

        confirmed = logged_in.post(
            reverse("accounts:reauthenticate"),
            {
                "password": PASSWORD,
                "next": page,
                "csrfmiddlewaretoken": logged_in.cookies[
                    settings.CSRF_COOKIE_NAME
                ].value,
            },
        )
        assert confirmed.status_code == 302
        assert confirmed["Location"] == page
        assert logged_in.get(page).status_code == 200


def test_a_wrong_password_on_the_page_says_so_and_steps_nothing_up(logged_in, user):
    jti = Session.objects.get().refresh_jti
    response = logged_in.post(
        reverse("accounts:reauthenticate"),
        {
            "password": "wrong",
            "next": "/",
            "csrfmiddlewaretoken": logged_in.cookies[settings.CSRF_COOKIE_NAME].value,
        },
    )

    assert response.status_code == 200
    assert "That is not your password. Enter it again." in response.content.decode()
    assert Session.objects.get().refresh_jti == jti


def test_the_page_goes_nowhere_off_site(logged_in):
    with seconds_later(MAX_AGE + 1):
        response = logged_in.post(
            reverse("accounts:reauthenticate"),
            {
                "password": PASSWORD,
                "next": "https://evil.example/",
                "csrfmiddlewaretoken": logged_in.cookies[
                    settings.CSRF_COOKIE_NAME
                ].value,
            },
        )
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")


def test_the_page_refuses_a_post_without_the_csrf_token(user):
    browser = Client(enforce_csrf_checks=True)
    from tests.helpers.clients import log_in

    log_in(browser, user.email)
    response = browser.post(reverse("accounts:reauthenticate"), {"password": PASSWORD})
    assert response.status_code == 403


def test_the_page_sends_a_visitor_who_is_not_logged_in_to_log_in(client):
    response = client.get(reverse("accounts:reauthenticate"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_ending_other_sessions_from_an_old_page_login_asks_first(logged_in, user):
    second_browser(user)
    csrf = logged_in.cookies[settings.CSRF_COOKIE_NAME].value
    with seconds_later(MAX_AGE + 1):
        response = logged_in.post(
            reverse("accounts:sessions-end-others"), {"csrfmiddlewaretoken": csrf}
        )
    assert response.status_code == 302
    assert response["Location"] == (
        reverse("accounts:reauthenticate") + "?next=%2Faccounts%2Fsessions%2F"
    )
    assert Session.objects.active().count() == 2


def test_a_refreshed_cookie_login_is_still_as_old_as_its_proof(logged_in, user):
    # A silent refresh is no proof: five minutes later the cookies refresh,
    # and the login still counts from the password.
    with seconds_later(301):
        assert refresh(logged_in).status_code == 200
        response = logged_in.get(reverse("accounts:password_change"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:reauthenticate"))
