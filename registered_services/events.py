"""Revocation events: their claims (fixed when queued) and their signature.

A CAEP session-revoked Security Event Token (RFC 8417) per ended session
and registered service. The claims are built once, in the revocation's
transaction, and kept in the outbox (ServiceEvent.claims); every push and
every poll signs those same claims with the site's active key, so a
redelivery carries an identical event.
"""

import uuid
from datetime import timedelta

import jwt
from django.utils import translation

from jwt_sessions import keys
from jwt_sessions.app_settings import app_settings
from jwt_sessions.models import Session

from . import app_settings as service_settings
from .models import ServiceEvent

SESSION_REVOKED = "https://schemas.openid.net/secevent/caep/event-type/session-revoked"
SET_TYPE = "secevent+jwt"
Reason = Session.RevokeReason

# CAEP's initiating_entity: who or what ended the session.
INITIATING_ENTITY = {
    Reason.LOGOUT: "user",
    Reason.REPLACED: "user",
    Reason.ENDED_BY_USER: "user",
    Reason.PASSWORD_CHANGED: "user",
    Reason.PASSWORD_RESET: "user",
    Reason.REUSE_DETECTED: "policy",
    Reason.ACCOUNT_DEACTIVATED: "admin",
    Reason.ADMIN: "admin",
    Reason.KEY_RETIRED: "admin",
}


class CannotSign(Exception):
    """The site has no asymmetric key to sign events with (HS256)."""


def event_claims(*, service, seq: int, session, now) -> dict:
    """Return the claims of the event that tells `service` `session` ended."""
    sid, sub = str(session.pk), str(session.user_id)
    with translation.override("en"):
        label = str(Reason(session.revoked_reason).label)
    return {
        "iss": app_settings.ISSUER,
        "aud": service.audience,
        "iat": int(now.timestamp()),
        "jti": uuid.uuid4().hex,
        "seq": seq,
        "sid": sid,
        "sub": sub,
        "sub_id": {
            "format": "complex",
            "session": {"format": "opaque", "id": sid},
            "user": {"format": "opaque", "id": sub},
        },
        "events": {
            SESSION_REVOKED: {
                "event_timestamp": int(session.revoked_at.timestamp()),
                "initiating_entity": INITIATING_ENTITY.get(
                    session.revoked_reason, "system"
                ),
                "reason_admin": {"en": label},
            }
        },
    }


def retained_until(revoked_at):
    """Return when an event of a revocation at `revoked_at` is of no more use."""
    # Every access token of the session has expired by then, leeway
    # included; after it nobody needs to be told (the refresh token never
    # leaves this site).
    return (
        revoked_at
        + app_settings.ACCESS_TOKEN_LIFETIME
        + app_settings.LEEWAY
        + service_settings.retention_margin()
    )


def queue_events(*, services, sessions, now) -> list[ServiceEvent]:
    """Write the events owed to `services` (locked rows) for ended `sessions`."""
    events = []
    for service in services:
        for session in sessions:
            service.last_seq += 1
            claims = event_claims(
                service=service, seq=service.last_seq, session=session, now=now
            )
            events.append(
                ServiceEvent(
                    service=service,
                    seq=service.last_seq,
                    jti=claims["jti"],
                    session_id=session.pk,
                    user_id=claims["sub"],
                    claims=claims,
                    created_at=now,
                    due_at=now,
                    expires_at=retained_until(session.revoked_at),
                )
            )
        service.save(update_fields=["last_seq"])
    return ServiceEvent.objects.bulk_create(events)


def sign_event(event: ServiceEvent) -> str:
    """Return the compact SET of `event`, signed now by the active key.

    The one place events are signed: push and poll both call it.
    """
    algorithm = keys.configured_algorithm()
    if algorithm in keys.HMAC_ALGORITHMS:
        # A service could not verify it, and must never hold our secret.
        raise CannotSign(
            "Events need an asymmetric key: set JWT_ALGORITHM to ES256, EdDSA "
            "or RS256 and run `manage.py jwt_keys generate`."
        )
    key = keys.get_key_set().active
    return jwt.encode(
        # Sorted, as tokens are: the same claims give the same bytes to sign.
        dict(sorted(event.claims.items())),
        key.signing_key,
        algorithm=algorithm,
        headers={"kid": key.kid, "typ": SET_TYPE},
    )


def backoff(attempts: int) -> timedelta:
    """Return how long to wait after the `attempts`-th failed push: 1, 2, 4 s ... 60."""
    return timedelta(seconds=min(60, 2 ** max(0, attempts - 1)))
