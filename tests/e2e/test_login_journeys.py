"""Sign up, log in and out, in a real browser."""

import re

from playwright.sync_api import expect

from accounts.models import User
from shop.models import Product
from tests.helpers.clients import PASSWORD

from .conftest import save_screenshot
from .helpers import (
    at_desktop_and_phone_width,
    fits_the_window,
    go_and_log_in,
    log_in,
    log_out,
    top_bar,
)


@at_desktop_and_phone_width
def test_sign_up_lands_on_dashboard_then_log_out_and_log_in_back_to_the_asking_page(
    page,
):
    page.goto("/")
    expect(top_bar(page).get_by_role("link", name="Log in")).to_be_visible()
    top_bar(page).get_by_role("link", name="Sign up").click()
    expect(page.get_by_role("heading", name="Create an account")).to_be_visible()
    expect(page.get_by_label("Email")).to_have_attribute("autocomplete", "email")
    expect(page.get_by_label("Password", exact=True)).to_have_attribute(
        "autocomplete", "new-password"
    )

    # A mistake is shown next to the field it concerns.
    page.get_by_label("Email").fill("new@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD + "typo")
    page.get_by_role("button", name="Sign up").click()
    expect(page.locator(".field.has-error .error")).to_contain_text(
        "The two password fields didn"
    )
    assert fits_the_window(page)

    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()

    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.get_by_role("status")).to_have_text(
        "Welcome! Your account is ready. We have sent a link to "
        "new@example.com: open it to confirm the address."
    )
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Welcome, new@example.com"
    )
    expect(top_bar(page)).to_contain_text("new@example.com")
    expect(top_bar(page).get_by_role("link", name="Cart (0)")).to_be_visible()
    assert fits_the_window(page)

    log_out(page)
    expect(top_bar(page).get_by_role("link", name="Log in")).to_be_visible()
    expect(top_bar(page)).not_to_contain_text("new@example.com")

    # A protected page asks for a login and comes back to itself afterwards.
    page.goto("/shop/orders/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/shop/orders/$"))
    expect(page.get_by_role("status")).to_have_text("Log in to see that page.")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(page.get_by_label("Password")).to_have_attribute(
        "autocomplete", "current-password"
    )
    assert fits_the_window(page)
    page.get_by_label("Email").fill("new@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page).to_have_url(re.compile(r"/shop/orders/$"))
    expect(page.get_by_role("status")).to_have_text("You are logged in.")
    expect(page.get_by_role("heading", name="Your orders")).to_be_visible()


def test_login_works_from_the_keyboard_and_says_nothing_about_which_field_was_wrong(
    page,
):
    User.objects.create_user("keys@example.com", PASSWORD)
    page.goto("/accounts/login/?next=/dashboard/")

    # The email field has the focus; Tab moves to the password, Enter sends.
    expect(page.get_by_label("Email")).to_be_focused()
    page.keyboard.type("keys@example.com")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type("not the password")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_have_text(
        "That email and password do not match an active account. "
        "Check both and try again."
    )
    save_screenshot(page, "login")

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Welcome, keys@example.com"
    )


def test_document_cookie_never_shows_an_access_or_refresh_token(page):
    User.objects.create_user("jar@example.com", PASSWORD)
    go_and_log_in(page, "jar@example.com")
    page.get_by_role("link", name="Cart (0)").click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()

    names = {cookie["name"]: cookie for cookie in page.context.cookies()}
    # The tokens are there, but only for the browser to send ...
    assert names["__Host-access"]["httpOnly"] is True
    assert names["__Host-refresh"]["httpOnly"] is True
    # ... never for the page's scripts to read.
    visible = page.evaluate("document.cookie")
    assert "access" not in visible
    assert "refresh" not in visible
    assert names["__Host-access"]["value"] not in visible
    assert "eyJ" not in visible  # the start of every JWT


def test_after_logout_back_shows_no_protected_content_and_reload_asks_for_login(
    page,
):
    User.objects.create_user("back@example.com", PASSWORD)
    go_and_log_in(page, "back@example.com")
    expect(page.locator(".login-email")).to_have_text("back@example.com")

    log_out(page)
    page.go_back()

    expect(page.get_by_text("back@example.com")).to_have_count(0)
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.reload()
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/dashboard/$"))
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(page.get_by_text("back@example.com")).to_have_count(0)


@at_desktop_and_phone_width
def test_the_logout_page_asks_first_then_logs_out(page, viewport):
    User.objects.create_user("asked@example.com", PASSWORD)
    go_and_log_in(page, "asked@example.com")

    page.goto("/accounts/logout/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log out?")
    expect(top_bar(page)).to_contain_text("asked@example.com")
    page.locator("main").get_by_role("button", name="Log out").click()

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("status")).to_have_text("You have been logged out.")
    expect(top_bar(page)).not_to_contain_text("asked@example.com")
    page.goto("/dashboard/")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()


@at_desktop_and_phone_width
def test_log_in_from_the_top_bar_comes_back_and_the_login_page_knows_who_is_in(
    page,
):
    User.objects.create_user("comeback@example.com", PASSWORD)
    Product.objects.create(name="Notebook", slug="notebook", price="8.25", stock=7)
    page.goto("/shop/products/notebook/")
    top_bar(page).get_by_role("link", name="Log in").click()
    expect(page).to_have_url(
        re.compile(r"/accounts/login/\?next=/shop/products/notebook/$")
    )
    # Asked for by the visitor, not demanded by the page: no "to see that page".
    expect(page.get_by_role("status")).to_have_count(0)
    log_in(page, "comeback@example.com")
    expect(page).to_have_url(re.compile(r"/shop/products/notebook/$"))

    # The login page, to someone logged in, says who and offers the way out.
    page.goto("/accounts/login/")
    main = page.locator("main")
    expect(main).to_contain_text("You are already logged in as comeback@example.com.")
    assert fits_the_window(page)
    main.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.get_by_role("status")).to_have_text("You have been logged out.")
    expect(main).not_to_contain_text("already logged in")

    log_in(page, "comeback@example.com")
    page.goto("/accounts/signup/")
    expect(main).to_contain_text("You are already logged in as comeback@example.com.")
    assert fits_the_window(page)
    main.get_by_role("link", name="Go to your dashboard").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Welcome, comeback@example.com"
    )
