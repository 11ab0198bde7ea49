"""Fixtures shared by the tests of jwt_sessions."""

import pytest
from django.utils import timezone

from jwt_sessions.models import Session
from tests.helpers.key_files import use_key_file

ASYMMETRIC = ["RS256", "ES256", "EdDSA"]


@pytest.fixture(params=ASYMMETRIC)
def algorithm(request, settings, tmp_path):
    use_key_file(settings, tmp_path, request.param)
    return request.param


@pytest.fixture
def other_session(other_user):
    """A live session of another user, made without a login."""
    return Session.objects.create(
        user=other_user,
        expires_at=timezone.now() + timezone.timedelta(hours=1),
        refresh_jti="other-jti",
    )
