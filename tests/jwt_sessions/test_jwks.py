"""The JWKS document, and another service verifying our tokens with it alone."""

import json
import re

import jwt
import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.helpers.clients import bearer_token
from tests.helpers.key_files import generate_key, header_of, jwt_keys, use_key_file

# RFC 7518 6.2-6.3 and RFC 8037 2: the public members of each key type.
PUBLIC_MEMBERS = {
    "RSA": {"kty", "n", "e"},
    "EC": {"kty", "crv", "x", "y"},
    "OKP": {"kty", "crv", "x"},
}
PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}
BASE64URL = re.compile(r"[A-Za-z0-9_-]+")


def get_jwks(client=None):
    return (client or Client()).get(reverse("jwks"))


def test_the_jwks_is_a_jwk_set_of_public_keys_only(db, algorithm):
    active = generate_key()
    published = generate_key()

    response = get_jwks()

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "public, max-age=300"
    document = response.json()
    # RFC 7517 5: a JSON object whose "keys" member is an array of JWKs.
    assert set(document) == {"keys"}
    assert [jwk["kid"] for jwk in document["keys"]] == [active, published]
    for jwk in document["keys"]:
        assert set(jwk) == PUBLIC_MEMBERS[jwk["kty"]] | {"kid", "alg", "use"}
        assert not PRIVATE_MEMBERS & set(jwk)
        assert jwk["alg"] == algorithm
        assert jwk["use"] == "sig"
        for member in set(jwk) - {"kty", "crv", "kid", "alg", "use"}:
            assert BASE64URL.fullmatch(jwk[member]), member  # no padding
        key = jwt.PyJWK(jwk).key
        assert not hasattr(key, "private_bytes")  # a public key object


def test_the_jwks_publishes_no_private_number_whatever_the_file_holds(db, algorithm):
    generate_key()

    body = get_jwks().content.decode()

    for jwk in json.loads(settings.JWT_KEYS_FILE.read_text())["keys"]:
        for member in PRIVATE_MEMBERS & set(jwk):
            assert jwk[member] not in body


def test_an_rsa_key_in_the_jwks_has_at_least_2048_bits(db, settings, tmp_path):
    use_key_file(settings, tmp_path, "RS256")
    generate_key()

    (jwk,) = get_jwks().json()["keys"]

    assert jwt.PyJWK(jwk).key.key_size >= 2048


def test_a_retired_key_leaves_the_jwks(db, algorithm):
    generate_key()
    never_used = generate_key()

    jwt_keys("retire", never_used)

    assert never_used not in {jwk["kid"] for jwk in get_jwks().json()["keys"]}


def test_with_hs256_the_jwks_is_a_404_that_says_why(db):
    response = get_jwks()

    assert response.status_code == 404
    assert response.json()["code"] == "no_public_keys"
    assert "JWT_ALGORITHM" in response.json()["detail"]
    assert settings.JWT_SIGNING_KEY not in response.content.decode()


def test_the_jwks_answers_get_only(db, algorithm):
    generate_key()

    assert Client().post(reverse("jwks")).status_code == 405


# --- Another service, with nothing but the JWKS URL and PyJWT ---------------


def verify_elsewhere(jwks_url, token, algorithm):
    """What another service does: fetch our JWKS, pick the key by kid, verify."""
    client = jwt.PyJWKClient(jwks_url)
    signing_key = client.get_signing_key_from_jwt(token)
    return jwt.decode(
        token,
        signing_key.key,
        algorithms=[algorithm],
        audience=settings.JWT_AUDIENCE,
        issuer=settings.JWT_ISSUER,
    )


def test_another_service_verifies_our_access_tokens_with_only_the_jwks(
    algorithm, live_server, transactional_db, user, app_client
):
    generate_key()
    jwks_url = live_server.url + reverse("jwks")
    token = bearer_token(app_client, user.email)

    claims = verify_elsewhere(jwks_url, token, algorithm)

    assert claims["user_id"] == str(user.pk)
    assert claims["token_type"] == "access"


def test_another_service_knows_a_new_key_before_it_signs_anything(
    algorithm, live_server, transactional_db, user, app_client
):
    generate_key()
    jwks_url = live_server.url + reverse("jwks")
    before = bearer_token(app_client, user.email)
    new = generate_key()  # published, not signing yet
    verifier = jwt.PyJWKClient(jwks_url)
    verifier.get_signing_key_from_jwt(before)  # fetches and caches the JWKS
    jwt_keys("activate", new)

    after = bearer_token(app_client, user.email)

    # From its cached copy: PyJWKClient only refetches after a cool-down,
    # which is why the rotation publishes a key well before activating it.
    assert header_of(after)["kid"] == new
    assert verifier.get_signing_key_from_jwt(after).key_id == new
    assert verify_elsewhere(jwks_url, before, algorithm)["user_id"] == str(user.pk)


def test_a_token_of_a_retired_key_fails_elsewhere_too(
    algorithm, live_server, transactional_db, user, app_client
):
    leaked = generate_key()
    token = bearer_token(app_client, user.email)

    jwt_keys("retire", leaked, "--emergency")

    with pytest.raises(jwt.PyJWKClientError):
        verify_elsewhere(live_server.url + reverse("jwks"), token, algorithm)
