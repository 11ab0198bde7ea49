"""The admin and the browsable API through the site's one login."""

import json
import re

import pytest
from playwright.sync_api import expect

from accounts.models import User
from shop.models import Product
from tests.conftest import PASSWORD

from .conftest import save_screenshot
from .helpers import go_and_log_in, log_in


@pytest.fixture
def mug(transactional_db):
    return Product.objects.create(
        name="Enamel mug", slug="enamel-mug", price="12.50", stock=10
    )


def test_staff_opens_the_admin_through_the_site_login_and_edits_a_product(page, mug):
    User.objects.create_superuser("staff@example.com", PASSWORD)
    page.goto("/admin/")

    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/admin/$"))
    log_in(page, "staff@example.com")
    expect(page).to_have_url(re.compile(r"/admin/$"))
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()

    page.get_by_role("link", name="Products").click()
    page.get_by_role("link", name="Enamel mug").click()
    page.get_by_label("Price").fill("14.00")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.locator("ul.messagelist")).to_contain_text("was changed successfully")
    expect(page.locator("#result_list")).to_contain_text("14.00")
    save_screenshot(page, "admin")
    mug.refresh_from_db()
    assert str(mug.price) == "14.00"


@pytest.mark.error_pages(403)
def test_a_normal_user_is_refused_the_admin(page):
    User.objects.create_user("normal@example.com", PASSWORD)
    go_and_log_in(page, "normal@example.com")

    response = page.goto("/admin/")

    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "The admin is for staff only"
    )
    expect(page.locator("main")).to_contain_text("normal@example.com")


def api_json(page) -> dict:
    """Read the JSON response the browsable API page shows."""
    text = page.locator(".response-info pre").inner_text()
    return json.loads(text[text.index("{") :])


# The items endpoint shows its POST form under "405 Method Not Allowed", and
# the cart says 401 once logged out.
@pytest.mark.error_pages(401, 405)
def test_browsable_api_cart_is_usable_while_logged_in_post_form_included(page, mug):
    User.objects.create_user("api@example.com", PASSWORD)
    go_and_log_in(page, "api@example.com")

    page.goto("/api/cart/")
    expect(page.locator(".navbar")).to_contain_text("api@example.com")
    expect(page.locator(".response-info")).to_contain_text("HTTP 200 OK")
    assert api_json(page)["count"] == 0

    # The cart's items endpoint takes a POST from the raw-data form.
    page.goto("/api/cart/items/")
    form = page.locator("#post-generic-content-form form")
    form.locator("select[name=_content_type]").select_option("application/json")
    form.locator("textarea[name=_content]").fill(
        json.dumps({"product": mug.pk, "quantity": 2})
    )
    form.get_by_role("button", name="POST").click()
    expect(page.locator(".response-info")).to_contain_text("HTTP 201 Created")
    assert api_json(page)["quantity"] == 2

    page.goto("/api/cart/")
    cart = api_json(page)
    assert cart["count"] == 2
    assert cart["total"] == "25.00"

    # The user menu logs out with a plain form (no inline script needed).
    page.locator(".navbar").get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/api/cart/$"))
    expect(page.locator(".response-info")).to_contain_text("401")
    expect(page.locator(".navbar").get_by_role("link", name="Log in")).to_be_visible()
