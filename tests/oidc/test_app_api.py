"""An app trades a provider's ID token (with this site's nonce) for tokens."""

import base64
import hashlib
import hmac
import json
import time

import pytest
from django.core.cache import cache
from django.urls import reverse
from joserfc.jwk import KeySet, RSAKey

from accounts.models import User
from jwt_sessions.models import Session
from jwt_sessions.tokens import AccessToken
from oidc import app_settings
from oidc import provider as oidc_provider
from oidc.models import Identity
from tests.helpers.oidc_provider import CLIENT_ID, running_provider
from tests.helpers.second_factor import give_authenticator_app

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/app/oidc/acme/token/"


def new_nonce(client) -> str:
    response = client.post(reverse("api:oidc-nonce"))
    assert response.status_code == 201, response.content
    assert response.json()["expires_in"] == 600
    return response.json()["nonce"]


def exchange(client, id_token, nonce, url=TOKEN_URL):
    return client.post(
        url, {"id_token": id_token, "nonce": nonce}, content_type="application/json"
    )


def assert_refused(response, code, *, status=401, users=0):
    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert "detail" in response.json()
    assert User.objects.count() == users
    assert Identity.objects.count() == 0
    assert Session.objects.count() == 0


def test_a_real_id_token_with_our_nonce_logs_the_app_in(acme, client):
    acme.set_user("app-1", email="pam@example.com", email_verified=True)
    nonce = new_nonce(client)
    id_token = acme.id_token_for("app-1", client_id=CLIENT_ID, nonce=nonce)
    response = exchange(client, id_token, nonce)
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) >= {"access", "refresh"}
    access = AccessToken(body["access"])
    assert access["amr"] == ["fed"]
    user = User.objects.get(email="pam@example.com")
    assert user.email_is_verified and not user.has_usable_password()
    me = client.get(reverse("api:me"), HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert me.json()["email"] == "pam@example.com"


def test_a_nonce_is_good_once(acme, client):
    acme.set_user("app-2", email="quin@example.com", email_verified=True)
    nonce = new_nonce(client)
    id_token = acme.id_token_for("app-2", client_id=CLIENT_ID, nonce=nonce)
    assert exchange(client, id_token, nonce).status_code == 200
    response = exchange(client, id_token, nonce)
    assert response.status_code == 401
    assert response.json()["code"] == "nonce_invalid"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert Session.objects.count() == 1


def test_a_nonce_this_site_did_not_hand_out_is_refused(acme, client):
    acme.set_user("app-3", email="ray@example.com", email_verified=True)
    id_token = acme.id_token_for("app-3", client_id=CLIENT_ID, nonce="made-up")
    assert_refused(exchange(client, id_token, "made-up"), "nonce_invalid")


def test_an_id_token_with_another_nonce_is_refused(acme, client):
    acme.set_user("app-4", email="sam@example.com", email_verified=True)
    mine, other = new_nonce(client), new_nonce(client)
    id_token = acme.id_token_for("app-4", client_id=CLIENT_ID, nonce=other)
    assert_refused(exchange(client, id_token, mine), "id_token_invalid")
    # And the nonce it came with is used up.
    assert_refused(exchange(client, id_token, mine), "nonce_invalid")


def test_an_id_token_for_another_client_is_refused(acme, client):
    acme.set_user("app-5", email="tia@example.com", email_verified=True)
    nonce = new_nonce(client)
    id_token = acme.id_token_for("app-5", client_id="someone-else", nonce=nonce)
    assert_refused(exchange(client, id_token, nonce), "id_token_invalid")


def test_an_id_token_of_another_provider_is_refused(acme, client):
    nonce = new_nonce(client)
    with running_provider() as elsewhere:
        elsewhere.set_user("app-6", email="uma@example.com", email_verified=True)
        id_token = elsewhere.id_token_for("app-6", client_id=CLIENT_ID, nonce=nonce)
    assert_refused(exchange(client, id_token, nonce), "id_token_invalid")


def signed(acme, expected_nonce, /, **claims):
    return acme.sign(
        {"sub": "forged-1", "email": "vic@example.com", "email_verified": True,
         "nonce": expected_nonce, **claims}
    )  # fmt: skip


def test_a_well_signed_token_is_still_accepted(acme, client):
    # The control for the forgeries below: only what each one changes is wrong.
    nonce = new_nonce(client)
    assert exchange(client, signed(acme, nonce), nonce).status_code == 200


@pytest.mark.parametrize(
    "claims",
    [
        {"iss": "http://127.0.0.1:1"},
        {"aud": "someone-else"},
        {"aud": ["someone-else", CLIENT_ID]},  # several audiences, no azp
        {"aud": [CLIENT_ID, "other"], "azp": "other"},
        {"exp": int(time.time()) - 120},
        {"iat": int(time.time()) + 3600},
        {"nonce": None},
        {"sub": None},
        {"exp": None},
    ],
    ids=lambda claims: ",".join(f"{k}={v}" for k, v in claims.items()),
)
def test_an_id_token_with_a_wrong_claim_is_refused(acme, client, claims):
    nonce = new_nonce(client)
    assert_refused(
        exchange(client, signed(acme, nonce, **claims), nonce), "id_token_invalid"
    )


def _b64(data) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_an_unsigned_id_token_is_refused(acme, client):
    nonce = new_nonce(client)
    now = int(time.time())
    claims = {"iss": acme.issuer, "aud": CLIENT_ID, "sub": "forged-2",
              "email": "wes@example.com", "email_verified": True,
              "iat": now, "exp": now + 300, "nonce": nonce}  # fmt: skip
    token = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    assert_refused(exchange(client, token, nonce), "id_token_invalid")


def test_an_id_token_signed_with_hs256_and_the_public_key_is_refused(acme, client):
    # The classic confusion: a verifier that takes the key's bytes as an HMAC
    # secret. joserfc will not even make such a key, so the forgery is made
    # by hand, as an attacker would.
    for secret in (
        acme.private_key.as_pem(private=False),
        json.dumps(acme.private_key.as_dict(private=False)).encode(),
    ):
        nonce = new_nonce(client)
        now = int(time.time())
        claims = {"iss": acme.issuer, "aud": CLIENT_ID, "sub": "forged-3",
                  "email": "xia@example.com", "email_verified": True,
                  "iat": now, "exp": now + 300, "nonce": nonce}  # fmt: skip
        signing_input = f"{_b64({'alg': 'HS256', 'kid': acme.kid})}.{_b64(claims)}"
        mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        signature = base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
        assert_refused(
            exchange(client, f"{signing_input}.{signature}", nonce), "id_token_invalid"
        )


@pytest.mark.parametrize("kid", ["unknown-kid", None])
def test_an_id_token_signed_with_another_key_is_refused(acme, client, kid):
    nonce = new_nonce(client)
    stranger = RSAKey.generate_key(2048)
    header = {"kid": kid} if kid else {"kid": acme.kid}
    token = acme.sign(
        {"sub": "forged-4", "email": "yan@example.com", "email_verified": True,
         "nonce": nonce},
        header=header,
        key=stranger,
    )  # fmt: skip
    assert_refused(exchange(client, token, nonce), "id_token_invalid")


def test_an_unverified_email_is_refused(acme, client, user):
    nonce = new_nonce(client)
    token = signed(acme, nonce, email=user.email, email_verified=False)
    assert_refused(
        exchange(client, token, nonce), "email_unverified", status=403, users=1
    )


def test_a_verified_email_of_an_existing_account_must_be_linked_first(
    acme, client, user
):
    nonce = new_nonce(client)
    token = signed(acme, nonce, email=user.email)
    assert_refused(exchange(client, token, nonce), "link_required", status=409, users=1)


def test_a_user_with_a_second_factor_gets_the_mfa_step(acme, client, user):
    give_authenticator_app(user)
    Identity.objects.create(user=user, provider="acme", sub="forged-1")
    nonce = new_nonce(client)
    response = exchange(client, signed(acme, nonce), nonce)
    assert response.status_code == 200
    body = response.json()
    assert body["mfa_required"] is True
    assert body["methods"] == ["totp", "recovery_code"]
    assert body["flow_token"]
    assert "access" not in body
    assert Session.objects.count() == 0


def test_an_unknown_provider_is_not_found(acme, client):
    nonce = new_nonce(client)
    response = exchange(client, "x.y.z", nonce, url="/api/app/oidc/nobody/token/")
    assert response.status_code == 404


@pytest.mark.parametrize(
    "body",
    [{}, {"id_token": "a"}, {"nonce": "a"}, {"id_token": 1, "nonce": []},
     {"id_token": "x" * 20000, "nonce": "n"}],
)  # fmt: skip
def test_a_malformed_body_is_a_400(acme, client, body):
    response = client.post(TOKEN_URL, body, content_type="application/json")
    assert response.status_code == 400


def test_the_schema_documents_the_provider_login(client):
    schema = client.get("/api/schema/?format=json").json()
    token = schema["paths"]["/api/app/oidc/{provider_id}/token/"]["post"]
    assert set(token["responses"]) >= {"200", "401", "403", "404", "409"}
    assert "/api/app/oidc/nonce/" in schema["paths"]
    components = schema["components"]["schemas"]
    assert {"AppProviderTokenRequest", "AppNonce", "AppProviderLogin"} <= set(
        components
    )


def test_a_rotated_key_is_fetched_when_its_kid_is_unknown(acme, client):
    # The site holds the provider's keys from before a rotation.
    provider = app_settings.provider("acme")
    old = KeySet([RSAKey.generate_key(2048, parameters={"kid": "old"})])
    cache.set(oidc_provider.cache_key(provider, "jwks"), old.as_dict(private=False))
    cache.set(oidc_provider.cache_key(provider, "jwks-fetched"), time.time() - 3600)
    nonce = new_nonce(client)
    assert exchange(client, signed(acme, nonce), nonce).status_code == 200


def test_unknown_kids_refetch_the_keys_at_most_once_a_minute(acme, client):
    provider = app_settings.provider("acme")
    old = KeySet([RSAKey.generate_key(2048, parameters={"kid": "old"})])
    cache.set(oidc_provider.cache_key(provider, "jwks"), old.as_dict(private=False))
    cache.set(oidc_provider.cache_key(provider, "jwks-fetched"), time.time())
    nonce = new_nonce(client)
    assert_refused(exchange(client, signed(acme, nonce), nonce), "id_token_invalid")


def test_nonces_are_throttled_per_address(acme, client):
    for _ in range(30):
        assert client.post(reverse("api:oidc-nonce")).status_code == 201
    response = client.post(reverse("api:oidc-nonce"))
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
