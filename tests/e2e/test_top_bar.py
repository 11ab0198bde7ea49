"""The top bar: compact on a phone, with the account in a menu, in a real browser."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import User
from shop.models import Cart, Product
from tests.helpers.clients import PASSWORD

from .helpers import (
    account_menu,
    at_desktop_and_phone_width,
    fits_the_window,
    go_and_log_in,
    top_bar,
)

LONG_EMAIL = "rosalind.franklin-whitaker@laboratory.example.org"

# How many rows the top bar's links, buttons and menu button stand in.
ROWS = """(header) => {
  const rows = [];
  for (const control of header.querySelectorAll("a, button, summary")) {
    if (control.closest(".menu-panel")) continue;  // inside the closed menu
    const box = control.getBoundingClientRect();
    if (!box.width || !box.height) continue;
    const middle = box.top + box.height / 2;
    if (!rows.some((row) => Math.abs(row - middle) < box.height / 2)) {
      rows.push(middle);
    }
  }
  return rows.length;
}"""


def rows_of_the_top_bar(page) -> int:
    return top_bar(page).evaluate(ROWS)


@pytest.fixture
def busy_staff(transactional_db):
    """A staff member with a long address and a double-digit cart."""
    staff = User.objects.create_user(LONG_EMAIL, PASSWORD, is_staff=True)
    product = Product.objects.create(
        name="Enamel mug", slug="enamel-mug", price="12.50", stock=99
    )
    Cart.objects.open_for(staff).items.create(product=product, quantity=12)
    return staff


@at_desktop_and_phone_width
def test_logged_in_the_top_bar_is_one_row_on_a_desktop_and_two_on_a_phone(
    page, viewport, busy_staff
):
    go_and_log_in(page, LONG_EMAIL)

    expect(top_bar(page).get_by_role("link", name="Cart (12)")).to_be_visible()
    expect(top_bar(page).get_by_role("link", name="Admin")).to_be_visible()
    assert rows_of_the_top_bar(page) == (1 if viewport["width"] > 600 else 2)
    assert fits_the_window(page)
    # The address is cut short with an ellipsis, never pushed off the screen.
    who = top_bar(page).locator("summary .who")
    expect(who).to_have_css("text-overflow", "ellipsis")
    assert who.evaluate("(who) => who.scrollWidth > who.clientWidth")

    # The menu says who is logged in in full and holds the account's links.
    menu = account_menu(page)
    expect(menu).to_contain_text(f"Logged in as {LONG_EMAIL}")
    assert fits_the_window(page)
    menu.get_by_role("link", name="Sessions").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Where you are logged in")
    account_menu(page).get_by_role("link", name="Change password").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Change your password")


@at_desktop_and_phone_width
def test_anonymous_the_top_bar_is_one_row(page, transactional_db):
    page.goto("/")

    expect(top_bar(page).get_by_role("link", name="Sign up")).to_be_visible()
    assert rows_of_the_top_bar(page) == 1
    assert fits_the_window(page)


def test_the_account_menu_opens_and_works_from_the_keyboard(page, transactional_db):
    User.objects.create_user("keys@example.com", PASSWORD)
    go_and_log_in(page, "keys@example.com")
    summary = top_bar(page).locator("summary")
    expect(summary).to_have_accessible_name("Your account: keys@example.com")

    summary.focus()
    page.keyboard.press("Enter")
    menu = top_bar(page).get_by_role("navigation", name="Account")
    expect(menu).to_be_visible()
    page.keyboard.press("Tab")
    expect(menu.get_by_role("link", name="Sessions")).to_be_focused()
    page.keyboard.press("Tab")
    expect(menu.get_by_role("link", name="Security")).to_be_focused()
    page.keyboard.press("Tab")
    expect(menu.get_by_role("link", name="Change password")).to_be_focused()
    page.keyboard.press("Tab")
    expect(menu.get_by_role("link", name="Change email")).to_be_focused()
    page.keyboard.press("Tab")
    expect(menu.get_by_role("button", name="Log out")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("status")).to_have_text("You have been logged out.")
