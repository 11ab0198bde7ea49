"""Push the queued events to their services, reliably, from any process.

After a revocation commits, the process that made it pushes its events at
once (SERVICE_EVENTS_DELIVERY: from a thread of its own, or inline). Every
web process also runs one daemon thread that delivers whatever is due:
retries after a failure, with back-off, and the events of a process that
died before it pushed them. A deliverer claims an event with a conditional
UPDATE (its lease, `leased_until`, expired or never set), so several
processes never send one event at once; a lease that runs out (its holder
died mid-push) lets another take it.
"""

import logging
import os
import threading

import requests
from django.db import close_old_connections
from django.db.models import Q
from django.utils import timezone

from . import app_settings
from .events import CannotSign, backoff, sign_event
from .models import ServiceEvent

logger = logging.getLogger(__name__)

# Answers that ask to be tried again later; every other non-2xx is final.
RETRY_STATUSES = frozenset({408, 429})
# At most this many events per round, so a round ends and leases stay short.
BATCH = 100


def due_events(now):
    """Return the events that should be pushed now, oldest first."""
    return (
        ServiceEvent.objects.filter(
            delivered_at__isnull=True,
            rejected_at__isnull=True,
            due_at__lte=now,
            expires_at__gt=now,
            service__is_active=True,
        )
        .exclude(service__events_url="")
        .filter(Q(leased_until__isnull=True) | Q(leased_until__lte=now))
    )


def claim(pk: int, *, now) -> object | None:
    """Take the lease of event `pk`; return its end, or None if another holds it."""
    until = now + app_settings.lease()
    # One statement, judged by the database: of several deliverers racing
    # for a row, exactly one sees the lease expired and sets it.
    taken = ServiceEvent.objects.filter(
        Q(leased_until__isnull=True) | Q(leased_until__lte=now),
        pk=pk,
        delivered_at__isnull=True,
        rejected_at__isnull=True,
    ).update(leased_until=until)
    return until if taken else None


def deliver(ids=None) -> int:
    """Push every due event (or those of `ids` that are due); return how many landed."""
    now = timezone.now()
    candidates = due_events(now)
    if ids is not None:
        candidates = candidates.filter(pk__in=ids)
    delivered = 0
    for pk in list(
        candidates.order_by("service_id", "seq").values_list("pk", flat=True)[:BATCH]
    ):
        # The clock of now, not of the round's start: the lease must
        # outlast this push, however long the pushes before it took.
        lease = claim(pk, now=timezone.now())
        if lease is None:
            continue
        event = ServiceEvent.objects.select_related("service").get(pk=pk)
        delivered += push(event, lease=lease)
    return delivered


def push(event: ServiceEvent, *, lease) -> bool:
    """POST `event` to its service (RFC 8935) and record what came of it."""
    outcome = {"attempts": event.attempts + 1, "leased_until": None}
    try:
        body = sign_event(event)
        response = requests.post(
            event.service.events_url,
            data=body.encode(),
            headers={
                "Content-Type": "application/secevent+jwt",
                "Accept": "application/json",
            },
            timeout=app_settings.push_timeout(),
            # A redirect could send the event anywhere; it is an answer.
            allow_redirects=False,
            stream=True,
        )
    except (requests.RequestException, CannotSign) as exc:
        error, status = f"{type(exc).__name__}: {exc}", None
    else:
        with response:
            status = response.status_code
            error = f"HTTP {status}: {_head_of(response)}"
    now = timezone.now()
    if status is not None and 200 <= status < 300:
        outcome.update(delivered_at=now, last_error="")
    elif status is not None and status < 500 and status not in RETRY_STATUSES:
        # The service refused the event itself (RFC 8935 2.3): sending it
        # again would be refused again.
        outcome.update(rejected_at=now, last_error=error[:500])
        logger.warning(
            "Service %s refused revocation event %s: %s",
            event.service,
            event.jti,
            error,
        )
    else:
        outcome.update(
            due_at=now + backoff(outcome["attempts"]), last_error=error[:500]
        )
        logger.info("Will retry event %s for %s: %s", event.jti, event.service, error)
    # Only while the lease is still ours: a deliverer that took it over
    # since has the last word.
    ServiceEvent.objects.filter(pk=event.pk, leased_until=lease).update(**outcome)
    return "delivered_at" in outcome


def _head_of(response) -> str:
    # Only a little of the answer is read, enough to log; the status has
    # decided already, so a body that breaks off changes nothing.
    try:
        return response.raw.read(300, decode_content=True).decode("utf-8", "replace")
    except Exception:
        return ""


def prune() -> int:
    """Delete the events past retention (the tokens they cover have expired)."""
    deleted, _ = ServiceEvent.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted


# --- When to deliver -----------------------------------------------------------


def after_commit(ids) -> None:
    """Push the events a committed revocation queued, as the setting says."""
    mode = app_settings.delivery()
    if mode == app_settings.INLINE:
        try:
            deliver(ids)
        except Exception:
            # The revocation has committed; the events wait in the outbox.
            logger.exception("Pushing revocation events failed; they stay queued.")
    elif mode == app_settings.BACKGROUND:
        # Only a web process runs a deliverer; a management command that
        # revoked (jwt_keys retire, say) leaves its events to theirs, which
        # find them due within a second.
        current = running_deliverer()
        if current is not None:
            current.wake()


class Deliverer:
    """The daemon thread of one process that delivers what is due."""

    def __init__(self):
        self.pid = os.getpid()
        self.stopped = False
        self.woken = threading.Event()
        self.thread = threading.Thread(
            target=self.run, name="service-events", daemon=True
        )
        self.thread.start()

    def wake(self) -> None:
        self.woken.set()

    def stop(self) -> None:
        """End the thread after its current round (tests; a process exiting)."""
        self.stopped = True
        self.woken.set()
        self.thread.join(10)

    def run(self) -> None:
        rounds = 0
        while not self.stopped:
            self.woken.wait(app_settings.poll_interval())
            self.woken.clear()
            if self.stopped:
                break
            close_old_connections()
            try:
                # Until nothing more is due: a batch may not be all of it.
                while deliver():
                    pass
                rounds += 1
                if rounds % 600 == 1:
                    prune()
            except Exception:
                logger.exception("Delivering revocation events failed; will retry.")
            finally:
                close_old_connections()


_deliverer: Deliverer | None = None
_deliverer_lock = threading.Lock()


def deliverer() -> Deliverer:
    """Return this process's deliverer, starting it on first use (and after a fork)."""
    global _deliverer
    current = _deliverer
    if current is not None and current.pid == os.getpid():
        return current
    with _deliverer_lock:
        # A forked child inherits the object but not its thread.
        if _deliverer is None or _deliverer.pid != os.getpid():
            _deliverer = Deliverer()
        return _deliverer


def running_deliverer() -> Deliverer | None:
    """Return this process's deliverer if it has started one, else None."""
    current = _deliverer
    return current if current is not None and current.pid == os.getpid() else None


def stop_deliverer() -> None:
    """Stop this process's deliverer, if it runs; the next use starts another."""
    global _deliverer, _started_by_a_request
    with _deliverer_lock:
        current, _deliverer = running_deliverer(), None
        _started_by_a_request = False
    if current is not None:
        current.stop()


# Whether a request of this process has started its deliverer: from then on
# a request does nothing more here (no settings read, no getpid() system
# call). A forked child has no thread of its parent's, and starts its own.
_started_by_a_request = False


def _forget_start_in_child() -> None:
    global _started_by_a_request
    _started_by_a_request = False


os.register_at_fork(after_in_child=_forget_start_in_child)


def start_with_first_request(**kwargs) -> None:
    """Start the deliverer of a web process (request_started); not in commands."""
    global _started_by_a_request
    if _started_by_a_request:
        return
    if app_settings.delivery() == app_settings.BACKGROUND:
        deliverer()
        _started_by_a_request = True
