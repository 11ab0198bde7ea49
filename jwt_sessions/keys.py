"""The keys that sign and verify this site's tokens.

HS256, the local default, signs with JWT_SIGNING_KEY. RS256, ES256 and EdDSA
sign with the active key of a JWK Set file (JWT_KEYS_FILE, written by
`manage.py jwt_keys`), and every other key of that file still verifies until
it is retired (removed from the file). Every token names its key in the `kid`
header.

The file looks like this (a JWK Set, RFC 7517 section 5, plus members of our
own, which RFC 7517 lets readers ignore):

    {"active": "<kid>",
     "keys": [{"kty": "OKP", "crv": "Ed25519", "x": ..., "d": ...,
               "kid": "<kid>", "alg": "EdDSA", "use": "sig",
               "created_at": 1767225600, "deactivated_at": null}, ...]}

Settings are read at every use and the parsed file is cached by its path and
modification time, so a `jwt_keys activate` reaches every process without a
restart. A token seen before (the verified-token memo) is checked against a
key set looked up at most every RECENT_FOR (20 ms): see recent_key_set().
"""

import hashlib
import json
import os
import re
import stat
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed

from .app_settings import app_settings

HMAC_ALGORITHMS = ("HS256",)
# The algorithms a key file can hold, with the JWK key type (and curve) each
# one needs.
ASYMMETRIC_ALGORITHMS = {
    "RS256": ("RSA", None),
    "ES256": ("EC", "P-256"),
    "EdDSA": ("OKP", "Ed25519"),
}
ALGORITHMS = HMAC_ALGORITHMS + tuple(ASYMMETRIC_ALGORITHMS)
MIN_HMAC_KEY_BYTES = 32
# How long other services may cache the JWKS document, in seconds.
JWKS_MAX_AGE = 300
MIN_RSA_KEY_BITS = 2048
# base64url characters only: a kid never reaches a path, a query or a shell,
# and a kid of this shape cannot pretend to be one. No leading "-", which a
# command line would take for an option.
KID_PATTERN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,63}")
# What a published JWK may hold (RFC 7517/7518/8037 public parameters).
PUBLIC_MEMBERS = ("kty", "crv", "x", "y", "n", "e", "kid", "alg", "use")
# RFC 7638: the members a key's thumbprint is computed over.
THUMBPRINT_MEMBERS = {
    "RSA": ("e", "kty", "n"),
    "EC": ("crv", "kty", "x", "y"),
    "OKP": ("crv", "kty", "x"),
}
# The size `jwt_keys generate` gives RSA keys (the floor is MIN_RSA_KEY_BITS).
RSA_KEY_BITS = 2048


class KeySetError(ImproperlyConfigured):
    """The signing keys cannot be used; the message says what to fix."""

    def __init__(self, message: str, *, hint: str = "", check_id: str):
        super().__init__(f"{message} {hint}".strip())
        self.message = message
        self.hint = hint
        self.check_id = check_id


@dataclass(frozen=True)
class Key:
    kid: str
    algorithm: str
    # What jwt.encode() signs with; None for a key that can only verify.
    signing_key: Any
    verifying_key: Any
    # The JWK another service may see; None for an HMAC secret.
    public_jwk: dict | None = None
    created_at: int | None = None
    # When another key took over signing; None if this one never signed.
    deactivated_at: int | None = None


@dataclass(frozen=True)
class KeySet:
    algorithm: str
    active: Key
    # Every key that still verifies, the active one included, by kid.
    verifying: MappingProxyType

    def signer(self, kid: str) -> Key | None:
        """Return the key `kid` if it is still in the set and can sign."""
        key = self.verifying.get(kid)
        return key if key is not None and key.signing_key is not None else None

    def public_jwks(self) -> dict:
        """Return the JWK Set document of the public keys (none for HMAC)."""
        return {
            "keys": [
                key.public_jwk
                for key in self.verifying.values()
                if key.public_jwk is not None
            ]
        }


def configured_algorithm() -> str:
    return app_settings.ALGORITHM


def keys_file() -> Path:
    return app_settings.KEYS_FILE


def get_key_set() -> KeySet:
    """Return the key set of the current settings; raise KeySetError if unusable."""
    algorithm = configured_algorithm()
    if algorithm in HMAC_ALGORITHMS:
        # The settings alone decide it: remembered until they change (every
        # request asks).
        return app_settings.derived(
            "HMAC key set", lambda: _hmac_key_set(algorithm, app_settings.SIGNING_KEY)
        )
    if algorithm not in ASYMMETRIC_ALGORITHMS:
        raise KeySetError(
            f"JWT_ALGORITHM is {algorithm!r}, which this site does not support.",
            hint=f"Use one of {', '.join(ALGORITHMS)}.",
            check_id="jwt_sessions.E010",
        )
    path = keys_file()
    try:
        st = path.stat()
    except FileNotFoundError:
        raise KeySetError(
            f"{algorithm} needs a key file, and JWT_KEYS_FILE ({path}) does not exist.",
            hint="Create it with: python manage.py jwt_keys generate "
            f"--algorithm {algorithm}",
            check_id="jwt_sessions.E011",
        ) from None
    except OSError as exc:
        raise unreadable(path, exc) from exc
    # The whole identity of the file's version: jwt_keys writes a new file
    # (new inode) with a strictly later mtime every time.
    return _file_key_set(str(path), st.st_mtime_ns, st.st_size, st.st_ino, algorithm)


# How stale the key set a token seen before is checked against may be.
RECENT_FOR = 0.020
# (the key set, time.monotonic() before it was looked up): recent_key_set's.
_recent = [None, float("-inf")]


def recent_key_set() -> KeySet:
    """Return get_key_set() as it was at most RECENT_FOR (20 ms) ago.

    For a token seen before (tokens.verified_access_token), on every
    request: with a key file, get_key_set() makes a stat() of it, a system
    call that inside a request cost more than all the rest of its
    authentication (about 20 µs on a virtual machine, `make bench`). A key
    file replaced by another process (`jwt_keys` runs in a process of its
    own) is seen within RECENT_FOR, inside the 50 ms in which every process
    refuses a revocation; one written by this process (write_key_file), or
    a change of settings, at once. A token not seen before is verified
    against get_key_set() itself.
    """
    key_set, looked_up_at = _recent
    now = time.monotonic()
    if now - looked_up_at < RECENT_FOR:
        return key_set
    key_set = get_key_set()
    _recent[:] = (key_set, now)
    return key_set


def _forget_recent_key_set(**kwargs) -> None:
    _recent[:] = (None, float("-inf"))


setting_changed.connect(_forget_recent_key_set)


def ensure_key_set_usable() -> None:
    """Raise ImproperlyConfigured (KeySetError) unless tokens can be signed."""
    get_key_set()


def hmac_kid(secret: str | bytes) -> str:
    """Return the kid of an HMAC secret: a hash prefix, never the secret."""
    if isinstance(secret, str):
        secret = secret.encode()
    return hashlib.sha256(secret).hexdigest()[:16]


def _hmac_key_set(algorithm: str, secret: str) -> KeySet:
    size = len(secret.encode())
    if size < MIN_HMAC_KEY_BYTES:
        raise KeySetError(
            f"The JWT signing key is {size} bytes; {algorithm} needs at least "
            f"{MIN_HMAC_KEY_BYTES}.",
            hint="Set JWT_SIGNING_KEY to a long random value, e.g. the output "
            "of: python -c 'import secrets; print(secrets.token_urlsafe(64))'",
            check_id="jwt_sessions.E001",
        )
    key = Key(
        kid=hmac_kid(secret),
        algorithm=algorithm,
        signing_key=secret,
        verifying_key=secret,
    )
    return KeySet(
        algorithm=algorithm, active=key, verifying=MappingProxyType({key.kid: key})
    )


def unreadable(path, exc) -> KeySetError:
    return KeySetError(
        f"The key file {path} (JWT_KEYS_FILE) cannot be read: {exc}.",
        hint="Make it a JWK Set that `python manage.py jwt_keys generate` wrote, "
        "readable by the user the site runs as.",
        check_id="jwt_sessions.E012",
    )


def read_key_file(path: Path) -> dict:
    """Return the raw JSON of a key file; raise KeySetError if it is no key set."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise unreadable(path, exc) from exc
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise unreadable(path, 'no "keys" list at the top level')
    return data


@lru_cache(maxsize=8)
def _file_key_set(path: str, mtime_ns, size, inode, algorithm: str) -> KeySet:
    return parse_key_set(read_key_file(Path(path)), algorithm, source=path)


def parse_key_set(data: dict, algorithm: str, *, source: str = "") -> KeySet:
    """Return the KeySet a key file's JSON describes for `algorithm`."""
    keys = {}
    for position, jwk in enumerate(data["keys"], start=1):
        key = parse_key(jwk, algorithm, where=f"{source} key #{position}")
        if key.kid in keys:
            raise KeySetError(
                f"The kid {key.kid!r} is used by more than one key in {source}.",
                hint="Give each key its own kid (or remove the duplicate); "
                "`jwt_keys generate` uses the key's RFC 7638 thumbprint.",
                check_id="jwt_sessions.E014",
            )
        keys[key.kid] = key
    active = keys.get(data.get("active"))
    if active is None or active.signing_key is None:
        raise KeySetError(
            f'{source} has no active signing key ("active" is {data.get("active")!r}).',
            hint="Make one of its keys, with its private part, active: "
            "python manage.py jwt_keys activate KID (see jwt_keys list).",
            check_id="jwt_sessions.E016",
        )
    return KeySet(algorithm=algorithm, active=active, verifying=MappingProxyType(keys))


def parse_key(jwk, algorithm: str, *, where: str) -> Key:
    """Return the Key of one JWK of a key file, checked against `algorithm`."""
    if not isinstance(jwk, dict):
        raise _bad_key(where, "it is not a JSON object")
    kid = jwk.get("kid")
    if not isinstance(kid, str) or not KID_PATTERN.fullmatch(kid):
        raise _bad_key(
            where, f"its kid {kid!r} is not 1-64 of A-Z a-z 0-9 _ - (no leading -)"
        )
    where = f"{where} (kid {kid})"
    kty, crv = ASYMMETRIC_ALGORITHMS[algorithm]
    if (
        jwk.get("kty") != kty
        or jwk.get("crv") != crv
        or jwk.get("alg", algorithm) != algorithm
        or jwk.get("use", "sig") != "sig"
    ):
        raise KeySetError(
            f"{where} is a {jwk.get('alg') or jwk.get('kty')} key "
            f"(kty {jwk.get('kty')!r}, crv {jwk.get('crv')!r}), which does not fit "
            f"JWT_ALGORITHM={algorithm}.",
            hint=f"Set JWT_ALGORITHM to the keys' algorithm, or generate {algorithm} "
            f"keys: python manage.py jwt_keys generate --algorithm {algorithm}",
            check_id="jwt_sessions.E015",
        )
    try:
        parsed = jwt.PyJWK(jwk, algorithm).key
    except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError) as exc:
        raise _bad_key(where, f"it is not a valid {algorithm} JWK ({exc})") from exc
    private = isinstance(
        parsed,
        rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey,
    )
    public = parsed.public_key() if private else parsed
    if isinstance(public, rsa.RSAPublicKey) and public.key_size < MIN_RSA_KEY_BITS:
        raise KeySetError(
            f"{where} is a {public.key_size}-bit RSA key; RS256 needs at least "
            f"{MIN_RSA_KEY_BITS} bits.",
            hint="Generate a new key (python manage.py jwt_keys generate), "
            "activate it and retire this one.",
            check_id="jwt_sessions.E013",
        )
    return Key(
        kid=kid,
        algorithm=algorithm,
        signing_key=parsed if private else None,
        verifying_key=public,
        public_jwk=public_jwk(public, kid=kid, algorithm=algorithm),
        created_at=jwk.get("created_at"),
        deactivated_at=jwk.get("deactivated_at"),
    )


def _bad_key(where, why) -> KeySetError:
    return KeySetError(
        f"{where} cannot be used: {why}.",
        hint="Fix or remove it; `python manage.py jwt_keys generate` writes "
        "valid keys.",
        check_id="jwt_sessions.E012",
    )


def public_jwk(public_key, *, kid: str, algorithm: str) -> dict:
    """Return the publishable JWK of a public key: no private member, ever."""
    # Built from the public key object, not copied from the file, so a
    # private parameter cannot slip through whatever the file holds.
    jwk = jwt.get_algorithm_by_name(algorithm).to_jwk(public_key, as_dict=True)
    jwk.update(kid=kid, alg=algorithm, use="sig")
    return {name: jwk[name] for name in PUBLIC_MEMBERS if name in jwk}


def thumbprint(jwk: dict) -> bytes:
    """Return a JWK's RFC 7638 SHA-256 thumbprint."""
    members = {name: jwk[name] for name in THUMBPRINT_MEMBERS[jwk["kty"]]}
    return hashlib.sha256(
        json.dumps(members, sort_keys=True, separators=(",", ":")).encode()
    ).digest()


def kid_of(jwk: dict) -> str:
    """Return the kid `jwt_keys generate` gives a key: its thumbprint, in hex.

    Hex rather than RFC 7638's base64url, which may begin with "-" and then
    reads as an option to `jwt_keys activate`; 128 bits name a key well enough.
    """
    return thumbprint(jwk).hex()[:32]


def new_private_jwk(algorithm: str, *, created_at: int) -> dict:
    """Return a freshly generated private key of `algorithm` as a JWK."""
    if algorithm == "RS256":
        private_key = rsa.generate_private_key(
            public_exponent=65537, key_size=RSA_KEY_BITS
        )
    elif algorithm == "ES256":
        private_key = ec.generate_private_key(ec.SECP256R1())
    elif algorithm == "EdDSA":
        private_key = ed25519.Ed25519PrivateKey.generate()
    else:
        raise ValueError(f"No key file keys for {algorithm}.")
    jwk = jwt.get_algorithm_by_name(algorithm).to_jwk(private_key, as_dict=True)
    jwk.update(
        kid=kid_of(jwk),
        alg=algorithm,
        use="sig",
        created_at=created_at,
        deactivated_at=None,
    )
    return jwk


def write_key_file(path: Path, data: dict) -> None:
    """Replace the key file atomically, owner-readable only (it holds secrets)."""
    previous_mtime = path.stat().st_mtime_ns if path.exists() else 0
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh, indent=2)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        # Processes cache the parsed file by its mtime: make sure it moves,
        # even for two writes within one tick of the file system's clock.
        now = max(previous_mtime + 1, os.stat(tmp).st_mtime_ns)
        os.utime(tmp, ns=(now, now))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    # This process sees its own change at once.
    _forget_recent_key_set()


def file_is_private(path: Path) -> bool:
    return not stat.S_IMODE(path.stat().st_mode) & 0o077
