"""The admin and the browsable API through the site's one login."""

import json
import re

import pytest
from playwright.sync_api import expect

from accounts.models import User
from jwt_sessions.models import Session
from registered_services.models import RegisteredService
from shop.models import Product
from tests.helpers.clients import PASSWORD
from tests.helpers.key_files import generate_key, use_key_file
from tests.helpers.second_factor import give_authenticator_app

from .conftest import save_screenshot
from .helpers import at_desktop_and_phone_width, go_and_log_in, log_in, top_bar


@pytest.fixture
def mug(transactional_db):
    return Product.objects.create(
        name="Enamel mug", slug="enamel-mug", price="12.50", stock=10
    )


def test_staff_opens_the_admin_through_the_site_login_and_edits_a_product(page, mug):
    give_authenticator_app(User.objects.create_superuser("staff@example.com", PASSWORD))
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


def staff_in_the_admin(context_factory):
    """Return a page where a superuser has logged in through the admin."""
    give_authenticator_app(User.objects.create_superuser("staff@example.com", PASSWORD))
    staff = context_factory().new_page()
    staff.goto("/admin/")
    log_in(staff, "staff@example.com")
    expect(staff.get_by_role("heading", name="Site administration")).to_be_visible()
    return staff


def test_staff_revokes_a_users_session_with_the_admin_action(context_factory):
    User.objects.create_user("watched@example.com", PASSWORD)
    user = context_factory().new_page()
    go_and_log_in(user, "watched@example.com")
    staff = staff_in_the_admin(context_factory)

    staff.get_by_role("link", name="Sessions").click()
    row = staff.locator("#result_list tbody tr").filter(has_text="watched@example.com")
    row.get_by_role("checkbox").check()
    staff.locator("select[name=action]").select_option(
        label="Revoke the selected sessions"
    )
    staff.get_by_role("button", name="Go").click()

    expect(staff.locator("ul.messagelist")).to_contain_text(
        "1 session revoked; its tokens are refused from now on."
    )
    top_bar(user).get_by_role("link", name="Dashboard").click()
    expect(user.get_by_role("heading", name="Log in")).to_be_visible()
    expect(user.get_by_role("status")).to_contain_text(
        "You were logged out because a member of staff ended this session."
    )
    assert not Session.objects.active().filter(user__email="watched@example.com")


def test_staff_adds_a_user_then_sets_its_password_which_logs_it_out(
    context_factory,
):
    staff = staff_in_the_admin(context_factory)
    staff.get_by_role("link", name="Users").click()
    staff.get_by_role("link", name="Add user").click()
    staff.get_by_label("Email address:").fill("Newcomer@Example.com")
    staff.get_by_label("Password:", exact=True).fill(PASSWORD)
    staff.get_by_label("Password confirmation:").fill(PASSWORD)
    staff.get_by_role("button", name="Save", exact=True).click()
    expect(staff.locator("ul.messagelist")).to_contain_text("was added successfully")

    newcomer = context_factory().new_page()
    go_and_log_in(newcomer, "newcomer@example.com")

    staff.get_by_role("link", name="Reset password").click()
    staff.get_by_label("Password:", exact=True).fill("set by the staff 2026")
    staff.get_by_label("Password confirmation:").fill("set by the staff 2026")
    staff.get_by_role("button", name="Change password").click()
    expect(staff.locator("ul.messagelist")).to_contain_text(
        "Password changed successfully."
    )

    # A password set by staff ends every session of the account.
    top_bar(newcomer).get_by_role("link", name="Dashboard").click()
    expect(newcomer.get_by_role("heading", name="Log in")).to_be_visible()
    log_in(newcomer, "newcomer@example.com", "set by the staff 2026")
    expect(newcomer.get_by_role("heading", level=1)).to_have_text(
        "Welcome, newcomer@example.com"
    )


def test_staff_change_their_own_password_from_the_admin_then_log_out_of_it(
    context_factory,
):
    staff = staff_in_the_admin(context_factory)

    staff.locator("#user-tools").get_by_role("link", name="Change password").click()
    staff.get_by_label("Old password").fill(PASSWORD)
    staff.get_by_label("New password", exact=True).fill("staff passphrase 2026")
    staff.get_by_label("New password confirmation").fill("staff passphrase 2026")
    staff.get_by_role("button", name="Change password").click()
    expect(staff.get_by_role("status")).to_have_text(
        "Your password has been changed. Every other session has been ended."
    )

    staff.goto("/admin/")
    staff.locator("#user-tools").get_by_role("button", name="Log out").click()
    expect(staff.get_by_role("status")).to_have_text("You have been logged out.")
    staff.goto("/admin/")
    expect(staff).to_have_url(re.compile(r"/accounts/login/\?next=/admin/$"))
    log_in(staff, "staff@example.com", "staff passphrase 2026")
    expect(staff.get_by_role("heading", name="Site administration")).to_be_visible()


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


# The items endpoint shows its POST form under "405 Method Not Allowed", a
# body that does not parse is a 400, and the cart says 401 once logged out.
@pytest.mark.error_pages(400, 401, 405)
@at_desktop_and_phone_width
def test_browsable_api_cart_is_usable_while_logged_in_post_form_included(
    page, mug, viewport
):
    User.objects.create_user("api@example.com", PASSWORD)
    go_and_log_in(page, "api@example.com")

    page.goto("/api/cart/")
    expect(page).to_have_title("Your cart · authsite API")
    expect(page.locator(".navbar")).to_contain_text("api@example.com")
    expect(page.locator(".response-info")).to_contain_text("HTTP 200 OK")
    assert api_json(page)["count"] == 0

    # The cart says where items are added; there, a raw-data form POSTs them.
    page.get_by_role("link", name="/api/cart/items/").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cart items")
    form = page.locator("#post-generic-content-form form")
    form.locator("select[name=_content_type]").select_option("application/json")
    # A typo in the body is the body's fault: still logged in, form still there.
    form.locator("textarea[name=_content]").fill('{"product": ')
    form.get_by_role("button", name="POST").click()
    expect(page.locator(".response-info")).to_contain_text("HTTP 400 Bad Request")
    expect(page.locator(".response-info")).to_contain_text("parse_error")
    expect(page.locator(".navbar")).to_contain_text("api@example.com")
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

    # Its "Log in" link is the site's login page, and comes back here.
    page.locator(".navbar").get_by_role("link", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/api-auth/login/\?next=/api/cart/$"))
    page.get_by_label("Email").fill("api@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/api/cart/$"))
    expect(page.locator(".navbar")).to_contain_text("api@example.com")
    assert api_json(page)["count"] == 2


@at_desktop_and_phone_width
def test_staff_register_a_service_and_see_its_secret_once(
    context_factory, settings, tmp_path
):
    use_key_file(settings, tmp_path, "ES256")  # services need an asymmetric key
    generate_key()
    staff = staff_in_the_admin(context_factory)

    staff.get_by_role("link", name="Registered services").click()
    staff.get_by_role("link", name="Add registered service").click()
    staff.get_by_label("Name").fill("Inventory")
    staff.get_by_label("Audience").fill("inventory")
    staff.get_by_label("Events URL").fill("inventory.example.com/events/")
    staff.get_by_role("button", name="Save", exact=True).click()

    expect(
        staff.get_by_role("heading", name="Service Inventory registered")
    ).to_be_visible()
    shown = staff.locator("dd code")
    client_id = shown.nth(0).inner_text().removeprefix("client_id: ")
    secret = shown.nth(1).inner_text().removeprefix("client_secret: ")
    save_screenshot(staff, "admin-service-registered")
    service = RegisteredService.objects.get(name="Inventory")
    assert service.client_id == client_id
    assert service.events_url == "https://inventory.example.com/events/"
    assert service.secret_matches(secret)
    # Only the digest is stored, and the secret is nowhere on the page again.
    assert secret not in json.dumps(
        list(RegisteredService.objects.values()), default=str
    )

    staff.get_by_role("link", name="Back to the registered services").click()
    staff.get_by_role("link", name="Inventory", exact=True).click()
    expect(staff.locator("body")).to_contain_text(client_id)
    expect(staff.locator("body")).not_to_contain_text(secret)
