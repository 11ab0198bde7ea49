"""Sign up, verify the address from the emailed link, check out; change it."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from accounts.models import User
from shop.models import Order, Product
from tests.helpers.clients import PASSWORD
from tests.helpers.users import create_user

from .conftest import save_screenshot
from .helpers import account_menu, at_desktop_and_phone_width, fits_the_window

LINK = re.compile(r"https?://\S+/accounts/email/verify/\S+/")


def link_from_the_email(address: str) -> str:
    """Return the link of the last email sent to `address`."""
    email = mail.outbox[-1]
    assert email.to == [address]
    return LINK.search(email.body)[0]


def banner(page):
    return page.get_by_role("complementary", name="Your email address")


@pytest.mark.error_pages(403, 409)  # the refused checkout; the used link
@at_desktop_and_phone_width
def test_sign_up_verify_from_the_email_then_check_out(page, live_server):
    Product.objects.create(name="Enamel mug", slug="enamel-mug", price="12.50", stock=9)
    page.goto("/accounts/signup/")
    page.get_by_label("Email").fill("verify.me@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(banner(page)).to_contain_text("Please confirm your email address")
    assert fits_the_window(page)
    save_screenshot(page, "verify-email-banner")
    banner(page).get_by_role("button", name="Send the link again").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.get_by_role("status")).to_contain_text("We have sent a new link")
    assert len(mail.outbox) == 2

    # Not yet verified: checking out is refused, and says what to do.
    page.goto("/shop/products/enamel-mug/")
    page.get_by_role("button", name="Add to cart").click()
    page.get_by_role("button", name="Check out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Confirm your email address first"
    )
    assert fits_the_window(page)
    assert not Order.objects.exists()
    page.get_by_role("button", name="Send the link again").click()
    expect(page.get_by_role("status")).to_contain_text("We have sent a new link")
    assert len(mail.outbox) == 3

    link = link_from_the_email("verify.me@example.com")
    assert link.startswith(f"{live_server.url}/accounts/email/verify/")
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Confirm your email address"
    )
    assert fits_the_window(page)
    save_screenshot(page, "verify-email-confirm")
    assert not User.objects.get(email="verify.me@example.com").email_is_verified
    page.get_by_role("button", name="Confirm").click()

    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.get_by_role("status")).to_have_text(
        "Thank you: verify.me@example.com is verified."
    )
    expect(banner(page)).to_have_count(0)
    page.goto("/shop/cart/")
    page.get_by_role("button", name="Check out").click()
    expect(page.get_by_role("status")).to_contain_text("Your order")
    assert Order.objects.count() == 1

    # The link is used: opening it again says so.
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Already verified")


@at_desktop_and_phone_width
def test_change_the_email_address_through_the_link_sent_to_the_new_one(
    page, live_server
):
    create_user("old.address@example.com")
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("old.address@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    account_menu(page).get_by_role("link", name="Change email").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Change your email address"
    )
    assert fits_the_window(page)

    page.get_by_label("New email address").fill("new.address@example.com")
    page.get_by_label("Your password").fill("not my password")
    page.get_by_role("button", name="Send the link").click()
    expect(page.locator(".field.has-error .error")).to_contain_text(
        "That is not your password"
    )
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("status")).to_contain_text(
        "We have sent a link to new.address@example.com"
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Security")

    page.goto(link_from_the_email("new.address@example.com"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Confirm your new email address"
    )
    assert fits_the_window(page)
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_role("status")).to_have_text(
        "Your email address is now new.address@example.com."
    )
    expect(page.locator("header.topbar")).to_contain_text("new.address@example.com")
    assert mail.outbox[-1].to == ["old.address@example.com"]
    assert "was changed to new.address@example.com" in mail.outbox[-1].body
