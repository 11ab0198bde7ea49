"""Passkeys in Chromium, with a virtual authenticator: add, log in alone, remove.

Chromium's DevTools protocol gives the browser a virtual platform
authenticator (CTAP2, internal transport, resident keys, user verification
that always succeeds), so navigator.credentials.create() and get() run for
real, through static/js/passkeys.js, under the site's CSP.
"""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import User
from mfa import services as mfa
from tests.helpers.clients import PASSWORD

from .conftest import save_screenshot
from .helpers import (
    account_menu,
    at_desktop_and_phone_width,
    fits_the_window,
    go_and_log_in,
    log_out,
)

NO_CONDITIONAL_MEDIATION = (
    "PublicKeyCredential.isConditionalMediationAvailable = async () => false;"
)


@pytest.fixture(autouse=True)
def _live_server_origin(settings, live_server):
    # The live server's port changes every run: its origin is the one the
    # browser's ceremonies name (the RP id stays "localhost").
    settings.WEBAUTHN_ORIGINS = [live_server.url]


def give_a_virtual_authenticator(page: Page) -> dict:
    """Attach a platform authenticator to `page`'s browser; return its id."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return {"cdp": cdp, "id": added["authenticatorId"]}


def credentials_on(authenticator: dict) -> list[dict]:
    return authenticator["cdp"].send(
        "WebAuthn.getCredentials", {"authenticatorId": authenticator["id"]}
    )["credentials"]


def add_a_passkey(page: Page, name: str) -> None:
    account_menu(page).get_by_role("link", name="Security").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Security")
    page.get_by_role("link", name="Add a passkey").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a passkey")
    assert fits_the_window(page)
    page.get_by_label("Name").fill(name)
    page.get_by_role("button", name="Create the passkey").click()
    expect(page.get_by_role("status")).to_contain_text(
        f"The passkey “{name}” has been added."
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Security")


@at_desktop_and_phone_width
def test_add_a_passkey_log_out_sign_in_with_it_alone_rename_and_remove_it(
    page: Page, live_server
):
    user = User.objects.create_user("keys@example.com", PASSWORD)
    authenticator = give_a_virtual_authenticator(page)
    go_and_log_in(page, user.email)

    add_a_passkey(page, "This laptop")

    passkeys = page.locator(".passkey-list li")
    expect(passkeys).to_have_count(1)
    expect(passkeys.first).to_contain_text("This laptop")
    expect(passkeys.first).to_contain_text("never used")
    assert fits_the_window(page)
    save_screenshot(page, "security-passkeys")
    # A discoverable credential, for this site, on the authenticator.
    (credential,) = credentials_on(authenticator)
    assert credential["isResidentCredential"]
    assert credential["rpId"] == "localhost"

    log_out(page)
    # Chromium's virtual authenticator answers the email field's autofill
    # request at once (conditional mediation, tested below): without it
    # here, only the button can log in.
    page.add_init_script(NO_CONDITIONAL_MEDIATION)
    page.goto("/accounts/login/")
    expect(page.get_by_label("Email")).to_have_attribute(
        "autocomplete", "username webauthn"
    )
    page.get_by_role("button", name="Sign in with a passkey").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(f"Welcome, {user.email}")
    expect(page.get_by_role("status")).to_contain_text("You are logged in.")
    assert credentials_on(authenticator)[0]["signCount"] >= 1
    assert user.login_sessions.active().count() == 1
    assert mfa.passkeys_of(user).get().last_used_at is not None

    account_menu(page).get_by_role("link", name="Security").click()
    page.locator(".passkey-rename summary").click()
    page.get_by_label("New name").fill("Work laptop")
    page.get_by_role("button", name="Save the name").click()
    expect(page.get_by_role("status")).to_contain_text("The passkey has been renamed.")
    expect(passkeys.first).to_contain_text("Work laptop")

    page.get_by_role("button", name="Remove Work laptop").click()
    expect(page.get_by_role("status")).to_contain_text("The passkey has been removed")
    expect(page.locator(".passkey-list li")).to_have_count(0)
    assert not mfa.passkeys_of(user).exists()
    assert fits_the_window(page)


def test_the_email_fields_autofill_logs_in_with_the_passkey(page: Page, live_server):
    user = User.objects.create_user("autofill@example.com", PASSWORD)
    give_a_virtual_authenticator(page)
    go_and_log_in(page, user.email)
    add_a_passkey(page, "Laptop")
    log_out(page)

    # The login page asks for the passkeys the email field's autofill
    # offers; Chromium's virtual authenticator picks this site's one.
    page.goto("/accounts/login/?next=/accounts/sessions/")

    expect(page.get_by_role("heading", level=1)).to_have_text("Where you are logged in")
    assert user.security_events.filter(type="passkey_used").exists()


def test_after_the_password_the_passkey_finishes_the_second_step(
    page: Page, live_server
):
    user = User.objects.create_user("steps@example.com", PASSWORD)
    give_a_virtual_authenticator(page)
    go_and_log_in(page, user.email)
    add_a_passkey(page, "Phone")
    log_out(page)
    page.add_init_script(NO_CONDITIONAL_MEDIATION)

    page.goto("/accounts/login/?next=/shop/cart/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Use your passkey")
    page.get_by_role("button", name="Use your passkey").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your cart")
    expect(page.get_by_role("status")).to_contain_text("You are logged in.")


@at_desktop_and_phone_width
def test_an_old_login_confirms_with_the_passkey_before_removing_it(
    page: Page, live_server, settings
):
    settings.STEP_UP_MAX_AGE = 60
    user = User.objects.create_user("older@example.com", PASSWORD)
    give_a_virtual_authenticator(page)
    go_and_log_in(page, user.email)
    add_a_passkey(page, "Tablet")

    # A minute and more later (the server's clock): removing it wants proof.
    with time_machine.travel(timezone.now() + timedelta(seconds=61), tick=True):
        page.get_by_role("button", name="Remove Tablet").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Confirm it's you")
        assert fits_the_window(page)
        page.get_by_role("button", name="Confirm with a passkey").click()

        expect(page.get_by_role("heading", level=1)).to_have_text("Security")
        expect(page.get_by_role("status")).to_contain_text("Thank you. You can go on.")
        assert mfa.passkeys_of(user).exists()
        page.get_by_role("button", name="Remove Tablet").click()
        expect(page.get_by_role("status")).to_contain_text(
            "The passkey has been removed"
        )

    assert not mfa.passkeys_of(user).exists()
    assert user.security_events.filter(type="stepped_up").exists()
