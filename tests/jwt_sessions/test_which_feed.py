"""Which revocation feed a process uses: found once, found again when told.

Every request asks session_state.revocation_feed(); it answers from what
it found until a setting changes or the default database connects anew.
"""

import pytest
from django.conf import settings as django_settings
from django.db import connection

from jwt_sessions import session_state
from jwt_sessions.revocation_feed import RevocationFeed, SQLiteRevocationFeed

NOWHERE = "redis://127.0.0.1:1/0"  # made, never connected to by these tests

on_sqlite = pytest.mark.skipif(
    "sqlite" not in django_settings.DATABASES["default"]["ENGINE"],
    reason="SQLite's own feed",
)


@pytest.fixture
def feeds_made():
    """Close and forget the feeds a test makes beyond the suite's own."""
    before = dict(session_state._feeds)
    yield
    for key, feed in list(session_state._feeds.items()):
        if before.get(key) is not feed:
            feed.close()
            del session_state._feeds[key]


def test_the_feed_found_is_kept_until_a_setting_changes(db, settings, feeds_made):
    settings.JWT_REVOCATION_FEED_URL = None
    first = session_state.revocation_feed()
    assert session_state.revocation_feed() is first

    settings.JWT_REVOCATION_FEED_URL = NOWHERE
    redis_feed = session_state.revocation_feed()
    assert isinstance(redis_feed, RevocationFeed) and redis_feed.url == NOWHERE
    assert session_state.revocation_feed() is redis_feed

    settings.JWT_REVOCATION_FEED_URL = None
    assert session_state.revocation_feed() is first


def test_a_feed_forgotten_is_made_again(db, settings, feeds_made):
    settings.JWT_REVOCATION_FEED_URL = NOWHERE
    first = session_state.revocation_feed()
    first.close()
    del session_state._feeds[NOWHERE]

    again = session_state.revocation_feed()
    assert again is not first and again is session_state._feeds[NOWHERE]


@on_sqlite
@pytest.mark.django_db(transaction=True)
def test_a_database_renamed_in_place_is_followed_once_it_connects_anew(
    settings, tmp_path, feeds_made
):
    settings.JWT_REVOCATION_FEED_URL = None
    params = django_settings.DATABASES["default"]
    name = params["NAME"]
    first = session_state.revocation_feed()
    assert isinstance(first, SQLiteRevocationFeed) and first.path == name
    renamed = str(tmp_path / "renamed.sqlite3")
    try:
        # What the test runner does to make its test database: the name is
        # changed in the settings dict itself, and no setting_changed says so.
        params["NAME"] = renamed
        # Still connected to the old file: so is the feed.
        assert session_state.revocation_feed() is first
        connection.close()
        connection.ensure_connection()
        moved = session_state.revocation_feed()
        assert isinstance(moved, SQLiteRevocationFeed) and moved.path == renamed
    finally:
        params["NAME"] = name
        connection.close()
        connection.ensure_connection()
    assert session_state.revocation_feed() is first
