"""Access tokens: what the Verifier accepts and refuses, and the site's keys."""

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from authsite_verifier import TokenRejected, Verifier
from fake_issuer import OTHER_AUDIENCE, new_key, wait_until


def test_valid_token_is_accepted_with_its_claims(issuer, verifier):
    token = issuer.mint(sid="s-1", user_id="7")

    claims = verifier.verify(token)

    assert claims["sid"] == "s-1"
    assert claims["user_id"] == "7"
    assert issuer.hits["introspect"] == 0  # the deny list was fresh


def test_token_signed_with_alg_none_is_refused(issuer, verifier):
    token = jwt.encode(
        jwt.decode(issuer.mint(), options={"verify_signature": False}),
        key=None,
        algorithm="none",
        headers={"kid": issuer.active_kid},
    )

    with pytest.raises(TokenRejected, match="algorithm"):
        verifier.verify(token)


def test_hs256_token_keyed_with_the_public_key_is_refused(issuer, verifier):
    public_pem = (
        issuer.keys[issuer.active_kid]
        .public_key()
        .public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    claims = jwt.decode(issuer.mint(), options={"verify_signature": False})

    # PyJWT itself refuses to HMAC with a PEM key, so sign by hand the way an
    # attacker would: the classic algorithm-confusion forgery.
    def b64(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = {"alg": "HS256", "typ": "JWT", "kid": issuer.active_kid}
    signing_input = (
        f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    )
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()

    with pytest.raises(TokenRejected, match="algorithm"):
        verifier.verify(f"{signing_input}.{b64(signature)}")


def test_token_with_an_algorithm_outside_the_allow_list_is_refused(
    issuer, make_verifier
):
    only_eddsa = make_verifier(algorithms=["EdDSA"])

    with pytest.raises(TokenRejected, match="algorithm"):
        only_eddsa.verify(issuer.mint())


def test_symmetric_algorithms_cannot_be_configured(issuer):
    with pytest.raises(ValueError, match="asymmetric"):
        Verifier(issuer.url, "a", "id", "secret", algorithms=["ES256", "HS256"])


def test_token_from_another_issuer_is_refused(issuer, verifier):
    with pytest.raises(TokenRejected):
        verifier.verify(issuer.mint(iss="someone-else"))


def test_token_for_another_audience_is_refused(issuer, verifier):
    with pytest.raises(TokenRejected, match="another audience"):
        verifier.verify(issuer.mint(aud=OTHER_AUDIENCE))


def test_token_whose_audience_list_includes_ours_is_refused(issuer, verifier):
    # The site mints one audience per token; a list is not its token.
    with pytest.raises(TokenRejected):
        verifier.verify(issuer.mint(aud=[OTHER_AUDIENCE, "inventory"]))


def test_expired_token_is_refused(issuer, verifier):
    now = int(time.time())
    token = issuer.mint(iat=now - 400, exp=now - 60)

    with pytest.raises(TokenRejected, match="expired"):
        verifier.verify(token)


def test_token_expired_within_the_leeway_is_accepted(issuer, make_verifier):
    lenient = make_verifier(leeway=30)
    lenient.start()
    wait_until(lenient.is_fresh)
    now = int(time.time())

    assert lenient.verify(issuer.mint(iat=now - 300, exp=now - 5))


def test_token_living_longer_than_the_configured_lifetime_is_refused(issuer, verifier):
    # Its revocation would be forgotten before it expires.
    with pytest.raises(TokenRejected, match="longer"):
        verifier.verify(issuer.mint(lifetime=3600))


@pytest.mark.parametrize("claim", ["sid", "user_id", "jti", "exp", "iat"])
def test_token_without_a_required_claim_is_refused(issuer, verifier, claim):
    with pytest.raises(TokenRejected):
        verifier.verify(issuer.mint(**{claim: None}))


def test_refresh_token_is_refused(issuer, verifier):
    with pytest.raises(TokenRejected, match="not an access token"):
        verifier.verify(issuer.mint(token_type="refresh"))


def test_signed_event_is_not_accepted_as_a_token(issuer, verifier):
    event = issuer.revoke("s-1")

    with pytest.raises(TokenRejected, match="not an access token"):
        verifier.verify(event)


def test_token_signed_with_a_key_not_in_the_jwks_is_refused(issuer, verifier):
    token = issuer.sign(
        jwt.decode(issuer.mint(), options={"verify_signature": False}),
        typ="JWT",
        key=new_key(),
    )

    with pytest.raises(TokenRejected, match="not valid"):
        verifier.verify(token)


def test_unknown_kid_refetches_the_keys_once_then_refuses(issuer, verifier):
    fetched = issuer.hits["jwks"]
    claims = jwt.decode(issuer.mint(), options={"verify_signature": False})

    for _ in range(5):
        with pytest.raises(TokenRejected, match="unknown key"):
            verifier.verify(issuer.sign(claims, typ="JWT", kid="nobody", key=new_key()))

    # One refetch, then none within jwks_min_refetch_interval: forged kids
    # cannot make the service hammer the site.
    assert issuer.hits["jwks"] == fetched + 1


def test_key_rotation_is_followed_by_kid(issuer, make_verifier):
    verifier = make_verifier(jwks_min_refetch_interval=0)
    verifier.start()
    wait_until(verifier.is_fresh)
    assert verifier.verify(issuer.mint())
    old_kid = issuer.active_kid

    issuer.rotate()

    assert jwt.get_unverified_header(issuer.mint())["kid"] != old_kid
    assert verifier.verify(issuer.mint())
    # The old key still verifies while the site publishes it.
    assert verifier.verify(
        issuer.sign(
            jwt.decode(issuer.mint(), options={"verify_signature": False}),
            typ="JWT",
            kid=old_kid,
        )
    )


def test_retired_key_stops_verifying_after_the_keys_max_age(issuer, make_verifier):
    verifier = make_verifier(jwks_max_age=0, jwks_min_refetch_interval=0)
    verifier.start()
    wait_until(verifier.is_fresh)
    old_kid = issuer.active_kid
    old_token = issuer.mint()
    assert verifier.verify(old_token)

    issuer.rotate()
    del issuer.keys[old_kid]

    with pytest.raises(TokenRejected, match="unknown key"):
        verifier.verify(old_token)


@pytest.mark.parametrize(
    "token", ["", "a", "a.b.c", "x" * 20_000, "eyJhbGciOiJFUzI1NiJ9.e30.", None, 17]
)
def test_garbage_is_refused(verifier, token):
    with pytest.raises(TokenRejected):
        verifier.verify(token)
