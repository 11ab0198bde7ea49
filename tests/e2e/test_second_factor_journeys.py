"""An authenticator app in Chromium: set up, log in, recovery codes, the admin."""

import re
from datetime import timedelta

import pyotp
import time_machine
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import User
from tests.helpers.clients import PASSWORD

from .conftest import save_screenshot
from .helpers import (
    account_menu,
    at_desktop_and_phone_width,
    fits_the_window,
    go_and_log_in,
    log_out,
)


def set_up_the_app(page: Page) -> tuple[pyotp.TOTP, list[str], int]:
    """Set up an authenticator app from the security page, as a person does.

    Return the app (made from the key the page shows, as scanning the QR
    code would), the recovery codes shown and the time step of the code
    that turned it on.
    """
    expect(page.get_by_role("heading", level=1)).to_have_text("Security")
    page.get_by_role("link", name="Set up an authenticator app").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Set up an authenticator app"
    )
    expect(page.locator("figure.qr svg")).to_be_visible()
    assert fits_the_window(page)
    save_screenshot(page, "totp-setup")
    key = page.locator("code.secret").inner_text().replace(" ", "")
    app = pyotp.TOTP(key)
    step = app.timecode(timezone.now())
    page.get_by_label("Code").fill("000000" if app.now() != "000000" else "111111")
    page.get_by_role("button", name="Turn it on").click()
    expect(page.get_by_role("alert")).to_contain_text("That code does not match.")
    page.get_by_label("Code").fill(app.generate_otp(step))
    page.get_by_role("button", name="Turn it on").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    assert fits_the_window(page)
    codes = [code.inner_text() for code in page.locator("ul.recovery-codes code").all()]
    assert len(codes) == 10
    page.get_by_role("link", name="I have kept them").click()
    return app, codes, step


def log_in_with_code(page: Page, email: str, code: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your code")
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Log in").click()


@at_desktop_and_phone_width
def test_set_up_an_app_then_log_in_with_its_code_and_once_with_a_recovery_code(page):
    User.objects.create_user("careful@example.com", PASSWORD)
    go_and_log_in(page, "careful@example.com")
    account_menu(page).get_by_role("link", name="Security").click()

    app, codes, step = set_up_the_app(page)
    expect(page.locator("main")).to_contain_text("Every login asks for a code")
    save_screenshot(page, "security")
    log_out(page)

    # The code of the next time step (the one that turned it on is spent).
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("careful@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your code")
    assert fits_the_window(page)
    save_screenshot(page, "login-code")
    page.get_by_label("Code").fill(app.generate_otp(step))  # used already
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("That code was used already.")
    page.get_by_label("Code").fill(app.generate_otp(step + 1))
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Welcome, careful@example.com"
    )
    log_out(page)

    log_in_with_code(page, "careful@example.com", codes[0])
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Welcome, careful@example.com"
    )
    log_out(page)
    log_in_with_code(page, "careful@example.com", codes[0])
    expect(page.get_by_role("alert")).to_contain_text("That code is not right.")


@at_desktop_and_phone_width
def test_staff_without_a_second_factor_set_one_up_then_open_the_admin(page):
    User.objects.create_superuser("boss@example.com", PASSWORD)
    go_and_log_in(page, "boss@example.com")

    page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/accounts/security/$"))
    expect(page.get_by_role("status")).to_contain_text(
        "The admin needs a second factor."
    )
    set_up_the_app(page)

    page.goto("/admin/")
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()


@at_desktop_and_phone_width
def test_remove_the_app_and_make_new_recovery_codes_after_confirming_it_is_you(
    page, settings
):
    settings.STEP_UP_MAX_AGE = 60
    User.objects.create_user("tidy@example.com", PASSWORD)
    go_and_log_in(page, "tidy@example.com")
    account_menu(page).get_by_role("link", name="Security").click()
    app, old_codes, _step = set_up_the_app(page)

    # A minute and more later the login is no longer recent: confirm first.
    with time_machine.travel(timezone.now() + timedelta(seconds=61), tick=True):
        page.get_by_role("button", name="Make new recovery codes").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Confirm it's you")
        page.get_by_label("Or a code from your authenticator app").fill(
            app.generate_otp(app.timecode(timezone.now()))
        )
        page.get_by_role("button", name="Confirm").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Security")
        page.get_by_role("button", name="Make new recovery codes").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
        new_codes = [
            c.inner_text() for c in page.locator("ul.recovery-codes code").all()
        ]
        assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
        expect(page.locator("main")).to_contain_text("the old ones no longer work")
        page.get_by_role("link", name="I have kept them").click()

        page.get_by_role("button", name="Remove the authenticator app").click()
        expect(page.get_by_role("status")).to_contain_text(
            "The authenticator app has been removed"
        )
        expect(
            page.get_by_role("link", name="Set up an authenticator app")
        ).to_be_visible()
        assert fits_the_window(page)
