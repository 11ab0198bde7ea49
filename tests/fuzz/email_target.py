"""One fuzz input for the emailed links' token parser; the invariant.

Shared by the atheris harness (`tests/fuzz/fuzz_email_links.py`, run by
`make fuzz` after the token harness) and the replay of the committed inputs
under pytest (`tests/fuzz/test_committed_email_inputs.py`).

An input is the token's text (each byte one character), unless its first
line is `SIGN`: the rest is then a payload signed here, as the site signs
its links (salt and all), so mutations reach the checks behind the
signature. In it `$USER` and `$EMAIL` become the harness user's id and
address.

The invariant: `read_token` returns an EmailLink or raises LinkRefused
(nothing else); POST /api/email/verify/ answers 200, 400, 409 or 410 and
the link's page 200, 400, 404, 409 or 410, never 5xx; nothing is logged at
ERROR. Each input runs in a transaction that is rolled back.
"""

import contextlib
from urllib.parse import quote

from django.core import signing
from django.db import transaction
from django.test import Client

from accounts import email_tokens
from tests.fuzz.target import InvariantBroken, _errors_logged

API_STATUSES = {200, 400, 409, 410}
PAGE_STATUSES = {200, 400, 404, 409, 410}


def token_text(data: bytes, *, user_id: int, email: str) -> str:
    """Return the token an input stands for (see the module docstring)."""
    mode, _, rest = data.partition(b"\n")
    if mode == b"SIGN":
        rest = rest.replace(b"$USER", str(user_id).encode())
        rest = rest.replace(b"$EMAIL", email.encode())
        return signing.TimestampSigner(salt=email_tokens.SALT).sign(
            signing.b64_encode(rest).decode()
        )
    return data.decode("latin-1")


class _Rollback(Exception):
    pass


def check(data: bytes, *, user_id: int, email: str) -> None:
    """Send one input everywhere a link's token is read; raise if it misbehaves."""
    token = token_text(data, user_id=user_id, email=email)
    try:
        with _errors_logged() as errors, transaction.atomic():
            # Raises nothing else: anything else is the harness's crash.
            with contextlib.suppress(email_tokens.LinkRefused):
                email_tokens.read_token(token)
            api = Client().post(
                "/api/email/verify/", {"token": token}, content_type="application/json"
            )
            if api.status_code not in API_STATUSES:
                raise InvariantBroken(f"API answered {api.status_code}: {token!r}")
            page = Client().get(f"/accounts/email/verify/{quote(token, safe='')}/")
            if page.status_code not in PAGE_STATUSES:
                raise InvariantBroken(f"page answered {page.status_code}: {token!r}")
            if errors:
                raise InvariantBroken(f"logged at ERROR: {errors[0].getMessage()}")
            raise _Rollback
    except _Rollback:
        pass
