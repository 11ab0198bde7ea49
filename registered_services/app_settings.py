"""The settings of registered_services, read at use (tests change them)."""

from datetime import timedelta

from django.conf import settings

BACKGROUND = "background"
INLINE = "inline"
COMMAND = "command"
DELIVERY_CHOICES = (BACKGROUND, INLINE, COMMAND)


def delivery() -> str:
    """SERVICE_EVENTS_DELIVERY: who pushes the events (background by default).

    background: the process that revoked pushes after the commit, and a
    thread of each web process delivers what is due (retries, events left
    by a process that died); inline: the push runs in the commit hook
    itself, nothing in the background (tests); command: only `manage.py
    deliver_events` delivers.
    """
    return getattr(settings, "SERVICE_EVENTS_DELIVERY", BACKGROUND)


def push_timeout() -> float:
    """SERVICE_EVENTS_TIMEOUT: seconds a push may take (connect, then read)."""
    return float(getattr(settings, "SERVICE_EVENTS_TIMEOUT", 3))


def retention_margin() -> timedelta:
    """How long past the tokens it covers an event is kept (and retried)."""
    value = getattr(settings, "SERVICE_EVENTS_RETENTION_MARGIN", 60)
    return value if isinstance(value, timedelta) else timedelta(seconds=int(value))


def lease() -> timedelta:
    """How long a deliverer holds an event it claimed before another may."""
    value = getattr(settings, "SERVICE_EVENTS_LEASE", 30)
    return value if isinstance(value, timedelta) else timedelta(seconds=int(value))


def poll_interval() -> float:
    """Seconds the background deliverer sleeps when nothing is due."""
    return float(getattr(settings, "SERVICE_EVENTS_POLL_INTERVAL", 1))
