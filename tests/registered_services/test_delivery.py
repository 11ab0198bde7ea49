"""Delivery is reliable: retried with back-off, never lost, never sent twice."""

import socket
import threading
import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from jwt_sessions import services as sessions
from jwt_sessions.models import Session
from registered_services import delivery
from registered_services.events import backoff
from registered_services.models import RegisteredService, ServiceEvent
from tests.helpers.clients import bearer_token
from tests.helpers.clock import seconds_later
from tests.helpers.event_receiver import running_receiver
from tests.helpers.services import registered, verify_event

Reason = Session.RevokeReason


def log_in_and_out(user):
    """Start a session through the API and end it; return the session."""
    before = set(Session.objects.filter(user=user).values_list("pk", flat=True))
    bearer_token(Client(), user.email)
    session = Session.objects.filter(user=user).exclude(pk__in=before).get()
    sessions.end_session(user=user, session_id=session.pk, reason=Reason.ADMIN)
    return session


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def deliver_events() -> str:
    stdout = StringIO()
    call_command("deliver_events", stdout=stdout)
    return stdout.getvalue()


def test_nothing_is_queued_or_sent_when_the_revocation_rolls_back(shop, receiver, user):
    bearer_token(Client(), user.email)
    session = Session.objects.get(user=user)

    with pytest.raises(RuntimeError), transaction.atomic():
        sessions.end_session(user=user, session_id=session.pk)
        assert ServiceEvent.objects.count() == 1  # queued in the transaction
        raise RuntimeError("the request failed after the revocation")

    assert not ServiceEvent.objects.exists()
    assert receiver.received == []
    assert shop.service.last_seq == 0
    # The next event is seq 1: the rolled-back one left no gap.
    log_in_and_out(user)
    assert verify_event(receiver.bodies()[0], audience="shop-api")["seq"] == 1


def test_a_5xx_is_retried_with_back_off_until_it_is_delivered(shop, receiver, user):
    receiver.answer_with(503, 500)

    log_in_and_out(user)

    event = ServiceEvent.objects.get()
    assert (event.attempts, event.delivered_at) == (1, None)
    assert event.last_error.startswith("HTTP 503")
    assert (event.due_at - timezone.now()).total_seconds() == pytest.approx(1, abs=0.5)
    assert deliver_events() == "Delivered 0, pruned 0.\n"  # not due yet
    with seconds_later(1.1):
        deliver_events()
    event.refresh_from_db()
    assert (event.attempts, event.delivered_at) == (2, None)
    assert event.last_error.startswith("HTTP 500")
    with seconds_later(1.1 + backoff(2).total_seconds() + 0.1):
        assert deliver_events() == "Delivered 1, pruned 0.\n"
    event.refresh_from_db()
    assert event.delivered_at is not None and event.attempts == 3
    # The same event every time: one jti, identical claims.
    bodies = receiver.bodies()
    assert len(bodies) == 3
    claims = [verify_event(body, audience="shop-api") for body in bodies]
    assert all(c == claims[0] | {"header": c["header"]} for c in claims)
    assert len({c["jti"] for c in claims}) == 1


@pytest.mark.parametrize("status", [408, 429])
def test_408_and_429_are_retried(shop, receiver, user, status):
    receiver.answer_with(status)

    log_in_and_out(user)

    event = ServiceEvent.objects.get()
    assert event.rejected_at is None and event.delivered_at is None
    with seconds_later(2):
        deliver_events()
    event.refresh_from_db()
    assert event.delivered_at is not None


@pytest.mark.parametrize("status", [400, 401, 403, 404])
def test_a_4xx_is_a_refusal_for_good(shop, receiver, user, status):
    receiver.answer_with(status)

    log_in_and_out(user)

    event = ServiceEvent.objects.get()
    assert event.rejected_at is not None
    assert event.last_error.startswith(f"HTTP {status}")
    with seconds_later(120):
        deliver_events()
    assert len(receiver.received) == 1


def test_a_service_that_was_down_gets_its_events_when_it_returns(
    transactional_db, signing_key, user
):
    port = free_port()
    registered("shop", "shop-api", f"http://127.0.0.1:{port}/events")

    first, second = log_in_and_out(user), log_in_and_out(user)

    events = list(ServiceEvent.objects.order_by("seq"))
    assert [e.seq for e in events] == [1, 2]
    assert all(e.attempts == 1 and e.delivered_at is None for e in events)
    assert "ConnectionError" in events[0].last_error
    with running_receiver(port) as receiver, seconds_later(1.5):
        assert deliver_events() == "Delivered 2, pruned 0.\n"
        delivered = [verify_event(b, audience="shop-api") for b in receiver.bodies()]
    assert [e["sid"] for e in delivered] == [str(first.pk), str(second.pk)]
    assert [e["seq"] for e in delivered] == [1, 2]


def test_events_of_a_process_that_died_before_pushing_are_delivered(
    shop, receiver, user, settings
):
    # SERVICE_EVENTS_DELIVERY=command: nothing pushes after the commit, as
    # when the process died between its commit and its push.
    settings.SERVICE_EVENTS_DELIVERY = "command"
    log_in_and_out(user)
    assert receiver.received == []

    assert deliver_events() == "Delivered 1, pruned 0.\n"

    assert len(receiver.received) == 1
    assert deliver_events() == "Delivered 0, pruned 0.\n"  # never twice


def test_a_lease_held_by_a_deliverer_keeps_others_off_until_it_expires(
    shop, receiver, user, settings
):
    settings.SERVICE_EVENTS_DELIVERY = "command"
    log_in_and_out(user)
    event = ServiceEvent.objects.get()
    # A deliverer claimed it, then died mid-push.
    assert delivery.claim(event.pk, now=timezone.now()) is not None

    assert deliver_events() == "Delivered 0, pruned 0.\n"
    with seconds_later(31):
        assert deliver_events() == "Delivered 1, pruned 0.\n"
    assert len(receiver.received) == 1


def test_two_deliverers_at_once_send_each_event_once(shop, receiver, user, settings):
    settings.SERVICE_EVENTS_DELIVERY = "command"
    for _ in range(8):
        log_in_and_out(user)
    start = threading.Barrier(3)
    errors = []

    def deliverer():
        try:
            start.wait()
            delivery.deliver()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliverer) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == []
    jtis = [verify_event(b, audience="shop-api")["jti"] for b in receiver.bodies()]
    assert len(jtis) == 8
    assert len(set(jtis)) == 8
    assert ServiceEvent.objects.filter(delivered_at__isnull=True).count() == 0


def test_an_inactive_or_poll_only_service_is_not_pushed_to(
    transactional_db, signing_key, receiver, user
):
    registered("poller", "poller-api")
    paused = registered("paused", "paused-api", receiver.url)
    RegisteredService.objects.filter(pk=paused.service.pk).update(is_active=False)

    log_in_and_out(user)

    # The active poll-only service is owed the event; the inactive one nothing.
    assert list(ServiceEvent.objects.values_list("service__name", flat=True)) == [
        "poller"
    ]
    assert deliver_events() == "Delivered 0, pruned 0.\n"
    assert receiver.received == []


def test_events_past_retention_are_dropped_and_pruned(shop, receiver, user, settings):
    settings.SERVICE_EVENTS_DELIVERY = "command"
    log_in_and_out(user)
    event = ServiceEvent.objects.get()
    # Every token the session had has expired by then, leeway included.
    assert event.expires_at >= Session.objects.get().revoked_at + timezone.timedelta(
        seconds=settings.JWT_ACCESS_LIFETIME
    )
    later = (event.expires_at - timezone.now()).total_seconds() + 1

    with seconds_later(later):
        assert deliver_events() == "Delivered 0, pruned 1.\n"

    assert receiver.received == []
    assert not ServiceEvent.objects.exists()


def test_queueing_costs_a_fixed_number_of_queries(shop, receiver, user, settings):
    settings.SERVICE_EVENTS_DELIVERY = "command"
    registered("orders", "orders-api", receiver.url)
    for _ in range(3):
        bearer_token(Client(), user.email)
    with CaptureQueriesContext(connection) as queries:
        sessions.end_sessions(user=user, reason=Reason.ENDED_BY_USER)
    queueing = [q for q in queries if "registered_services" in q["sql"]]
    # Lock the services, bump each one's last_seq, one insert for all.
    assert len(queueing) == 1 + 2 + 1, [q["sql"] for q in queueing]
    assert ServiceEvent.objects.count() == 6


@pytest.fixture
def background(settings):
    """SERVICE_EVENTS_DELIVERY=background, and its thread stopped afterwards."""
    settings.SERVICE_EVENTS_DELIVERY = "background"
    yield
    delivery.stop_deliverer()


def wait_for(condition, seconds=10.0):
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
    return condition()


def test_a_web_process_pushes_from_its_own_thread_after_the_commit(
    shop, receiver, user, background
):
    assert delivery.running_deliverer() is None  # nothing at import
    tokens = bearer_token(Client(), user.email)  # a request: the thread starts
    thread = delivery.running_deliverer()
    assert thread is not None and thread.thread.is_alive()
    session = Session.objects.get(user=user)

    response = Client().delete(
        reverse("api:session", args=(session.pk,)),
        HTTP_AUTHORIZATION=f"Bearer {tokens}",
    )

    assert response.status_code == 204
    assert wait_for(lambda: len(receiver.received) == 1)
    assert wait_for(
        lambda: ServiceEvent.objects.filter(delivered_at__isnull=False).exists()
    )
    assert verify_event(receiver.bodies()[0], audience="shop-api")["sid"] == str(
        session.pk
    )


def test_a_management_command_that_revokes_starts_no_deliverer(
    shop, receiver, user, background, signing_key
):
    bearer_token(Client(), user.email)
    delivery.stop_deliverer()  # as in a process that never served a request

    call_command("jwt_keys", "generate", stdout=StringIO())
    call_command("jwt_keys", "retire", signing_key, "--emergency", stdout=StringIO())

    assert Session.objects.get().revoked_reason == Reason.KEY_RETIRED
    assert delivery.running_deliverer() is None
    assert receiver.received == []
    # Left for the web processes' deliverers (or deliver_events).
    assert ServiceEvent.objects.get().delivered_at is None


def test_revocations_at_once_keep_each_services_seq_contiguous(
    shop, receiver, user, other_user, settings
):
    settings.SERVICE_EVENTS_DELIVERY = "command"
    users = [user, other_user] * 2
    for each in users:
        bearer_token(Client(), each.email)
    ids = list(Session.objects.values_list("pk", "user_id"))
    start = threading.Barrier(len(ids))
    errors = []

    def end(pk, user_id):
        try:
            start.wait()
            sessions.end_session(user=type(user)(pk=user_id), session_id=pk)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=end, args=pair) for pair in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == []
    seqs = sorted(ServiceEvent.objects.values_list("seq", flat=True))
    assert seqs == [1, 2, 3, 4]
    assert RegisteredService.objects.get().last_seq == 4
