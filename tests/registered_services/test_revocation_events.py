"""Every ended session reaches every service as one signed, verifiable event."""

import re

import jwt
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jwt_sessions import services as sessions
from jwt_sessions.models import Session
from registered_services.events import SESSION_REVOKED
from registered_services.models import ServiceEvent
from tests.helpers.clients import (
    PASSWORD,
    bearer_token,
    csrf_headers,
    log_in,
    post_json,
)
from tests.helpers.key_files import jwt_keys
from tests.helpers.services import registered, verify_event

Reason = Session.RevokeReason


def app_login(email) -> dict:
    response = post_json(
        Client(), "api:app-token", {"email": email, "password": PASSWORD}
    )
    assert response.status_code == 200, response.content
    return response.json()


def test_a_logout_pushes_one_signed_session_revoked_event(shop, receiver, user):
    tokens = app_login(user.email)
    session = Session.objects.get(user=user)

    response = post_json(
        Client(), "api:app-token-blacklist", {"refresh": tokens["refresh"]}
    )

    assert response.status_code == 200
    assert len(receiver.received) == 1
    headers, body = receiver.received[0]
    assert headers["Content-Type"] == "application/secevent+jwt"
    assert headers["Accept"] == "application/json"
    event = verify_event(body, audience="shop-api")
    session.refresh_from_db()
    assert event["header"]["typ"] == "secevent+jwt"
    assert event["header"]["alg"] == "ES256"
    assert event["iss"] == "authsite"
    assert event["aud"] == "shop-api"
    assert re.fullmatch(r"[0-9a-f]{32}", event["jti"])
    assert event["seq"] == 1
    assert event["sid"] == str(session.pk)
    assert event["sub"] == str(user.pk)
    assert event["sub_id"] == {
        "format": "complex",
        "session": {"format": "opaque", "id": str(session.pk)},
        "user": {"format": "opaque", "id": str(user.pk)},
    }
    assert event["events"] == {
        SESSION_REVOKED: {
            "event_timestamp": int(session.revoked_at.timestamp()),
            "initiating_entity": "user",
            "reason_admin": {"en": "logged out"},
        }
    }
    assert abs(event["iat"] - timezone.now().timestamp()) < 5
    assert "exp" not in event
    stored = ServiceEvent.objects.get()
    assert stored.delivered_at is not None
    assert stored.attempts == 1


def ended_by_logout(user):
    browser = Client()
    log_in(browser, user.email)
    browser.post(reverse("api:token-blacklist"), **csrf_headers(browser))


def ended_from_the_sessions_api(user):
    token = bearer_token(Client(), user.email)
    sid = Session.objects.get(user=user).pk
    response = Client().delete(
        reverse("api:session", args=(sid,)), HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 204


def ended_by_a_password_change(user):
    token = bearer_token(Client(), user.email)
    bearer_token(Client(), user.email)  # a second session, ended too
    response = post_json(
        Client(),
        "api:password-change",
        {"old_password": PASSWORD, "new_password": "a whole new passphrase 77"},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 200, response.content


def ended_by_a_password_reset(user):
    from accounts import services as accounts

    bearer_token(Client(), user.email)
    accounts.reset_password(
        request=None, user=user, new_password="a whole new passphrase 77"
    )


def ended_by_reuse(user, settings):
    settings.JWT_REFRESH_GRACE_SECONDS = 0
    old = app_login(user.email)["refresh"]
    assert (
        post_json(Client(), "api:app-token-refresh", {"refresh": old}).status_code
        == 200
    )
    assert (
        post_json(Client(), "api:app-token-refresh", {"refresh": old}).status_code
        == 401
    )


def ended_by_deactivation(user):
    bearer_token(Client(), user.email)
    user.is_active = False
    user.save()


def ended_by_key_retirement(user, signing_key):
    bearer_token(Client(), user.email)
    jwt_keys("generate")
    jwt_keys("retire", signing_key, "--emergency")


def ended_by_staff(user):
    bearer_token(Client(), user.email)
    sessions.end_session(
        user=user, session_id=Session.objects.get(user=user).pk, reason=Reason.ADMIN
    )


@pytest.mark.parametrize(
    ("end", "reason", "entity"),
    [
        (ended_by_logout, Reason.LOGOUT, "user"),
        (ended_from_the_sessions_api, Reason.ENDED_BY_USER, "user"),
        (ended_by_a_password_change, Reason.PASSWORD_CHANGED, "user"),
        (ended_by_a_password_reset, Reason.PASSWORD_RESET, "user"),
        (ended_by_reuse, Reason.REUSE_DETECTED, "policy"),
        (ended_by_deactivation, Reason.ACCOUNT_DEACTIVATED, "admin"),
        (ended_by_key_retirement, Reason.KEY_RETIRED, "admin"),
        (ended_by_staff, Reason.ADMIN, "admin"),
    ],
    ids=lambda value: getattr(value, "__name__", None),
)
def test_every_kind_of_revocation_sends_one_event_per_session_and_service(
    request, shop, receiver, user, end, reason, entity
):
    registered("orders", "orders-api", receiver.url)
    wanted = end.__code__.co_varnames[1 : end.__code__.co_argcount]
    end(user, **{name: request.getfixturevalue(name) for name in wanted})

    ended = list(Session.objects.filter(user=user, revoked_reason=reason))
    assert ended
    ended_otherwise = Session.objects.filter(user=user, revoked_at__isnull=False)
    assert not ended_otherwise.exclude(revoked_reason=reason).exists()
    by_audience = {"shop-api": [], "orders-api": []}
    for body in receiver.bodies():
        audience = jwt.decode(body, options={"verify_signature": False})["aud"]
        by_audience[audience].append(verify_event(body, audience=audience))
    for events in by_audience.values():
        assert sorted(e["sid"] for e in events) == sorted(str(s.pk) for s in ended)
        assert sorted(e["seq"] for e in events) == list(range(1, len(ended) + 1))
        for event in events:
            revoked = event["events"][SESSION_REVOKED]
            assert revoked["initiating_entity"] == entity
            assert revoked["reason_admin"] == {"en": str(reason.label)}
    assert ServiceEvent.objects.filter(delivered_at__isnull=False).count() == 2 * len(
        ended
    )
