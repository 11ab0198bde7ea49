"""Sign up and log in with a real OpenID Connect provider, through the redirects."""

from urllib.parse import parse_qs, quote, urlsplit

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.models import SecurityEvent, User
from jwt_sessions.app_settings import app_settings
from jwt_sessions.cookies import flow_cookie_name
from jwt_sessions.models import Session
from jwt_sessions.tokens import AccessToken
from oidc.models import Identity
from tests.helpers.second_factor import give_authenticator_app, next_code

pytestmark = pytest.mark.django_db


def start(client, *, next_url=None, provider_id="acme"):
    url = reverse("oidc:login", args=[provider_id])
    if next_url is not None:
        url += "?next=" + quote(next_url, safe="")
    response = client.get(url)
    assert response.status_code == 302, response.content
    return response["Location"]


def sign_in(client, provider, sub, *, next_url=None):
    """Go to the provider from `client`, sign in there as `sub`, come back."""
    back = provider.authorize(start(client, next_url=next_url), sub)
    return client.get(back)


def access_claims(client) -> dict:
    return AccessToken(client.cookies[app_settings.COOKIE_ACCESS_NAME].value).payload


def test_login_redirects_to_the_provider_with_pkce_state_and_nonce(acme, browser):
    location = start(browser)
    parts = urlsplit(location)
    query = parse_qs(parts.query)
    assert location.startswith(acme.issuer + "/oauth2/authorize?")
    assert query["client_id"] == ["authsite-tests"]
    assert query["response_type"] == ["code"]
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43
    assert query["state"][0] and query["nonce"][0]
    assert query["redirect_uri"] == ["http://testserver/accounts/oidc/acme/callback/"]
    assert set(query["scope"][0].split()) == {"openid", "email", "profile"}
    cookie = browser.cookies[flow_cookie_name("oidc-login")]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"


def test_a_new_verified_email_signs_up_and_lands_on_the_dashboard(acme, browser):
    acme.set_user("new-1", email="Carol@Example.com", email_verified=True)
    response = sign_in(browser, acme, "new-1")
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    user = User.objects.get(email="carol@example.com")
    assert not user.has_usable_password()
    assert user.email_is_verified
    identity = Identity.objects.get(user=user)
    assert (identity.provider, identity.sub) == ("acme", "new-1")
    claims = access_claims(browser)
    assert claims["amr"] == ["fed"]
    assert browser.get(reverse("dashboard")).status_code == 200
    assert browser.get(reverse("api:me")).json()["email"] == "carol@example.com"
    assert set(
        SecurityEvent.objects.filter(user=user).values_list("type", flat=True)
    ) >= {"identity_linked", "identity_login", "login"}


def test_an_identity_seen_before_logs_in_to_its_account(acme, browser, client):
    acme.set_user("repeat-1", email="dana@example.com", email_verified=True)
    sign_in(browser, acme, "repeat-1")
    user = User.objects.get(email="dana@example.com")
    response = sign_in(client, acme, "repeat-1")
    assert response.status_code == 302
    assert User.objects.count() == 1
    assert Session.objects.filter(user=user).count() == 2
    assert Identity.objects.get(user=user).last_used_at is not None


def test_next_is_followed_when_it_stays_on_this_site(acme, browser):
    acme.set_user("next-1", email="erin@example.com", email_verified=True)
    response = sign_in(browser, acme, "next-1", next_url="/shop/cart/")
    assert response["Location"] == "/shop/cart/"


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/x", "/\\evil.example"]
)
def test_next_to_another_site_is_dropped(acme, browser, next_url):
    acme.set_user("next-2", email="fay@example.com", email_verified=True)
    response = sign_in(browser, acme, "next-2", next_url=next_url)
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")


def test_the_session_is_on_the_sessions_page_and_can_be_ended(acme, browser):
    acme.set_user("sessions-1", email="gus@example.com", email_verified=True)
    sign_in(browser, acme, "sessions-1")
    sid = access_claims(browser)["sid"]
    page = browser.get(reverse("accounts:sessions"))
    assert page.status_code == 200
    assert page.context["current_session_id"] == sid
    assert [str(s.pk) for s in page.context["sessions"]] == [sid]
    response = browser.post(
        reverse("accounts:session-end", args=[sid]),
        HTTP_X_CSRFTOKEN=browser.cookies[settings.CSRF_COOKIE_NAME].value,
    )
    assert response.status_code == 302
    assert Session.objects.get(pk=sid).revoked_at is not None
    assert browser.get(reverse("api:me")).status_code == 401


def test_a_user_with_a_second_factor_is_asked_for_it_after_the_provider(acme, browser):
    acme.set_user("mfa-1", email="hal@example.com", email_verified=True)
    sign_in(browser, acme, "mfa-1")
    user = User.objects.get(email="hal@example.com")
    give_authenticator_app(user)
    other = type(browser)(enforce_csrf_checks=True)
    response = sign_in(other, acme, "mfa-1")
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa:login-step")
    assert app_settings.COOKIE_ACCESS_NAME not in other.cookies
    page = other.get(reverse("mfa:login-step"))
    response = other.post(
        reverse("mfa:login-step"),
        {"code": next_code(user)},
        HTTP_X_CSRFTOKEN=other.cookies[settings.CSRF_COOKIE_NAME].value,
    )
    assert page.status_code == 200
    assert response.status_code == 302, response.content
    claims = access_claims(other)
    assert set(claims["amr"]) == {"fed", "otp", "mfa"}
    assert claims["acr"] == "aal2"


def test_the_provider_refusing_shows_a_page_and_creates_nothing(acme, browser):
    back = acme.authorize(start(browser), "x", deny=True)
    assert "error=access_denied" in back
    response = browser.get(back)
    assert response.status_code == 400
    assert "You did not allow Acme to sign you in here." in response.text
    assert User.objects.count() == 0
    assert app_settings.COOKIE_ACCESS_NAME not in browser.cookies


def test_an_unknown_provider_is_not_found(acme, browser):
    assert browser.get("/accounts/oidc/nobody/login/").status_code == 404
    assert browser.get("/accounts/oidc/nobody/callback/?code=x").status_code == 404


def test_the_login_and_signup_pages_offer_each_provider(acme, browser):
    for name in ("accounts:login", "accounts:signup"):
        page = browser.get(reverse(name) + "?next=/shop/cart/")
        assert "Sign in with Acme" in page.text
        assert 'href="/accounts/oidc/acme/login/?next=/shop/cart/"' in page.text


def test_the_pages_offer_no_provider_when_none_is_configured(browser, settings):
    settings.OIDC_PROVIDERS = []
    assert "Sign in with" not in browser.get(reverse("accounts:login")).text.replace(
        "Sign in with a passkey", ""
    )
