"""Revocations made by any process, pushed to every other one.

RevocationFeed carries them over Redis pub/sub (several machines);
PostgresRevocationFeed over PostgreSQL's LISTEN/NOTIFY (several machines,
no Redis); SQLiteRevocationFeed reads SQLite's commit counter (one machine).

Each process remembers the sessions it has found alive (session_state).
Every revocation is published on one channel when it is committed, and each
process drains its subscription, without blocking, before it believes what
it remembers. It believes it only while the feed is vouched for: a PING it
sent on the subscription less than MAX_STALENESS ago has come back, and
the channel delivers in order, so every revocation published before that
PING was drained before its answer (_PingedFeed, whatever the transport).
Otherwise (no feed, a lost or stalled connection, a lagging one) the
process asks the shared state directly, as every request did before, until
the feed is vouched for again; and after any gap in the subscription what
it remembered is forgotten, since what was published meanwhile is lost.

The checks themselves read what has arrived: a listener thread alone is
delayed by the GIL's switch interval, so a check could run ahead of a
revocation that had already arrived. A thread only sends the PINGs (and
reads their answers when no request comes), so that no request pays the
round trip: it reads under the same lock as the checks, and a check that
finds the lock taken asks the shared state directly.
"""

import contextlib
import itertools
import logging
import os
import select
import selectors
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable

import redis
from django.db import connections
from redis.backoff import NoBackoff
from redis.retry import Retry

try:
    import psycopg
    from psycopg import pq
except ImportError:  # psycopg 3 is needed by PostgresRevocationFeed alone
    psycopg = pq = None

logger = logging.getLogger("jwt_sessions")

# One channel per Redis database number: sites (or test runs) that share a
# server on different databases do not hear each other.
CHANNEL = "jwt_sessions:revoked:{db}"
# A PING goes out at most this often while requests come; its PONG vouches
# for everything published before it was sent. The pinger thread sends it
# (a request that sent one paid about 100 µs for it in `make bench`); half
# of MAX_STALENESS keeps a busy process vouched for without a gap.
PING_INTERVAL = 0.020
# What is remembered is believed only while the latest PONG answers a PING
# sent this recently: even while the feed lags or stalls, a revocation is
# refused everywhere within this much of its publication (a revocation
# that arrives is refused at the next check, sooner).
MAX_STALENESS = 0.040
# A PING unanswered this long means the connection is gone: drop it.
DEAD_AFTER = 1.0
# The pinger thread sleeps until the next PING is due, and wakes no more
# often than this while the last one is unanswered; after this long
# without a check it stops (the next check starts it again).
PINGER_NAP = PING_INTERVAL / 4
PINGER_IDLE_AFTER = 1.0
# A check waits at most this long for another thread's read to end.
LOCK_WAIT = 0.001
# A PING this much later than due is sent by the check that finds it so.
PINGER_LATE_AFTER = PING_INTERVAL + 2 * PINGER_NAP
# After a failed connection attempt, wait this long before the next one
# (meanwhile every check is direct).
RECONNECT_EVERY = 1.0
# Socket timeouts: a check never waits on Redis longer than this.
SOCKET_TIMEOUT = 0.05


class FeedLost(Exception):
    """The feed's connection can no longer be believed."""


class _PingedFeed:
    """The gate both feeds over a connection share: believed while pinged.

    A transport (subclass) says whether it listens (_listening), makes it
    listen (_listen, which calls _listening_from_now_on once the server has
    confirmed), reads what arrived without blocking (_read: on_revoked for
    revocations, _answered for a PING of ours come back), sends a PING
    (_send_ping) and closes its connection (_close; _abandon after a fork).
    """

    # What the transport raises when its connection fails.
    errors: tuple[type[Exception], ...] = ()

    def __init__(
        self,
        *,
        on_revoked: Callable[[list[str]], None],
        on_gap: Callable[[], None],
    ):
        self.on_revoked = on_revoked
        self.on_gap = on_gap
        self.lock = threading.Lock()
        self.pid = os.getpid()
        self.retry_at = 0.0
        self.vouched_at = float("-inf")
        self.last_ping_at = float("-inf")
        # The PING waiting for its PONG: (its number, when it was sent).
        self.outstanding = None
        self.numbers = itertools.count()
        # (the connection's socket, a poll object watching it)
        self._polled = None
        # The thread that sends the PINGs, while checks come (None: none).
        self.pinger = None
        self.asked_at = float("-inf")
        # A fork while the pinger holds the lock would leave the child's copy
        # of it held for ever (the child has none of the parent's threads).
        feed = weakref.ref(self)
        os.register_at_fork(after_in_child=lambda: _renew_lock(feed))

    def vouches(self) -> bool:
        """Drain what has arrived; return whether memory may be believed now."""
        # Another thread (a request's, or the pinger) reading at this
        # moment: it holds the lock for microseconds, unless the scheduler
        # keeps it waiting; then this check goes direct rather than wait.
        if not self.lock.acquire(timeout=LOCK_WAIT):
            return False
        try:
            now = self.asked_at = time.monotonic()
            if self.pid != os.getpid():
                self._after_fork()
            if not self._listening() and not self._listen(now):
                return False
            try:
                self._tend(now)
            except (FeedLost, *self.errors) as exc:
                self._drop(f"the subscription failed ({exc})")
                return False
            if self.pinger is None:
                self._start_pinger()
            if now - self.last_ping_at > PINGER_LATE_AFTER:
                # The first check in a while, or a pinger the scheduler keeps
                # waiting: this check asks rather than wait for it.
                try:
                    self._ping_if_due(now)
                except (FeedLost, *self.errors) as exc:
                    self._drop(f"the subscription failed ({exc})")
                    return False
            return now - self.vouched_at <= MAX_STALENESS
        finally:
            self.lock.release()

    def close(self) -> None:
        """Close the connection (the next check opens another)."""
        with self.lock:
            self._close()
            self.outstanding = None
            self.vouched_at = float("-inf")
            self.pinger = None

    def _tend(self, now: float) -> None:
        # Under the lock: what arrived is taken before anything believes
        # what is remembered.
        self._read()
        if self.outstanding is not None and now - self.outstanding[1] > DEAD_AFTER:
            raise FeedLost("a PING went unanswered")

    # --- The pinger --------------------------------------------------------

    def _start_pinger(self) -> None:
        self.pinger = threading.Thread(
            target=self._keep_pinging, name="jwt_sessions revocation feed", daemon=True
        )
        self.pinger.start()

    def _keep_pinging(self) -> None:
        """Send each PING when it is due, while checks come.

        It wakes once per PING and leaves its answer to the checks: they
        look at the socket anyway, and the answer is there long before the
        next check. Each wake takes the GIL from a request's thread, which
        then waits for it: the fewer, the less a request pays.
        An answer no check has read by the next PING is read here first.
        """
        me = threading.current_thread()
        while True:
            due_in = self.last_ping_at + PING_INTERVAL - time.monotonic()
            time.sleep(max(due_in, PINGER_NAP))
            with self.lock:
                if self.pinger is not me or self.pid != os.getpid():
                    return  # replaced, closed, or a forked copy
                now = time.monotonic()
                if now - self.asked_at > PINGER_IDLE_AFTER or not self._listening():
                    self.pinger = None
                    return
                try:
                    self._tend(now)
                    self._ping_if_due(now)
                except Exception as exc:  # the thread must end cleanly
                    # Whatever failed, nothing heard since can be vouched for.
                    self._drop(f"the subscription failed ({exc!r})")
                    self.pinger = None
                    return

    def _listening_from_now_on(self) -> None:
        self.outstanding = None
        self.vouched_at = float("-inf")
        # Only now, with the subscription confirmed: whatever was remembered
        # may have been revoked while nothing was listening. From here on
        # every revocation arrives.
        self.on_gap()

    def _ping_if_due(self, now: float) -> None:
        if self.outstanding is not None or now - self.last_ping_at < PING_INTERVAL:
            return
        number = next(self.numbers)
        if self._send_ping(self._ping_payload(number)):
            self.outstanding = (number, now)
            self.last_ping_at = now

    def _answered(self, payload: str) -> None:
        if self.outstanding is None:
            return
        number, sent_at = self.outstanding
        if payload == self._ping_payload(number):
            self.vouched_at = sent_at
            self.outstanding = None

    @staticmethod
    def _ping_payload(number: int) -> str:
        return f"jwt_sessions:{number}"

    def _drop(self, why: str) -> None:
        logger.warning("revocation feed lost: %s; checking directly", why)
        self._close()
        self.outstanding = None
        self.vouched_at = float("-inf")
        # Reconnect on the next check; a refused connection then waits.
        self.retry_at = 0.0

    def _after_fork(self) -> None:
        # A forked worker must not read its parent's socket, and has none of
        # its threads.
        self.pid = os.getpid()
        self._abandon()
        self.outstanding = None
        self.vouched_at = float("-inf")
        self.pinger = None
        self.on_gap()

    def _bytes_waiting(self) -> bool:
        """Ask the kernel, without waiting, whether the connection has news.

        Most checks find nothing, and the client library costs tens of µs
        to say so. A read takes every whole message its library has parsed
        (redis-py's get_message() until it finds none; libpq's results and
        notifications), so nothing readable is left in its buffer after it,
        and anything new arrives as bytes on the socket first. When the
        socket cannot be seen (a library's internals changed), the library
        is asked, as before.
        """
        sock = self._socket()
        if sock is None:
            return True
        if self._polled is None or self._polled[0] != sock:
            poller = select.poll()
            poller.register(sock, select.POLLIN | select.POLLPRI)
            self._polled = (sock, poller)
        # Readable, hung up or in error: the read that follows reads or raises.
        return bool(self._polled[1].poll(0))

    # --- What each transport does ----------------------------------------

    def _listening(self) -> bool:
        raise NotImplementedError

    def _listen(self, now: float) -> bool:
        raise NotImplementedError

    def _read(self) -> None:
        raise NotImplementedError

    def _send_ping(self, payload: str) -> bool:
        raise NotImplementedError

    def _socket(self):
        """Return the connection's socket, polled before a read (None: cannot tell)."""
        raise NotImplementedError

    def _close(self) -> None:
        raise NotImplementedError

    def _abandon(self) -> None:
        raise NotImplementedError


def _renew_lock(feed: "weakref.ref[_PingedFeed]") -> None:
    if (alive := feed()) is not None:
        alive.lock = threading.Lock()


def _client(url: str) -> redis.Redis:
    # No retries: a reconnect behind our back would hide a gap in the
    # subscription, and what was published during it would be lost unseen.
    return redis.Redis.from_url(
        url,
        socket_timeout=SOCKET_TIMEOUT,
        socket_connect_timeout=SOCKET_TIMEOUT,
        retry=Retry(NoBackoff(), 0),
        health_check_interval=0,
    )


class RevocationFeed(_PingedFeed):
    """This process's subscription to the revocations channel of a Redis.

    Redis answers one connection in order, so every revocation published
    before a PING was drained before its PONG.
    """

    errors = (redis.RedisError, OSError, ValueError)

    def __init__(
        self,
        url: str,
        *,
        on_revoked: Callable[[list[str]], None],
        on_gap: Callable[[], None],
    ):
        super().__init__(on_revoked=on_revoked, on_gap=on_gap)
        self.url = url
        self.channel = CHANNEL.format(
            db=_client(url).connection_pool.connection_kwargs.get("db", 0)
        )
        self.pubsub = None
        self.publisher = None

    # --- Reading ----------------------------------------------------------

    def _listening(self) -> bool:
        return self.pubsub is not None

    def _listen(self, now: float) -> bool:
        if now < self.retry_at:
            return False
        try:
            pubsub = _client(self.url).pubsub()
            pubsub.subscribe(self.channel)
            confirmed = pubsub.get_message(timeout=SOCKET_TIMEOUT)
            if not confirmed or confirmed["type"] != "subscribe":
                raise redis.ConnectionError("no subscription confirmed")
        except (redis.RedisError, OSError) as exc:
            self.retry_at = now + RECONNECT_EVERY
            logger.warning("revocation feed unavailable (%s); checking directly", exc)
            return False
        self.pubsub = pubsub
        self._listening_from_now_on()
        return True

    def _read(self) -> None:
        if not self._bytes_waiting():
            return
        while (message := self.pubsub.get_message(timeout=0)) is not None:
            kind = message["type"]
            if kind == "message":
                self.on_revoked(message["data"].decode().split(","))
            elif kind == "pong":
                self._answered(message["data"].decode(errors="replace"))

    def _send_ping(self, payload: str) -> bool:
        self.pubsub.ping(payload)
        return True

    def _socket(self):
        return getattr(self.pubsub.connection, "_sock", None)

    def _close(self) -> None:
        if self.pubsub is not None:
            with contextlib.suppress(redis.RedisError, OSError):
                self.pubsub.close()
        self.pubsub = None
        self._polled = None

    def _abandon(self) -> None:
        self.pubsub = self.publisher = None
        self._polled = None

    # --- Writing ----------------------------------------------------------

    def announce(self, sids) -> None:
        # Published once committed (publish), since Redis is not part of
        # the transaction.
        pass

    def publish(self, sids) -> bool:
        """Tell every process that the sessions `sids` were revoked."""
        try:
            if self.publisher is None or self.pid != os.getpid():
                self.publisher = _client(self.url)
            self.publisher.publish(self.channel, ",".join(str(sid) for sid in sids))
        except (redis.RedisError, OSError) as exc:
            self.publisher = None
            logger.error(
                "revocation of %d session(s) not published (%s); other processes "
                "refuse them once their memory of them expires",
                len(sids),
                exc,
            )
            return False
        return True


# NOTIFY channels belong to one database already: sites (or test runs) on
# other databases of the same server do not hear each other.
POSTGRES_CHANNEL = "jwt_sessions_revoked"
# Each listening connection PINGs itself on a channel of its own.
POSTGRES_PING_CHANNEL = "jwt_sessions_ping_{backend_pid}"
# NOTIFY's payload "must be shorter than 8000 bytes" (the docs).
POSTGRES_PAYLOAD_MAX = 7999


def _payloads(sids) -> list[str]:
    """Return the comma-joined `sids` in pieces that NOTIFY takes."""
    payloads, current = [], ""
    for sid in map(str, sids):
        joined = f"{current},{sid}" if current else sid
        if current and len(joined.encode()) > POSTGRES_PAYLOAD_MAX:
            payloads.append(current)
            joined = sid
        current = joined
    if current:
        payloads.append(current)
    return payloads


def _conninfo(params: dict) -> str:
    """Return the libpq connection string of Django's connection parameters."""
    # Django adds psycopg's own (cursor_factory, context...): not libpq's.
    keywords = {option.keyword.decode() for option in pq.Conninfo.get_defaults()}
    return psycopg.conninfo.make_conninfo(
        **{k: v for k, v in params.items() if k in keywords and v is not None},
        fallback_application_name="jwt_sessions revocation feed",
    )


class PostgresRevocationFeed(_PingedFeed):
    """This process's LISTEN on the revocations channel of its PostgreSQL.

    A connection of its own, not Django's (which may be in a transaction,
    and a connection in a transaction is told nothing until it ends), opened
    with the parameters of Django's and driven through libpq's non-blocking
    calls: connecting, LISTEN and every check read what has arrived and
    return, whether the server has answered or not.

    Every revocation is NOTIFYed inside the transaction that makes it
    (announce), so PostgreSQL delivers it when, and only if, it commits.
    The PING is a NOTIFY of this connection on a channel only it listens
    to, and PostgreSQL delivers "messages from different transactions ... in
    the order in which the transactions committed"
    (https://www.postgresql.org/docs/current/sql-notify.html): every
    revocation committed before a PING was sent committed before the PING's
    own transaction, so this connection receives it before the PING comes
    back, and it is drained first (notifications are read in the order
    they arrive).
    """

    def __init__(
        self,
        *,
        using: str,
        on_revoked: Callable[[list[str]], None],
        on_gap: Callable[[], None],
    ):
        super().__init__(on_revoked=on_revoked, on_gap=on_gap)
        self.using = using
        self.errors = (psycopg.Error, OSError)
        self.conninfo = None
        self.pgconn = None
        self._forget_connection()

    @staticmethod
    def available() -> bool:
        """Return whether psycopg 3, which this feed is written for, is installed."""
        return pq is not None

    # --- Reading ----------------------------------------------------------

    def _listening(self) -> bool:
        return self.confirmed

    def _listen(self, now: float) -> bool:
        if self.pgconn is None and now < self.retry_at:
            return False
        try:
            if self.pgconn is None:
                self._connect(now)
            if self.polling is not None:
                self._poll_connection()
            if self.polling is None:
                self._read()
            if self.polling is not None or self.busy:
                if now - self.started_at > DEAD_AFTER:
                    raise FeedLost("no LISTEN confirmed in time")
                return False
        except (FeedLost, *self.errors) as exc:
            self._close()
            self.retry_at = now + RECONNECT_EVERY
            logger.warning("revocation feed unavailable (%s); checking directly", exc)
            return False
        # LISTEN's transaction has committed: every revocation committed
        # from now on is delivered to this connection.
        self.confirmed = True
        self._listening_from_now_on()
        return True

    def _connect(self, now: float) -> None:
        if self.conninfo is None:
            self.conninfo = _conninfo(connections[self.using].get_connection_params())
        self.pgconn = pq.PGconn.connect_start(self.conninfo.encode())
        self.started_at = now
        self.polling = pq.PollingStatus.WRITING
        # What the server says outside any query (above all "terminating
        # connection due to administrator command") would go to stderr.
        fatal = self.fatal = []

        def notice(result):
            message = result.get_error_message()
            severity = result.error_field(pq.DiagnosticField.SEVERITY_NONLOCALIZED)
            if severity in (b"FATAL", b"PANIC"):
                fatal.append(message.strip())
            else:
                logger.info("revocation feed: PostgreSQL says %s", message.strip())

        self.pgconn.notice_handler = notice
        if self.pgconn.status == pq.ConnStatus.BAD:
            raise psycopg.OperationalError(self.pgconn.get_error_message())

    def _poll_connection(self) -> None:
        """Take the steps of the connection its socket is ready for, then LISTEN."""
        while self.polling is not None:
            wanted = (
                selectors.EVENT_READ
                if self.polling == pq.PollingStatus.READING
                else selectors.EVENT_WRITE
            )
            # The socket may change between steps (another address tried).
            with selectors.DefaultSelector() as selector:
                selector.register(self.pgconn.socket, wanted)
                if not selector.select(timeout=0):
                    return
            self.polling = self.pgconn.connect_poll()
            if self.polling == pq.PollingStatus.FAILED:
                raise psycopg.OperationalError(self.pgconn.get_error_message())
            if self.polling == pq.PollingStatus.OK:
                self.polling = None
        self.pgconn.nonblocking = 1
        self.ping_channel = POSTGRES_PING_CHANNEL.format(
            backend_pid=self.pgconn.backend_pid
        )
        # One query, so one transaction, committed before its last result
        # comes: from then on both LISTENs hold. Each PING after it is a
        # transaction of its own, whose commit need not wait for the WAL to
        # reach the disk (a PING lost in a crash is only one not answered).
        self._send(
            f"LISTEN {POSTGRES_CHANNEL}; LISTEN {self.ping_channel}; "
            "SET synchronous_commit = off"
        )

    def _read(self) -> None:
        pgconn = self.pgconn
        if self.unsent:
            # What libpq could not send at once.
            self.unsent = pgconn.flush() == 1
        elif not self._bytes_waiting():
            return
        pgconn.consume_input()
        self._take_notifications()
        while self.busy and not pgconn.is_busy():
            result = pgconn.get_result()
            if result is None:
                self.busy = False
            elif result.status != pq.ExecStatus.COMMAND_OK:
                raise psycopg.OperationalError(result.get_error_message())
        # Taking the results parsed what came after them.
        self._take_notifications()
        if self.fatal:
            raise FeedLost(self.fatal[0])

    def _take_notifications(self) -> None:
        # In the order they were committed: a revocation before the PING
        # that vouches for it.
        while (notify := self.pgconn.notifies()) is not None:
            channel = notify.relname.decode()
            if channel == POSTGRES_CHANNEL:
                self.on_revoked(notify.extra.decode().split(","))
            elif channel == self.ping_channel:
                self._answered(notify.extra.decode(errors="replace"))

    def _send_ping(self, payload: str) -> bool:
        if self.busy:  # one query at a time: wait for the last one's end
            return False
        self._send(f"NOTIFY {self.ping_channel}, '{payload}'")
        return True

    def _socket(self):
        return self.pgconn.socket

    def _send(self, sql: str) -> None:
        self.pgconn.send_query(sql.encode())
        self.busy = True
        self.unsent = self.pgconn.flush() == 1

    def _close(self) -> None:
        if self.pgconn is not None:
            self.pgconn.finish()
        self._forget_connection()

    def _abandon(self) -> None:
        # psycopg closes a connection only in the process that opened it.
        self._forget_connection()

    def _forget_connection(self) -> None:
        self.pgconn = None
        self.polling = None
        self.busy = False
        self.unsent = False
        self._polled = None
        self.confirmed = False
        self.ping_channel = None
        self.fatal = []
        self.started_at = float("-inf")

    # --- Writing ----------------------------------------------------------

    def announce(self, sids) -> None:
        """NOTIFY every process of `sids` in the transaction that revokes them."""
        # Part of the transaction: delivered when, and only if, it commits,
        # and nothing is left to do after the commit that could be lost.
        with connections[self.using].cursor() as cursor:
            cursor.execute(
                "SELECT pg_notify(%s, payload) FROM unnest(%s::text[]) AS payload",
                [POSTGRES_CHANNEL, _payloads(sids)],
            )

    def publish(self, sids) -> bool:
        # Announced in the transaction, delivered by its commit.
        return True


class SQLiteRevocationFeed:
    """Revocations on one machine's SQLite database, seen by every process.

    SQLite says, at the cost of a statement on a connection of the feed's
    own, whether any other connection has committed since this one last
    asked (PRAGMA data_version). It cannot say what changed, so any commit
    elsewhere makes this process forget every session it remembers; with
    nothing written, nothing is asked. The counter is read at a check at
    most every CHECK_EVERY (20 ms, as often as the other feeds PING): a
    revocation committed by another process is refused here from the first
    check after that (one made by this process is refused here at once, by
    session_state), inside the 50 ms every process must refuse it within.
    """

    CHECK_EVERY = 0.020

    def __init__(self, path: str, *, on_gap: Callable[[], None]):
        self.path = path
        self.on_gap = on_gap
        self.lock = threading.Lock()
        self.pid = None
        self.connection = None
        self.version = None
        self.checked_at = float("-inf")

    def vouches(self) -> bool:
        """Forget everything if anything was committed elsewhere; return True."""
        if time.monotonic() - self.checked_at < self.CHECK_EVERY:
            return True
        if not self.lock.acquire(blocking=False):
            return False
        try:
            now = time.monotonic()
            if self.pid != os.getpid():
                self.pid, self.connection, self.version = os.getpid(), None, None
            try:
                if self.connection is None:
                    self.connection = sqlite3.connect(
                        self.path, check_same_thread=False, isolation_level=None
                    )
                (version,) = self.connection.execute("PRAGMA data_version").fetchone()
            except sqlite3.Error as exc:
                logger.warning("cannot read SQLite's data_version (%s)", exc)
                self.connection = None
                return False
            if version != self.version:
                self.version = version
                self.on_gap()
            self.checked_at = now
            return True
        finally:
            self.lock.release()

    def close(self) -> None:
        """Close the connection (the next check opens another)."""
        with self.lock:
            if self.connection is not None:
                self.connection.close()
            self.connection, self.version = None, None
            self.checked_at = float("-inf")

    def announce(self, sids) -> None:
        # The commit itself will be the news.
        pass

    def publish(self, sids) -> bool:
        # The commit itself is the news: data_version moves for everyone.
        return True
