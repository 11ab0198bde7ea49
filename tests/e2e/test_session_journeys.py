"""Silent refresh, and ending one login from another: in a real browser."""

import re

from playwright.sync_api import expect

from accounts.models import SecurityEvent, User
from jwt_sessions.models import Session
from tests.helpers.clients import PASSWORD

from .conftest import save_screenshot
from .helpers import (
    account_menu,
    at_desktop_and_phone_width,
    fits_the_window,
    go_and_log_in,
    top_bar,
)

ACCESS_SECONDS = 2
# Long enough for the access cookie (and its token) to have expired.
PAST_EXPIRY_MS = ACCESS_SECONDS * 1000 + 700

PARALLEL_FETCHES = """
() => Promise.all(
  ["/api/cart/", "/api/me/", "/api/cart/", "/api/me/", "/api/cart/", "/api/me/"]
    .map((url) => fetch(url, {headers: {Accept: "application/json"}})
      .then((response) => response.status))
)
"""


def access_cookie(page) -> str | None:
    for cookie in page.context.cookies():
        if cookie["name"] == "__Host-access":
            return cookie["value"]
    return None


def test_clicking_past_access_expiry_stays_logged_in_even_with_parallel_requests(
    page, settings
):
    settings.JWT_ACCESS_LIFETIME = ACCESS_SECONDS
    user = User.objects.create_user("busy@example.com", PASSWORD)
    go_and_log_in(page, "busy@example.com")
    seen = {access_cookie(page)}

    for link, heading in [
        ("Cart (0)", "Your cart"),
        ("Dashboard", "Welcome, busy@example.com"),
        ("Sessions", "Where you are logged in"),
    ]:
        page.wait_for_timeout(PAST_EXPIRY_MS)
        assert access_cookie(page) is None  # the browser dropped the expired one
        links = account_menu(page) if link == "Sessions" else top_bar(page)
        links.get_by_role("link", name=link).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        expect(top_bar(page)).to_contain_text("busy@example.com")
        seen.add(access_cookie(page))
    assert None not in seen
    assert len(seen) == 4  # a fresh access token after every expiry

    # A page that fires several requests at once just as the token expired:
    # they race one refresh, and all of them are served as the user.
    page.wait_for_timeout(PAST_EXPIRY_MS)
    statuses = page.evaluate(PARALLEL_FETCHES)
    assert statuses == [200] * 6

    top_bar(page).get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Welcome, busy@example.com"
    )
    account_menu(page).get_by_role("link", name="Sessions").click()
    expect(page.locator("table.sessions tbody tr")).to_have_count(1)
    expect(page.locator("main")).not_to_contain_text("reuse")
    assert not user.security_events.filter(
        type=SecurityEvent.Type.REUSE_DETECTED
    ).exists()


@at_desktop_and_phone_width
def test_ending_a_session_from_another_browser_logs_it_out_on_its_next_click(
    context_factory, viewport
):
    User.objects.create_user("twice@example.com", PASSWORD)
    laptop = context_factory().new_page()
    phone = context_factory().new_page()
    go_and_log_in(laptop, "twice@example.com")
    go_and_log_in(phone, "twice@example.com")

    account_menu(phone).get_by_role("link", name="Sessions").click()
    rows = phone.locator("table.sessions tbody tr")
    expect(rows).to_have_count(2)
    expect(phone.locator("tr.current")).to_contain_text("This device")
    save_screenshot(phone, "sessions")

    rows.filter(has_not=phone.locator(".badge")).get_by_role(
        "button", name="End this session"
    ).click()
    expect(phone.get_by_role("status")).to_have_text("The session has been ended.")
    expect(rows).to_have_count(1)

    # The laptop's very next click finds its login ended, and says why, once.
    top_bar(laptop).get_by_role("link", name="Cart (0)").click()
    expect(laptop.get_by_role("heading", name="Log in")).to_be_visible()
    expect(laptop.get_by_role("status")).to_contain_text(
        "You were logged out because this session was ended from another device."
    )
    expect(top_bar(laptop)).not_to_contain_text("twice@example.com")
    laptop.reload()
    expect(laptop.get_by_role("heading", name="Log in")).to_be_visible()
    expect(laptop.get_by_text("You were logged out")).to_have_count(0)
    # The phone is still logged in.
    top_bar(phone).get_by_role("link", name="Dashboard").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(
        "Welcome, twice@example.com"
    )


@at_desktop_and_phone_width
def test_log_out_everywhere_else_then_everywhere_from_the_sessions_page(
    context_factory, viewport
):
    User.objects.create_user("many@example.com", PASSWORD)
    laptop = context_factory().new_page()
    phone = context_factory().new_page()
    go_and_log_in(laptop, "many@example.com")
    go_and_log_in(phone, "many@example.com")

    account_menu(phone).get_by_role("link", name="Sessions").click()
    expect(phone.locator("table.sessions tbody tr")).to_have_count(2)
    assert fits_the_window(phone)
    # Every value says what it is: by the column's header on a desktop, by
    # its own label where a phone shows each row as a card.
    last_active = phone.locator("tr.current td").nth(3)
    expect(last_active).to_have_text("just now")
    header = phone.locator("table.sessions thead")
    label = last_active.evaluate("(td) => getComputedStyle(td, '::before').content")
    if viewport["width"] > 600:
        expect(header).to_contain_text("Last active")
    else:
        expect(header).to_be_hidden()
        assert label == '"Last active"'
    # And the events say on which device they happened.
    expect(phone.locator("table.events tbody tr").first).to_contain_text(
        "HeadlessChrome on Linux"
    )
    phone.get_by_role("button", name="Log out everywhere else").click()
    expect(phone.get_by_role("status")).to_have_text("1 other session has been ended.")
    expect(phone.locator("table.sessions tbody tr")).to_have_count(1)
    expect(phone.locator("tr.current")).to_contain_text("This device")
    top_bar(laptop).get_by_role("link", name="Dashboard").click()
    expect(laptop.get_by_role("heading", name="Log in")).to_be_visible()

    phone.get_by_role("button", name="Log out everywhere", exact=True).click()
    expect(phone).to_have_url(re.compile(r"/accounts/login/$"))
    expect(phone.get_by_role("status")).to_have_text(
        "You have been logged out everywhere."
    )
    phone.goto("/accounts/sessions/")
    expect(phone.get_by_role("heading", name="Log in")).to_be_visible()
    assert not Session.objects.active().exists()
