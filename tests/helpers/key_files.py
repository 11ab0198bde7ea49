"""Key files, the jwt_keys command and hand-signed tokens for the key tests."""

import base64
import hashlib
import hmac
import json
from io import StringIO

import jwt
from django.core.management import call_command


def jwt_keys(*args) -> str:
    """Run `manage.py jwt_keys ARGS`; return what it printed on stdout."""
    stdout, stderr = StringIO(), StringIO()
    call_command("jwt_keys", *args, stdout=stdout, stderr=stderr)
    return stdout.getvalue().strip()


def generate_key(algorithm=None) -> str:
    """Add a key with `jwt_keys generate`; return its kid."""
    return jwt_keys("generate", *(["--algorithm", algorithm] if algorithm else []))


def file_jwks(key_file) -> dict:
    return json.loads(key_file.read_text())


def private_key(key_file, kid):
    """Return the private key object of `kid` in the key file."""
    jwk = next(jwk for jwk in file_jwks(key_file)["keys"] if jwk["kid"] == kid)
    return jwt.PyJWK(jwk).key


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segment(value) -> str:
    return b64(json.dumps(value).encode())


def hand_signed(header: dict, claims: dict, sign) -> str:
    """Return a compact JWS whose header is exactly `header` (no library help)."""
    signing_input = f"{segment(header)}.{segment(claims)}"
    return f"{signing_input}.{b64(sign(signing_input.encode()))}"


def signer(algorithm, key):
    """Return a function that signs bytes with `key` as `algorithm` does."""
    implementation = jwt.get_algorithm_by_name(algorithm)
    return lambda message: implementation.sign(message, key)


def hmac_signer(secret: bytes):
    """Sign like HS256 with any bytes at all, a public key's included."""
    return lambda message: hmac.new(secret, message, hashlib.sha256).digest()


def header_of(token: str) -> dict:
    return jwt.get_unverified_header(token)


def use_key_file(settings, tmp_path, algorithm):
    """Sign with `algorithm` keys kept in a key file of this test's own."""
    settings.JWT_KEYS_FILE = tmp_path / "jwt-keys.json"
    settings.JWT_ALGORITHM = algorithm
    return settings.JWT_KEYS_FILE
