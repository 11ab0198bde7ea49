"""On PostgreSQL without Redis, LISTEN/NOTIFY vouches for what a process remembers.

Runs when the suite's database is PostgreSQL. The feed is the database's own
(JWT_REVOCATION_FEED_URL empty, though the suite's PostgreSQL run sets
REDIS_URL) and the shared state Django's database cache, so that a database
query is what a direct check costs and zero queries on Django's connection
proves an answer from memory (the feed listens on a connection of its own).
Another process is played as in test_revocation_feed.py, by revoking with a
memory of its own; and its revocation is committed for real
(transaction=True), since PostgreSQL delivers a NOTIFY only when its
transaction commits. The listener's server process is ours to stop and
terminate: the suite runs on the machine of its PostgreSQL.
"""

import contextlib
import os
import signal
import time
import uuid

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jwt_sessions import revocation_feed, session_state
from jwt_sessions.models import Session
from jwt_sessions.revocation_feed import (
    MAX_STALENESS,
    POSTGRES_PAYLOAD_MAX,
    PostgresRevocationFeed,
    RevocationFeed,
)
from jwt_sessions.session_state import active_session_user_id
from tests.helpers.clients import log_in

pytestmark = pytest.mark.skipif(
    django_settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="needs DATABASE_URL=postgres://... (PostgreSQL's LISTEN/NOTIFY)",
)
# The goal: refused everywhere within 50 ms of the commit.
WITHIN = 0.050


@pytest.fixture
def feed(settings, db):
    """This process's feed: the database's LISTEN, the database cache's table."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "django_cache",
        }
    }
    made_table = "django_cache" not in connection.introspection.table_names()
    call_command("createcachetable", verbosity=0)
    settings.JWT_REVOCATION_FEED_URL = ""
    session_state.memory.forget_everything()
    feed = session_state.revocation_feed()
    assert isinstance(feed, PostgresRevocationFeed)
    yield feed
    for key, value in list(session_state._feeds.items()):
        if value is feed:
            del session_state._feeds[key]
    # Its connection would keep the test database from being dropped.
    feed.close()
    if made_table:
        # Committed in a transactional test; the next module may expect none.
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE django_cache")


@pytest.fixture
def sid(client, user):
    log_in(client, user.email)
    return str(Session.objects.get(user=user).pk)


class RolledBack(Exception):
    pass


class AnotherProcess:
    """Revokes as another process would: its own memory, its own commit."""

    def __init__(self, monkeypatch):
        self.monkeypatch = monkeypatch

    @contextlib.contextmanager
    def revoking(self, *sids):
        """Revoke `sids` in a transaction that commits when the block ends."""
        with self.monkeypatch.context() as patched:
            patched.setattr(session_state, "memory", session_state.ProcessMemory())
            with transaction.atomic():
                Session.objects.filter(pk__in=sids).update(
                    revoked_at=timezone.now(),
                    revoked_reason=Session.RevokeReason.LOGOUT,
                )
                session_state.mark_revoked(sids)
                yield

    def revoke(self, *sids):
        with self.revoking(*sids):
            pass


@pytest.fixture
def elsewhere(feed, monkeypatch):
    return AnotherProcess(monkeypatch)


def queries_of(function) -> tuple:
    with CaptureQueriesContext(connection) as queries:
        answer = function()
    return answer, len(queries)


def settle(sid, user_id):
    """Check until the answer comes from memory; return how many checks it took."""
    for attempt in range(1, 200):
        answer, queries = queries_of(lambda: active_session_user_id(sid))
        assert answer == user_id
        if queries == 0:
            return attempt
        time.sleep(0.002)
    pytest.fail("the answer never came from memory")


def refused_within(sid) -> float:
    """Check every millisecond until `sid` is refused; return how long it took."""
    start = time.monotonic()
    while active_session_user_id(sid) is not None:
        if time.monotonic() - start > 2:
            pytest.fail("a revoked session was still accepted after 2 s")
        time.sleep(0.001)
    return time.monotonic() - start


def heard_within(feed, memory, sids, seconds) -> bool:
    """Drain the feed for up to `seconds`; return whether `memory` forgot `sids`."""
    deadline = time.monotonic() + seconds
    while True:
        feed.vouches()
        if all(memory.recall(sid) is None for sid in sids):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.001)


def listener_backend(feed) -> int:
    return feed.pgconn.backend_pid


def stop_listener_backend(feed) -> int:
    """SIGSTOP the listener's server process once it is idle; return its pid."""
    pid = listener_backend(feed)
    # Stopped while it committed a PING, it would hold the lock that every
    # NOTIFY takes to commit: the test's revocation would wait for it.
    if feed.outstanding is not None:
        number = feed.outstanding[0]
        deadline = time.monotonic() + 2
        while True:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT state, query FROM pg_stat_activity WHERE pid = %s", [pid]
                )
                state, query = cursor.fetchone()
            if state == "idle" and query.endswith(f":{number}'"):
                break
            assert time.monotonic() < deadline, (state, query)
            time.sleep(0.001)
    os.kill(pid, signal.SIGSTOP)
    return pid


def test_without_a_feed_url_the_database_is_the_feed(feed, settings):
    assert session_state.revocation_feed() is feed

    settings.JWT_REVOCATION_FEED_URL = "redis://127.0.0.1:1/0"
    assert isinstance(session_state.revocation_feed(), RevocationFeed)
    session_state._feeds.pop(settings.JWT_REVOCATION_FEED_URL)


def test_the_steady_state_asks_nobody(feed, sid, user):
    settle(sid, user.pk)

    for _ in range(20):
        answer, queries = queries_of(lambda: active_session_user_id(sid))
        assert (answer, queries) == (user.pk, 0)


@pytest.mark.django_db(transaction=True)
def test_a_revocation_elsewhere_is_refused_here_within_50_ms(
    feed, sid, user, elsewhere
):
    settle(sid, user.pk)

    elsewhere.revoke(sid)

    assert refused_within(sid) < WITHIN


def test_a_revocation_here_is_refused_here_at_once(feed, sid, user):
    settle(sid, user.pk)
    Session.objects.filter(pk=sid).update(revoked_at=timezone.now())

    session_state.mark_revoked([sid])

    assert active_session_user_id(sid) is None


@pytest.mark.django_db(transaction=True)
def test_a_revocation_is_heard_when_it_commits_not_before_and_never_if_rolled_back(
    feed, sid, user, other_session, other_user, elsewhere
):
    here = session_state.memory
    settle(sid, user.pk)
    settle(str(other_session.pk), other_user.pk)

    with pytest.raises(RolledBack), elsewhere.revoking(str(other_session.pk)):
        raise RolledBack
    with elsewhere.revoking(sid):
        heard_before_the_commit = heard_within(feed, here, [sid], 0.05)
    heard_after_it = heard_within(feed, here, [sid], WITHIN)

    assert not heard_before_the_commit
    assert heard_after_it
    # Told of the one, not of the other (nor forgetting everything).
    assert here.recall(str(other_session.pk)) == other_user.pk
    assert active_session_user_id(str(other_session.pk)) == other_user.pk


@pytest.mark.django_db(transaction=True)
def test_a_revocation_of_more_sessions_than_one_notification_holds_is_heard(
    feed, user, elsewhere
):
    # Each id and its comma is 37 bytes: 250 need two notifications.
    sessions = Session.objects.bulk_create(
        Session(
            user=user,
            expires_at=timezone.now() + timezone.timedelta(hours=1),
            refresh_jti=f"jti-{number}",
        )
        for number in range(250)
    )
    sids = [str(session.pk) for session in sessions]
    assert len(",".join(sids)) > POSTGRES_PAYLOAD_MAX
    here = session_state.memory
    settle(sids[0], user.pk)
    unrelated = str(uuid.uuid4())
    for sid in [*sids, unrelated]:
        here.remember(sid, user.pk, generation=here.generation)

    elsewhere.revoke(*sids)

    assert heard_within(feed, here, sids, WITHIN)
    # Told of each, not forgetting everything. Asked of the memory itself:
    # recall() also stops answering after REMEMBER_FOR (1 s), which a slow
    # run of the 250-session revocation can reach, and is not the point.
    assert unrelated in here.alive


@pytest.mark.django_db(transaction=True)
def test_a_dropped_connection_loses_what_was_remembered(
    feed, sid, user, elsewhere, caplog
):
    settle(sid, user.pk)
    backend = listener_backend(feed)

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s, 2000)", [backend])
    elsewhere.revoke(sid)  # committed while this process did not listen: lost

    # Not once, and not after the feed is back (it reconnects at once).
    deadline = time.monotonic() + 0.2
    while time.monotonic() < deadline:
        assert active_session_user_id(sid) is None
        time.sleep(0.002)
    assert feed.vouches()
    assert listener_backend(feed) != backend
    assert "revocation feed lost" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_a_stalled_listener_is_not_believed(
    feed, sid, user, other_session, other_user, elsewhere
):
    settle(sid, user.pk)
    settle(str(other_session.pk), other_user.pk)

    backend = stop_listener_backend(feed)
    try:
        # Committed and NOTIFYed; the listener's server process hears
        # nothing, and answers no PING.
        elsewhere.revoke(sid)
        time.sleep(MAX_STALENESS * 2)

        vouched = feed.vouches()
        answer, queries = queries_of(
            lambda: active_session_user_id(str(other_session.pk))
        )
        refused = [active_session_user_id(sid) for _ in range(20)]
    finally:
        os.kill(backend, signal.SIGCONT)

    assert not vouched
    # Everyone is still served, by asking the shared state.
    assert (answer, queries >= 1) == (other_user.pk, True)
    assert refused == [None] * 20
    # Going on, the listener answers again: back to memory, on the same
    # connection, and what was revoked meanwhile stays refused.
    settle(str(other_session.pk), other_user.pk)
    assert listener_backend(feed) == backend
    assert active_session_user_id(sid) is None


@pytest.mark.django_db(transaction=True)
def test_a_listener_stalled_for_long_is_replaced(
    feed, sid, user, other_session, other_user, elsewhere, monkeypatch, caplog
):
    monkeypatch.setattr(revocation_feed, "DEAD_AFTER", 0.1)
    settle(sid, user.pk)
    settle(str(other_session.pk), other_user.pk)

    backend = stop_listener_backend(feed)
    try:
        elsewhere.revoke(sid)
        time.sleep(MAX_STALENESS * 2)
        # While the stopped one still stands: a new connection, which
        # starts by forgetting everything.
        deadline = time.monotonic() + 2
        while not (feed.confirmed and listener_backend(feed) != backend):
            assert active_session_user_id(sid) is None
            assert time.monotonic() < deadline, "the stalled listener was kept"
            time.sleep(0.005)
        settle(str(other_session.pk), other_user.pk)
        assert active_session_user_id(sid) is None
    finally:
        os.kill(backend, signal.SIGCONT)

    assert "a PING went unanswered" in caplog.text
