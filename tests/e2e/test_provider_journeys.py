"""Sign up with an OpenID Connect provider, in a real browser, through its pages."""

import re

from playwright.sync_api import expect

from accounts.models import User
from jwt_sessions.app_settings import app_settings
from oidc.models import Identity
from tests.helpers.clients import PASSWORD

from .helpers import at_desktop_and_phone_width, fits_the_window, top_bar


def without_the_providers_cdn(context):
    """The mock provider's page links a stylesheet on a CDN: answer it empty."""
    context.route(
        "https://cdn.jsdelivr.net/**",
        lambda route: route.fulfill(status=200, content_type="text/css", body=""),
    )


@at_desktop_and_phone_width
def test_sign_up_with_a_provider_from_the_login_page_lands_on_the_dashboard(
    context_factory, acme
):
    acme.set_user("e2e-1", email="nora@example.com", email_verified=True)
    context = context_factory()
    without_the_providers_cdn(context)
    page = context.new_page()

    page.goto("/accounts/login/")
    page.get_by_role("link", name="Sign in with Acme").click()
    # The provider's own page: who signs in there.
    expect(page).to_have_url(re.compile(re.escape(acme.issuer) + "/oauth2/authorize"))
    page.get_by_placeholder("sub").fill("e2e-1")
    page.get_by_role("button", name="Authorize").click()

    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.get_by_role("status")).to_have_text("You are logged in.")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Welcome, nora@example.com"
    )
    expect(top_bar(page)).to_contain_text("nora@example.com")
    assert fits_the_window(page)
    cookies = {cookie["name"]: cookie for cookie in context.cookies()}
    access = cookies[app_settings.COOKIE_ACCESS_NAME]
    assert access["httpOnly"]
    # The login's flow cookie is gone once used.
    assert not any("oidc-login" in name for name in cookies)
    user = User.objects.get(email="nora@example.com")
    assert user.email_is_verified
    assert Identity.objects.filter(user=user, provider="acme", sub="e2e-1").exists()

    # The security page lists the provider; the sign-up page offers it too.
    page.goto("/accounts/security/")
    expect(page.get_by_role("heading", name="Identity providers")).to_be_visible()
    expect(page.locator(".identities")).to_contain_text("only way to log in")
    assert fits_the_window(page)


def sign_in_at_the_provider(page, acme, sub):
    expect(page).to_have_url(re.compile(re.escape(acme.issuer) + "/oauth2/authorize"))
    page.get_by_placeholder("sub").fill(sub)
    page.get_by_role("button", name="Authorize").click()


@at_desktop_and_phone_width
def test_link_a_provider_to_an_account_by_its_password_unlink_and_link_it_again(
    context_factory, acme
):
    user = User.objects.create_user("olga@example.com", PASSWORD)
    acme.set_user("e2e-2", email="olga@example.com", email_verified=True)
    context = context_factory()
    without_the_providers_cdn(context)
    page = context.new_page()

    # The provider's address is an account's: its password first.
    page.goto("/accounts/signup/")
    page.get_by_role("link", name="Sign in with Acme").click()
    sign_in_at_the_provider(page, acme, "e2e-2")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "This email already has an account"
    )
    assert fits_the_window(page)
    page.get_by_label("Password of this account").fill("not it")
    page.get_by_role("button", name="Link Acme and log in").click()
    expect(page.locator(".form-errors")).to_contain_text("That is not your password")
    assert not Identity.objects.exists()
    page.get_by_label("Password of this account").fill(PASSWORD)
    page.get_by_role("button", name="Link Acme and log in").click()
    expect(page.get_by_role("status")).to_have_text(
        "Acme is linked to your account. You are logged in."
    )
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Welcome, olga@example.com"
    )
    assert Identity.objects.get().user == user

    # Unlink it (the password still logs in), then link it again from there.
    page.goto("/accounts/security/")
    page.get_by_role("button", name="Unlink Acme").click()
    expect(page.get_by_role("status")).to_have_text("Acme is unlinked.")
    assert not Identity.objects.exists()
    page.get_by_role("button", name="Link Acme").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Link Acme")
    assert fits_the_window(page)
    page.get_by_role("link", name="Continue to Acme").click()
    sign_in_at_the_provider(page, acme, "e2e-2")
    expect(page.get_by_role("status")).to_have_text(
        "Acme is linked: you can log in with it."
    )
    expect(page.locator(".identities")).to_contain_text("olga@example.com")
    assert Identity.objects.get().user == user
    assert fits_the_window(page)
