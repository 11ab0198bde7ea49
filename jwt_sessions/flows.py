"""Half-finished logins, kept without a server session.

A step that needs another before it logs anyone in (a password that wants a
second factor, a WebAuthn challenge, an identity provider's round trip)
keeps what it knows here: the data in the shared cache, under a hash of a
random id, for a few minutes; the id, signed and naming the flow's kind, in
a token that only the client that started it holds: an HttpOnly cookie for
a browser (cookies.set_flow_cookie), the `flow_token` of a JSON body for an
app. So a flow is bound to the client that started it, worthless to anyone
who reads the cache, and useless for any other kind of step. A flow is
finished once (`finish`): of two clients racing with one token, one wins.
"""

import hashlib
import secrets
from dataclasses import dataclass

from django.core import signing
from django.core.cache import cache

SALT = "jwt_sessions.flows"
# How long a flow waits for its next step, unless it says otherwise.
DEFAULT_MAX_AGE = 5 * 60
# Tokens longer than this were never ours (ours are about 120 characters).
MAX_TOKEN_LENGTH = 512


@dataclass(frozen=True)
class Flow:
    kind: str
    token: str
    data: dict
    max_age: int


def _key(flow_id: str) -> str:
    # The cache never holds the id itself: what it holds opens nothing.
    return "flow:" + hashlib.sha256(flow_id.encode()).hexdigest()


def start(kind: str, data: dict, *, max_age: int = DEFAULT_MAX_AGE) -> Flow:
    """Start a flow of `kind` holding `data` (JSON-able); return it with its token."""
    flow_id = secrets.token_urlsafe(32)
    cache.set(_key(flow_id), {"kind": kind, "data": data}, timeout=max_age)
    token = signing.dumps({"kind": kind, "id": flow_id}, salt=SALT, compress=False)
    return Flow(kind=kind, token=token, data=data, max_age=max_age)


def _flow_id(kind: str, token, max_age: int) -> str | None:
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    try:
        signed = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.BadSignature:
        return None
    if not isinstance(signed, dict) or signed.get("kind") != kind:
        return None
    flow_id = signed.get("id")
    return flow_id if isinstance(flow_id, str) else None


def read(kind: str, token, *, max_age: int = DEFAULT_MAX_AGE) -> dict | None:
    """Return the data of the live flow `token` of `kind`, or None."""
    flow_id = _flow_id(kind, token, max_age)
    if flow_id is None:
        return None
    stored = cache.get(_key(flow_id))
    if not isinstance(stored, dict) or stored.get("kind") != kind:
        return None
    return stored["data"]


def update(kind: str, token, data: dict, *, max_age: int = DEFAULT_MAX_AGE) -> bool:
    """Replace the data of a live flow; return whether it lived."""
    flow_id = _flow_id(kind, token, max_age)
    if flow_id is None or read(kind, token, max_age=max_age) is None:
        return False
    # The cache entry gets a new timeout, but the token's signed timestamp
    # still ends the flow when it would have ended anyway.
    cache.set(_key(flow_id), {"kind": kind, "data": data}, timeout=max_age)
    return True


def finish(kind: str, token, *, max_age: int = DEFAULT_MAX_AGE) -> dict | None:
    """End the flow `token` and return its data; None if it had ended already.

    Only one caller ever gets the data of a flow: the cache's delete says
    whether this call removed it.
    """
    flow_id = _flow_id(kind, token, max_age)
    if flow_id is None:
        return None
    data = read(kind, token, max_age=max_age)
    if data is None or not cache.delete(_key(flow_id)):
        return None
    return data
