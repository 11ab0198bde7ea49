"""Hand-made tokens for tests that attack the token checks."""

import time
import uuid
from datetime import timedelta

import jwt
from django.conf import settings
from django.utils import timezone

from jwt_sessions.keys import get_key_set
from jwt_sessions.models import Session


def valid_claims(user, token_type="access", **overrides):
    """Return the claims of a valid token of a new login session of `user`."""
    now = int(time.time())
    session = Session.objects.create(
        user=user,
        expires_at=timezone.now() + timedelta(days=1),
        refresh_jti=uuid.uuid4().hex,
    )
    claims = {
        "sid": str(session.pk),
        "token_type": token_type,
        "exp": now + 300,
        "iat": now,
        "jti": uuid.uuid4().hex,
        "user_id": str(user.pk),
        "auth_time": now,
        "iss": settings.JWT_ISSUER,
        "aud": settings.JWT_AUDIENCE,
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not DROP}


DROP = object()


def forge(claims, key=None, algorithm="HS256", headers=None):
    """Sign `claims`; by default as the site does (its key, its kid)."""
    key = settings.JWT_SIGNING_KEY if key is None else key
    if headers is None:
        headers = {"kid": get_key_set().active.kid}
    return jwt.encode(claims, key, algorithm=algorithm, headers=headers)
