"""Fixtures shared by the tests of jwt_sessions."""

import pytest

from tests.helpers.key_files import use_key_file

ASYMMETRIC = ["RS256", "ES256", "EdDSA"]


@pytest.fixture(params=ASYMMETRIC)
def algorithm(request, settings, tmp_path):
    use_key_file(settings, tmp_path, request.param)
    return request.param
