"""Fixtures of the verifier's tests: a fake issuer and Verifiers against it.

The root suite runs these with authsite's settings already configured; run
alone (`pytest` in verifier/), Django gets minimal settings here.
"""

import django
import pytest
from django.conf import settings

from authsite_verifier import Verifier
from fake_issuer import (
    AUDIENCE,
    CLIENT_ID,
    CLIENT_SECRET,
    ISSUER,
    FakeIssuer,
    wait_until,
)


def pytest_configure(config):
    if not settings.configured:
        settings.configure(
            SECRET_KEY="verifier-tests-only",
            INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth"],
            DATABASES={},
            ALLOWED_HOSTS=["testserver"],
            USE_TZ=True,
        )
        django.setup()


@pytest.fixture
def issuer():
    fake = FakeIssuer()
    yield fake
    fake.close()


@pytest.fixture
def make_verifier(issuer):
    """Return a factory of Verifiers against the fake issuer; close them after."""
    made = []

    def make(**options):
        options = {
            "issuer": ISSUER,
            "poll_interval": 0.05,
            "max_staleness": 0.5,
            "timeout": 0.5,
            **options,
        }
        verifier = Verifier(issuer.url, AUDIENCE, CLIENT_ID, CLIENT_SECRET, **options)
        made.append(verifier)
        return verifier

    yield make
    for verifier in made:
        verifier.close()


@pytest.fixture
def verifier(make_verifier):
    """A Verifier whose first poll has run: its deny list is trusted."""
    made = make_verifier()
    made.start()
    wait_until(made.is_fresh)
    return made
