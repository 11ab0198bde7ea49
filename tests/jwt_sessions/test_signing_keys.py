"""Signing keys: each algorithm end to end, rotation, retirement, attacks."""

import hashlib
import json
import stat
from datetime import timedelta

import jwt
import pytest
import time_machine
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError, SystemCheckError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import SecurityEvent
from jwt_sessions import keys
from jwt_sessions.models import Session
from tests.helpers.clients import auth_cookie, csrf_headers, log_in, post_json
from tests.helpers.forged_tokens import valid_claims
from tests.helpers.key_files import (
    file_jwks,
    generate_key,
    hand_signed,
    header_of,
    hmac_signer,
    jwt_keys,
    private_key,
    signer,
    use_key_file,
)
from tests.helpers.subprocesses import run_django

ACCESS = settings.JWT_COOKIE_ACCESS_NAME


@pytest.fixture
def key_file(settings):
    return settings.JWT_KEYS_FILE


@pytest.fixture
def rs256(settings, tmp_path):
    """RS256 with one active key; returns its kid."""
    use_key_file(settings, tmp_path, "RS256")
    return generate_key()


def get_me(client, token=None):
    if token is None:
        return client.get(reverse("api:me"))
    return client.get(reverse("api:me"), HTTP_AUTHORIZATION=f"Bearer {token}")


def app_log_in(client, user):
    response = post_json(
        client,
        "api:app-token",
        {"email": user.email, "password": "correct horse battery staple 42"},
    )
    assert response.status_code == 200
    return response.json()


def app_refresh(client, refresh):
    return post_json(client, "api:app-token-refresh", {"refresh": refresh})


def after_the_rotation_window(of=None):
    """Travel to when no token signed before `of` (default now) is valid."""
    start = of or timezone.now()
    lifetime = timedelta(seconds=settings.JWT_REFRESH_LIFETIME)
    return time_machine.travel(start + lifetime + timedelta(seconds=1), tick=False)


# --- Each algorithm end to end ---------------------------------------------


def test_each_algorithm_logs_in_serves_refreshes_and_logs_out(algorithm, browser, user):
    kid = generate_key()

    log_in(browser, user.email)
    access = auth_cookie(browser, "access")
    assert header_of(access) == {"alg": algorithm, "typ": "JWT", "kid": kid}
    assert header_of(auth_cookie(browser, "refresh"))["kid"] == kid
    assert get_me(browser).status_code == 200

    refreshed = post_json(browser, "api:token-refresh", **csrf_headers(browser))
    assert refreshed.status_code == 200
    assert auth_cookie(browser, "access") != access
    assert header_of(auth_cookie(browser, "access"))["kid"] == kid
    assert get_me(browser).status_code == 200

    logged_out = post_json(browser, "api:token-blacklist", **csrf_headers(browser))
    assert logged_out.status_code == 200
    assert auth_cookie(browser, "access") is None
    assert get_me(browser).status_code == 401


def test_each_algorithm_serves_apps_with_bearer_tokens(algorithm, app_client, user):
    generate_key()
    tokens = app_log_in(app_client, user)

    assert get_me(app_client, tokens["access"]).status_code == 200
    refreshed = app_refresh(app_client, tokens["refresh"])
    assert refreshed.status_code == 200
    assert get_me(app_client, refreshed.json()["access"]).status_code == 200
    assert header_of(refreshed.json()["access"])["alg"] == algorithm


def test_hs256_tokens_name_a_kid_derived_from_the_key_never_the_key(logged_in):
    secret = settings.JWT_SIGNING_KEY

    header = header_of(auth_cookie(logged_in, "access"))

    assert header["alg"] == "HS256"
    assert header["kid"] == hashlib.sha256(secret.encode()).hexdigest()[:16]
    assert header["kid"] not in secret


# --- Rotation --------------------------------------------------------------


def test_a_token_of_an_inactive_but_not_retired_key_is_still_accepted(
    algorithm, browser, user
):
    old = generate_key()
    log_in(browser, user.email)
    new = generate_key()
    jwt_keys("activate", new)

    assert header_of(auth_cookie(browser, "access"))["kid"] == old
    assert get_me(browser).status_code == 200
    refreshed = post_json(browser, "api:token-refresh", **csrf_headers(browser))
    assert refreshed.status_code == 200
    # The very next token is signed by the new key: no restart, no cache to
    # clear, the key file's new mtime is enough.
    assert header_of(auth_cookie(browser, "access"))["kid"] == new


def test_a_session_records_the_key_that_signed_its_tokens(algorithm, browser, user):
    old = generate_key()
    log_in(browser, user.email)
    assert Session.objects.get().signing_kid == old
    new = generate_key()
    jwt_keys("activate", new)

    post_json(browser, "api:token-refresh", **csrf_headers(browser))

    assert Session.objects.get().signing_kid == new
    assert header_of(auth_cookie(browser, "refresh"))["kid"] == new
    assert header_of(auth_cookie(browser, "access"))["kid"] == new


def test_a_new_key_is_published_but_signs_nothing_until_activated(
    algorithm, browser, user
):
    first = generate_key()
    second = generate_key()

    log_in(browser, user.email)

    assert header_of(auth_cookie(browser, "access"))["kid"] == first
    published = {
        jwk["kid"] for jwk in browser.get("/.well-known/jwks.json").json()["keys"]
    }
    assert published == {first, second}


def test_a_token_signed_by_a_retired_key_is_refused(
    algorithm, key_file, app_client, user
):
    old = generate_key()
    old_private = private_key(key_file, old)
    new = generate_key()
    jwt_keys("activate", new)
    new_private = private_key(key_file, new)

    with after_the_rotation_window():
        jwt_keys("retire", old)
        # Fresh claims, a valid signature: only the key is wrong.
        by_old = jwt.encode(
            valid_claims(user), old_private, algorithm=algorithm, headers={"kid": old}
        )
        by_new = jwt.encode(
            valid_claims(user), new_private, algorithm=algorithm, headers={"kid": new}
        )

        assert get_me(app_client, by_old).status_code == 401
        assert get_me(app_client, by_new).status_code == 200
    assert old not in {jwk["kid"] for jwk in file_jwks(key_file)["keys"]}


def test_a_rotation_keeps_every_logged_in_user_logged_in(
    algorithm, browser, app_client, user, other_user
):
    old = generate_key()
    log_in(browser, user.email)
    app_tokens = app_log_in(app_client, other_user)
    new = generate_key()
    activated_at = timezone.now()
    jwt_keys("activate", new)

    # Still on the old key's tokens.
    assert get_me(browser).status_code == 200
    assert get_me(app_client, app_tokens["access"]).status_code == 200

    # Their access tokens expire; the old key's refresh tokens still work and
    # bring tokens of the new key.
    later = activated_at + timedelta(seconds=settings.JWT_ACCESS_LIFETIME)
    with time_machine.travel(later + timedelta(seconds=1), tick=False):
        assert get_me(browser).status_code == 200  # silent refresh
        assert header_of(auth_cookie(browser, "access"))["kid"] == new
        refreshed = app_refresh(app_client, app_tokens["refresh"])
        assert refreshed.status_code == 200
        app_tokens = refreshed.json()
        assert header_of(app_tokens["refresh"])["kid"] == new

    # The old key retires once nothing it signed can still be valid.
    with after_the_rotation_window(of=activated_at):
        jwt_keys("retire", old)

        assert get_me(browser).status_code == 200  # silent refresh again
        refreshed = app_refresh(app_client, app_tokens["refresh"])
        assert refreshed.status_code == 200
        assert get_me(app_client, refreshed.json()["access"]).status_code == 200
    assert not Session.objects.filter(revoked_at__isnull=False).exists()


def test_retire_refuses_the_active_key_and_a_key_whose_tokens_may_live(algorithm):
    old = generate_key()
    with pytest.raises(CommandError, match=r"is the active signing key.*--emergency"):
        jwt_keys("retire", old)

    new = generate_key()
    jwt_keys("activate", new)
    with pytest.raises(CommandError, match="may be in use until"):
        jwt_keys("retire", old)

    never_signed = generate_key()
    jwt_keys("retire", never_signed)  # nothing it signed can exist


def test_an_emergency_retire_ends_every_session_the_key_signed(
    algorithm, key_file, user, other_user, staff_user
):
    leaked = generate_key()
    victim, moved_on, bystander = Client(), Client(), Client()
    log_in(victim, user.email)
    log_in(moved_on, other_user.email)
    successor = generate_key()
    jwt_keys("activate", successor)
    # This login refreshed after the rotation: its tokens are the new key's.
    post_json(moved_on, "api:token-refresh", **csrf_headers(moved_on))
    log_in(bystander, staff_user.email)

    output = jwt_keys("retire", leaked, "--emergency")

    assert "1 session(s) signed with" in output
    assert get_me(victim).status_code == 401
    assert get_me(moved_on).status_code == 200
    assert get_me(bystander).status_code == 200
    ended = Session.objects.get(user=user)
    assert ended.revoked_at is not None
    assert SecurityEvent.objects.filter(
        user=user, session=ended, type=SecurityEvent.Type.SESSION_REVOKED
    ).exists()


def test_an_emergency_retire_of_the_active_key_puts_a_new_key_in_its_place(
    algorithm, key_file, browser, user
):
    leaked = generate_key()
    log_in(browser, user.email)

    output = jwt_keys("retire", leaked, "--emergency")

    replacement = file_jwks(key_file)["active"]
    assert replacement != leaked
    assert f"{replacement} is the new signing key." in output
    assert "1 session(s)" in output
    assert get_me(browser).status_code == 401
    log_in(browser, user.email)
    assert header_of(auth_cookie(browser, "access"))["kid"] == replacement
    assert get_me(browser).status_code == 200


# --- The jwt_keys command --------------------------------------------------


def test_generate_writes_a_private_jwk_set_and_only_the_first_key_signs(
    algorithm, key_file
):
    first = generate_key()
    second = generate_key()

    data = file_jwks(key_file)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert data["active"] == first
    assert [jwk["kid"] for jwk in data["keys"]] == [first, second]
    for jwk in data["keys"]:
        assert jwk["alg"] == algorithm
        assert "d" in jwk  # the private part lives in the file
        # The kid comes from the key's RFC 7638 thumbprint.
        assert jwk["kid"] == keys.thumbprint(jwk).hex()[:32]
    listing = jwt_keys("list")
    assert f"{first}  {algorithm}" in listing
    assert "active: signs new tokens" in listing
    assert "never signed" in listing


def test_generate_refuses_a_second_algorithm_in_one_file(settings, tmp_path):
    use_key_file(settings, tmp_path, "EdDSA")
    generate_key()

    with pytest.raises(CommandError, match="holds EdDSA keys"):
        generate_key("ES256")


def test_generate_needs_an_algorithm_when_hs256_is_configured(settings, tmp_path):
    settings.JWT_KEYS_FILE = tmp_path / "keys.json"

    with pytest.raises(CommandError, match="--algorithm"):
        generate_key()

    assert generate_key("EdDSA")


def test_activate_and_retire_name_an_unknown_kid(rs256):
    with pytest.raises(CommandError, match="There is no key 'nope'"):
        jwt_keys("activate", "nope")
    with pytest.raises(CommandError, match="There is no key 'nope'"):
        jwt_keys("retire", "nope")


def test_the_key_file_is_ignored_by_git():
    import subprocess

    result = subprocess.run(
        ["git", "check-ignore", "-q", ".jwt-keys.json"], cwd=settings.BASE_DIR
    )
    assert result.returncode == 0


# --- Attacks on the header -------------------------------------------------


def rs256_signed(header, user, key_file, kid):
    return hand_signed(
        header, valid_claims(user), signer("RS256", private_key(key_file, kid))
    )


def test_a_hand_signed_token_with_our_header_is_accepted(
    rs256, key_file, app_client, user
):
    # The control for the refusals below: the same helper, the right header.
    token = rs256_signed(
        {"alg": "RS256", "typ": "JWT", "kid": rs256}, user, key_file, rs256
    )

    assert get_me(app_client, token).status_code == 200


def public_key_forms(key_file, kid):
    public = private_key(key_file, kid).public_key()
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    der = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    jwk = json.dumps(jwt.get_algorithm_by_name("RS256").to_jwk(public, as_dict=True))
    return [pem, der, jwk.encode()]


def test_algorithm_confusion_hs256_signed_with_our_public_key_is_refused(
    rs256, key_file, app_client, user
):
    for secret in public_key_forms(key_file, rs256):
        token = hand_signed(
            {"alg": "HS256", "typ": "JWT", "kid": rs256},
            valid_claims(user),
            hmac_signer(secret),
        )
        assert get_me(app_client, token).status_code == 401


@pytest.mark.parametrize("alg", ["none", "None", "NONE", ""])
def test_an_unsigned_token_is_refused(rs256, app_client, user, alg):
    header = {"alg": alg, "typ": "JWT", "kid": rs256}
    token = hand_signed(header, valid_claims(user), lambda message: b"")

    assert get_me(app_client, token).status_code == 401


@pytest.mark.parametrize(
    "kid",
    [
        "an-unknown-kid",
        "-rf",
        "../../../../../dev/null",
        "/etc/passwd",
        "..",
        "kid/../kid",
        "file:///dev/null",
        "https://evil.example/key",
        "x' OR '1'='1",
        "kid\u0000",
        "kid\n",
        "k" * 65,
        "",
        None,
        1,
        ["kid"],
        {"kid": "kid"},
    ],
    ids=repr,
)
def test_an_unknown_or_malformed_kid_is_refused(rs256, key_file, app_client, user, kid):
    header = {"alg": "RS256", "typ": "JWT"}
    if kid is not None:
        header["kid"] = kid
    # Signed by the active key: only the kid is wrong.
    token = rs256_signed(header, user, key_file, rs256)

    assert get_me(app_client, token).status_code == 401


def test_a_kid_that_wraps_ours_is_refused(rs256, key_file, app_client, user):
    for kid in (f"../{rs256}", f"{rs256}/..", f" {rs256}", f"{rs256}.json"):
        header = {"alg": "RS256", "typ": "JWT", "kid": kid}
        assert (
            get_me(app_client, rs256_signed(header, user, key_file, rs256)).status_code
            == 401
        )


ATTACKER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ATTACKER_JWK = jwt.get_algorithm_by_name("RS256").to_jwk(
    ATTACKER_KEY.public_key(), as_dict=True
)


@pytest.mark.parametrize(
    "extra",
    [
        {"jku": "https://evil.example/jwks.json"},
        {"x5u": "https://evil.example/cert.pem"},
        {"jwk": ATTACKER_JWK},
        {"x5c": ["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"]},
        {"crit": ["exp"]},
        {"x5t": "c29tZXRoaW5n"},
        {"cty": "JWT"},
    ],
    ids=lambda extra: next(iter(extra)),
)
def test_headers_that_name_a_key_or_extension_are_refused(
    rs256, key_file, app_client, user, extra
):
    header = {"alg": "RS256", "typ": "JWT", "kid": rs256, **extra}
    # Signed by our real active key: the header member alone is the fault.
    token = rs256_signed(header, user, key_file, rs256)

    assert get_me(app_client, token).status_code == 401


def test_a_token_carrying_the_attackers_own_key_is_refused(rs256, app_client, user):
    header = {"alg": "RS256", "typ": "JWT", "kid": rs256, "jwk": ATTACKER_JWK}
    token = hand_signed(header, valid_claims(user), signer("RS256", ATTACKER_KEY))

    assert get_me(app_client, token).status_code == 401


def test_a_token_of_another_asymmetric_algorithm_is_refused(rs256, app_client, user):
    other = ec.generate_private_key(ec.SECP256R1())
    token = jwt.encode(
        valid_claims(user), other, algorithm="ES256", headers={"kid": rs256}
    )

    assert get_me(app_client, token).status_code == 401


# --- Start-up checks -------------------------------------------------------


def write(key_file, data):
    key_file.write_text(json.dumps(data))
    key_file.chmod(0o600)


def private_jwk(key, algorithm, kid="key-1"):
    jwk = jwt.get_algorithm_by_name(algorithm).to_jwk(key, as_dict=True)
    return {**jwk, "kid": kid, "alg": algorithm, "use": "sig"}


def assert_check_fails(check_id, match=""):
    with pytest.raises(SystemCheckError, match=rf"(?s){check_id}.*{match}"):
        call_command("check")


def test_a_missing_key_file_fails_the_check_and_says_how_to_make_one(
    settings, tmp_path
):
    use_key_file(settings, tmp_path, "EdDSA")

    assert_check_fails(r"jwt_sessions\.E011", "jwt_keys generate --algorithm EdDSA")


@pytest.mark.parametrize(
    "content", ["not json", "[]", '{"keys": "none"}', '{"active": "a"}']
)
def test_an_unreadable_key_file_fails_the_check(settings, tmp_path, content):
    key_file = use_key_file(settings, tmp_path, "EdDSA")
    key_file.write_text(content)

    assert_check_fails(r"jwt_sessions\.E012", "cannot be read")


def test_a_key_file_that_is_a_directory_fails_the_check(settings, tmp_path):
    use_key_file(settings, tmp_path, "EdDSA").mkdir()

    assert_check_fails(r"jwt_sessions\.E012")


def test_an_rsa_key_under_2048_bits_fails_the_check(settings, tmp_path):
    key_file = use_key_file(settings, tmp_path, "RS256")
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    write(key_file, {"active": "key-1", "keys": [private_jwk(weak, "RS256")]})

    assert_check_fails(
        r"jwt_sessions\.E013", "1024-bit RSA key; RS256 needs at least 2048"
    )


def test_a_2048_bit_rsa_key_passes_the_check(settings, tmp_path):
    key_file = use_key_file(settings, tmp_path, "RS256")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    write(key_file, {"active": "key-1", "keys": [private_jwk(key, "RS256")]})

    call_command("check")


def test_a_short_hmac_key_fails_the_check(settings):
    settings.JWT_SIGNING_KEY = "x" * 31

    assert_check_fails(r"jwt_sessions\.E001", "31 bytes; HS256 needs at least 32")


def test_a_kid_used_twice_fails_the_check(settings, tmp_path):
    key_file = use_key_file(settings, tmp_path, "EdDSA")
    one = private_jwk(ed25519.Ed25519PrivateKey.generate(), "EdDSA", kid="same")
    two = private_jwk(ed25519.Ed25519PrivateKey.generate(), "EdDSA", kid="same")
    write(key_file, {"active": "same", "keys": [one, two]})

    assert_check_fails(r"jwt_sessions\.E014", "'same' is used by more than one key")


@pytest.mark.parametrize(
    ("configured", "key", "alg"),
    [
        ("RS256", ec.generate_private_key(ec.SECP256R1()), "ES256"),
        ("ES256", ed25519.Ed25519PrivateKey.generate(), "EdDSA"),
        ("EdDSA", ec.generate_private_key(ec.SECP256R1()), "ES256"),
        ("ES256", ec.generate_private_key(ec.SECP384R1()), "ES384"),
    ],
    ids=["ec-for-rs256", "ed25519-for-es256", "ec-for-eddsa", "p384-for-es256"],
)
def test_a_key_that_does_not_fit_the_algorithm_fails_the_check(
    settings, tmp_path, configured, key, alg
):
    key_file = use_key_file(settings, tmp_path, configured)
    write(key_file, {"active": "key-1", "keys": [private_jwk(key, alg)]})

    assert_check_fails(
        r"jwt_sessions\.E015", f"does not fit JWT_ALGORITHM={configured}"
    )


def test_an_alg_member_that_contradicts_the_key_fails_the_check(settings, tmp_path):
    key_file = use_key_file(settings, tmp_path, "RS256")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    write(
        key_file,
        {"active": "key-1", "keys": [{**private_jwk(key, "RS256"), "alg": "HS256"}]},
    )

    assert_check_fails(r"jwt_sessions\.E015")


def test_a_key_set_without_an_active_private_key_fails_the_check(settings, tmp_path):
    key_file = use_key_file(settings, tmp_path, "EdDSA")
    key = ed25519.Ed25519PrivateKey.generate()
    public_only = private_jwk(key.public_key(), "EdDSA")
    write(key_file, {"active": "key-1", "keys": [public_only]})

    assert_check_fails(r"jwt_sessions\.E016", "jwt_keys activate")


@pytest.mark.parametrize("algorithm", ["none", "HS512", "PS256", "rs256"])
def test_an_unsupported_algorithm_fails_the_check(settings, algorithm):
    settings.JWT_ALGORITHM = algorithm

    assert_check_fails(r"jwt_sessions\.E010", "HS256, RS256, ES256, EdDSA")


def test_a_key_file_others_can_read_is_a_warning(settings, tmp_path):
    key_file = use_key_file(settings, tmp_path, "EdDSA")
    generate_key()
    key_file.chmod(0o644)

    call_command("check")
    with pytest.raises(SystemCheckError, match=r"jwt_sessions\.W010"):
        call_command("check", fail_level="WARNING")


@pytest.mark.parametrize("module", ["authsite.wsgi", "authsite.asgi"])
def test_the_server_refuses_to_start_with_a_missing_key_file(tmp_path, module):
    result = run_django(
        {
            "DJANGO_LOCAL_SECRETS_FILE": str(tmp_path / "s.json"),
            "JWT_ALGORITHM": "RS256",
            "JWT_KEYS_FILE": str(tmp_path / "missing.json"),
        },
        f"import {module}",
    )

    assert result.returncode != 0
    assert "python manage.py jwt_keys generate --algorithm RS256" in result.stderr


def test_the_server_refuses_to_start_with_a_weak_rsa_key(tmp_path):
    key_file = tmp_path / "keys.json"
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    write(key_file, {"active": "key-1", "keys": [private_jwk(weak, "RS256")]})

    result = run_django(
        {
            "DJANGO_LOCAL_SECRETS_FILE": str(tmp_path / "s.json"),
            "JWT_ALGORITHM": "RS256",
            "JWT_KEYS_FILE": str(key_file),
        },
        "import authsite.wsgi",
    )

    assert result.returncode != 0
    assert "RS256 needs at least 2048 bits" in result.stderr


def test_the_server_starts_with_a_generated_key_file(tmp_path):
    env = {
        "DJANGO_LOCAL_SECRETS_FILE": str(tmp_path / "s.json"),
        "JWT_ALGORITHM": "EdDSA",
        "JWT_KEYS_FILE": str(tmp_path / "keys.json"),
    }
    generated = run_django(
        env,
        "from django.core.management import call_command; "
        "call_command('jwt_keys', 'generate')",
    )
    assert generated.returncode == 0, generated.stderr

    started = run_django(env, "import authsite.wsgi; print('serving')")

    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == "serving"
