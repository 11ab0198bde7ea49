"""One fuzz input, sent everywhere a client's token is read; the invariant.

Shared by the atheris harness (`tests/fuzz/fuzz_tokens.py`, `make fuzz`) and
the replay of the committed inputs under pytest
(`tests/fuzz/test_committed_inputs.py`, `make test`), so the fuzzer and the
test suite check one and the same thing.

An input is the text of a token as a client sends it (each byte one
character, as a WSGI server hands headers over), unless its first line is:

- `JSON`: the next three lines are the header, the payload and the
  signature, base64url-encoded here. Mutations then change the JSON itself
  (issue 12's nesting lives there, not in its base64).
- `SIGN`: the next two lines are the header and the payload, signed here
  with the site's active key, so mutations reach the checks behind the
  signature.

In both, `$ALG`, `$KID`, `$ISS`, `$AUD` and `$NOW` become the algorithm,
the active kid, the issuer, the audience and the time, and `$SID`, `$USER`
and `$JTI` the live session's id, its user's id and its refresh token's
jti.

The invariant: constructing AccessToken or RefreshToken raises TokenError
or nothing; every request answers 200, 400 or 401 (never 5xx, never an
exception); a token the classes refuse is refused over HTTP too, and its
cookie is deleted; nothing is logged at ERROR. Each request runs in a
transaction that is rolled back, so a live refresh token rotated by one
request is live again for the next.
"""

import base64
import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass

import jwt
from django.conf import settings
from django.db import transaction
from django.http import parse_cookie
from django.test import Client
from django.urls import reverse
from rest_framework_simplejwt.exceptions import TokenError

from jwt_sessions.keys import get_key_set
from jwt_sessions.tokens import SESSION_ID_CLAIM, AccessToken, RefreshToken


class InvariantBroken(AssertionError):
    """An input got an answer the site promises never to give."""


@dataclass(frozen=True)
class Live:
    """The login session an input's `$` placeholders name."""

    sid: str
    user_id: str
    refresh_jti: str

    @classmethod
    def of(cls, refresh: str) -> "Live":
        token = RefreshToken(refresh)
        return cls(
            sid=token[SESSION_ID_CLAIM],
            user_id=token["user_id"],
            refresh_jti=token["jti"],
        )


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token_text(data: bytes, live: Live | None = None) -> str:
    """Return the token an input stands for (see the module docstring)."""
    mode, _, rest = data.partition(b"\n")
    if mode == b"JSON":
        parts = [*rest.split(b"\n", 2), b"", b""][:3]
        return ".".join(b64(_filled_in(part, live)) for part in parts)
    if mode == b"SIGN":
        header, _, payload = rest.partition(b"\n")
        return _signed(_filled_in(header, live), _filled_in(payload, live))
    return data.decode("latin-1")


def _filled_in(part: bytes, live: Live | None) -> bytes:
    key = get_key_set().active
    values = {
        b"$ALG": key.algorithm,
        b"$KID": key.kid,
        b"$ISS": settings.JWT_ISSUER,
        b"$AUD": settings.JWT_AUDIENCE,
        b"$NOW": str(int(time.time())),
    }
    if live is not None:
        values |= {b"$SID": live.sid, b"$USER": live.user_id, b"$JTI": live.refresh_jti}
    for placeholder, value in values.items():
        part = part.replace(placeholder, value.encode())
    return part


def _signed(header: bytes, payload: bytes) -> str:
    key = get_key_set().active
    algorithm = jwt.get_algorithm_by_name(key.algorithm)
    signing_input = f"{b64(header)}.{b64(payload)}"
    signature = algorithm.sign(
        signing_input.encode(), algorithm.prepare_key(key.signing_key)
    )
    return f"{signing_input}.{b64(signature)}"


class _ErrorRecords(logging.Handler):
    def __init__(self):
        super().__init__(logging.ERROR)
        self.records = []

    def emit(self, record):
        self.records.append(record)


@contextmanager
def _errors_logged():
    handler = _ErrorRecords()
    logging.getLogger().addHandler(handler)
    try:
        yield handler.records
    finally:
        logging.getLogger().removeHandler(handler)


def _refused(token_class, raw) -> bool:
    # Anything but TokenError escapes: the harness reports it as a crash.
    try:
        token_class(raw)
    except TokenError:
        return True
    return False


def _expect(condition: bool, channel: str, token: str, response=None) -> None:
    if not condition:
        answer = "" if response is None else f" answered {response.status_code}"
        raise InvariantBroken(f"{channel}{answer} for {token[:300]!r}")


def _cookie_deleted(response, name: str) -> bool:
    return name in response.cookies and response.cookies[name].value == ""


def check(data: bytes, live: Live | None = None) -> None:
    """Send one input everywhere a token is read; raise if the invariant breaks."""
    token = token_text(data, live)
    with _errors_logged() as errors:
        _check_token(token)
    _expect(not errors, f"logged {[r.getMessage() for r in errors]}", token)


def _answer(method: str, url: str, **kwargs):
    # A new client, so no cookie an answer set rides on the next request,
    # and a transaction rolled back, so every request finds the login as it
    # was (a rotation or logout by one does not change what the next sees).
    with transaction.atomic():
        response = getattr(Client(), method)(url, **kwargs)
        transaction.set_rollback(True)
    return response


def _check_token(token: str) -> None:
    access_name = settings.JWT_COOKIE_ACCESS_NAME
    refresh_name = settings.JWT_COOKIE_REFRESH_NAME
    raw = token.encode("latin-1")
    access_refused = _refused(AccessToken, token)
    refresh_refused = _refused(RefreshToken, token)
    # The Bearer header arrives as bytes, the cookie as text: one verdict.
    _expect(_refused(AccessToken, raw) == access_refused, "bytes vs text", token)

    # Unless the cookie syntax cuts the value short (or it is empty, which is
    # no cookie at all), a cookie carries exactly the token.
    whole = bool(token) and parse_cookie(f"{access_name}={token}") == {
        access_name: token
    }
    me = reverse("api:me")
    cookies = ((access_name, access_refused), (refresh_name, refresh_refused))
    for name, refused in cookies:
        response = _answer("get", me, HTTP_COOKIE=f"{name}={token}")
        _expect(response.status_code in (200, 401), name, token, response)
        if refused and whole:
            _expect(response.status_code == 401, name, token, response)
            _expect(_cookie_deleted(response, name), f"{name} kept", token, response)

    response = _answer("get", me, HTTP_AUTHORIZATION=f"Bearer {token}")
    _expect(response.status_code in (200, 401), "Bearer", token, response)
    parts = b"Bearer " + raw
    if response.status_code == 200:
        # SimpleJWT splits the header on whitespace; what it took must pass.
        _expect(len(parts.split()) == 2, "Bearer split", token, response)
        _expect(not _refused(AccessToken, parts.split()[1]), "Bearer", token, response)

    both = f"{access_name}={token}; {refresh_name}={token}"
    page = _answer("get", reverse("home"), HTTP_COOKIE=both)
    _expect(page.status_code == 200, "home page", token, page)
    if access_refused and refresh_refused and whole:
        # The page as an anonymous visitor, and the stale cookies go.
        for name in (access_name, refresh_name):
            _expect(_cookie_deleted(page, name), f"page kept {name}", token, page)

    # DRF's CharField strips the value; what it passes on must pass.
    stripped = token.strip()
    for url, field, classes in (
        ("api:token-verify", "token", (AccessToken, RefreshToken)),
        ("api:app-token-refresh", "refresh", (RefreshToken,)),
        ("api:app-token-blacklist", "refresh", (RefreshToken,)),
    ):
        response = _answer(
            "post", reverse(url), data={field: token}, content_type="application/json"
        )
        _expect(response.status_code in (200, 400, 401), url, token, response)
        if response.status_code == 200:
            accepted = any(not _refused(cls, stripped) for cls in classes)
            _expect(accepted, url, token, response)
