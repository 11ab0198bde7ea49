"""Refresh-token rotation: one session id, a grace interval for races, reuse ends it."""

import json

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from rest_framework_simplejwt.token_blacklist.models import (
    BlacklistedToken,
    OutstandingToken,
)

from accounts.models import SecurityEvent
from jwt_sessions.keys import write_key_file
from jwt_sessions.models import Session
from jwt_sessions.tokens import RefreshToken, get_token_backend
from tests.helpers.clients import auth_cookie, log_in, refresh, second_browser
from tests.helpers.clock import seconds_later
from tests.helpers.key_files import generate_key, header_of, jwt_keys, use_key_file

ACCESS = settings.JWT_COOKIE_ACCESS_NAME
REFRESH = settings.JWT_COOKIE_REFRESH_NAME
Event = SecurityEvent.Type


def test_rotation_keeps_the_sid_and_marks_the_session_used(logged_in):
    session = Session.objects.get()

    with seconds_later(120):
        refresh(logged_in)
        new_refresh = RefreshToken(auth_cookie(logged_in, "refresh"))

    rotated = Session.objects.get()
    assert new_refresh["sid"] == str(session.pk)
    assert rotated.last_used_at > session.last_used_at
    assert rotated.previous_refresh_jti == session.refresh_jti


def test_refreshing_one_token_twice_within_the_grace_interval_gives_one_successor(
    logged_in,
):
    old_refresh = auth_cookie(logged_in, "refresh")
    first = refresh(logged_in)
    # (Read now: the client's jar shares its Morsels with the response.)
    first_pair = first.cookies[ACCESS].value, first.cookies[REFRESH].value
    logged_in.cookies[REFRESH] = old_refresh

    with seconds_later(settings.JWT_REFRESH_GRACE_SECONDS - 1):
        second = refresh(logged_in)

    assert first.status_code == second.status_code == 200
    assert first_pair == (second.cookies[ACCESS].value, second.cookies[REFRESH].value)
    assert old_refresh not in first_pair
    assert OutstandingToken.objects.count() == 2
    assert Session.objects.get().revoked_at is None


def race_one_rotation(client):
    """Refresh, then refresh the same old token again within the grace interval.

    Return both answers' (access, refresh) cookie values.
    """
    old_refresh = auth_cookie(client, "refresh")
    first = refresh(client)
    first_pair = first.cookies[ACCESS].value, first.cookies[REFRESH].value
    client.cookies[REFRESH] = old_refresh
    with seconds_later(settings.JWT_REFRESH_GRACE_SECONDS - 1):
        second = refresh(client)
    assert first.status_code == second.status_code == 200
    return first_pair, (second.cookies[ACCESS].value, second.cookies[REFRESH].value)


def verified_claims(raw):
    return get_token_backend().decode(raw)


@pytest.mark.parametrize("algorithm", ["HS256", "RS256", "ES256", "EdDSA"])
def test_a_refresh_racing_a_rotation_gets_the_same_successor_with_every_algorithm(
    settings, tmp_path, browser, user, algorithm
):
    if algorithm != "HS256":
        use_key_file(settings, tmp_path, algorithm)
        generate_key()
    log_in(browser, user.email)

    first, second = race_one_rotation(browser)

    # Kept as claims and signed again: the same tokens in all but (for
    # ES256, whose signatures are randomised) the signature bytes.
    assert [verified_claims(raw) for raw in first] == [
        verified_claims(raw) for raw in second
    ]
    assert [header_of(raw) for raw in first] == [header_of(raw) for raw in second]
    if algorithm != "ES256":
        assert first == second
    session = Session.objects.get()
    assert session.refresh_jti == verified_claims(second[1])["jti"]
    assert session.revoked_at is None
    # The successor still works, for a page and for the next rotation.
    assert browser.get(reverse("api:me")).status_code == 200
    assert refresh(browser).status_code == 200


def test_a_race_gets_the_same_tokens_whatever_order_the_claims_come_back_in(
    logged_in,
):
    old_refresh = auth_cookie(logged_in, "refresh")
    first = refresh(logged_in)
    first_pair = first.cookies[ACCESS].value, first.cookies[REFRESH].value
    # As PostgreSQL's jsonb hands them back: in an order of its own.
    session = Session.objects.get()
    Session.objects.update(
        successor_claims={
            kind: dict(reversed(claims.items()))
            for kind, claims in session.successor_claims.items()
        }
    )
    logged_in.cookies[REFRESH] = old_refresh

    second = refresh(logged_in)

    assert (second.cookies[ACCESS].value, second.cookies[REFRESH].value) == first_pair


def test_a_refresh_racing_a_rotation_gets_the_successor_its_key_signed(
    settings, tmp_path, browser, user
):
    use_key_file(settings, tmp_path, "EdDSA")
    old = generate_key()
    log_in(browser, user.email)
    old_refresh = auth_cookie(browser, "refresh")
    first = refresh(browser)
    first_pair = first.cookies[ACCESS].value, first.cookies[REFRESH].value
    new = generate_key()
    jwt_keys("activate", new)  # between the rotation and the racing request
    browser.cookies[REFRESH] = old_refresh

    second = refresh(browser)

    assert second.status_code == 200
    assert (second.cookies[ACCESS].value, second.cookies[REFRESH].value) == first_pair
    assert header_of(second.cookies[REFRESH].value)["kid"] == old
    assert Session.objects.get().signing_kid == old
    # The next rotation is signed by the new key, and recorded so.
    assert refresh(browser).status_code == 200
    assert header_of(auth_cookie(browser, "refresh"))["kid"] == new
    assert Session.objects.get().signing_kid == new


def test_a_race_is_refused_once_the_successors_key_cannot_sign_any_more(
    settings, tmp_path, browser, user
):
    key_file = use_key_file(settings, tmp_path, "EdDSA")
    old = generate_key()
    log_in(browser, user.email)
    old_refresh = auth_cookie(browser, "refresh")
    refresh(browser)
    jwt_keys("activate", generate_key())
    # The successor's key keeps only its public part: its tokens verify, but
    # nothing can sign them again, and another key must not stand in.
    data = json.loads(key_file.read_text())
    for jwk in data["keys"]:
        if jwk["kid"] == old:
            del jwk["d"]
    write_key_file(key_file, data)
    browser.cookies[REFRESH] = old_refresh

    raced = refresh(browser)

    assert raced.status_code == 401
    assert Session.objects.get().revoked_at is None


def test_a_race_with_no_claims_kept_is_refused_but_the_session_lives_on(logged_in):
    # What a session rotated just before the upgrade to kept claims looks
    # like (migration 0007).
    old_refresh = auth_cookie(logged_in, "refresh")
    first = refresh(logged_in)
    successor = first.cookies[REFRESH].value
    Session.objects.update(successor_claims={})
    logged_in.cookies[REFRESH] = old_refresh

    raced = refresh(logged_in)

    assert raced.status_code == 401
    assert Session.objects.get().revoked_at is None
    logged_in.cookies[REFRESH] = successor
    assert refresh(logged_in).status_code == 200


def test_reuse_after_the_grace_interval_ends_the_whole_session(logged_in, user):
    other = second_browser(user)
    stolen = auth_cookie(logged_in, "refresh")
    refresh(logged_in)  # the owner rotates; the thief keeps the old token
    thief = Client(enforce_csrf_checks=True)
    thief.cookies[REFRESH] = stolen

    with seconds_later(settings.JWT_REFRESH_GRACE_SECONDS + 1):
        replay = refresh(thief)
        owner = logged_in.get(reverse("api:me"))
        owner_refresh = refresh(logged_in)
        bystander = other.get(reverse("api:me"))

    assert replay.status_code == 401
    assert owner.status_code == 401  # its access token is refused at once
    assert owner_refresh.status_code == 401
    assert bystander.status_code == 200  # other sessions of the user go on
    session = Session.objects.get(user=user, revoked_at__isnull=False)
    assert session.revoked_reason == Session.RevokeReason.REUSE_DETECTED
    # Every refresh token of the family is blacklisted.
    assert BlacklistedToken.objects.filter(token__jti=session.refresh_jti).exists()
    assert BlacklistedToken.objects.filter(
        token__jti=RefreshToken(stolen)["jti"]
    ).exists()
    event = SecurityEvent.objects.get(type=Event.REUSE_DETECTED)
    assert event.user == user and event.session == session


def test_reuse_shows_up_in_the_security_log_on_the_sessions_page(logged_in, user):
    other = second_browser(user)
    stolen = auth_cookie(logged_in, "refresh")
    refresh(logged_in)
    thief = Client(enforce_csrf_checks=True)
    thief.cookies[REFRESH] = stolen
    with seconds_later(settings.JWT_REFRESH_GRACE_SECONDS + 1):
        refresh(thief)
        page = other.get(reverse("accounts:sessions"))

    assert (
        "An old sign-in token of a session was used again, so the session was "
        "ended for safety."
    ) in page.content.decode()
