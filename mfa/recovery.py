"""Recovery codes: ten single-use codes, shown once, kept as keyed hashes."""

import secrets

from . import vault

COUNT = 10
# Crockford's base32 without the letters people misread: 12 of them is 60
# bits, far beyond guessing under the login lockout.
ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
GROUPS, GROUP_LENGTH = 3, 4


def generate() -> list[str]:
    """Return COUNT new codes, written as xxxx-xxxx-xxxx."""
    return [
        "-".join(
            "".join(secrets.choice(ALPHABET) for _ in range(GROUP_LENGTH))
            for _ in range(GROUPS)
        )
        for _ in range(COUNT)
    ]


def normalise(code: str) -> str:
    """Return a typed code as it was generated: lower case, no spaces or dashes."""
    text = "".join(str(code).lower().split()).replace("-", "")
    return text.translate(str.maketrans({"o": "0", "i": "1", "l": "1"}))


def looks_like_one(code: str) -> bool:
    text = normalise(code)
    return len(text) == GROUPS * GROUP_LENGTH and set(text) <= set(ALPHABET)


def hashes_of(codes: list[str]) -> list[str]:
    return [vault.keyed_hash(normalise(code)) for code in codes]


def index_of(code: str, hashes: list[str]) -> int | None:
    """Return which stored hash `code` is, or None."""
    if not looks_like_one(code):
        return None
    text = normalise(code)
    for index, digest in enumerate(hashes):
        if vault.matches_keyed_hash(text, digest):
            return index
    return None
