"""Fixtures of the registered services' tests: an ES256 key file, a receiver."""

import pytest

from tests.helpers.event_receiver import running_receiver
from tests.helpers.key_files import generate_key, use_key_file
from tests.helpers.services import registered


@pytest.fixture
def signing_key(settings, tmp_path):
    """Sign with ES256, as services need (their events are signed too)."""
    use_key_file(settings, tmp_path, "ES256")
    return generate_key()


@pytest.fixture
def receiver():
    with running_receiver() as receiver:
        yield receiver


@pytest.fixture
def shop(transactional_db, signing_key, receiver):
    """The shop API, registered with a live events URL.

    Transactional: events are pushed when the revocation really commits.
    """
    return registered("shop", "shop-api", receiver.url)
