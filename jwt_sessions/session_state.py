"""Whether a login session is still alive (and whose), from the shared cache.

Every request authenticated by an access token asks; the cache answers in the
steady state (Redis when configured, else Django's database cache) and the
database answers on a miss or when the cache is unreachable, so a revoked
session is refused by every process on its next request.
"""

import logging
import uuid

from django.core.cache import cache
from django.db import transaction

from .app_settings import app_settings
from .models import Session

logger = logging.getLogger("jwt_sessions")

# Cached per session: the id of its user while it is alive, else REVOKED.
REVOKED = "revoked"


def _key(sid: str) -> str:
    return f"sid:{sid}"


def _timeout() -> int:
    # An access token lives no longer than this, so neither need the answer.
    return max(1, int(app_settings.ACCESS_TOKEN_LIFETIME.total_seconds()))


def _user_of_active_session_in_database(sid: str) -> int | None:
    return (
        Session.objects.active()
        .filter(pk=sid, user__is_active=True)
        .values_list("user_id", flat=True)
        .first()
    )


def active_session_user_id(sid: str) -> int | None:
    """Return the user id of session `sid` if it may still authenticate."""
    try:
        uuid.UUID(sid)
    except (TypeError, ValueError, AttributeError):
        return None
    try:
        state = cache.get(_key(sid))
    except Exception:
        # Refusing everyone would be an outage; trusting the token would
        # accept revoked sessions. The database knows the truth.
        logger.warning("cache unreachable; session %s checked in the database", sid)
        return _user_of_active_session_in_database(sid)
    if state is not None:
        return None if state == REVOKED else state
    user_id = _user_of_active_session_in_database(sid)
    try:
        # add(), not set(): a revocation that landed since the database was
        # read has already written its answer, and must not be overwritten.
        cache.add(
            _key(sid), REVOKED if user_id is None else user_id, timeout=_timeout()
        )
    except Exception:
        logger.warning("cache unreachable; session %s state not cached", sid)
    return user_id


def mark_revoked(sids) -> None:
    """Make every process refuse the sessions `sids` from their next request."""
    keys = [_key(str(sid)) for sid in sids]
    if not keys:
        return
    try:
        # Forget the cached answer now, so the next check reads the database
        # (this transaction's own connection already sees the revocation)...
        cache.delete_many(keys)
    except Exception:
        logger.error("cache unreachable; %d revocations not cached", len(keys))
        return
    # ...and once it is committed, tell everyone without a database read.
    transaction.on_commit(lambda: _store_revoked(keys))


def _store_revoked(keys) -> None:
    try:
        cache.set_many(dict.fromkeys(keys, REVOKED), timeout=_timeout())
    except Exception:
        logger.error("cache unreachable; %d revocations not cached", len(keys))
