"""Whether a login session is still alive (and whose).

Every request authenticated by an access token asks. In the steady state
this process answers from its own memory, without a query or a round trip,
as long as the revocation feed (revocation_feed.py: Redis, or the
database's own) vouches that it has heard of every revocation made
anywhere. Otherwise the shared cache answers (Redis, or Django's database
cache), and the database on a miss or when the cache is unreachable: a
revoked session is refused by every process on its next request either
way.
"""

import logging
import threading
import time
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connections, transaction
from django.db.backends.signals import connection_created
from django.dispatch import receiver

from .app_settings import app_settings
from .models import Session
from .revocation_feed import (
    PostgresRevocationFeed,
    RevocationFeed,
    SQLiteRevocationFeed,
)

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


class ProcessMemory:
    """The sessions this process found alive, until told or unsure otherwise."""

    # Even with the feed vouching, an answer is asked again after this long:
    # a revocation whose publication failed (its process could not reach
    # Redis, though this one can) is refused by then all the same.
    REMEMBER_FOR = 1.0
    MAX_SESSIONS = 100_000

    def __init__(self):
        self.alive: dict[str, tuple] = {}
        # Moves on every revocation heard and every gap: an answer read while
        # it moved may be older than the revocation, and is not remembered.
        self.generation = 0
        self.lock = threading.Lock()

    def recall(self, sid: str) -> int | None:
        entry = self.alive.get(sid)
        if entry is None or time.monotonic() - entry[1] > self.REMEMBER_FOR:
            return None
        return entry[0]

    def remember(self, sid: str, user_id, *, generation: int) -> None:
        with self.lock:
            if generation != self.generation:
                return
            if len(self.alive) >= self.MAX_SESSIONS:
                self.alive.clear()
            self.alive[sid] = (user_id, time.monotonic())

    def forget(self, sids) -> None:
        with self.lock:
            self.generation += 1
            for sid in sids:
                self.alive.pop(str(sid), None)

    def forget_everything(self) -> None:
        with self.lock:
            self.generation += 1
            self.alive.clear()


memory = ProcessMemory()
Feed = RevocationFeed | PostgresRevocationFeed | SQLiteRevocationFeed
_feeds: dict[str, Feed] = {}
# What revocation_feed() found, as app_settings remembers it: (key, feed).
FEED_FOUND = "revocation feed"


def revocation_feed() -> Feed | None:
    """Return this process's revocation feed; None: every check is direct.

    Redis's when JWT_REVOCATION_FEED_URL is set; else the default
    database's own: on SQLite (one machine) the database file's commit
    counter, on PostgreSQL its LISTEN/NOTIFY (with psycopg 3); else none.
    """
    # Every request asks: what was found is remembered as a setting is, and
    # also forgotten when the default database connects anew
    # (_forget_the_feed_found).
    key, feed = app_settings.derived(FEED_FOUND, _find_feed)
    if key is None or _feeds.get(key) is feed:
        return feed
    # Closed and forgotten since (tests do): made again.
    app_settings.forget(FEED_FOUND)
    return app_settings.derived(FEED_FOUND, _find_feed)[1]


def _find_feed() -> tuple[str | None, Feed | None]:
    return _feed_for(app_settings.REVOCATION_FEED_URL, settings.DATABASES["default"])


@receiver(connection_created)
def _forget_the_feed_found(sender, connection, **kwargs) -> None:
    # The test runner renames the database in place, which no
    # setting_changed announces; the connection made next is to the new one.
    if connection.alias == "default":
        app_settings.forget(FEED_FOUND)


# Held while a feed is made: two threads do not make two feeds for one key.
_making = threading.Lock()


def _feed_for(url, params) -> tuple[str | None, Feed | None]:
    engine = params["ENGINE"]
    if url:
        key = url
    elif engine == "django.db.backends.sqlite3":
        key = f"sqlite:{params['NAME']}"
    elif (
        engine == "django.db.backends.postgresql" and PostgresRevocationFeed.available()
    ):
        key = f"postgresql:{params['HOST']}:{params['PORT']}/{params['NAME']}"
    else:
        return None, None
    feed = _feeds.get(key)
    if feed is None:
        with _making:
            feed = _feeds.get(key) or _make_feed(key, url)
    return key, feed


def _make_feed(key: str, url: str | None) -> Feed:
    database = connections["default"]
    if url:
        feed = RevocationFeed(
            url, on_revoked=memory.forget, on_gap=memory.forget_everything
        )
    elif database.vendor == "sqlite":
        feed = SQLiteRevocationFeed(
            database.settings_dict["NAME"], on_gap=memory.forget_everything
        )
    else:
        feed = PostgresRevocationFeed(
            using="default",
            on_revoked=memory.forget,
            on_gap=memory.forget_everything,
        )
    _feeds[key] = feed
    return feed


def active_session_user_id(sid: str) -> int | None:
    """Return the user id of session `sid` if it may still authenticate."""
    feed = revocation_feed()
    if feed is None:
        return _shared_answer(sid)
    if feed.vouches():
        user_id = memory.recall(sid)
        if user_id is not None:
            return user_id
    generation = memory.generation
    user_id = _shared_answer(sid)
    if user_id is not None:
        memory.remember(sid, user_id, generation=generation)
    return user_id


def _shared_answer(sid: str) -> int | None:
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
    sids = [str(sid) for sid in sids]
    if not sids:
        return
    # This process refuses them at once...
    memory.forget(sids)
    keys = [_key(sid) for sid in sids]
    try:
        # ...the next check anywhere reads the database, whose connection in
        # this transaction already sees the revocation...
        cache.delete_many(keys)
    except Exception:
        logger.error("cache unreachable; %d revocations not cached", len(keys))
    # ...and once it is committed, every process hears of it: from the
    # transaction itself where the feed is the database's (PostgreSQL's
    # NOTIFY), else from this process after the commit.
    feed = revocation_feed()
    if feed is not None:
        feed.announce(sids)
    transaction.on_commit(lambda: _tell_everyone(sids, keys))


def _tell_everyone(sids, keys) -> None:
    # Again here: a check of this process that read the database before the
    # commit may have remembered one of them since.
    memory.forget(sids)
    feed = revocation_feed()
    if feed is not None:
        feed.publish(sids)
    try:
        cache.set_many(dict.fromkeys(keys, REVOKED), timeout=_timeout())
    except Exception:
        logger.error("cache unreachable; %d revocations not cached", len(keys))
