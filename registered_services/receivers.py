"""Queue a revocation event for every registered service as sessions end."""

from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from jwt_sessions.models import Session
from jwt_sessions.signals import session_revoked

from . import delivery
from .events import queue_events
from .models import RegisteredService


@receiver(session_revoked, sender=Session)
def queue_revocation_events(sender, sessions, **kwargs):
    """Write one outbox row per (ended session, active service), in this transaction."""
    # Sent inside the revocation's transaction (jwt_sessions.signals): the
    # rows commit with it or not at all. The service rows are locked, in
    # one order, so that two revocations at once take turns at last_seq
    # and every service's seq stays 1, 2, 3 ... without a gap or a repeat.
    if not sessions:
        return
    # No savepoint: inside the revocation's transaction this adds no query.
    with transaction.atomic(savepoint=False):
        services = list(
            RegisteredService.objects.active().select_for_update().order_by("pk")
        )
        if not services:
            return
        events = queue_events(services=services, sessions=sessions, now=timezone.now())
    ids = [event.pk for event in events]
    transaction.on_commit(lambda: delivery.after_commit(ids))
