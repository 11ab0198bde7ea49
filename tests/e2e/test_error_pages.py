"""Error pages in the site's style that say what happened and what to do."""

import re

import pytest
from django.template.loader import render_to_string
from playwright.sync_api import expect

from accounts.models import User
from tests.helpers.clients import PASSWORD


@pytest.mark.error_pages(403)
def test_csrf_failure_after_a_long_idle_tab_asks_to_reload(page):
    User.objects.create_user("idle@example.com", PASSWORD)
    page.goto("/accounts/login/")
    # The passkey autofill asks for its options once the page has loaded
    # (a tab left open did so long ago): let that finish first.
    page.wait_for_load_state("networkidle")
    # What a tab left open for long meets: its CSRF cookie is gone.
    page.context.clear_cookies()
    page.get_by_label("Email").fill("idle@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_response(re.compile(r"/accounts/login/$")) as answer:
        page.get_by_role("button", name="Log in").click()

    assert answer.value.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("This form has expired")
    expect(page.locator("main")).to_contain_text("reload the page")
    expect(page.locator("main")).not_to_contain_text("CSRF")
    # Doing what it says works.
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("idle@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("status")).to_have_text("You are logged in.")


@pytest.mark.error_pages(404)
def test_missing_page_is_a_404_in_the_site_style(page):
    response = page.goto("/shop/products/no-such-thing/")

    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "We could not find that page"
    )
    expect(page.locator("header.topbar")).to_contain_text("authsite")
    page.get_by_role("link", name="the shop").click()
    expect(page.get_by_role("heading", name="Shop")).to_be_visible()


def test_server_error_page_renders_without_a_request():
    # Django renders 500.html with no context at all: no user, no request.
    html = render_to_string("500.html")

    assert "Something went wrong on our side" in html
    assert "reload the page" in html
    assert "css/site.css" in html
