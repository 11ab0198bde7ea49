"""Sign up and log in with a real OpenID Connect provider, through the redirects."""

from urllib.parse import parse_qs, quote, urlsplit

import pytest
from django.urls import reverse

from accounts.models import SecurityEvent, User
from jwt_sessions.app_settings import app_settings
from jwt_sessions.cookies import flow_cookie_name
from jwt_sessions.models import Session
from jwt_sessions.tokens import AccessToken
from oidc.models import Identity
from tests.helpers.clients import PASSWORD
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
