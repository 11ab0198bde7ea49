"""Steps that several journeys share, done the way a person does them."""

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from mfa import services as mfa
from tests.helpers.clients import PASSWORD
from tests.helpers.second_factor import next_code

# Run a journey at desktop size and at 360 px wide (the `viewport` fixture).
at_desktop_and_phone_width = pytest.mark.parametrize(
    "viewport", ["desktop", "phone"], indirect=True
)


def fits_the_window(page: Page) -> bool:
    """Say whether the page needs no sideways scrolling at its window's width."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def log_in(page: Page, email: str, password: str = PASSWORD) -> None:
    """Fill and send the login form the page shows (and the code, if asked)."""
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    user = User.objects.get(email=email)
    if mfa.has_authenticator_app(user):
        expect(page.get_by_role("heading", level=1)).to_have_text("Enter your code")
        page.get_by_label("Code").fill(next_code(user))
        page.get_by_role("button", name="Log in").click()
    # The site shows it in its messages, the admin in its own message list.
    expect(page.locator(".messages, .messagelist")).to_contain_text(
        "You are logged in."
    )


def go_and_log_in(page: Page, email: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    log_in(page, email, password)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Welcome, {email}")


def top_bar(page: Page):
    return page.locator("header.topbar")


def account_menu(page: Page):
    """Open the top bar's account menu (the email) and return it."""
    menu = top_bar(page).locator("details.account-menu")
    if menu.get_attribute("open") is None:
        menu.locator("summary").click()
    panel = menu.get_by_role("navigation", name="Account")
    expect(panel).to_be_visible()
    return panel


def log_out(page: Page) -> None:
    account_menu(page).get_by_role("button", name="Log out").click()
    expect(page.get_by_role("status")).to_contain_text("You have been logged out.")
