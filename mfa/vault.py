"""What a second factor keeps at rest: sealed, or hashed with a key.

An authenticator app's secret must be read back to check a code, so it is
encrypted (Fernet, from `cryptography`) with a key derived from SECRET_KEY
for this one purpose (HKDF); SECRET_KEY_FALLBACKS still open what older
keys sealed, so rotating SECRET_KEY as Django documents keeps every
authenticator working. Recovery codes need only be recognised: they are
kept as HMACs under the same keys, never as the codes. A copy of the
database alone opens nothing.
"""

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

PURPOSE = b"authsite.mfa: second-factor secrets at rest"
HASH_SALT = "mfa.recovery-code"


class Unreadable(Exception):
    """A sealed value that none of the current keys opens."""


def _keys() -> list[str]:
    return [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]


def _fernet(secret: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=PURPOSE).derive(
        secret.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def seal(text: str) -> str:
    """Return `text` encrypted with the current key."""
    return (
        MultiFernet([_fernet(key) for key in _keys()]).encrypt(text.encode()).decode()
    )


def unseal(sealed: str) -> str:
    """Return what `seal` was given; raise Unreadable if no key opens it."""
    try:
        return (
            MultiFernet([_fernet(key) for key in _keys()])
            .decrypt(sealed.encode())
            .decode()
        )
    except (InvalidToken, AttributeError, TypeError) as exc:
        raise Unreadable from exc


def keyed_hash(value: str) -> str:
    """Return the HMAC of `value` under the current key."""
    return salted_hmac(HASH_SALT, value, algorithm="sha256").hexdigest()


def matches_keyed_hash(value: str, digest: str) -> bool:
    """Return whether `digest` is the HMAC of `value` under any current key."""
    return any(
        constant_time_compare(
            salted_hmac(HASH_SALT, value, secret=key, algorithm="sha256").hexdigest(),
            digest,
        )
        for key in _keys()
    )
