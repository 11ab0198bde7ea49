"""When the deny list cannot be trusted, tokens are introspected, never waved on."""

import os
import threading

import pytest

from authsite_verifier import IssuerUnavailable, TokenRevoked
from authsite_verifier.expiring import ExpiringSet
from fake_issuer import wait_until

SET_TYPE = "application/secevent+jwt"


def test_fresh_deny_list_needs_no_introspection(issuer, verifier):
    issuer.revoke("s-gone")
    wait_until(lambda: verifier._synced_seq == 1)

    with pytest.raises(TokenRevoked):
        verifier.verify(issuer.mint(sid="s-gone"))
    verifier.verify(issuer.mint(sid="s-alive"))

    assert issuer.hits["introspect"] == 0


def test_revocation_reaches_the_service_by_poll_alone(issuer, verifier):
    token = issuer.mint(sid="s-gone")
    verifier.verify(token)

    issuer.revoke("s-gone")  # no push: an events URL left blank

    wait_until(lambda: verifier._synced_seq == 1, timeout=1.0)
    with pytest.raises(TokenRevoked):
        verifier.verify(token)


def test_gap_in_seq_falls_back_to_introspection_until_a_poll_fills_it(
    issuer, make_verifier
):
    verifier = make_verifier(poll_interval=0.05, max_staleness=30)
    verifier.start()
    wait_until(verifier.is_fresh)
    issuer.poll_mode = "fail"
    issuer.revoke("s-missed")  # seq 1: its push was lost
    pushed = issuer.revoke("s-pushed")  # seq 2

    verifier.receive(pushed.encode(), SET_TYPE)

    assert not verifier.is_fresh()
    # s-missed is in no local list, yet refused: introspection says inactive.
    with pytest.raises(TokenRevoked):
        verifier.verify(issuer.mint(sid="s-missed"))
    asked = issuer.hits["introspect"]
    assert asked == 1
    assert verifier.verify(issuer.mint(sid="s-alive"))
    assert issuer.hits["introspect"] == asked + 1

    issuer.poll_mode = "ok"
    wait_until(verifier.is_fresh)

    with pytest.raises(TokenRevoked):
        verifier.verify(issuer.mint(sid="s-missed"))
    verifier.verify(issuer.mint(sid="s-alive"))
    assert issuer.hits["introspect"] == asked + 1


@pytest.mark.parametrize("mode", ["fail", "stall"])
def test_failing_poll_falls_back_to_introspection_and_recovers(issuer, verifier, mode):
    issuer.poll_mode = mode
    wait_until(lambda: not verifier.is_fresh(), timeout=3)
    issuer.revoked_sids.add("s-gone")  # revoked, its event not delivered

    with pytest.raises(TokenRevoked):
        verifier.verify(issuer.mint(sid="s-gone"))
    assert verifier.verify(issuer.mint(sid="s-alive"))
    assert issuer.hits["introspect"] == 2

    issuer.poll_mode = "ok"
    issuer.stalled.set()
    wait_until(verifier.is_fresh, timeout=3)
    verifier.verify(issuer.mint(sid="s-alive"))
    assert issuer.hits["introspect"] == 2


def test_neither_poll_nor_introspection_working_accepts_nothing(issuer, verifier):
    issuer.poll_mode = "fail"
    wait_until(lambda: not verifier.is_fresh(), timeout=3)
    issuer.close()

    with pytest.raises(IssuerUnavailable):
        verifier.verify(issuer.mint(sid="s-alive"))


def test_new_verifier_refuses_a_revoked_session_from_its_first_call(
    issuer, make_verifier
):
    token = issuer.mint(sid="s-gone")
    issuer.revoke("s-gone")  # while the service was down

    restarted = make_verifier()

    with pytest.raises(TokenRevoked):
        restarted.verify(token)


def test_new_verifier_whose_poll_fails_still_refuses_a_revoked_session(
    issuer, make_verifier
):
    token = issuer.mint(sid="s-gone")
    issuer.revoke("s-gone")
    issuer.poll_mode = "fail"

    restarted = make_verifier()

    with pytest.raises(TokenRevoked):
        restarted.verify(token)
    assert restarted.verify(issuer.mint(sid="s-alive"))
    assert issuer.hits["introspect"] == 2


def test_new_verifier_catches_up_from_seq_zero_page_by_page(issuer, make_verifier):
    issuer.page_size = 2
    for n in range(5):
        issuer.revoke(f"s-{n}")

    restarted = make_verifier()
    restarted.poll_now()

    assert restarted.is_fresh()
    for n in range(5):
        with pytest.raises(TokenRevoked):
            restarted.verify(issuer.mint(sid=f"s-{n}"))
    assert issuer.hits["introspect"] == 0


def test_events_the_site_no_longer_retains_leave_no_gap(issuer, make_verifier):
    for n in range(3):
        issuer.revoke(f"s-{n}")
    del issuer.events[:2]  # dropped once their tokens expired

    restarted = make_verifier()
    restarted.poll_now()

    assert restarted.is_fresh()


def test_full_deny_list_is_not_trusted_until_what_it_forgot_expired(
    issuer, make_verifier
):
    verifier = make_verifier(max_revoked_sessions=2, max_staleness=30)
    for n in range(3):
        issuer.revoke(f"s-{n}")

    verifier.poll_now()

    assert not verifier.is_fresh()
    # s-0 was forgotten, yet introspection refuses it.
    with pytest.raises(TokenRevoked):
        verifier.verify(issuer.mint(sid="s-0"))


def test_revoked_sessions_are_forgotten_once_their_tokens_expired():
    sessions = ExpiringSet(max_size=10)
    sessions.add("s-1", deadline=100.0, now=0.0)

    assert sessions.contains("s-1", now=99.0)
    assert not sessions.contains("s-1", now=100.0)
    sessions.prune(now=100.0)
    assert len(sessions) == 0


def test_expiring_set_evicts_the_soonest_and_says_until_when():
    sessions = ExpiringSet(max_size=2)
    sessions.add("a", deadline=50.0, now=0.0)
    sessions.add("b", deadline=10.0, now=0.0)

    assert sessions.add("c", deadline=90.0, now=0.0) == 10.0
    assert not sessions.contains("b", now=1.0)
    assert sessions.contains("a", now=1.0) and sessions.contains("c", now=1.0)


def test_revoked_session_is_kept_for_the_token_lifetime_and_leeway(issuer, verifier):
    issuer.revoke("s-gone")
    wait_until(lambda: verifier._synced_seq == 1)
    claims = issuer.event_claims("s-gone", seq=1)

    kept_until = verifier._revoked._deadlines["s-gone"]

    lifetime = verifier.max_token_lifetime + verifier.leeway
    assert claims["iat"] - 1 + lifetime <= kept_until <= claims["iat"] + lifetime + 2


def test_concurrent_verifies_and_pushes_are_consistent(issuer, verifier):
    issuer.poll_mode = "fail"
    gone = [f"s-gone-{n}" for n in range(40)]
    tokens = {sid: issuer.mint(sid=sid) for sid in [*gone, "s-alive"]}
    events = [issuer.revoke(sid).encode() for sid in gone]
    errors = []
    start = threading.Barrier(8)

    def push(chunk):
        start.wait()
        for body in chunk:
            verifier.receive(body, SET_TYPE)

    def check():
        start.wait()
        for _ in range(30):
            try:
                verifier.verify(tokens["s-alive"])
            except Exception as error:
                errors.append(error)

    threads = [threading.Thread(target=push, args=(events[n::4],)) for n in range(4)]
    threads += [threading.Thread(target=check) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    for sid in gone:
        with pytest.raises(TokenRevoked):
            verifier.verify(tokens[sid])
    assert verifier._synced_seq == len(gone)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_forked_child_polls_for_itself(issuer, verifier):
    token = issuer.mint(sid="s-gone")
    verifier.verify(token)

    revoked, told = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child, as a gunicorn worker after preload
        code = 1
        try:
            os.read(revoked, 1)
            try:
                verifier.verify(token)
            except TokenRevoked:
                code = 0
        finally:
            os._exit(code)
    # The parent holds the fake site's server thread: revoke there.
    issuer.revoke("s-gone")
    os.write(told, b"x")
    _, status = os.waitpid(pid, 0)

    assert os.waitstatus_to_exitcode(status) == 0


def test_gap_in_seq_makes_the_poller_poll_at_once(issuer, make_verifier):
    verifier = make_verifier(poll_interval=10, max_staleness=30)
    verifier.start()
    wait_until(verifier.is_fresh)
    polls = issuer.hits["events"]
    issuer.revoke("s-missed")
    pushed = issuer.revoke("s-pushed")

    verifier.receive(pushed.encode(), SET_TYPE)

    # Not in 10 s (the interval): now.
    wait_until(verifier.is_fresh, timeout=2)
    assert issuer.hits["events"] == polls + 1
    with pytest.raises(TokenRevoked):
        verifier.verify(issuer.mint(sid="s-missed"))


def test_requests_while_the_poll_fails_do_not_poll_the_site_faster(
    issuer, make_verifier
):
    verifier = make_verifier(poll_interval=5, max_staleness=5)
    issuer.poll_mode = "fail"
    verifier.start()
    wait_until(lambda: issuer.hits["events"] >= 1)

    for _ in range(30):
        verifier.verify(issuer.mint())

    assert issuer.hits["events"] == 1  # next one in 5 s, not one per request
    assert issuer.hits["introspect"] == 30
