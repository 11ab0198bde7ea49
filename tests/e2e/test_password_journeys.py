"""Forgot the password, reset it by email; change it: in a real browser."""

import re
from datetime import timedelta

import time_machine
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from tests.helpers.clients import PASSWORD

from .conftest import save_screenshot
from .helpers import (
    account_menu,
    at_desktop_and_phone_width,
    fits_the_window,
    go_and_log_in,
    top_bar,
)

NEW_PASSWORD = "a brand new passphrase 2026"


def reset_link_from_the_email(address: str) -> str:
    """Return the link of the last reset email sent to `address`."""
    email = mail.outbox[-1]
    assert email.to == [address]
    return re.search(r"https?://\S+/accounts/reset/\S+/", email.body)[0]


@at_desktop_and_phone_width
def test_forgotten_password_is_reset_through_the_emailed_link_then_logs_in(
    page, live_server
):
    User.objects.create_user("forgetful@example.com", PASSWORD)
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Forgot your password?")
    assert fits_the_window(page)
    page.get_by_label("Email").fill("forgetful@example.com")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")

    link = reset_link_from_the_email("forgetful@example.com")
    assert link.startswith(f"{live_server.url}/accounts/reset/")
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new password")
    assert fits_the_window(page)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password confirmation").fill(NEW_PASSWORD)
    with page.expect_response(lambda answer: answer.request.method == "POST") as sent:
        page.get_by_role("button", name="Set the new password").click()

    # CSRF accepts the form because Chromium sent the page's real Origin.
    assert sent.value.status == 302
    assert sent.value.request.header_value("origin") == live_server.url
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Your new password is set"
    )

    page.locator("main").get_by_role("link", name="Log in").click()
    page.get_by_label("Email").fill("forgetful@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "That email and password do not match an active account."
    )
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Welcome, forgetful@example.com"
    )
    assert fits_the_window(page)


def test_the_reset_page_sends_its_token_in_no_referer_to_another_site(page):
    User.objects.create_user("careful@example.com", PASSWORD)
    page.goto("/accounts/password/reset/")
    page.get_by_label("Email").fill("careful@example.com")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    link = reset_link_from_the_email("careful@example.com")
    token = link.rstrip("/").rsplit("/", 1)[1]
    seen = []

    def elsewhere(route):
        seen.append(route.request.headers)
        route.fulfill(content_type="text/html", body="<title>Elsewhere</title>")

    page.context.route("https://elsewhere.example/**", elsewhere)
    same_origin = []
    page.on("request", lambda request: same_origin.append(request))
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new password")
    # Its own stylesheet is fetched with the full Referer: the policy is not
    # simply "send nothing", which would break the form (see the journey).
    stylesheet = next(r for r in same_origin if r.resource_type == "stylesheet")
    assert token in stylesheet.headers["referer"]

    # What a link in the page (or in anything it shows) leading away does.
    page.evaluate(
        """() => {
            const link = document.createElement("a");
            link.href = "https://elsewhere.example/page";
            link.textContent = "Elsewhere";
            document.querySelector("main").append(link);
        }"""
    )
    page.get_by_role("link", name="Elsewhere").click()
    expect(page).to_have_title("Elsewhere")

    assert len(seen) == 1
    assert "referer" not in seen[0]
    assert token not in str(seen[0])


@at_desktop_and_phone_width
def test_changing_the_password_logs_out_the_other_browser_and_keeps_this_one(
    context_factory,
):
    User.objects.create_user("changer@example.com", PASSWORD)
    here = context_factory().new_page()
    elsewhere = context_factory().new_page()
    go_and_log_in(elsewhere, "changer@example.com")
    go_and_log_in(here, "changer@example.com")

    account_menu(here).get_by_role("link", name="Change password").click()
    expect(here.get_by_role("heading", level=1)).to_have_text("Change your password")
    assert fits_the_window(here)
    here.get_by_label("Old password").fill(PASSWORD)
    here.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    here.get_by_label("New password confirmation").fill(NEW_PASSWORD)
    here.get_by_role("button", name="Change password").click()

    expect(here.get_by_role("status")).to_have_text(
        "Your password has been changed. Every other session has been ended."
    )
    expect(here.get_by_role("heading", level=1)).to_have_text(
        "Welcome, changer@example.com"
    )
    top_bar(elsewhere).get_by_role("link", name="Dashboard").click()
    expect(elsewhere.get_by_role("heading", name="Log in")).to_be_visible()
    expect(elsewhere.get_by_role("status")).to_contain_text(
        "You were logged out because your password was changed."
    )
    assert fits_the_window(elsewhere)
    elsewhere.get_by_label("Email").fill("changer@example.com")
    elsewhere.get_by_label("Password").fill(NEW_PASSWORD)
    elsewhere.get_by_role("button", name="Log in").click()
    expect(elsewhere.get_by_role("heading", level=1)).to_have_text(
        "Welcome, changer@example.com"
    )
    # This browser goes on, on its fresh tokens.
    account_menu(here).get_by_role("link", name="Sessions").click()
    expect(here.locator("table.sessions tbody tr")).to_have_count(2)


@at_desktop_and_phone_width
def test_an_old_login_confirms_the_password_before_changing_it_and_goes_on(
    page, settings
):
    settings.STEP_UP_MAX_AGE = 60
    User.objects.create_user("stepper@example.com", PASSWORD)
    go_and_log_in(page, "stepper@example.com")

    # A minute and more later (the server's clock; the access cookie is
    # still valid): the login no longer counts as recent.
    with time_machine.travel(timezone.now() + timedelta(seconds=61), tick=True):
        account_menu(page).get_by_role("link", name="Change password").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Confirm it's you")
        assert fits_the_window(page)
        page.get_by_label("Password").fill("not my password")
        page.get_by_role("button", name="Confirm").click()
        expect(page.get_by_role("alert")).to_contain_text(
            "That is not your password. Enter it again."
        )
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Confirm").click()

        # Back where the user was going, on the same login.
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Change your password"
        )
        expect(page.get_by_role("status")).to_contain_text("Thank you. You can go on.")
        assert fits_the_window(page)
        save_screenshot(page, "step-up")
        page.get_by_label("Old password").fill(PASSWORD)
        page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
        page.get_by_label("New password confirmation").fill(NEW_PASSWORD)
        page.get_by_role("button", name="Change password").click()
        expect(page.get_by_role("status")).to_have_text(
            "Your password has been changed. Every other session has been ended."
        )
