"""Forged, altered and confused tokens (RFC 8725 section 2, OWASP JWT)."""

import base64
import json
import time
import uuid

import jwt
import pytest
from django.conf import settings

from jwt_sessions.models import Session
from tests.security.conftest import ACCESS, REFRESH, RawClient, server_state

pytestmark = pytest.mark.django_db(transaction=True)

SIGNING_KEY = settings.JWT_SIGNING_KEY


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def decode_unverified(token):
    return jwt.decode(token, options={"verify_signature": False})


def rebuild(token, *, header=None, payload=None, signature=None):
    """Return `token` with its header, payload or signature replaced."""
    head, body, sig = token.split(".")
    if header is not None:
        head = b64(json.dumps(header).encode())
    if payload is not None:
        body = b64(json.dumps(payload).encode())
    if signature is not None:
        sig = signature
    return f"{head}.{body}.{sig}"


def claims_of(victim_browser):
    return decode_unverified(victim_browser.cookies[ACCESS])


def use_as_bearer(client: RawClient, token):
    return client.get("/api/me/", headers={"Authorization": f"Bearer {token}"})


def use_as_cookie(client: RawClient, token):
    return client.get("/api/me/", cookies={ACCESS: token}, send_cookies=False)


@pytest.fixture(params=[use_as_bearer, use_as_cookie], ids=["bearer", "cookie"])
def present(request):
    return request.param


def test_control_the_victims_own_token_is_accepted(victim_browser, attacker, present):
    """Control: the genuine token works, so every refusal below means something."""
    assert present(attacker, victim_browser.cookies[ACCESS]).status == 200


def test_alg_none_is_refused(victim_browser, attacker, present):
    """RFC 8725 2.1 / 3.1: an unsigned token ("alg": "none") must never verify."""
    token = rebuild(
        victim_browser.cookies[ACCESS],
        header={"alg": "none", "typ": "JWT"},
        signature="",
    )
    for variant in (token, token.rstrip(".") + ".", token.replace('"none"', '"None"')):
        assert present(attacker, variant).status == 401


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
def test_alg_none_spellings_are_refused(victim_browser, attacker, alg):
    """RFC 8725 2.1: case variants of "none" slip past naive comparisons."""
    token = rebuild(
        victim_browser.cookies[ACCESS], header={"alg": alg, "typ": "JWT"}, signature=""
    )
    assert use_as_bearer(attacker, token).status == 401


def test_stripped_signature_is_refused(victim_browser, attacker, present):
    """RFC 8725 2.1: a token with its signature cut off must not verify."""
    token = rebuild(victim_browser.cookies[ACCESS], signature="")
    assert present(attacker, token).status == 401


def test_altered_payload_with_the_old_signature_is_refused(
    victim_browser, attacker, attacker_account, present
):
    """OWASP JWT: changing the user id in the payload breaks the signature."""
    claims = claims_of(victim_browser)
    claims["user_id"] = str(attacker_account.pk)
    token = rebuild(victim_browser.cookies[ACCESS], payload=claims)
    assert present(attacker, token).status == 401


# The attacker's keys are weak on purpose; PyJWT's warning about that is noise.
@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
@pytest.mark.parametrize("key", ["", "secret", "authsite", "password", "changeme"])
def test_tokens_signed_with_guessable_keys_are_refused(
    victim_browser, attacker, present, key
):
    """RFC 8725 3.5: a weak or default HMAC key would let anyone mint tokens."""
    token = jwt.encode(claims_of(victim_browser), key or "x", algorithm="HS256")
    assert present(attacker, token).status == 401


@pytest.mark.parametrize("alg", ["HS384", "HS512"])
def test_another_hmac_algorithm_with_the_real_key_is_refused(
    victim_browser, attacker, present, alg
):
    """RFC 8725 3.1: only the one configured algorithm is accepted."""
    token = jwt.encode(claims_of(victim_browser), SIGNING_KEY, algorithm=alg)
    assert present(attacker, token).status == 401


@pytest.mark.parametrize(
    "extra_header",
    [
        {"jku": "https://evil.example/jwks.json"},
        {"x5u": "https://evil.example/cert.pem"},
        {"jwk": {"kty": "oct", "k": b64(b"attacker key of thirty-two bytes!")}},
        {"crit": ["exp"]},
        {"kid": "../../../../dev/null"},
        {"kid": "' OR 1=1 --"},
    ],
    ids=["jku", "x5u", "jwk", "crit", "kid-path", "kid-sql"],
)
def test_key_location_headers_are_refused(
    victim_browser, attacker, present, extra_header
):
    """RFC 8725 3.10 / OWASP JWT: never fetch or accept keys the token names."""
    # Signed with the attacker's key, which each header tries to smuggle in.
    header = {"typ": "JWT", **extra_header}
    token = jwt.encode(
        claims_of(victim_browser),
        "attacker key of thirty-two bytes!",
        algorithm="HS256",
        headers=header,
    )
    assert present(attacker, token).status == 401


def test_a_refresh_token_is_not_an_access_token(victim_browser, attacker, present):
    """RFC 8725 3.11 (token type confusion): a refresh token opens nothing."""
    assert present(attacker, victim_browser.cookies[REFRESH]).status == 401


def test_an_access_token_is_not_a_refresh_token(victim_browser, attacker):
    """RFC 8725 3.11: an access token cannot be exchanged for a new pair."""
    before = server_state()
    as_cookie = attacker.post(
        "/api/token/refresh/",
        cookies={REFRESH: victim_browser.cookies[ACCESS]},
        headers=attacker.same_origin_headers(),
    )
    as_body = attacker.post(
        "/api/app/token/refresh/", json={"refresh": victim_browser.cookies[ACCESS]}
    )
    assert as_cookie.status == as_body.status == 401
    assert server_state() == before


@pytest.mark.parametrize(
    "change",
    [
        {"exp": "9999999999"},
        {"exp": 10**20},
        {"exp": None},
        {"exp": True},
        {"iat": int(time.time()) + 3600},
        {"iss": "https://evil.example"},
        {"aud": "another-service"},
        {"sid": str(uuid.uuid4())},
        {"sid": 12345},
        {"user_id": 1},
        {"token_type": "id"},
        {"jti": None},
    ],
)
def test_claims_of_the_wrong_type_or_range_are_refused(
    victim_browser, attacker, present, change
):
    """RFC 8725 3.8-3.11, OWASP JWT: every claim is checked, by type and value."""
    claims = {**claims_of(victim_browser), **change}
    token = jwt.encode(claims, SIGNING_KEY, algorithm="HS256")
    assert present(attacker, token).status == 401


@pytest.mark.parametrize("missing", ["jti", "token_type", "user_id", "exp", "sid"])
def test_tokens_missing_a_required_claim_are_refused(
    victim_browser, attacker, present, missing
):
    """RFC 8725 3.8: a token without its identifying claims is not trusted."""
    claims = claims_of(victim_browser)
    del claims[missing]
    token = jwt.encode(claims, SIGNING_KEY, algorithm="HS256")
    assert present(attacker, token).status == 401


@pytest.mark.parametrize("size", [10_000, 60_000])
def test_oversized_tokens_get_a_4xx_never_a_5xx(attacker, site, size):
    """OWASP Input Validation: input of any size is answered, not crashed on."""
    token = "eyJ" + "A" * size
    bearer = use_as_bearer(attacker, token)
    cookie = use_as_cookie(attacker, token)
    assert 400 <= bearer.status < 500
    assert 400 <= cookie.status < 500


def test_replaying_tokens_after_logout_is_refused(victim_browser, attacker):
    """OWASP Session Management: logout ends the session on the server."""
    access = victim_browser.cookies[ACCESS]
    refresh = victim_browser.cookies[REFRESH]
    victim_browser.post(
        "/api/token/blacklist/", headers=victim_browser.same_origin_headers()
    )
    before = server_state()

    assert use_as_bearer(attacker, access).status == 401
    replay = attacker.post(
        "/api/token/refresh/",
        cookies={REFRESH: refresh},
        headers=attacker.same_origin_headers(),
    )
    assert replay.status == 401
    assert server_state() == before


def test_replaying_a_rotated_refresh_token_kills_the_session(
    victim_browser, attacker, settings, victim
):
    """RFC 9700 4.14.2 (refresh token rotation): reuse revokes the family."""
    settings.JWT_REFRESH_GRACE_SECONDS = 0
    stolen = victim_browser.cookies[REFRESH]
    victim_browser.post(
        "/api/token/refresh/", headers=victim_browser.same_origin_headers()
    )
    time.sleep(1.1)

    replay = attacker.post("/api/app/token/refresh/", json={"refresh": stolen})

    assert replay.status == 401
    assert victim_browser.get("/api/me/").status == 401
    assert Session.objects.get(user=victim).revoked_reason == "reuse_detected"


def test_a_deleted_user_an_inactive_user_and_a_revoked_token_look_the_same(
    site, victim, attacker_account
):
    """OWASP Authentication: token errors must not reveal account state."""
    from accounts.models import User
    from tests.helpers.clients import PASSWORD

    third = User.objects.create_user("third@example.com", PASSWORD)
    clients = {u.email: RawClient(site) for u in (victim, attacker_account, third)}
    for email, client in clients.items():
        client.log_in(email)
    tokens = {email: c.cookies[ACCESS] for email, c in clients.items()}
    victim.delete()
    attacker_account.is_active = False
    attacker_account.save()
    clients[third.email].post(
        "/api/token/blacklist/", headers=clients[third.email].same_origin_headers()
    )

    probe = RawClient(site)
    answers = {
        (r.status, r.body) for r in (use_as_bearer(probe, t) for t in tokens.values())
    }

    assert len(answers) == 1
    assert next(iter(answers))[0] == 401
