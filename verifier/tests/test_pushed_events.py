"""Pushed SETs: a revoked session is refused at once; attacks are 400s."""

import json
import uuid

import jwt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from authsite_verifier import EventRejected, TokenRevoked
from fake_issuer import OTHER_AUDIENCE, new_key

SET_TYPE = "application/secevent+jwt"


def rejection(verifier, body, content_type=SET_TYPE):
    with pytest.raises(EventRejected) as caught:
        verifier.receive(
            body if isinstance(body, bytes) else body.encode(), content_type
        )
    return caught.value.err


def test_pushed_event_refuses_that_session_at_once(issuer, verifier):
    revoked, other = issuer.mint(sid="s-gone"), issuer.mint(sid="s-alive")
    # The fake issuer's poll would tell too: keep it from doing so first.
    issuer.poll_mode = "fail"

    event = verifier.receive(issuer.revoke("s-gone").encode(), SET_TYPE)

    assert event.sid == "s-gone"
    with pytest.raises(TokenRevoked):
        verifier.verify(revoked)
    assert verifier.verify(other)["sid"] == "s-alive"


def test_content_type_parameters_and_case_are_accepted(issuer, verifier):
    body = issuer.revoke("s-1").encode()

    verifier.receive(body, "Application/SECEVENT+JWT; charset=utf-8")


def test_event_with_a_wrong_content_type_is_refused(issuer, verifier):
    body = issuer.revoke("s-1")

    assert rejection(verifier, body, "application/json") == "invalid_request"


def test_unsigned_event_is_refused(issuer, verifier):
    claims = issuer.event_claims("s-1", seq=1)
    body = jwt.encode(claims, None, algorithm="none", headers={"typ": "secevent+jwt"})

    assert rejection(verifier, body) == "authentication_failed"
    with pytest.raises(EventRejected):
        verifier.receive(body.encode() + b"c2ln", SET_TYPE)


def test_event_signed_with_a_wrong_key_under_a_known_kid_is_refused(issuer, verifier):
    body = issuer.sign(
        issuer.event_claims("s-1", seq=1), typ="secevent+jwt", key=new_key()
    )

    assert rejection(verifier, body) == "authentication_failed"


def test_event_signed_with_an_unknown_key_is_refused(issuer, verifier):
    body = issuer.sign(
        issuer.event_claims("s-1", seq=1), typ="secevent+jwt", kid="x", key=new_key()
    )

    assert rejection(verifier, body) == "invalid_key"


def test_event_signed_with_hs256_is_refused(issuer, verifier):
    claims = issuer.event_claims("s-1", seq=1)
    body = jwt.encode(
        claims, "k" * 32, algorithm="HS256", headers={"typ": "secevent+jwt"}
    )

    assert rejection(verifier, body) == "invalid_key"


def test_event_from_another_issuer_is_refused(issuer, verifier):
    claims = {**issuer.event_claims("s-1", seq=1), "iss": "evil"}

    assert rejection(verifier, issuer.sign(claims, typ="secevent+jwt")) == (
        "invalid_issuer"
    )


def test_event_for_another_services_audience_is_refused(issuer, verifier):
    claims = issuer.event_claims("s-1", seq=1, aud=OTHER_AUDIENCE)

    assert rejection(verifier, issuer.sign(claims, typ="secevent+jwt")) == (
        "invalid_audience"
    )
    assert verifier.verify(issuer.mint(sid="s-1"))


def test_event_without_an_audience_is_refused(issuer, verifier):
    claims = issuer.event_claims("s-1", seq=1)
    del claims["aud"]

    assert rejection(verifier, issuer.sign(claims, typ="secevent+jwt")) == (
        "invalid_request"
    )


def test_replayed_event_is_refused(issuer, verifier):
    issuer.poll_mode = "fail"
    body = issuer.revoke("s-1")
    verifier.receive(body.encode(), SET_TYPE)

    err = rejection(verifier, body)

    assert err == "invalid_request"


def test_event_already_fetched_by_the_poll_is_accepted_when_pushed(issuer, verifier):
    # The site redelivers what the poll already brought: not an attack.
    body = issuer.revoke("s-1")
    verifier.poll_now()

    verifier.receive(body.encode(), SET_TYPE)

    assert rejection(verifier, body) == "invalid_request"


def test_access_token_pushed_as_an_event_is_refused(issuer, verifier):
    assert rejection(verifier, issuer.mint()) == "invalid_request"


@pytest.mark.parametrize(
    "change",
    [
        {"events": {}},
        {"events": {"https://example.com/other-event": {}}},
        {"events": "session-revoked"},
        {"sid": None},
        {"sid": 12},
        {"seq": None},
        {"seq": 0},
        {"seq": True},
        {"seq": "3"},
        {"jti": None},
        {"iat": None},
        {"iat": "yesterday"},
        {"aud": ["inventory", "orders"]},
    ],
)
def test_event_with_bad_claims_is_refused(issuer, verifier, change):
    claims = {**issuer.event_claims("s-1", seq=1), **change}
    claims = {name: value for name, value in claims.items() if value is not None}

    rejection(verifier, issuer.sign(claims, typ="secevent+jwt"))


@pytest.mark.parametrize("typ", [None, "JWT", "jwt", "secevent", 7])
def test_event_with_a_wrong_typ_is_refused(issuer, verifier, typ):
    claims = issuer.event_claims("s-1", seq=1)
    key = issuer.keys[issuer.active_kid]
    headers = {"kid": issuer.active_kid, "typ": typ}
    body = jwt.encode(claims, key, algorithm="ES256", headers=headers)

    assert rejection(verifier, body) == "invalid_request"


def test_oversized_body_is_refused(verifier):
    assert rejection(verifier, b"a." * 20_000) == "invalid_request"


def _signed_variants(issuer):
    """Strategy: SETs with any JSON claims, validly signed by the site's key."""
    json_values = st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(st.text(max_size=8), inner, max_size=3)
        ),
        max_leaves=6,
    )
    names = st.sampled_from(
        ["iss", "aud", "iat", "jti", "seq", "sid", "sub", "events", "exp", "nbf"]
    )
    return st.dictionaries(names, json_values, max_size=10).map(
        lambda claims: issuer.sign_raw(
            {**issuer.event_claims("s-1", seq=1), **claims}, typ="secevent+jwt"
        ).encode()
    )


garbage = (
    st.binary(max_size=300)
    | st.text(max_size=300).map(str.encode)
    | st.lists(st.binary(max_size=40), min_size=2, max_size=5).map(b".".join)
    | st.dictionaries(st.text(max_size=5), st.integers(), max_size=3).map(
        lambda header: b".".join(
            [
                jwt.utils.base64url_encode(json.dumps(header).encode()),
                jwt.utils.base64url_encode(b'{"sid": "x"}'),
                b"",
            ]
        )
    )
)


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=garbage, content_type=st.sampled_from([SET_TYPE, "text/plain", ""]))
def test_garbage_bodies_of_any_shape_are_400s(verifier, body, content_type):
    try:
        verifier.receive(body, content_type)
    except EventRejected as error:
        assert error.as_dict()["err"] in EventRejected.CODES
        assert error.as_dict()["description"]


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_signed_events_with_any_claims_are_applied_or_400s(issuer, verifier, data):
    body = data.draw(_signed_variants(issuer))
    try:
        event = verifier.receive(body, SET_TYPE)
    except EventRejected:
        return
    assert isinstance(event.sid, str)
    assert isinstance(event.seq, int)


def test_a_jti_is_remembered_only_for_a_bounded_number_of_events(issuer, make_verifier):
    verifier = make_verifier(max_seen_events=3)
    issuer.poll_mode = "fail"
    bodies = [issuer.revoke(f"s-{n}") for n in range(5)]
    for body in bodies:
        verifier.receive(body.encode(), SET_TYPE)

    # The oldest were forgotten (a replay of them revokes a revoked sid).
    assert len(verifier._pushed) == 3


def test_event_with_a_random_jti_and_sid_is_applied(issuer, verifier):
    sid = str(uuid.uuid4())
    claims = issuer.event_claims(sid, seq=1)

    verifier.receive(issuer.sign(claims, typ="secevent+jwt").encode(), SET_TYPE)

    with pytest.raises(TokenRevoked):
        verifier.verify(issuer.mint(sid=sid))
