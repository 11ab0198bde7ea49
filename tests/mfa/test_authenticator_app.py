"""An authenticator app: set up, log in with its code, recovery codes, the admin.

Codes come from pyotp with the test secret (tests/helpers/second_factor.py)
or from what the setup showed; the clock is frozen where a code's time step
matters.
"""

import re
from datetime import timedelta

import jwt
import pyotp
import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import SecurityEvent, User
from jwt_sessions.cookies import flow_cookie_name
from jwt_sessions.models import Session
from mfa import services
from mfa.models import Authenticator
from tests.helpers.clients import (
    PASSWORD,
    auth_cookie,
    csrf_headers,
    log_in,
    post_json,
)
from tests.helpers.second_factor import (
    TEST_SECRET,
    code_for_step,
    give_authenticator_app,
    next_code,
)

Event = SecurityEvent.Type
FLOW_COOKIE = flow_cookie_name(services.LOGIN_FLOW)


@pytest.fixture
def frozen():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


@pytest.fixture
def protected(db):
    """A user who has set up the test authenticator app."""
    user = User.objects.create_user("careful@example.com", PASSWORD)
    give_authenticator_app(user)
    return user


def claims(raw):
    return jwt.decode(raw, options={"verify_signature": False})


def now_code(at=None):
    return pyotp.TOTP(TEST_SECRET).at(at or timezone.now())


def password_step(client, user, url="api:token"):
    return post_json(
        client,
        url,
        {"email": user.email, "password": PASSWORD},
        **(csrf_headers(client) if url == "api:token" else {}),
    )


# --- Setting one up -------------------------------------------------------------


def test_an_app_is_set_up_through_the_api_and_the_login_counts_as_two_factors(
    app_client, user
):
    access = log_in_app(app_client, user)["access"]
    started = post_json(app_client, "api:mfa-totp", **bearer(access))
    assert started.status_code == 201
    secret = started.json()["secret"]
    assert started.json()["otpauth_uri"].startswith("otpauth://totp/authsite:")

    confirmed = post_json(
        app_client,
        "api:mfa-totp-confirm",
        {"code": pyotp.TOTP(secret).now()},
        **bearer(access),
    )

    assert confirmed.status_code == 200, confirmed.content
    codes = confirmed.json()["recovery_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert claims(confirmed.json()["access"])["acr"] == "aal2"
    assert claims(confirmed.json()["access"])["amr"] == ["mfa", "otp", "pwd"]
    assert services.has_second_factor(user)
    assert SecurityEvent.objects.filter(user=user, type=Event.MFA_ADDED).exists()


def test_what_is_stored_opens_nothing(protected):
    stored = str(list(Authenticator.objects.values_list("data", flat=True)))

    assert TEST_SECRET not in stored
    assert TEST_SECRET.lower() not in stored.lower()
    from tests.helpers.second_factor import _recovery_codes

    for code in _recovery_codes[protected.pk]:
        assert code not in stored
        assert code.replace("-", "") not in stored


def test_a_wrong_first_code_keeps_nothing(app_client, user):
    access = log_in_app(app_client, user)["access"]
    post_json(app_client, "api:mfa-totp", **bearer(access))

    response = post_json(
        app_client, "api:mfa-totp-confirm", {"code": "000000"}, **bearer(access)
    )

    assert response.status_code == 400
    assert not Authenticator.objects.exists()


def test_setting_one_up_needs_a_recent_login(app_client, user, settings):
    settings.STEP_UP_MAX_AGE = 60
    access = log_in_app(app_client, user)["access"]
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        response = post_json(app_client, "api:mfa-totp", **bearer(access))
    assert response.status_code == 401
    assert 'error="insufficient_user_authentication"' in response["WWW-Authenticate"]


def test_the_setup_page_shows_a_qr_code_and_the_key_and_turns_it_on(logged_in, user):
    page = logged_in.get(reverse("mfa:totp-setup"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html
    key = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', html)[1]

    response = logged_in.post(
        reverse("mfa:totp-setup"),
        {
            "code": pyotp.TOTP(key.replace(" ", "")).now(),
            "csrfmiddlewaretoken": logged_in.cookies[settings.CSRF_COOKIE_NAME].value,
        },
    )

    assert response.status_code == 200
    assert "Your recovery codes" in response.content.decode()
    assert len(re.findall(r"<li><code>", response.content.decode())) == 10
    assert claims(auth_cookie(logged_in, "access"))["acr"] == "aal2"
    assert response["Cache-Control"].startswith("max-age=0, no-cache, no-store")


def test_another_browser_cannot_finish_a_setup_it_did_not_start(logged_in, user):
    logged_in.get(reverse("mfa:totp-setup"))
    other = Client()
    log_in(other, user.email)

    # The other browser sees a setup of its own, with another key.
    mine = services.pending_totp_setup(
        user=user, session_id=str(Session.objects.order_by("created_at").first().pk)
    )
    theirs = other.get(reverse("mfa:totp-setup")).content.decode()
    assert mine.grouped_secret not in theirs


# --- Logging in -------------------------------------------------------------------


def test_the_password_alone_opens_nothing_but_the_second_step(protected, frozen):
    browser = Client(enforce_csrf_checks=True)

    response = password_step(browser, protected)

    assert response.status_code == 200
    assert response.json() == {
        "mfa_required": True,
        "methods": ["totp", "recovery_code"],
    }
    assert auth_cookie(browser, "access") is None
    assert auth_cookie(browser, "refresh") is None
    flow = browser.cookies[FLOW_COOKIE]
    assert flow["httponly"] and flow["samesite"] == "Lax"
    assert browser.get(reverse("api:me")).status_code == 401
    assert not Session.objects.exists()


def test_the_code_logs_the_browser_in_with_two_factors(protected, frozen):
    browser = Client(enforce_csrf_checks=True)
    password_step(browser, protected)

    response = post_json(
        browser, "api:token-mfa", {"code": now_code()}, **csrf_headers(browser)
    )

    assert response.status_code == 200, response.content
    access = claims(auth_cookie(browser, "access"))
    assert access["amr"] == ["mfa", "otp", "pwd"] and access["acr"] == "aal2"
    assert browser.cookies[FLOW_COOKIE].value == ""  # deleted
    assert browser.get(reverse("api:me")).status_code == 200


def test_an_app_logs_in_with_the_flow_token_and_the_code(app_client, protected, frozen):
    first = password_step(app_client, protected, url="api:app-token")
    assert first.json()["mfa_required"] is True
    assert "access" not in first.json()

    response = post_json(
        app_client,
        "api:app-token-mfa",
        {"code": now_code(), "flow_token": first.json()["flow_token"]},
    )

    assert response.status_code == 200
    assert claims(response.json()["access"])["acr"] == "aal2"


def test_a_code_is_good_once(app_client, protected, frozen):
    code = now_code()
    first = password_step(app_client, protected, url="api:app-token").json()
    post_json(
        app_client,
        "api:app-token-mfa",
        {"code": code, "flow_token": first["flow_token"]},
    )
    second = password_step(app_client, protected, url="api:app-token").json()

    replayed = post_json(
        app_client,
        "api:app-token-mfa",
        {"code": code, "flow_token": second["flow_token"]},
    )

    assert replayed.status_code == 401
    assert replayed.json()["code"] == "code_replayed"
    assert Session.objects.count() == 1


def test_a_code_of_the_step_before_is_taken_and_two_steps_back_is_not(
    app_client, protected, frozen
):
    step = pyotp.TOTP(TEST_SECRET).timecode(timezone.now())
    flow = password_step(app_client, protected, url="api:app-token").json()[
        "flow_token"
    ]

    too_old = post_json(
        app_client,
        "api:app-token-mfa",
        {"code": code_for_step(step - 2), "flow_token": flow},
    )
    late = post_json(
        app_client,
        "api:app-token-mfa",
        {"code": code_for_step(step - 1), "flow_token": flow},
    )

    assert too_old.status_code == 401
    assert late.status_code == 200


def test_wrong_codes_lock_the_account_out_like_wrong_passwords(
    app_client, protected, frozen, settings
):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        flow = password_step(app_client, protected, url="api:app-token").json()
        post_json(
            app_client,
            "api:app-token-mfa",
            {
                "code": "123456" if now_code() != "123456" else "654321",
                "flow_token": flow["flow_token"],
            },
        )

    # The account is locked now: neither the password nor a right code gets in.
    assert password_step(app_client, protected, url="api:app-token").status_code == 429
    assert SecurityEvent.objects.filter(
        user=protected, type=Event.MFA_FAILED
    ).count() == (settings.AXES_FAILURE_LIMIT)


def test_a_second_step_takes_five_wrong_codes_then_ends(
    app_client, protected, frozen, settings
):
    settings.AXES_FAILURE_LIMIT = 100
    flow = password_step(app_client, protected, url="api:app-token").json()[
        "flow_token"
    ]
    for _ in range(services.LOGIN_FLOW_ATTEMPTS):
        post_json(
            app_client, "api:app-token-mfa", {"code": "000000", "flow_token": flow}
        )

    response = post_json(
        app_client, "api:app-token-mfa", {"code": now_code(), "flow_token": flow}
    )

    assert response.status_code == 401
    assert response.json()["code"] == "mfa_flow_ended"


def test_the_second_step_without_the_first_is_refused(protected, app_client):
    browser = Client(enforce_csrf_checks=True)
    no_cookie = post_json(
        browser, "api:token-mfa", {"code": now_code()}, **csrf_headers(browser)
    )
    forged = post_json(
        app_client, "api:app-token-mfa", {"code": now_code(), "flow_token": "x.y.z"}
    )

    assert no_cookie.status_code == 401
    assert forged.status_code == 401
    assert not Session.objects.exists()


def test_a_flow_token_is_used_once(app_client, protected, frozen):
    flow = password_step(app_client, protected, url="api:app-token").json()[
        "flow_token"
    ]
    assert (
        post_json(
            app_client, "api:app-token-mfa", {"code": now_code(), "flow_token": flow}
        ).status_code
        == 200
    )
    again = post_json(
        app_client,
        "api:app-token-mfa",
        {"code": next_code(protected), "flow_token": flow},
    )
    assert again.status_code == 401
    assert Session.objects.count() == 1


def test_a_flow_expires_in_minutes(app_client, protected):
    flow = password_step(app_client, protected, url="api:app-token").json()[
        "flow_token"
    ]
    later = timezone.now() + timedelta(seconds=services.LOGIN_FLOW_MAX_AGE + 1)
    with time_machine.travel(later, tick=False):
        response = post_json(
            app_client, "api:app-token-mfa", {"code": now_code(), "flow_token": flow}
        )
    assert response.status_code == 401


def test_the_browser_step_needs_the_csrf_token(protected, frozen):
    browser = Client(enforce_csrf_checks=True)
    password_step(browser, protected)

    response = post_json(browser, "api:token-mfa", {"code": now_code()})

    assert response.status_code == 403
    assert auth_cookie(browser, "access") is None


def test_a_recovery_code_logs_in_once_and_is_on_record(app_client, protected):
    from tests.helpers.second_factor import _recovery_codes

    code = _recovery_codes[protected.pk][0]
    flow = password_step(app_client, protected, url="api:app-token").json()[
        "flow_token"
    ]
    used = post_json(
        app_client, "api:app-token-mfa", {"code": code.upper(), "flow_token": flow}
    )
    flow = password_step(app_client, protected, url="api:app-token").json()[
        "flow_token"
    ]
    again = post_json(
        app_client, "api:app-token-mfa", {"code": code, "flow_token": flow}
    )

    assert used.status_code == 200
    assert again.status_code == 401
    assert services.recovery_codes_left(protected) == 9
    event = SecurityEvent.objects.get(type=Event.RECOVERY_CODE_USED)
    assert event.sentence == "A recovery code was used; 9 are left."


def test_the_login_page_asks_for_the_code_then_goes_where_asked(protected, frozen):
    browser = Client()
    browser.get(reverse("accounts:login"))
    csrf = browser.cookies[settings.CSRF_COOKIE_NAME].value

    asked = browser.post(
        reverse("accounts:login"),
        {
            "email": protected.email,
            "password": PASSWORD,
            "next": "/shop/orders/",
            "csrfmiddlewaretoken": csrf,
        },
    )
    assert asked.status_code == 302
    assert asked["Location"] == reverse("mfa:login-step")
    assert auth_cookie(browser, "access") is None
    page = browser.get(asked["Location"])
    assert "Enter your code" in page.content.decode()

    done = browser.post(
        reverse("mfa:login-step"), {"code": now_code(), "csrfmiddlewaretoken": csrf}
    )

    assert done.status_code == 302
    assert done["Location"] == "/shop/orders/"
    assert claims(auth_cookie(browser, "access"))["acr"] == "aal2"


def test_the_code_page_without_a_flow_sends_back_to_the_login(client):
    response = client.get(reverse("mfa:login-step"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")


# --- Step-up and removal ------------------------------------------------------------


def test_a_code_steps_up_a_login(app_client, protected):
    access = log_in_app(app_client, protected)["access"]

    response = post_json(
        app_client,
        "api:reauthenticate",
        {"code": next_code(protected)},
        **bearer(access),
    )

    assert response.status_code == 200
    assert claims(response.json()["access"])["acr"] == "aal2"


def test_removing_the_app_needs_a_recent_login_and_takes_the_codes(
    app_client, protected, settings
):
    settings.STEP_UP_MAX_AGE = 60
    access = log_in_app(app_client, protected)["access"]
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        refused = app_client.delete(reverse("api:mfa-totp"), **bearer(access))
    assert refused.status_code == 401
    assert services.has_second_factor(protected)

    removed = app_client.delete(reverse("api:mfa-totp"), **bearer(access))

    assert removed.status_code == 204
    assert not Authenticator.objects.filter(user=protected).exists()
    assert "access" in password_step(app_client, protected, url="api:app-token").json()
    assert SecurityEvent.objects.filter(type=Event.MFA_REMOVED).exists()


def test_new_recovery_codes_replace_the_old_ones(app_client, protected):
    from tests.helpers.second_factor import _recovery_codes

    old = _recovery_codes[protected.pk][0]
    access = log_in_app(app_client, protected)["access"]

    response = post_json(app_client, "api:mfa-recovery-codes", **bearer(access))

    assert response.status_code == 200
    assert len(response.json()["recovery_codes"]) == 10
    flow = password_step(app_client, protected, url="api:app-token").json()[
        "flow_token"
    ]
    refused = post_json(
        app_client, "api:app-token-mfa", {"code": old, "flow_token": flow}
    )
    assert refused.status_code == 401
    ok = post_json(
        app_client,
        "api:app-token-mfa",
        {"code": response.json()["recovery_codes"][0], "flow_token": flow},
    )
    assert ok.status_code == 200


# --- The admin wants staff's second factor --------------------------------------------


def test_staff_without_a_second_factor_are_sent_to_set_one_up(db):
    staff = User.objects.create_user("new-staff@example.com", PASSWORD, is_staff=True)
    browser = Client()
    log_in(browser, staff.email)

    response = browser.get(reverse("admin:index"), follow=True)

    assert response.redirect_chain[-1][0] == reverse("mfa:security")
    assert "The admin needs a second factor" in response.content.decode()


def test_staff_with_a_second_factor_open_the_admin(staff_user):
    browser = Client()
    log_in(browser, staff_user.email)

    assert browser.get(reverse("admin:index")).status_code == 200


def test_a_password_only_staff_login_is_asked_for_the_code(staff_user, settings):
    browser = Client()
    # A session from before the app was set up: one factor.
    Authenticator.objects.filter(user=staff_user).delete()
    log_in(browser, staff_user.email)
    give_authenticator_app(staff_user)

    response = browser.get(reverse("admin:index"), follow=True)

    assert response.redirect_chain[-1][0].startswith(reverse("accounts:reauthenticate"))
    confirmed = browser.post(
        reverse("accounts:reauthenticate"),
        {
            "code": next_code(staff_user),
            "next": reverse("admin:index"),
            "csrfmiddlewaretoken": browser.cookies[settings.CSRF_COOKIE_NAME].value,
        },
    )
    assert confirmed["Location"] == reverse("admin:index")
    assert browser.get(reverse("admin:index")).status_code == 200


def test_the_setting_off_lets_staff_in_with_a_password(db, settings):
    settings.MFA_REQUIRED_FOR_STAFF = False
    staff = User.objects.create_user("plain-staff@example.com", PASSWORD, is_staff=True)
    browser = Client()
    log_in(browser, staff.email)

    assert browser.get(reverse("admin:index")).status_code == 200


def test_staff_remove_a_users_lost_second_factor_in_the_admin(superuser, protected):
    browser = Client()
    log_in(browser, superuser.email)
    listing = browser.get(reverse("admin:mfa_authenticator_changelist"))
    assert listing.status_code == 200
    sealed = Authenticator.objects.get(user=protected, type="totp").data["secret"]
    assert sealed not in listing.content.decode()

    response = browser.post(
        reverse("admin:mfa_authenticator_changelist"),
        {
            "action": "remove_second_factors",
            "_selected_action": [
                str(a.pk) for a in Authenticator.objects.filter(user=protected)
            ],
            "csrfmiddlewaretoken": browser.cookies[settings.CSRF_COOKIE_NAME].value,
        },
    )

    assert response.status_code == 302
    assert not services.has_second_factor(protected)
    assert SecurityEvent.objects.filter(user=protected, type=Event.MFA_REMOVED).exists()


# --- helpers --------------------------------------------------------------------------


def log_in_app(client, user):
    response = password_step(client, user, url="api:app-token")
    body = response.json()
    if body.get("mfa_required"):
        body = post_json(
            client,
            "api:app-token-mfa",
            {"code": next_code(user), "flow_token": body["flow_token"]},
        ).json()
    return body


def bearer(access):
    return {"HTTP_AUTHORIZATION": f"Bearer {access}"}


def test_a_password_change_keeps_the_logins_second_factor(staff_user):
    browser = Client()
    log_in(browser, staff_user.email)

    response = post_json(
        browser,
        "api:password-change",
        {"old_password": PASSWORD, "new_password": "a whole new passphrase 9"},
        **csrf_headers(browser),
    )

    assert response.status_code == 200
    assert claims(auth_cookie(browser, "access"))["acr"] == "aal2"
    assert browser.get(reverse("admin:index")).status_code == 200
