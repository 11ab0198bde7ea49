"""Write the seed corpus, `tests/fuzz/corpus/`: `python -m tests.fuzz.make_corpus`.

Real tokens minted by the site's own classes (HS256 with the harness's key,
and RS256, ES256 and EdDSA with throwaway keys), some expired and some whose
session does not exist, then broken in the ways attackers break them. The
live tokens of a real login cannot be committed (they expire, and their
session exists only in one run's database): the harness adds its own at
start-up, and the `SIGN` seeds stand for them (see `tests/fuzz/target.py`).
Run again when the claims change; the files differ each time (random `jti`,
`sid` and keys), which is harmless.
"""

import base64
import json
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

import time_machine

from tests.fuzz.fuzz_tokens import HERE, configure_environment

CORPUS = HERE / "corpus"
# Minted at this instant, so they are long expired whenever they are used.
MINTED_AT = datetime(2026, 1, 1, tzinfo=UTC)
# Tokens that are still good in 2099, for paths behind the expiry check.
FAR_FUTURE = 4_102_444_800


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def minted_pair(refresh_class) -> tuple[str, str]:
    """Return (access, refresh) as the site issues them, for a random session."""
    with time_machine.travel(MINTED_AT, tick=False):
        refresh = refresh_class()
        refresh["user_id"] = "1"
        refresh["auth_time"] = int(MINTED_AT.timestamp())
        refresh["sid"] = str(uuid.uuid4())
        return str(refresh.access_token), str(refresh)


def seeds() -> dict[str, bytes]:
    """Return the seed inputs by file name."""
    from django.core.management import call_command
    from django.test import override_settings

    from jwt_sessions.tokens import AccessToken, RefreshToken

    access, refresh = minted_pair(RefreshToken)
    header, payload, signature = access.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    far_future = datetime.fromtimestamp(FAR_FUTURE, UTC)
    unexpired_refresh = RefreshToken(refresh, verify=False)
    unexpired_refresh.set_exp(from_time=far_future, lifetime=timedelta(0))
    unexpired_access = AccessToken(access, verify=False)
    unexpired_access.set_exp(from_time=far_future, lifetime=timedelta(0))
    none_header = b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    result = {
        "hs256-access-expired": access,
        "hs256-refresh-expired": refresh,
        "hs256-access-unknown-session": str(unexpired_access),
        "hs256-refresh-unknown-session": str(unexpired_refresh),
        "truncated-no-signature": f"{header}.{payload}",
        "truncated-half": access[: len(access) // 2],
        "four-segments": f"{access}.{signature}",
        "padded-with-equals": f"{header}==.{payload}.{signature}",
        "alg-none": f"{none_header}.{payload}.",
        "alg-none-with-signature": f"{none_header}.{payload}.{signature}",
        "non-ascii": f"{header}\u00e9.{payload}.{signature}",
        "latin-1-bytes": "\xff\xfe\x00" + access,
        "whitespace-inside": f"{header}. {payload}.{signature}",
        "cookie-syntax": f'"{access}"; other=1',
        "huge-header": f"{b64(json.dumps({'alg': 'HS256', 'x': 'A' * 3000}).encode())}"
        f".{payload}.{signature}",
        "past-serializer-limit": f"{header}.{'A' * 8200}.{signature}",
        "JSON-nested-arrays": "JSON\n" + "[" * 190 + "\n{}\nx",
        "JSON-our-header": "JSON\n"
        + json.dumps({"alg": "$ALG", "kid": "$KID", "typ": "JWT"})
        + "\n"
        + json.dumps(claims)
        + "\nnot the signature",
        "SIGN-live-access": sign_seed("access", jti="a-jti"),
        "SIGN-live-refresh": sign_seed("refresh", jti="$JTI"),
    }
    # Tokens of the other algorithms, with keys of their own.
    keys = Path(tempfile.mkdtemp()) / "jwt-keys.json"
    for algorithm in ("RS256", "ES256", "EdDSA"):
        keys.unlink(missing_ok=True)
        with override_settings(JWT_KEYS_FILE=keys, JWT_ALGORITHM=algorithm):
            call_command("jwt_keys", "generate", stdout=StringIO(), stderr=StringIO())
            other_access, _ = minted_pair(RefreshToken)
        result[f"{algorithm.lower()}-access-expired"] = other_access
    return {name: value.encode("latin-1") for name, value in result.items()}


def sign_seed(token_type: str, *, jti: str) -> str:
    """Return a SIGN input: claims of the live session, signed by the harness."""
    header = '{"alg":"$ALG","kid":"$KID","typ":"JWT"}'
    payload = (
        f'{{"token_type":"{token_type}","exp":{FAR_FUTURE},"iat":$NOW,'
        f'"jti":"{jti}","user_id":"$USER","auth_time":$NOW,"sid":"$SID",'
        '"iss":"$ISS","aud":"$AUD"}'
    )
    return f"SIGN\n{header}\n{payload}"


def main() -> None:
    configure_environment(Path(tempfile.mkdtemp(prefix="authsite-corpus-")))
    import django

    django.setup()
    CORPUS.mkdir(exist_ok=True)
    for name, data in seeds().items():
        (CORPUS / name).write_bytes(data)


if __name__ == "__main__":
    main()
