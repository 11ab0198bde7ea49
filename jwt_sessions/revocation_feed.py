"""Revocations made by any process, pushed to every other one.

RevocationFeed carries them over Redis pub/sub (several machines);
PostgresRevocationFeed over PostgreSQL's LISTEN/NOTIFY (several machines,
no Redis); SQLiteRevocationFeed reads SQLite's commit counter (one machine).

Each process remembers the sessions it has found alive (session_state).
Every revocation is published on one channel when it is committed. A thread
of each process (started by the first check, gone a second after the last)
listens: it reads each revocation as it arrives and makes this process
forget it, and every PING_INTERVAL it sends a PING on the same connection.
The channel delivers in order, so when a PING's answer is read, every
revocation published before that PING was sent has been read and forgotten
first (_PingedFeed, whatever the transport).

A check believes what is remembered only while the answer to a PING sent
less than MAX_STALENESS ago has been read, and nothing that has reached
this process is unread: the listener waits on the socket in the C
library's poll() without the GIL, and the kernel writes what happened into
memory the checks read (_Watch). In the steady state a check costs a few
attribute reads: no system call (each costs a request more than the rest
of its authentication), no lock, no round trip. When something has arrived
that the listener has not read yet (it may be kept waiting for the GIL by
the very request that checks), the check reads it itself, under the
listener's lock. A listener that falls behind anyway (held up, a stalled or
lagging connection, a partition that sends nothing) reads no answer, and
the checks stop believing within MAX_STALENESS of its last PING.
Otherwise (no feed, a lost or stalled connection) the process asks the
shared state directly, as every request did before, until the feed is
vouched for again; and after any gap in the subscription what it
remembered is forgotten, since what was published meanwhile is lost.
"""

import contextlib
import ctypes
import errno
import itertools
import logging
import math
import os
import select
import selectors
import socket
import sqlite3
import ssl
import sys
import threading
import time
import weakref
from collections.abc import Callable

import hiredis
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
# The listener sends a PING this often while checks come; its answer vouches
# for everything published before it was sent. Half of MAX_STALENESS keeps
# a busy process vouched for without a gap while the thread is late by
# up to the GIL's switch interval (5 ms) or more.
PING_INTERVAL = 0.020
# What is remembered is believed only while the latest answer read answers
# a PING sent this recently: even while the feed lags or stalls, or the
# listener falls behind, a revocation is refused everywhere within this
# much of its publication (one that arrives is refused once read, sooner).
MAX_STALENESS = 0.040
# A PING unanswered this long means the connection is gone: drop it.
DEAD_AFTER = 1.0
# While it cannot listen (a connection being made, or refused and waiting
# RECONNECT_EVERY), the listener looks again this often; after this long
# without a check it stops (the next check starts it again).
LISTENER_NAP = 0.005
PINGER_IDLE_AFTER = 1.0
# After a failed connection attempt, wait this long before the next one
# (meanwhile every check is direct).
RECONNECT_EVERY = 1.0
# A check that finds news on the socket waits at most this long for the
# listener to end its read, else asks directly.
LOCK_WAIT = 0.001
# What one recv() of the subscription's socket asks for.
RECV_SIZE = 65536
# Socket timeouts: nothing waits on Redis longer than this.
SOCKET_TIMEOUT = 0.05


class FeedLost(Exception):
    """The feed's connection can no longer be believed."""


class _PollFd(ctypes.Structure):
    """struct pollfd (POSIX)."""

    _fields_ = [
        ("fd", ctypes.c_int),
        ("events", ctypes.c_short),
        ("revents", ctypes.c_short),
    ]


def _libc_poll():
    """Return poll(2) of the C library, called without the GIL (None: none)."""
    try:
        poll = ctypes.CDLL(None, use_errno=True).poll
    except (OSError, AttributeError):
        return None
    nfds_t = ctypes.c_ulong if sys.platform.startswith("linux") else ctypes.c_uint
    poll.argtypes = [ctypes.POINTER(_PollFd), nfds_t, ctypes.c_int]
    poll.restype = ctypes.c_int
    return poll


_poll = _libc_poll()


def _libc_io():
    """Return recv(2) and send(2) of the C library, called with the GIL held.

    A read or PING of the listener is then one step that no request thread
    can cut into: released for a system call, the GIL goes to a request,
    and the listener waits for it again mid-read, while the checks wait for
    the listener (None: none; Python's socket calls are used).
    """
    try:
        libc = ctypes.PyDLL(None, use_errno=True)
        recv, send = libc.recv, libc.send
    except (OSError, AttributeError):
        return None
    for function in (recv, send):
        function.argtypes = [
            ctypes.c_int,
            ctypes.c_void_p,
            ctypes.c_size_t,
            ctypes.c_int,
        ]
        function.restype = ctypes.c_ssize_t
    return recv, send


_io = _libc_io()
# Never wait, and no SIGPIPE for a closed connection (an error instead).
_NO_WAIT = getattr(socket, "MSG_DONTWAIT", 0)
_NO_SIGNAL = getattr(socket, "MSG_NOSIGNAL", 0)


class _Watch:
    """The listener's wait on a socket, which a check reads with no system call.

    Every system call costs a request more than the rest of its
    authentication (`make bench`, docs/BENCHMARKS.md), so a check must not
    ask the kernel whether anything has arrived. The listener asks it
    instead: it waits in the C library's poll(2), through ctypes, which lets
    go of the GIL for the call. The kernel writes what happened on the
    socket (revents) into this object's memory when it wakes the listener,
    before the listener has the GIL again, and a check reads that memory.
    So a check that finds the listener waiting and revents still 0 knows
    that nothing has arrived since the listener last read the socket to
    the end; anything else (something arrived, or the listener is reading,
    or between two waits) sends it to read for itself, under the lock.
    """

    EVENTS = select.POLLIN | select.POLLPRI

    def __init__(self, sock):
        self.sock = sock
        fd = sock if isinstance(sock, int) else sock.fileno()
        self.pollfd = _PollFd(fd, self.EVENTS, 0)
        self.waiting = False
        if _poll is None:  # no C library to call: the checks cannot tell
            self.poller = select.poll()
            self.poller.register(sock, self.EVENTS)

    def wait(self, timeout: float) -> bool:
        """Wait (the listener, outside the lock) until news or `timeout`.

        Return whether anything arrived (or the socket hung up or failed).
        """
        milliseconds = math.ceil(timeout * 1000)
        if _poll is None:
            return bool(self.poller.poll(milliseconds))
        self.pollfd.revents = 0
        self.waiting = True
        try:
            # Returns at once if anything came since the last read.
            _poll(ctypes.byref(self.pollfd), 1, milliseconds)
        finally:
            self.waiting = False
        return bool(self.pollfd.revents)


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
        # Held by the listener while it reads or writes the connection, and
        # by close(); never taken by a check.
        self.lock = threading.Lock()
        self.retry_at = 0.0
        self.vouched_at = float("-inf")
        self.last_ping_at = float("-inf")
        # The PING waiting for its PONG: (its number, when it was sent).
        self.outstanding = None
        self.numbers = itertools.count()
        # The listener's wait on the connection's socket, which the checks
        # look at (None: no connection, or its socket cannot be seen).
        self._watch = None
        # The thread that listens and sends the PINGs while checks come
        # (None: none; the next check starts one).
        self.pinger = None
        self.asked_at = float("-inf")
        # A forked child has none of its parent's threads, must not read its
        # parent's socket, and would find the lock held for ever if the
        # listener held it at the fork: it starts afresh.
        feed = weakref.ref(self)
        os.register_at_fork(after_in_child=lambda: _start_afresh(feed))

    def vouches(self) -> bool:
        """Return whether what this process remembers may be believed now.

        Believed while the listener has read an answer to a PING sent less
        than MAX_STALENESS ago (it read and forgot everything published
        before that PING first), and nothing has arrived since that nobody
        has read: a revocation may be among it, or the end of the
        connection. In the steady state that is a few attributes and the
        memory the kernel writes for the listener's wait (_Watch): no system
        call, no lock, no round trip. When something has arrived that the
        listener has not read yet, the check reads it first, or lets the
        listener finish.
        """
        now = self.asked_at = time.monotonic()
        if self.pinger is None:
            self._start_listener()
        watch = self._watch
        if watch is None:
            return False
        # Quiet: the listener waits, and nothing has arrived since it read.
        # Read here, not through a method: this is every request's path.
        if (not watch.waiting or watch.pollfd.revents) and not self._catch_up(watch):
            return False
        return now - self.vouched_at <= MAX_STALENESS

    def _catch_up(self, watch) -> bool:
        """Read what has arrived, under the listener's lock; return whether done."""
        # The listener holds it for microseconds, unless the scheduler keeps
        # it waiting (this wait lets it run); then this check goes direct.
        if not self.lock.acquire(timeout=LOCK_WAIT):
            return False
        try:
            if self._watch is not watch:
                return False  # another connection since: not vouched for yet
            self._read()
        except (FeedLost, *self.errors) as exc:
            self._drop(f"the subscription failed ({exc})")
            return False
        finally:
            self.lock.release()
        return True

    def close(self) -> None:
        """Close the connection and stop the listener (the next check starts both)."""
        with self.lock:
            self._close()
            self._forget_vouching()
            self.pinger = None

    # --- The listener ------------------------------------------------------

    def _start_listener(self) -> None:
        # Another thread starting one, or the listener stopping: the next
        # check looks again.
        if not self.lock.acquire(blocking=False):
            return
        try:
            if self.pinger is None:
                self.pinger = threading.Thread(
                    target=self._listen_while_asked,
                    name="jwt_sessions revocation feed",
                    daemon=True,
                )
                self.pinger.start()
        finally:
            self.lock.release()

    def _listen_while_asked(self) -> None:
        """Read what arrives and send each PING when due, while checks come.

        It sleeps on the socket (without the GIL) until something arrives
        or the next PING is due: it wakes about twice per PING_INTERVAL, to
        send the PING and to read its answer, and once per revocation.
        """
        me = threading.current_thread()
        # Whether the last wait saw anything arrive (None: not waited for).
        news = None
        while True:
            with self.lock:
                if self.pinger is not me:
                    return  # replaced or closed
                now = time.monotonic()
                if now - self.asked_at > PINGER_IDLE_AFTER:
                    self.pinger = None
                    return
                try:
                    wait = self._step(now, news)
                except (FeedLost, *self.errors) as exc:
                    self._drop(f"the subscription failed ({exc})")
                    continue
                except Exception:  # a bug must not leave memory believed
                    logger.exception("revocation feed listener failed")
                    self._drop("its listener failed")
                    self.pinger = None
                    return
                watch = self._watching() if self._listening() else None
            if wait <= 0:
                news = None  # not waited for: ask the kernel
            elif watch is None:
                time.sleep(wait)
                news = None
            else:
                news = watch.wait(wait)

    def _step(self, now: float, news: bool | None) -> float:
        """Listen, read, PING if due; return how long to wait for news at most.

        `news`: whether the last wait saw anything arrive (None: unknown).
        """
        if not self._listening() and not self._listen(now):
            return min(max(self.retry_at - now, LISTENER_NAP / 5), LISTENER_NAP)
        # What the last wait said: most wakes are for a PING due, with
        # nothing to read, and asking the kernel again is a system call.
        self._read(news, listener=True)
        if self.outstanding is None:
            self._ping_if_due(now)
        elif now - self.outstanding[1] > DEAD_AFTER:
            raise FeedLost("a PING went unanswered")
        if self.outstanding is not None:
            # Its answer wakes the listener; this is only how long until it
            # looks at the clock again (DEAD_AFTER, checks gone quiet).
            return PING_INTERVAL
        # Not due yet; or due, and the connection could not take it yet
        # (its last query unanswered, whose answer wakes the listener).
        return max(self.last_ping_at + PING_INTERVAL - now, LISTENER_NAP / 5)

    def _watching(self) -> "_Watch | None":
        """Return the watch on the connection's socket (None: it cannot be seen)."""
        sock = self._socket()
        if sock is None:
            return None
        if self._watch is None or self._watch.sock != sock:
            self._watch = _Watch(sock)
        return self._watch

    def _listening_from_now_on(self) -> None:
        self._forget_vouching()
        # Only now, with the subscription confirmed: whatever was remembered
        # may have been revoked while nothing was listening. From here on
        # every revocation arrives.
        self.on_gap()

    def _ping_if_due(self, now: float) -> None:
        if now - self.last_ping_at < PING_INTERVAL:
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
            # Everything read before this answer was forgotten before it:
            # only now may the checks believe what is left.
            self.vouched_at = sent_at
            self.outstanding = None

    @staticmethod
    def _ping_payload(number: int) -> str:
        return f"jwt_sessions:{number}"

    def _forget_vouching(self) -> None:
        self.outstanding = None
        self.vouched_at = float("-inf")

    def _drop(self, why: str) -> None:
        logger.warning("revocation feed lost: %s; checking directly", why)
        # Not believed from here on, before anything else.
        self._forget_vouching()
        self._close()
        # Reconnect at once; a refused connection then waits.
        self.retry_at = 0.0

    def _bytes_waiting(self) -> bool:
        """Ask the kernel, without waiting, whether the connection has news.

        For PostgreSQL's reads, when the listener's wait did not say: libpq
        costs tens of µs to say it has nothing. A read takes every whole
        message libpq has parsed (results and notifications), so nothing
        readable is left in its buffer after it, and anything new arrives
        as bytes on the socket first. When the socket cannot be seen, the
        library is asked.
        """
        if (watch := self._watching()) is None:
            return True
        # Readable, hung up or in error: the read that follows reads or raises.
        return bool(select.select((watch.sock,), (), (), 0)[0])

    # --- What each transport does ----------------------------------------

    def _listening(self) -> bool:
        raise NotImplementedError

    def _listen(self, now: float) -> bool:
        raise NotImplementedError

    def _read(self, news: bool | None = None, *, listener: bool = False) -> None:
        """Read what arrived, without waiting.

        `news`: whether anything did (None: ask the kernel). `listener`:
        the listener reads (a check reads otherwise).
        """
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


def _start_afresh(feed: "weakref.ref[_PingedFeed]") -> None:
    # In a forked child, before anything else runs: no listener, no
    # connection, nothing vouched for. The child's first check starts its
    # own listener, whose subscription forgets what the parent remembered.
    if (alive := feed()) is None:
        return
    alive.lock = threading.Lock()
    alive.pinger = None
    alive._abandon()
    alive._forget_vouching()


def _client(url: str) -> redis.Redis:
    # No retries: a reconnect behind our back would hide a gap in the
    # subscription, and what was published during it would be lost unseen.
    return redis.Redis.from_url(
        url,
        socket_timeout=SOCKET_TIMEOUT,
        socket_connect_timeout=SOCKET_TIMEOUT,
        retry=Retry(NoBackoff(), 0),
        health_check_interval=0,
        # RESP2: in a subscription, every reply is a message or a
        # ["pong", payload] (RESP3 answers a PING like any other command).
        protocol=2,
    )


class _Subscription:
    """A connection of this process's own, subscribed to the channel.

    redis-py makes the connection (TLS, AUTH) and writes the commands;
    the listener reads the socket itself, one recv() per wake (redis-py's
    reading costs about a dozen system calls, each a chance for a request
    to take the GIL from the listener mid-read), and hiredis parses.
    """

    def __init__(self, connection):
        self.connection = connection
        self.sock = connection._sock
        self.reader = hiredis.Reader()
        # Plain TCP: the C library's calls on the descriptor. TLS: Python's.
        self.raw = _io is not None and not isinstance(self.sock, ssl.SSLSocket)
        if self.raw:
            self.fd = self.sock.fileno()
            self.buffer = ctypes.create_string_buffer(RECV_SIZE)

    def replies(self, *, timeout: float = 0, listener: bool = False):
        """Read what has arrived (waiting up to `timeout` for it); yield each reply.

        The listener reads holding the GIL (raw). A check that reads
        instead lets go of it for its read: the listener, woken by what
        arrived and waiting for the GIL, then reads the rest and waits on
        the socket again, and the checks after need not read.
        """
        if timeout and not select.select((self.sock,), (), (), timeout)[0]:
            return
        raw = listener and self.raw
        while (data := self._recv(raw)) is not None:
            if not data:
                raise FeedLost("the server closed the connection")
            self.reader.feed(data)
            # Less than asked for: nothing more was there (what comes later
            # wakes the listener). TLS may hold more of what it decrypted.
            pending = getattr(self.sock, "pending", None)
            if len(data) < RECV_SIZE and not (pending and pending()):
                break
        while (reply := self.reader.gets()) is not False:
            if isinstance(reply, Exception):  # an error reply
                raise FeedLost(f"Redis answered {reply}")
            yield reply

    def _recv(self, raw: bool) -> bytes | None:
        """Return what the socket holds (b"": closed; None: nothing now)."""
        if not raw:
            try:
                return self.sock.recv(RECV_SIZE)
            except (BlockingIOError, ssl.SSLWantReadError):
                return None
        got = _io[0](self.fd, self.buffer, RECV_SIZE, _NO_WAIT)
        if got < 0:
            number = ctypes.get_errno()
            if number in (errno.EAGAIN, errno.EWOULDBLOCK, errno.EINTR):
                return None
            raise OSError(number, os.strerror(number))
        return ctypes.string_at(self.buffer, got)

    def send(self, *args) -> None:
        """Send one command."""
        data = b"".join(self.connection.pack_command(*args))
        sent = 0
        if self.raw:
            sent = max(0, _io[1](self.fd, data, len(data), _NO_WAIT | _NO_SIGNAL))
        if sent < len(data):  # the rest, as redis-py would
            self.connection.send_packed_command([data[sent:]], check_health=False)

    def close(self) -> None:
        self.connection.disconnect()


class RevocationFeed(_PingedFeed):
    """This process's subscription to the revocations channel of a Redis.

    Redis answers one connection in order, so every revocation published
    before a PING was read before its PONG.
    """

    errors = (redis.RedisError, OSError, ValueError, hiredis.ProtocolError)

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
        subscription = None
        try:
            connection = _client(self.url).connection_pool.make_connection()
            connection.connect()
            subscription = _Subscription(connection)
            subscription.send("SUBSCRIBE", self.channel)
            replies = list(subscription.replies(timeout=SOCKET_TIMEOUT))
            if not replies or replies[0][0] != b"subscribe":
                raise redis.ConnectionError("no subscription confirmed")
            # From here on the listener waits for the socket itself.
            subscription.sock.settimeout(0)
        except (FeedLost, *self.errors) as exc:
            if subscription is not None:
                subscription.close()
            self.retry_at = now + RECONNECT_EVERY
            logger.warning("revocation feed unavailable (%s); checking directly", exc)
            return False
        self.pubsub = subscription
        self._listening_from_now_on()
        # Whatever came with the confirmation was read off the socket already.
        self._take(replies[1:])
        return True

    def _read(self, news: bool | None = None, *, listener: bool = False) -> None:
        # The listener says whether its wait saw anything; a check's read,
        # which does not wait, is itself the question.
        if news is not False:
            self._take(self.pubsub.replies(listener=listener))

    def _take(self, replies) -> None:
        for reply in replies:
            kind = reply[0]
            if kind == b"message":
                self.on_revoked(reply[2].decode().split(","))
            elif kind == b"pong":
                self._answered(reply[1].decode(errors="replace"))

    def _send_ping(self, payload: str) -> bool:
        self.pubsub.send("PING", payload)
        return True

    def _socket(self):
        return self.pubsub.sock

    def _close(self) -> None:
        if self.pubsub is not None:
            with contextlib.suppress(redis.RedisError, OSError):
                self.pubsub.close()
        self.pubsub = None
        self._watch = None

    def _abandon(self) -> None:
        self.pubsub = self.publisher = None
        self._watch = None

    # --- Writing ----------------------------------------------------------

    def announce(self, sids) -> None:
        # Published once committed (publish), since Redis is not part of
        # the transaction.
        pass

    def publish(self, sids) -> bool:
        """Tell every process that the sessions `sids` were revoked."""
        try:
            if self.publisher is None:
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
                self._read(listener=True)
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

    def _read(self, news: bool | None = None, *, listener: bool = False) -> None:
        pgconn = self.pgconn
        if self.unsent:
            # What libpq could not send at once.
            self.unsent = pgconn.flush() == 1
        elif not (self._bytes_waiting() if news is None else news):
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
        self._watch = None
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
