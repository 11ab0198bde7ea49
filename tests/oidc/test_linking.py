"""Link a provider to an existing account (proved, never silently), and unlink it."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import SecurityEvent, User
from jwt_sessions.app_settings import app_settings
from jwt_sessions.cookies import flow_cookie_name
from jwt_sessions.models import Session
from oidc.models import Identity
from tests.helpers.clients import PASSWORD, csrf_headers, log_in

from .test_provider_login import access_claims, sign_in

pytestmark = pytest.mark.django_db


def test_a_verified_email_of_an_account_asks_for_its_password_first(
    acme, browser, user
):
    acme.set_user("link-1", email="Alice@Example.com", email_verified=True)
    response = sign_in(browser, acme, "link-1")
    assert response.status_code == 302
    assert response["Location"] == reverse("oidc:link")
    # Nothing is linked and nobody is logged in before the proof.
    assert Identity.objects.count() == 0
    assert Session.objects.count() == 0
    assert app_settings.COOKIE_ACCESS_NAME not in browser.cookies
    page = browser.get(reverse("oidc:link"))
    assert page.status_code == 200
    assert "This email already has an account" in page.text
    assert "alice@example.com" in page.text


def test_a_wrong_password_links_nothing(acme, browser, user):
    acme.set_user("link-2", email=user.email, email_verified=True)
    sign_in(browser, acme, "link-2")
    response = browser.post(
        reverse("oidc:link"), {"password": "wrong"}, **csrf_headers(browser)
    )
    assert response.status_code == 200
    assert "That is not your password" in response.text
    assert Identity.objects.count() == 0
    assert Session.objects.count() == 0


def test_the_password_links_the_provider_and_logs_in(acme, browser, user, client):
    acme.set_user("link-3", email=user.email, email_verified=True)
    sign_in(browser, acme, "link-3", next_url="/shop/cart/")
    response = browser.post(
        reverse("oidc:link"), {"password": PASSWORD}, **csrf_headers(browser)
    )
    assert response.status_code == 302, response.content
    assert response["Location"] == "/shop/cart/"
    identity = Identity.objects.get()
    assert (identity.user, identity.sub) == (user, "link-3")
    assert set(access_claims(browser)["amr"]) == {"fed", "pwd", "mfa"}
    assert SecurityEvent.objects.filter(user=user, type="identity_linked").exists()
    # From then on either logs in: the provider, without the password page...
    response = sign_in(client, acme, "link-3")
    assert response["Location"] == reverse("dashboard")
    assert access_claims(client)["amr"] == ["fed"]
    # ...and the password.
    log_in(Client(), user.email)


def test_a_link_page_without_its_flow_says_to_start_again(browser):
    response = browser.get(reverse("oidc:link"))
    assert response.status_code == 400
    assert "Start again" in response.text


def test_a_link_flow_is_used_once(acme, browser, user):
    acme.set_user("link-4", email=user.email, email_verified=True)
    sign_in(browser, acme, "link-4")
    kept = browser.cookies[flow_cookie_name("oidc-link")].value
    browser.post(reverse("oidc:link"), {"password": PASSWORD}, **csrf_headers(browser))
    browser.cookies[flow_cookie_name("oidc-link")] = kept
    response = browser.post(
        reverse("oidc:link"), {"password": PASSWORD}, **csrf_headers(browser)
    )
    assert response.status_code == 400
    assert Identity.objects.count() == 1


def link_from_security_page(browser, acme, sub):
    response = browser.post(
        reverse("oidc:link-start", args=["acme"]), **csrf_headers(browser)
    )
    assert response.status_code == 200, response.content
    assert "Continue to Acme" in response.text
    return browser.get(acme.authorize(response.context["authorization_url"], sub))


def test_a_logged_in_user_links_a_provider_from_the_security_page(
    acme, logged_in, user
):
    page = logged_in.get(reverse("mfa:security"))
    assert "Link Acme" in page.text
    # The provider's address need not be the account's, nor verified: the
    # user proved both accounts, here and there.
    acme.set_user("link-5", email="alice@work.example", email_verified=False)
    response = link_from_security_page(logged_in, acme, "link-5")
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa:security")
    assert Identity.objects.get().user == user
    page = logged_in.get(reverse("mfa:security"))
    assert "alice@work.example" in page.text
    assert "Unlink Acme" in page.text


def test_linking_needs_csrf_and_a_login(acme, user):
    anonymous = Client(enforce_csrf_checks=True)
    response = anonymous.post(reverse("oidc:link-start", args=["acme"]))
    assert response.status_code in (302, 403)
    assert not response.get("Location", "").startswith(acme.issuer)
    browser = Client(enforce_csrf_checks=True)
    log_in(browser, user.email)
    assert browser.post(reverse("oidc:link-start", args=["acme"])).status_code == 403


def test_an_identity_linked_to_another_account_is_not_moved(
    acme, logged_in, user, other_user
):
    Identity.objects.create(user=other_user, provider="acme", sub="link-6")
    acme.set_user("link-6", email=other_user.email, email_verified=True)
    response = link_from_security_page(logged_in, acme, "link-6")
    assert response.status_code == 409
    assert Identity.objects.get().user == other_user


def test_a_link_finished_by_another_account_is_refused(acme, user, other_user):
    alice, bob = Client(), Client()
    log_in(alice, user.email)
    log_in(bob, other_user.email)
    response = alice.post(
        reverse("oidc:link-start", args=["acme"]), **csrf_headers(alice)
    )
    back = acme.authorize(response.context["authorization_url"], "link-7")
    # Bob's browser cannot finish Alice's link (no flow of its own)...
    assert bob.get(back).status_code == 400
    assert Identity.objects.count() == 0


def test_unlinking_removes_the_identity(acme, logged_in, user):
    identity = Identity.objects.create(user=user, provider="acme", sub="unlink-1")
    response = logged_in.post(
        reverse("oidc:identity-remove", args=[identity.pk]), **csrf_headers(logged_in)
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa:security")
    assert not Identity.objects.exists()
    assert SecurityEvent.objects.filter(user=user, type="identity_unlinked").exists()


def test_the_last_way_to_log_in_cannot_be_unlinked(acme, browser):
    acme.set_user("unlink-2", email="zed@example.com", email_verified=True)
    sign_in(browser, acme, "unlink-2")
    identity = Identity.objects.get()
    page = browser.get(reverse("mfa:security"))
    assert "cannot be unlinked" in page.text
    response = browser.post(
        reverse("oidc:identity-remove", args=[identity.pk]), **csrf_headers(browser)
    )
    assert response.status_code == 302
    assert Identity.objects.filter(pk=identity.pk).exists()
    page = browser.get(reverse("mfa:security"))
    assert "only way to log in" in page.text


def test_another_identity_lets_one_be_unlinked(acme, browser):
    acme.set_user("unlink-3", email="amy@example.com", email_verified=True)
    sign_in(browser, acme, "unlink-3")
    user = User.objects.get(email="amy@example.com")
    first = Identity.objects.get()
    Identity.objects.create(user=user, provider="globex", sub="amy")
    response = browser.post(
        reverse("oidc:identity-remove", args=[first.pk]), **csrf_headers(browser)
    )
    assert response.status_code == 302
    assert list(Identity.objects.values_list("provider", flat=True)) == ["globex"]


def test_one_cannot_unlink_another_users_identity(acme, logged_in, other_user):
    theirs = Identity.objects.create(user=other_user, provider="acme", sub="bob")
    response = logged_in.post(
        reverse("oidc:identity-remove", args=[theirs.pk]), **csrf_headers(logged_in)
    )
    assert response.status_code == 404
    assert Identity.objects.filter(pk=theirs.pk).exists()


def test_unlinking_needs_csrf(acme, user):
    browser = Client(enforce_csrf_checks=True)
    log_in(browser, user.email)
    identity = Identity.objects.create(user=user, provider="acme", sub="unlink-4")
    response = browser.post(reverse("oidc:identity-remove", args=[identity.pk]))
    assert response.status_code == 403
    assert Identity.objects.filter(pk=identity.pk).exists()


def test_an_account_without_a_password_confirms_it_is_you_with_its_provider(
    acme, browser
):
    acme.set_user("confirm-1", email="bea@example.com", email_verified=True)
    sign_in(browser, acme, "confirm-1")
    user = User.objects.get(email="bea@example.com")
    first = Identity.objects.get()
    Identity.objects.create(user=user, provider="globex", sub="bea")
    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        response = browser.post(
            reverse("oidc:identity-remove", args=[first.pk]), **csrf_headers(browser)
        )
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:reauthenticate"))
        page = browser.get(response["Location"])
        assert "Confirm with Acme" in page.text
        assert "Confirm with Globex" not in page.text
        response = sign_in(browser, acme, "confirm-1", next_url="/accounts/security/")
        assert response["Location"] == "/accounts/security/"
        response = browser.post(
            reverse("oidc:identity-remove", args=[first.pk]), **csrf_headers(browser)
        )
    assert response["Location"] == reverse("mfa:security")
    assert not Identity.objects.filter(pk=first.pk).exists()


def test_the_link_form_needs_csrf(acme, browser, user):
    acme.set_user("link-8", email=user.email, email_verified=True)
    sign_in(browser, acme, "link-8")
    response = browser.post(reverse("oidc:link"), {"password": PASSWORD})
    assert response.status_code == 403
    assert Identity.objects.count() == 0
    assert Session.objects.count() == 0
