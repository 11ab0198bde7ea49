"""A process answers "is this session alive?" from memory only while it is sure.

Each test runs its own redis-server (killed, stopped and restarted at will;
the shared one of the suite is never touched) as the revocation feed, and
Django's database cache as the shared state, so that a database query is
what a direct check costs and zero queries proves an answer from memory.
Another process is played by revoking with a memory of its own: this
process hears of it only through the feed, as it would from another one.
"""

import json
import os
import shutil
import threading
import time
from unittest import mock

import pytest
import redis
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jwt_sessions import revocation_feed, session_state
from jwt_sessions.models import Session
from jwt_sessions.revocation_feed import MAX_STALENESS, SQLiteRevocationFeed
from jwt_sessions.session_state import active_session_user_id
from tests.helpers.clients import log_in
from tests.helpers.redis_server import RedisServer

pytestmark = pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="needs the redis-server program"
)
# The goal: refused everywhere within 50 ms of the commit.
WITHIN = 0.050


@pytest.fixture
def feed_server(settings, db):
    server = RedisServer()
    server.start()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "django_cache",
        }
    }
    # Made inside the test's transaction where the suite runs on Redis.
    call_command("createcachetable", verbosity=0)
    settings.JWT_REVOCATION_FEED_URL = server.url
    session_state.memory.forget_everything()
    yield server
    server.stop()
    session_state._feeds.pop(server.url, None)


@pytest.fixture
def sid(client, user):
    log_in(client, user.email)
    return str(Session.objects.get(user=user).pk)


@pytest.fixture
def elsewhere(feed_server, monkeypatch, django_capture_on_commit_callbacks):
    """Revoke as another process would: this process's memory is not told."""

    def revoke(sid):
        with monkeypatch.context() as patched:
            patched.setattr(session_state, "memory", session_state.ProcessMemory())
            with django_capture_on_commit_callbacks(execute=True):
                Session.objects.filter(pk=sid).update(
                    revoked_at=timezone.now(),
                    revoked_reason=Session.RevokeReason.LOGOUT,
                )
                session_state.mark_revoked([sid])

    return revoke


def queries_of(function) -> tuple:
    with CaptureQueriesContext(connection) as queries:
        answer = function()
    return answer, len(queries)


def settle(sid, user):
    """Check until the answer comes from memory; return how many checks it took."""
    for attempt in range(1, 200):
        answer, queries = queries_of(lambda: active_session_user_id(sid))
        assert answer == user.pk
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


def test_the_steady_state_asks_nobody(feed_server, sid, user):
    settle(sid, user)

    for _ in range(20):
        answer, queries = queries_of(lambda: active_session_user_id(sid))
        assert (answer, queries) == (user.pk, 0)


def check_for_a_while(sid, user, seconds=0.2):
    """Check `sid` about every ms for `seconds`; return (checks, direct ones)."""
    checks = direct = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        answer, queries = queries_of(lambda: active_session_user_id(sid))
        assert answer == user.pk
        checks, direct = checks + 1, direct + bool(queries)
        time.sleep(0.001)
    return checks, direct


def test_in_the_steady_state_the_pinger_sends_the_pings(feed_server, sid, user):
    settle(sid, user)
    feed = session_state._feeds[feed_server.url]
    senders = []
    send_ping = type(feed)._send_ping

    def counted(self, payload):
        senders.append(threading.current_thread())
        return send_ping(self, payload)

    with mock.patch.object(type(feed), "_send_ping", counted):
        checks, direct = check_for_a_while(sid, user)

    # The pinger kept the feed vouched for, about one PING each 20 ms (and
    # sent them all: a check never sends one).
    pinger_pings = sum(sender is not threading.main_thread() for sender in senders)
    assert pinger_pings >= 5
    assert pinger_pings > len(senders) - pinger_pings
    assert direct < checks / 10


def test_in_the_steady_state_the_listener_does_the_reading_and_pinging(
    feed_server, sid, user
):
    settle(sid, user)
    feed = session_state._feeds[feed_server.url]
    callers = {"_read": [], "_send_ping": []}
    originals = {name: getattr(type(feed), name) for name in callers}

    def counting(name):
        def counted(self, *args, **kwargs):
            callers[name].append(threading.current_thread())
            return originals[name](self, *args, **kwargs)

        return counted

    with (
        mock.patch.object(type(feed), "_read", counting("_read")),
        mock.patch.object(type(feed), "_send_ping", counting("_send_ping")),
    ):
        checks, direct = check_for_a_while(sid, user)

    # The listener sent every PING and read nearly every answer; a check
    # reads only an answer that came while the listener was kept waiting.
    pings, reads = callers["_send_ping"], callers["_read"]
    assert len(pings) >= 5 and set(pings) == {feed.pinger}
    checks_reads = sum(thread is threading.main_thread() for thread in reads)
    assert checks_reads < checks / 10
    assert direct < checks / 10


def test_a_listener_held_up_is_not_believed(
    feed_server, sid, user, other_user, other_session, elsewhere
):
    """A listener that cannot run (the GIL, a lock) reads no answer: not believed."""
    other = other_session
    settle(sid, user)
    settle(str(other.pk), other_user)
    feed = session_state._feeds[feed_server.url]

    with feed.lock:  # the listener waits for it at its next wake
        elsewhere(sid)  # published, and not read by anyone
        took = refused_within(sid)
        time.sleep(MAX_STALENESS)
        # Everyone else is still served, by asking the shared state.
        answer, queries = queries_of(lambda: active_session_user_id(str(other.pk)))
        refused = [active_session_user_id(sid) for _ in range(20)]

    assert took <= MAX_STALENESS + 0.005
    assert (answer, queries >= 1) == (other_user.pk, True)
    assert refused == [None] * 20
    # Let go, the listener reads the revocation before the next answer:
    # back to memory, and the revoked session stays refused.
    settle(str(other.pk), other_user)
    assert active_session_user_id(sid) is None


def test_a_forked_child_starts_afresh(feed_server, sid, user):
    settle(sid, user)
    feed = session_state._feeds[feed_server.url]
    parent_connection = feed.pubsub.connection
    reading, writing = os.pipe()

    # Forked while the listener holds the lock: the child's copy must not
    # stay held, nor believe what it inherited before it listens itself.
    with feed.lock:
        pid = os.fork()
        if pid == 0:  # the child: report, and leave without pytest's teardown
            try:
                afresh = (feed.pinger, feed.pubsub, feed.vouches())
                deadline = time.monotonic() + 2
                while not feed.vouches() and time.monotonic() < deadline:
                    time.sleep(0.002)
                report = {
                    "afresh": afresh == (None, None, False),
                    "lock": feed.lock.acquire(timeout=1)
                    and feed.lock.release() is None,
                    "vouched": feed.vouches(),
                    "own_connection": feed.pubsub is not None
                    and feed.pubsub.connection is not parent_connection,
                }
                os.write(writing, json.dumps(report).encode())
            finally:
                os._exit(0)
    os.close(writing)
    with os.fdopen(reading) as pipe:
        report = json.loads(pipe.read() or "{}")
    os.waitpid(pid, 0)

    assert report == {
        "afresh": True,
        "lock": True,
        "vouched": True,
        "own_connection": True,
    }
    # The parent's listener goes on as before.
    settle(sid, user)


def test_without_the_c_librarys_calls_every_check_reads_for_itself(
    feed_server, monkeypatch, sid, user, elsewhere
):
    # Where ctypes finds no poll(), recv() or send(): Python's calls, and a
    # check cannot see the listener's wait, so it reads whatever came.
    monkeypatch.setattr(revocation_feed, "_poll", None)
    monkeypatch.setattr(revocation_feed, "_io", None)
    session_state._feeds.pop(feed_server.url, None)

    settle(sid, user)
    for _ in range(20):
        answer, queries = queries_of(lambda: active_session_user_id(sid))
        assert (answer, queries) == (user.pk, 0)
    elsewhere(sid)

    assert active_session_user_id(sid) is None


def test_the_pinger_stops_when_no_check_comes(feed_server, sid, user, monkeypatch):
    monkeypatch.setattr(revocation_feed, "PINGER_IDLE_AFTER", 0.05)
    settle(sid, user)
    feed = session_state._feeds[feed_server.url]
    pinger = feed.pinger
    assert pinger is not None and pinger.is_alive()

    pinger.join(timeout=1)

    assert not pinger.is_alive() and feed.pinger is None
    # The next checks start it again, and are answered from memory once a
    # PING has come back.
    settle(sid, user)
    assert feed.pinger is not None and feed.pinger.is_alive()


def test_a_revocation_elsewhere_is_refused_here_within_50_ms(
    feed_server, sid, user, elsewhere
):
    settle(sid, user)

    elsewhere(sid)

    assert refused_within(sid) < WITHIN


def test_a_revocation_here_is_refused_here_at_once(feed_server, sid, user):
    settle(sid, user)
    Session.objects.filter(pk=sid).update(revoked_at=timezone.now())

    session_state.mark_revoked([sid])

    assert active_session_user_id(sid) is None


def test_with_redis_killed_no_revoked_session_is_accepted_and_service_goes_on(
    feed_server, sid, user, other_user, elsewhere
):
    other = Session.objects.create(
        user=other_user,
        expires_at=timezone.now() + timezone.timedelta(hours=1),
        refresh_jti="other-jti",
    )
    settle(sid, user)
    settle(str(other.pk), other_user)

    feed_server.stop()
    elsewhere(sid)  # its publication fails: nobody can hear of it

    assert active_session_user_id(sid) is None
    # Everyone else is still served, by asking the shared state (here the
    # database cache's table).
    answer, queries = queries_of(lambda: active_session_user_id(str(other.pk)))
    assert answer == other_user.pk
    assert queries >= 1

    feed_server.start()
    session_state._feeds[feed_server.url].retry_at = 0  # skip the reconnect wait
    settle(str(other.pk), other_user)
    assert active_session_user_id(sid) is None


def test_a_dropped_connection_loses_what_was_remembered(
    feed_server, sid, user, elsewhere
):
    settle(sid, user)
    admin = redis.Redis.from_url(feed_server.url)

    admin.client_kill_filter(_type="pubsub")
    elsewhere(sid)  # published while this process was not subscribed: lost

    # Not once, and not after the feed is back (it reconnects at once).
    deadline = time.monotonic() + 0.2
    while time.monotonic() < deadline:
        assert active_session_user_id(sid) is None
        time.sleep(0.002)
    assert session_state._feeds[feed_server.url].pubsub is not None


def test_a_stalled_feed_is_not_believed(feed_server, sid, user, elsewhere):
    settle(sid, user)
    feed_server.pause()
    try:
        # Revoked in the database; the publication waits on the stalled
        # server, and so does this process's PING.
        elsewhere(sid)
        time.sleep(MAX_STALENESS * 2)

        answer, queries = queries_of(lambda: active_session_user_id(sid))
    finally:
        feed_server.resume()

    assert answer is None
    assert queries > 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    "sqlite" not in django_settings.DATABASES["default"]["ENGINE"],
    reason="SQLite's own feed",
)
def test_on_sqlite_a_commit_elsewhere_is_seen_within_the_check_interval(
    settings, monkeypatch, user
):
    settings.JWT_REVOCATION_FEED_URL = None
    browser = Client()
    log_in(browser, user.email)
    sid = str(Session.objects.get(user=user).pk)
    settle(sid, user)

    def another_connection_revokes():
        # A thread has a database connection of its own: its commit is
        # another connection's, as another process's would be.
        with monkeypatch.context() as patched:
            patched.setattr(session_state, "memory", session_state.ProcessMemory())
            with transaction.atomic():
                Session.objects.filter(pk=sid).update(revoked_at=timezone.now())
                session_state.mark_revoked([sid])
        connection.close()

    thread = threading.Thread(target=another_connection_revokes)
    thread.start()
    thread.join()
    # The commit counter is read at most this often (20 ms).
    time.sleep(SQLiteRevocationFeed.CHECK_EVERY)

    assert active_session_user_id(sid) is None
