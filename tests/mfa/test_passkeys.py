"""Passkeys: added, used to log in alone, to finish the second step, to step up.

The authenticator is a software one (tests/helpers/passkeys.py) whose
answers the site verifies with py_webauthn, as it verifies a real one. Every
refusal is checked to change nothing: no session, no new sign count.
"""

import os
import subprocess
import sys
from datetime import timedelta

import jwt
import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import SecurityEvent, User
from jwt_sessions.cookies import flow_cookie_name
from jwt_sessions.models import Session
from mfa import checks, services
from mfa.models import Authenticator
from tests.helpers.clients import (
    PASSWORD,
    auth_cookie,
    bearer_token,
    csrf_headers,
    log_in,
    post_json,
    second_browser,
)
from tests.helpers.passkeys import SoftAuthenticator

Event = SecurityEvent.Type
LOGIN_FLOW_COOKIE = flow_cookie_name(services.PASSKEY_LOGIN_FLOW)
REGISTER_FLOW_COOKIE = flow_cookie_name(services.PASSKEY_REGISTER_FLOW)


def claims(raw):
    return jwt.decode(raw, options={"verify_signature": False})


def add_passkey(client, authenticator, *, name="Laptop", **headers):
    """Add `authenticator`'s passkey for the client's user, through the API."""
    headers = headers or csrf_headers(client)
    options = post_json(client, "api:passkey-register-options", **headers)
    assert options.status_code == 200, options.content
    body = options.json()
    credential = authenticator.create(body["options"])
    extra = {"flow_token": body["flow_token"]} if "flow_token" in body else {}
    return post_json(
        client,
        "api:passkey-register",
        {**credential, "name": name, **extra},
        **headers,
    )


def login_options(browser):
    response = post_json(browser, "api:passkey-login-options", **csrf_headers(browser))
    assert response.status_code == 200, response.content
    return response.json()["options"]


def send(browser, credential):
    return post_json(browser, "api:passkey-login", credential, **csrf_headers(browser))


def passkey_login(browser, authenticator, **answer):
    return send(browser, authenticator.get(login_options(browser), **answer))


@pytest.fixture
def passkey(logged_in, user):
    """`user`'s passkey on a device-bound authenticator, added while logged in."""
    authenticator = SoftAuthenticator()
    assert add_passkey(logged_in, authenticator).status_code == 201
    return authenticator


@pytest.fixture
def fresh_browser(db):
    return Client(enforce_csrf_checks=True)


def stored(authenticator) -> Authenticator:
    return Authenticator.objects.get(data__credential_id=authenticator.id)


# --- Adding one -----------------------------------------------------------------------


def test_registration_asks_for_a_discoverable_verified_passkey_and_excludes_mine(
    logged_in, passkey
):
    options = post_json(
        logged_in, "api:passkey-register-options", **csrf_headers(logged_in)
    ).json()["options"]

    assert options["rp"] == {"id": "localhost", "name": "authsite"}
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert [c["id"] for c in options["excludeCredentials"]] == [passkey.id]
    # The same handle as the first passkey's, and not the user's id.
    assert options["user"]["id"] == passkey.user_handle
    assert logged_in.cookies[REGISTER_FLOW_COOKIE]["httponly"]


def test_what_is_stored_is_public_and_the_log_names_it(passkey, user):
    row = stored(passkey)

    assert row.type == Authenticator.Type.WEBAUTHN
    assert row.name == "Laptop"
    assert set(row.data) == {
        "credential_id",
        "public_key",
        "sign_count",
        "transports",
        "backup_eligible",
        "backup_state",
        "aaguid",
        "user_handle",
    }
    assert row.data["transports"] == ["internal"]
    assert row.data["backup_eligible"] is False
    assert services.second_factor_methods(user) == ["passkey"]
    assert services.has_second_factor(user)
    added = user.security_events.get(type=Event.MFA_ADDED)
    assert "“Laptop”" in added.sentence


def test_a_registration_answered_for_another_challenge_keeps_nothing(logged_in, user):
    authenticator = SoftAuthenticator()
    first = post_json(
        logged_in, "api:passkey-register-options", **csrf_headers(logged_in)
    ).json()["options"]
    post_json(logged_in, "api:passkey-register-options", **csrf_headers(logged_in))

    response = post_json(
        logged_in,
        "api:passkey-register",
        authenticator.create(first),
        **csrf_headers(logged_in),
    )

    assert response.status_code == 400
    assert response.json()["code"] == "passkey_refused"
    assert not services.passkeys_of(user).exists()


def test_another_browser_of_the_same_user_cannot_finish_a_registration(logged_in, user):
    options = post_json(
        logged_in, "api:passkey-register-options", **csrf_headers(logged_in)
    ).json()["options"]
    other = second_browser(user)
    other.cookies[REGISTER_FLOW_COOKIE] = logged_in.cookies[REGISTER_FLOW_COOKIE].value

    response = post_json(
        other,
        "api:passkey-register",
        SoftAuthenticator().create(options),
        **csrf_headers(other),
    )

    assert response.status_code == 400
    assert response.json()["code"] == "passkey_flow_ended"
    assert not services.passkeys_of(user).exists()


def test_adding_a_passkey_needs_a_recent_login(logged_in, user):
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        options = post_json(
            logged_in, "api:passkey-register-options", **csrf_headers(logged_in)
        )
        page = logged_in.get(reverse("mfa:passkey-add"))

    assert options.status_code == 401
    assert options.json()["code"] == "insufficient_user_authentication"
    assert page.status_code == 302
    assert page["Location"].startswith(reverse("accounts:reauthenticate"))


def test_adding_a_passkey_needs_the_csrf_token(logged_in):
    response = post_json(logged_in, "api:passkey-register-options")

    assert response.status_code == 403


def test_an_app_adds_a_passkey_with_the_flow_token(app_client, user):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {bearer_token(app_client, user.email)}"}

    response = add_passkey(app_client, SoftAuthenticator(), name="Phone", **headers)

    assert response.status_code == 201, response.content
    assert response.json()["name"] == "Phone"
    listed = app_client.get(reverse("api:passkeys"), **headers).json()
    assert [p["name"] for p in listed] == ["Phone"]


# --- Logging in with one alone --------------------------------------------------------


def test_a_passkey_alone_logs_a_browser_in_with_two_factors(
    passkey, fresh_browser, user
):
    response = passkey_login(fresh_browser, passkey)

    assert response.status_code == 200, response.content
    body = response.json()
    assert "access" not in body and "refresh" not in body
    assert body["user"]["email"] == user.email
    assert body["redirect"] == reverse("dashboard")
    access = claims(auth_cookie(fresh_browser, "access"))
    assert access["amr"] == ["hwk", "mfa", "user"]
    assert access["acr"] == "aal2"
    for name in (settings.JWT_COOKIE_ACCESS_NAME, settings.JWT_COOKIE_REFRESH_NAME):
        assert fresh_browser.cookies[name]["httponly"]
    assert fresh_browser.cookies[LOGIN_FLOW_COOKIE].value == ""
    assert fresh_browser.get(reverse("api:me")).json()["email"] == user.email
    row = stored(passkey)
    assert row.data["sign_count"] == 1
    assert row.last_used_at is not None
    used = user.security_events.get(type=Event.PASSKEY_USED)
    assert "“Laptop”" in used.sentence


def test_a_synced_passkey_counts_as_a_software_key(logged_in, fresh_browser):
    synced = SoftAuthenticator(synced=True)
    add_passkey(logged_in, synced)

    passkey_login(fresh_browser, synced)

    assert claims(auth_cookie(fresh_browser, "access"))["amr"] == [
        "mfa",
        "swk",
        "user",
    ]


def test_login_options_name_no_credential_and_ask_for_user_verification(
    passkey, fresh_browser
):
    options = login_options(fresh_browser)

    assert options["rpId"] == "localhost"
    assert options["userVerification"] == "required"
    assert options.get("allowCredentials", []) == []
    assert fresh_browser.cookies[LOGIN_FLOW_COOKIE]["httponly"]


def test_an_app_logs_in_with_a_passkey_and_gets_its_tokens_in_the_body(
    passkey, app_client
):
    options = post_json(app_client, "api:app-passkey-login-options").json()
    credential = passkey.get(options["options"])

    response = post_json(
        app_client,
        "api:app-passkey-login",
        {**credential, "flow_token": options["flow_token"]},
    )

    assert response.status_code == 200, response.content
    assert claims(response.json()["access"])["acr"] == "aal2"
    assert not app_client.cookies.get(settings.JWT_COOKIE_ACCESS_NAME)


def test_an_app_finishes_a_password_login_with_a_passkey(passkey, app_client, user):
    first = post_json(
        app_client, "api:app-token", {"email": user.email, "password": PASSWORD}
    ).json()
    assert first["mfa_required"] is True and "passkey" in first["methods"]
    options = post_json(app_client, "api:app-passkey-login-options").json()

    response = post_json(
        app_client,
        "api:app-passkey-login",
        {
            **passkey.get(options["options"]),
            "flow_token": options["flow_token"],
            "mfa_flow_token": first["flow_token"],
        },
    )

    assert response.status_code == 200, response.content
    assert "pwd" in claims(response.json()["access"])["amr"]
    # The password's second step is over: its token logs nobody in again.
    again = post_json(
        app_client,
        "api:app-token-mfa",
        {"code": "000000", "flow_token": first["flow_token"]},
    )
    assert again.json()["code"] == "mfa_flow_ended"


def test_a_passkey_without_user_verification_is_refused(passkey, fresh_browser):
    response = passkey_login(fresh_browser, passkey, verified=False)

    assert response.status_code == 401
    assert not auth_cookie(fresh_browser, "access")


def test_the_browser_login_needs_the_csrf_token(passkey, fresh_browser):
    credential = passkey.get(login_options(fresh_browser))

    assert post_json(fresh_browser, "api:passkey-login", credential).status_code == 403
    assert post_json(fresh_browser, "api:passkey-login-options").status_code == 403


# --- Refusals, each changing nothing --------------------------------------------------


def refused(response, browser, authenticator, count: int):
    assert response.status_code == 401, response.content
    assert response.json()["code"] in ("passkey_refused", "passkey_flow_ended")
    assert not auth_cookie(browser, "access")
    assert stored(authenticator).data["sign_count"] == count
    return True


def test_a_replayed_assertion_is_refused(passkey, fresh_browser, user):
    credential = passkey.get(login_options(fresh_browser))
    flow = fresh_browser.cookies[LOGIN_FLOW_COOKIE].value
    send(fresh_browser, credential)
    sessions = Session.objects.filter(user=user).count()

    attacker = Client(enforce_csrf_checks=True)
    attacker.cookies[LOGIN_FLOW_COOKIE] = flow  # the same challenge again
    again = send(attacker, credential)
    login_options(attacker)  # a new challenge, the old answer
    anew = send(attacker, credential)

    assert refused(again, attacker, passkey, 1)
    assert refused(anew, attacker, passkey, 1)
    assert Session.objects.filter(user=user).count() == sessions


def test_a_challenge_is_used_once(passkey, fresh_browser):
    options = login_options(fresh_browser)
    flow = fresh_browser.cookies[LOGIN_FLOW_COOKIE].value
    first = passkey.get(options, rp_id="evil.example")  # refused, and used up
    post_json(fresh_browser, "api:passkey-login", first, **csrf_headers(fresh_browser))
    fresh_browser.cookies[LOGIN_FLOW_COOKIE] = flow

    response = post_json(
        fresh_browser,
        "api:passkey-login",
        passkey.get(options),
        **csrf_headers(fresh_browser),
    )

    assert refused(response, fresh_browser, passkey, 0)
    assert response.json()["code"] == "passkey_flow_ended"


def test_a_challenge_expires_after_five_minutes(passkey, fresh_browser):
    options = login_options(fresh_browser)
    credential = passkey.get(options)

    with time_machine.travel(timezone.now() + timedelta(minutes=5, seconds=5)):
        response = send(fresh_browser, credential)

    assert refused(response, fresh_browser, passkey, 0)


def test_a_sign_count_going_backwards_is_refused_and_recorded(
    passkey, fresh_browser, user
):
    passkey.sign_count = 6
    assert passkey_login(fresh_browser, passkey).status_code == 200  # count 7
    clone = Client(enforce_csrf_checks=True)

    response = passkey_login(clone, passkey, sign_count=3)

    assert refused(response, clone, passkey, 7)
    event = user.security_events.get(type=Event.PASSKEY_COUNTER_REGRESSED)
    assert "“Laptop”" in event.sentence


def test_a_forged_signature_with_an_old_count_is_not_taken_for_a_clone(
    passkey, fresh_browser, user
):
    assert passkey_login(fresh_browser, passkey).status_code == 200
    forger = SoftAuthenticator()
    forger.credential_id = passkey.credential_id  # the id, not the key
    clone = Client(enforce_csrf_checks=True)

    response = passkey_login(
        clone, forger, sign_count=0, user_handle=passkey.user_handle
    )

    assert refused(response, clone, passkey, 1)
    assert not user.security_events.filter(
        type=Event.PASSKEY_COUNTER_REGRESSED
    ).exists()


def test_an_assertion_for_another_rp_id_is_refused(passkey, fresh_browser):
    response = passkey_login(fresh_browser, passkey, rp_id="evil.example")

    assert refused(response, fresh_browser, passkey, 0)


def test_an_assertion_from_another_origin_is_refused(passkey, fresh_browser):
    response = passkey_login(fresh_browser, passkey, origin="https://evil.example")

    assert refused(response, fresh_browser, passkey, 0)


def test_a_user_handle_that_is_not_the_owners_is_refused(
    passkey, fresh_browser, other_user
):
    other = Client(enforce_csrf_checks=True)
    log_in(other, other_user.email)
    others_passkey = SoftAuthenticator()
    add_passkey(other, others_passkey)

    response = passkey_login(
        fresh_browser, passkey, user_handle=others_passkey.user_handle
    )

    assert refused(response, fresh_browser, passkey, 0)
    assert not Session.objects.filter(
        user=other_user, created_at__gt=stored(others_passkey).created_at
    ).exists()


def test_another_browsers_challenge_is_refused(passkey, fresh_browser):
    options = login_options(fresh_browser)
    thief = Client(enforce_csrf_checks=True)
    login_options(thief)  # a flow of its own, for another challenge

    response = post_json(
        thief, "api:passkey-login", passkey.get(options), **csrf_headers(thief)
    )

    assert refused(response, thief, passkey, 0)


def test_an_unknown_or_malformed_credential_is_refused(passkey, fresh_browser):
    login_options(fresh_browser)
    for body in ({}, {"id": "x" * 5000}, {"id": passkey.id, "response": "nonsense"}):
        response = post_json(
            fresh_browser, "api:passkey-login", body, **csrf_headers(fresh_browser)
        )
        assert response.status_code == 401, body
        login_options(fresh_browser)


# --- The login's second step, and step-up ---------------------------------------------


def test_after_the_password_a_passkey_finishes_the_second_step(passkey, user):
    browser = Client(enforce_csrf_checks=True)
    asked = post_json(
        browser,
        "api:token",
        {"email": user.email, "password": PASSWORD},
        **csrf_headers(browser),
    ).json()
    assert asked == {"mfa_required": True, "methods": ["passkey"]}

    response = passkey_login(browser, passkey)

    assert response.status_code == 200, response.content
    assert claims(auth_cookie(browser, "access"))["amr"] == [
        "hwk",
        "mfa",
        "pwd",
        "user",
    ]
    assert browser.cookies[flow_cookie_name(services.LOGIN_FLOW)].value == ""


def test_the_login_page_sends_a_passkey_user_to_the_second_step(passkey, user):
    browser = Client()
    response = browser.post(
        reverse("accounts:login"), {"email": user.email, "password": PASSWORD}
    )
    page = browser.get(response["Location"])

    assert response["Location"] == reverse("mfa:login-step")
    assert "Use your passkey" in page.text
    assert 'name="code"' not in page.text


def step_up_with(browser, authenticator, **extra):
    options = post_json(
        browser, "api:passkey-reauthenticate-options", **csrf_headers(browser)
    ).json()["options"]
    response = post_json(
        browser,
        "api:passkey-reauthenticate",
        {**authenticator.get(options), **extra},
        **csrf_headers(browser),
    )
    assert response.status_code == 200, response.content
    return response


def test_a_passkey_steps_up_a_login(logged_in, passkey, user):
    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        options = post_json(
            logged_in, "api:passkey-reauthenticate-options", **csrf_headers(logged_in)
        ).json()["options"]
        assert [c["id"] for c in options["allowCredentials"]] == [passkey.id]
        response = post_json(
            logged_in,
            "api:passkey-reauthenticate",
            {**passkey.get(options), "next": "/accounts/security/"},
            **csrf_headers(logged_in),
        )
        access = claims(auth_cookie(logged_in, "access"))
        now = timezone.now().timestamp()

    assert response.status_code == 200, response.content
    assert response.json()["redirect"] == "/accounts/security/"
    assert access["amr"] == ["hwk", "mfa", "pwd", "user"]
    assert now - access["auth_time"] < 5
    assert user.security_events.filter(type=Event.STEPPED_UP).exists()


def test_another_users_passkey_does_not_step_up_a_login(logged_in, other_user):
    other = Client(enforce_csrf_checks=True)
    log_in(other, other_user.email)
    others_passkey = SoftAuthenticator()
    add_passkey(other, others_passkey)
    mine = SoftAuthenticator()
    add_passkey(logged_in, mine)
    options = post_json(
        logged_in, "api:passkey-reauthenticate-options", **csrf_headers(logged_in)
    ).json()["options"]
    before = claims(auth_cookie(logged_in, "access"))

    response = post_json(
        logged_in,
        "api:passkey-reauthenticate",
        others_passkey.get(options),
        **csrf_headers(logged_in),
    )

    assert response.status_code == 400
    assert claims(auth_cookie(logged_in, "access")) == before
    assert stored(others_passkey).data["sign_count"] == 0


# --- Renaming and removing ------------------------------------------------------------


def test_a_passkey_is_renamed_without_a_recent_login(logged_in, passkey):
    row = stored(passkey)
    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        response = logged_in.patch(
            reverse("api:passkey", args=[row.pk]),
            {"name": "Old laptop"},
            content_type="application/json",
            **csrf_headers(logged_in),
        )

    assert response.status_code == 200
    assert stored(passkey).name == "Old laptop"


def test_removing_a_passkey_needs_a_recent_login_and_is_on_record(
    logged_in, passkey, user
):
    url = reverse("api:passkey", args=[stored(passkey).pk])
    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        late = logged_in.delete(url, **csrf_headers(logged_in))
        assert late.status_code == 401
        assert late.json()["code"] == "insufficient_user_authentication"
        assert stored(passkey)
        step_up_with(logged_in, passkey)

        response = logged_in.delete(url, **csrf_headers(logged_in))

    assert response.status_code == 204
    assert not services.passkeys_of(user).exists()
    assert not services.has_second_factor(user)
    removed = user.security_events.get(type=Event.MFA_REMOVED)
    assert "“Laptop”" in removed.sentence


def test_a_removed_passkey_no_longer_logs_in(logged_in, passkey, fresh_browser):
    logged_in.delete(
        reverse("api:passkey", args=[stored(passkey).pk]), **csrf_headers(logged_in)
    )

    response = passkey_login(fresh_browser, passkey)

    assert response.status_code == 401
    assert not auth_cookie(fresh_browser, "access")


def test_someone_elses_passkey_is_not_found(passkey, other_user):
    other = Client(enforce_csrf_checks=True)
    log_in(other, other_user.email)
    url = reverse("api:passkey", args=[stored(passkey).pk])

    assert other.delete(url, **csrf_headers(other)).status_code == 404
    assert (
        other.patch(
            url,
            {"name": "Mine"},
            content_type="application/json",
            **csrf_headers(other),
        ).status_code
        == 404
    )
    assert (
        other.post(
            reverse("mfa:passkey-remove", args=[stored(passkey).pk]),
            {"csrfmiddlewaretoken": other.cookies[settings.CSRF_COOKIE_NAME].value},
        ).status_code
        == 404
    )
    assert stored(passkey).name == "Laptop"


def test_the_security_page_lists_renames_and_removes_passkeys(logged_in, passkey):
    row = stored(passkey)
    page = logged_in.get(reverse("mfa:security"))
    assert "Laptop" in page.text and "never used" in page.text
    token = logged_in.cookies[settings.CSRF_COOKIE_NAME].value

    logged_in.post(
        reverse("mfa:passkey-rename", args=[row.pk]),
        {"name": "Desk", "csrfmiddlewaretoken": token},
    )
    assert stored(passkey).name == "Desk"
    response = logged_in.post(
        reverse("mfa:passkey-remove", args=[row.pk]), {"csrfmiddlewaretoken": token}
    )

    assert response["Location"] == reverse("mfa:security")
    assert not Authenticator.objects.filter(pk=row.pk).exists()


# --- Staff ----------------------------------------------------------------------------


def test_staff_with_a_passkey_open_the_admin_after_a_passkey_login(db):
    staff = User.objects.create_user("keyed@example.com", PASSWORD, is_staff=True)
    browser = Client(enforce_csrf_checks=True)
    log_in(browser, staff.email)
    authenticator = SoftAuthenticator()
    assert add_passkey(browser, authenticator).status_code == 201
    assert browser.get(reverse("admin:index")).status_code == 302  # password only

    keyed = Client(enforce_csrf_checks=True)
    passkey_login(keyed, authenticator)

    assert keyed.get(reverse("admin:index")).status_code == 200


def test_staff_with_a_passkey_step_up_into_the_admin(db):
    staff = User.objects.create_user("keyed@example.com", PASSWORD, is_staff=True)
    browser = Client(enforce_csrf_checks=True)
    log_in(browser, staff.email)
    authenticator = SoftAuthenticator()
    add_passkey(browser, authenticator)
    options = post_json(
        browser, "api:passkey-reauthenticate-options", **csrf_headers(browser)
    ).json()["options"]

    post_json(
        browser,
        "api:passkey-reauthenticate",
        authenticator.get(options),
        **csrf_headers(browser),
    )

    assert browser.get(reverse("admin:index")).status_code == 200


# --- The settings' system check -------------------------------------------------------


def check_ids():
    return [error.id for error in checks.check_webauthn_settings(None)]


def test_the_default_settings_pass_the_check():
    assert check_ids() == []


@pytest.mark.parametrize(
    ("rp_id", "hosts", "origins", "expected"),
    [
        ("shop.example", ["shop.example"], ["https://shop.example"], []),
        ("example.com", ["shop.example.com"], ["https://shop.example.com"], []),
        ("example.org", [".example.org"], ["https://www.example.org"], []),
        ("evil.example", ["shop.example"], ["https://evil.example"], ["mfa.E001"]),
        ("com", ["shop.com"], ["https://shop.com"], ["mfa.E001"]),
        ("xample.com", ["shop.example.com"], ["https://x.xample.com"], ["mfa.E001"]),
        ("shop.example", ["shop.example"], ["https://evil.example"], ["mfa.E002"]),
        ("shop.example", ["shop.example"], ["http://shop.example"], ["mfa.E003"]),
        ("localhost", ["localhost"], ["http://localhost:8123"], []),
        ("shop.example", ["shop.example"], ["shop.example"], ["mfa.E004"]),
        ("shop.example", ["shop.example"], [], ["mfa.E004"]),
    ],
)
def test_the_check_refuses_an_rp_id_or_origin_browsers_would(
    settings, rp_id, hosts, origins, expected
):
    settings.WEBAUTHN_RP_ID = rp_id
    settings.ALLOWED_HOSTS = hosts
    settings.WEBAUTHN_ORIGINS = origins

    assert check_ids() == expected


def test_the_app_servers_refuse_to_start_with_settings_no_passkey_works_with(
    tmp_path,
):
    # gunicorn and uvicorn run no system check: the WSGI module refuses.
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "authsite.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "WEBAUTHN_RP_ID": "evil.example",
    }
    subprocess.run(
        [sys.executable, "manage.py", "createcachetable"], env=env, check=True
    )
    result = subprocess.run(
        [sys.executable, "-c", "import authsite.wsgi"],
        env=env,
        capture_output=True,
        text=True,
    )

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "WEBAUTHN_RP_ID 'evil.example'" in result.stderr
    assert "(mfa.E001)" in result.stderr


def test_mandatory_verification_refuses_a_passkey_login_of_an_unverified_account(
    passkey, fresh_browser, user, settings
):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    user.email_verified_at = None
    user.save(update_fields=["email_verified_at"])

    response = passkey_login(fresh_browser, passkey)

    assert response.status_code == 401
    assert response.json()["code"] == "email_not_verified"
    assert auth_cookie(fresh_browser, "access") is None
    assert auth_cookie(fresh_browser, "refresh") is None
