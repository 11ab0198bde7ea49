"""Login sessions: families, grace interval, reuse detection, revocation."""

import json
import re

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import (
    BlacklistedToken,
    OutstandingToken,
)

from accounts.models import SecurityEvent, User
from jwt_sessions.keys import write_key_file
from jwt_sessions.models import Session
from jwt_sessions.tokens import AccessToken, RefreshToken, get_token_backend
from tests.helpers.clients import PASSWORD, auth_cookie, csrf_headers, log_in
from tests.helpers.key_files import generate_key, header_of, jwt_keys, use_key_file

ACCESS = settings.JWT_COOKIE_ACCESS_NAME
REFRESH = settings.JWT_COOKIE_REFRESH_NAME
Event = SecurityEvent.Type


def refresh(client):
    return client.post(reverse("api:token-refresh"), **csrf_headers(client))


def seconds_later(seconds):
    return time_machine.travel(
        timezone.now() + timezone.timedelta(seconds=seconds), tick=False
    )


def second_browser(user):
    client = Client(enforce_csrf_checks=True, HTTP_USER_AGENT=FIREFOX)
    log_in(client, user.email)
    return client


CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/156.0.0.0 Safari/537.36"
)
FIREFOX = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0"
)


# --- a login is a session ------------------------------------------------------


def test_login_starts_a_session_that_records_who_where_and_until_when(browser, user):
    browser.defaults["HTTP_USER_AGENT"] = CHROME

    log_in(browser, user.email)

    session = Session.objects.get()
    assert session.user == user
    assert session.ip_address == "127.0.0.1"
    assert session.device == "Chrome on Linux"
    assert session.expires_at == session.created_at + timezone.timedelta(
        seconds=settings.JWT_SESSION_MAX_AGE
    )
    assert session.revoked_at is None
    access = AccessToken(auth_cookie(browser, "access"))
    refresh_token = RefreshToken(auth_cookie(browser, "refresh"))
    assert access["sid"] == refresh_token["sid"] == str(session.pk)
    assert session.refresh_jti == refresh_token["jti"]
    assert SecurityEvent.objects.filter(type=Event.LOGIN, session=session).exists()


def test_rotation_keeps_the_sid_and_marks_the_session_used(logged_in):
    session = Session.objects.get()

    with seconds_later(120):
        refresh(logged_in)
        new_refresh = RefreshToken(auth_cookie(logged_in, "refresh"))

    rotated = Session.objects.get()
    assert new_refresh["sid"] == str(session.pk)
    assert rotated.last_used_at > session.last_used_at
    assert rotated.previous_refresh_jti == session.refresh_jti


def test_every_login_is_its_own_session(browser, user):
    log_in(browser, user.email)
    second_browser(user)

    assert Session.objects.filter(user=user).count() == 2


# --- grace interval and reuse --------------------------------------------------


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


# --- instant revocation -------------------------------------------------------


def test_ending_a_session_logs_that_device_out_on_its_next_request(logged_in, user):
    other = second_browser(user)
    other_sid = AccessToken(auth_cookie(other, "access"))["sid"]
    assert other.get(reverse("dashboard")).status_code == 200

    response = logged_in.delete(
        reverse("api:session", args=[other_sid]), **csrf_headers(logged_in)
    )

    assert response.status_code == 204
    page = other.get(reverse("dashboard"))
    assert page.status_code == 302
    assert page["Location"].startswith(reverse("accounts:login"))
    assert other.get(reverse("api:me")).status_code == 401
    assert logged_in.get(reverse("api:me")).status_code == 200


def test_a_revoked_sessions_bearer_token_is_refused_at_once(app_client, user):
    tokens = app_client.post(
        reverse("api:app-token"),
        {"email": user.email, "password": PASSWORD},
        content_type="application/json",
    ).json()
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {tokens['access']}"}
    assert app_client.get(reverse("api:me"), **bearer).status_code == 200

    app_client.post(
        reverse("api:app-token-blacklist"),
        {"refresh": tokens["refresh"]},
        content_type="application/json",
    )

    assert app_client.get(reverse("api:me"), **bearer).status_code == 401


def test_logout_refuses_the_access_token_at_once(logged_in):
    access = auth_cookie(logged_in, "access")
    logged_in.post(reverse("api:token-blacklist"), **csrf_headers(logged_in))

    response = logged_in.get(reverse("api:me"), HTTP_AUTHORIZATION=f"Bearer {access}")

    assert response.status_code == 401


def test_deactivating_a_user_refuses_their_tokens_on_the_next_request(logged_in, user):
    user.is_active = False
    user.save()

    assert logged_in.get(reverse("api:me")).status_code == 401
    assert not Session.objects.active().exists()


def test_deleting_a_user_refuses_their_tokens_on_the_next_request(logged_in, user):
    access = auth_cookie(logged_in, "access")
    user.delete()

    response = Client().get(reverse("api:me"), HTTP_AUTHORIZATION=f"Bearer {access}")

    assert response.status_code == 401


def test_a_steady_state_request_costs_no_query_for_the_session_check(
    settings, app_client, user, django_assert_num_queries
):
    # A cache that is not the database (Redis in production) answers the
    # session check; only the user row is read.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    }
    tokens = app_client.post(
        reverse("api:app-token"),
        {"email": user.email, "password": PASSWORD},
        content_type="application/json",
    ).json()
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {tokens['access']}"}
    app_client.get(reverse("api:me"), **bearer)  # warms the cache

    with django_assert_num_queries(1):
        response = app_client.get(reverse("api:me"), **bearer)

    assert response.status_code == 200


def test_an_unreachable_cache_falls_back_to_the_database(settings, logged_in, user):
    other = second_browser(user)
    other_sid = AccessToken(auth_cookie(other, "access"))["sid"]
    # Nothing listens on port 1: every cache call fails.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2},
        }
    }

    ended = logged_in.delete(
        reverse("api:session", args=[other_sid]), **csrf_headers(logged_in)
    )

    assert ended.status_code == 204
    assert other.get(reverse("api:me")).status_code == 401
    assert logged_in.get(reverse("api:me")).status_code == 200


# --- password change and reset ------------------------------------------------


def test_password_change_page_ends_other_sessions_and_keeps_this_one(logged_in, user):
    other = second_browser(user)
    old_access = auth_cookie(logged_in, "access")
    logged_in.get(reverse("accounts:password_change"))

    response = logged_in.post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a whole new passphrase 9",
            "new_password2": "a whole new passphrase 9",
            "csrfmiddlewaretoken": logged_in.cookies[settings.CSRF_COOKIE_NAME].value,
        },
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a whole new passphrase 9")
    assert logged_in.get(reverse("dashboard")).status_code == 200
    assert other.get(reverse("dashboard")).status_code == 302
    stale = Client().get(reverse("api:me"), HTTP_AUTHORIZATION=f"Bearer {old_access}")
    assert stale.status_code == 401  # issued before the change
    assert Session.objects.active().count() == 1
    assert SecurityEvent.objects.filter(type=Event.PASSWORD_CHANGED).exists()


def test_password_change_page_with_a_wrong_old_password_changes_nothing(
    logged_in, user
):
    logged_in.get(reverse("accounts:password_change"))

    response = logged_in.post(
        reverse("accounts:password_change"),
        {
            "old_password": "not it",
            "new_password1": "a whole new passphrase 9",
            "new_password2": "a whole new passphrase 9",
            "csrfmiddlewaretoken": logged_in.cookies[settings.CSRF_COOKIE_NAME].value,
        },
    )

    assert response.status_code == 200
    assert "old_password" in response.context["form"].errors
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert Session.objects.active().count() == 1


def test_password_change_api_on_cookies_sets_fresh_cookies(logged_in, user):
    other = second_browser(user)
    old_access = auth_cookie(logged_in, "access")

    response = logged_in.post(
        reverse("api:password-change"),
        {"old_password": PASSWORD, "new_password": "a whole new passphrase 9"},
        content_type="application/json",
        **csrf_headers(logged_in),
    )

    assert response.status_code == 200
    assert "access" not in response.json()
    assert auth_cookie(logged_in, "access") != old_access
    assert logged_in.get(reverse("api:me")).status_code == 200
    assert other.get(reverse("api:me")).status_code == 401


def test_password_change_api_on_bearer_returns_fresh_tokens(
    app_client, user, user_bearer
):
    response = app_client.post(
        reverse("api:password-change"),
        {"old_password": PASSWORD, "new_password": "a whole new passphrase 9"},
        content_type="application/json",
        **user_bearer,
    )

    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}
    assert app_client.get(reverse("api:me"), **user_bearer).status_code == 401
    fresh = {"HTTP_AUTHORIZATION": f"Bearer {response.json()['access']}"}
    assert app_client.get(reverse("api:me"), **fresh).status_code == 200


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (
            {"old_password": "wrong", "new_password": "a whole new passphrase 9"},
            "old_password",
        ),
        ({"old_password": PASSWORD, "new_password": "password"}, "new_password"),
        ({"old_password": PASSWORD}, "new_password"),
        ({"new_password": "a whole new passphrase 9"}, "old_password"),
    ],
)
def test_password_change_api_rejects_bad_input_and_changes_nothing(
    app_client, user, user_bearer, data, field
):
    response = app_client.post(
        reverse("api:password-change"),
        data,
        content_type="application/json",
        **user_bearer,
    )

    assert response.status_code == 400
    assert field in response.json()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert app_client.get(reverse("api:me"), **user_bearer).status_code == 200


def test_password_change_api_needs_csrf_on_cookies(logged_in, user):
    response = logged_in.post(
        reverse("api:password-change"),
        {"old_password": PASSWORD, "new_password": "a whole new passphrase 9"},
        content_type="application/json",
    )

    assert response.status_code == 403
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def reset_link(client, email):
    client.get(reverse("accounts:password_reset"))
    client.post(
        reverse("accounts:password_reset"),
        {
            "email": email,
            "csrfmiddlewaretoken": client.cookies[settings.CSRF_COOKIE_NAME].value,
        },
    )
    return re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[-1].body)[
        1
    ]


def test_login_page_links_to_password_reset(browser, db):
    page = browser.get(reverse("accounts:login"))

    assert b"Forgot your password?" in page.content
    assert reverse("accounts:password_reset").encode() in page.content


def test_password_reset_by_email_ends_every_session(browser, logged_in, user):
    other = second_browser(user)
    link = reset_link(browser, "ALICE@example.com")
    page = browser.get(link)
    assert page.status_code == 200
    # Its URL holds the token: no Referer to other sites (not "no-referrer",
    # under which browsers send "Origin: null" and CSRF refuses the form).
    assert page["Referrer-Policy"] == "same-origin"

    response = browser.post(
        link,
        {
            "new_password1": "reset passphrase 12345",
            "new_password2": "reset passphrase 12345",
            "csrfmiddlewaretoken": browser.cookies[settings.CSRF_COOKIE_NAME].value,
        },
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_complete")
    user.refresh_from_db()
    assert user.check_password("reset passphrase 12345")
    assert not Session.objects.active().exists()
    assert logged_in.get(reverse("api:me")).status_code == 401
    assert other.get(reverse("api:me")).status_code == 401
    assert SecurityEvent.objects.filter(type=Event.PASSWORD_RESET).exists()
    # The link works once.
    assert b"This link does not work" in browser.get(link).content


def test_password_reset_for_an_unknown_email_says_the_same_and_sends_nothing(
    browser, db
):
    browser.get(reverse("accounts:password_reset"))
    response = browser.post(
        reverse("accounts:password_reset"),
        {
            "email": "nobody@example.com",
            "csrfmiddlewaretoken": browser.cookies[settings.CSRF_COOKIE_NAME].value,
        },
    )

    assert response["Location"] == reverse("accounts:password_reset_done")
    assert mail.outbox == []


def test_a_forged_reset_link_sets_no_password(browser, user):
    link = reset_link(browser, user.email)
    forged = link.rsplit("/", 2)[0] + "/set-password-x/"

    page = browser.get(forged)
    response = browser.post(
        forged,
        {
            "new_password1": "evil passphrase 123",
            "new_password2": "evil passphrase 123",
            "csrfmiddlewaretoken": browser.cookies[settings.CSRF_COOKIE_NAME].value,
        },
    )

    assert b"This link does not work" in page.content
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


# --- the sessions page and API -------------------------------------------------


def test_sessions_page_lists_sessions_with_this_device_and_events(logged_in, user):
    browser_b = second_browser(user)
    Client().post(
        reverse("api:app-token"),
        {"email": user.email, "password": "wrong"},
        content_type="application/json",
    )

    page = logged_in.get(reverse("accounts:sessions"))

    assert page.status_code == 200
    assert len(page.context["sessions"]) == 2
    assert page.content.count(b"This device") == 1
    assert b"Firefox on Windows" in page.content
    assert b"Someone tried to log in to this account with a wrong password." in (
        page.content
    )
    assert b"Log out everywhere else" in page.content
    assert browser_b.get(reverse("accounts:sessions")).status_code == 200


def test_each_session_has_a_button_that_says_what_it_does(logged_in, user):
    second_browser(user)

    page = logged_in.get(reverse("accounts:sessions")).content.decode()

    assert page.count('">End this session<span class="visually-hidden">: ') == 2
    assert ": Firefox on Windows, started " in page
    assert ", this device, started " in page
    assert '<th scope="col"><span class="visually-hidden">Actions</span></th>' in page
    assert '<th scope="col"></th>' not in page


def test_last_active_says_just_now_then_how_long_ago(logged_in, user):
    second_browser(user)

    now = logged_in.get(reverse("accounts:sessions")).content.decode()
    with seconds_later(3 * 60 + 5):
        later = logged_in.get(reverse("accounts:sessions")).content.decode()

    assert now.count(">just now</time>") == 2
    assert "0\xa0minutes" not in now and "0 minutes" not in now
    assert later.count(">3\xa0minutes ago</time>") == 2


def test_security_events_name_the_device(logged_in, user):
    second_browser(user)  # logs in with Firefox on Windows

    page = logged_in.get(reverse("accounts:sessions")).content.decode()

    events = page[page.index('<table class="table events">') :]
    assert '<td data-label="Device">Firefox on Windows</td>' in events
    assert "Mozilla/5.0" not in events


def test_sessions_page_ends_another_session(logged_in, user):
    other = second_browser(user)
    other_sid = AccessToken(auth_cookie(other, "access"))["sid"]

    response = logged_in.post(
        reverse("accounts:session-end", args=[other_sid]), **csrf_headers(logged_in)
    )

    assert response["Location"] == reverse("accounts:sessions")
    assert other.get(reverse("dashboard")).status_code == 302
    assert logged_in.get(reverse("dashboard")).status_code == 200


def test_sessions_page_ends_everything_else(logged_in, user):
    others = [second_browser(user), second_browser(user)]

    logged_in.post(reverse("accounts:sessions-end-others"), **csrf_headers(logged_in))

    assert [c.get(reverse("api:me")).status_code for c in others] == [401, 401]
    assert logged_in.get(reverse("api:me")).status_code == 200


def test_sessions_page_ends_everything(logged_in, user):
    other = second_browser(user)

    response = logged_in.post(
        reverse("accounts:sessions-end-all"), **csrf_headers(logged_in)
    )

    assert response.cookies[ACCESS].value == ""
    assert logged_in.get(reverse("api:me")).status_code == 401
    assert other.get(reverse("api:me")).status_code == 401


def test_sessions_page_posts_need_csrf(logged_in, user):
    other = second_browser(user)

    response = logged_in.post(reverse("accounts:sessions-end-others"))

    assert response.status_code == 403
    assert other.get(reverse("api:me")).status_code == 200


def test_sessions_api_lists_own_active_sessions(logged_in, user, other_user):
    second_browser(user)
    second_browser(other_user)

    response = logged_in.get(reverse("api:sessions"))

    body = response.json()
    assert response.status_code == 200
    assert len(body) == 2
    assert sum(item["current"] for item in body) == 1
    assert {item["device"] for item in body} >= {"Firefox on Windows"}


def test_sessions_api_revoke_others_and_all(logged_in, user):
    other = second_browser(user)

    others = logged_in.post(
        reverse("api:sessions-revoke-others"), **csrf_headers(logged_in)
    )
    assert others.json() == {"ended": 1}
    assert other.get(reverse("api:me")).status_code == 401
    assert logged_in.get(reverse("api:me")).status_code == 200

    everything = logged_in.post(
        reverse("api:sessions-revoke-all"), **csrf_headers(logged_in)
    )
    assert everything.json() == {"ended": 1}
    assert everything.cookies[ACCESS].value == ""
    assert not Session.objects.active().exists()


def test_nobody_can_see_or_end_another_users_session(logged_in, other_user):
    victim = second_browser(other_user)
    victim_sid = AccessToken(auth_cookie(victim, "access"))["sid"]

    api = logged_in.delete(
        reverse("api:session", args=[victim_sid]), **csrf_headers(logged_in)
    )
    page = logged_in.post(
        reverse("accounts:session-end", args=[victim_sid]), **csrf_headers(logged_in)
    )
    listing = logged_in.get(reverse("api:sessions")).json()

    assert api.status_code == 404
    assert page.status_code == 404
    assert victim_sid not in {item["id"] for item in listing}
    assert victim.get(reverse("api:me")).status_code == 200


def test_sessions_endpoints_need_authentication(browser, db):
    assert browser.get(reverse("api:sessions")).status_code == 401
    assert browser.get(reverse("accounts:sessions")).status_code == 302


# --- events -----------------------------------------------------------------


def test_a_failed_login_is_recorded_on_the_targeted_account(app_client, user):
    app_client.post(
        reverse("api:app-token"),
        {"email": "ALICE@example.com", "password": "nope"},
        content_type="application/json",
    )

    event = SecurityEvent.objects.get(type=Event.LOGIN_FAILED)
    assert event.user == user
    assert User.objects.count() == 1


def test_logging_in_again_on_a_browser_ends_its_previous_session(logged_in, user):
    """ASVS 7.2.4: a new login replaces the browser's old session, not adds one."""
    old = Session.objects.get()
    old_access = auth_cookie(logged_in, "access")

    log_in(logged_in, user.email)

    old.refresh_from_db()
    assert old.revoked_reason == Session.RevokeReason.REPLACED
    assert Session.objects.active().count() == 1
    stale = Client().get(reverse("api:me"), HTTP_AUTHORIZATION=f"Bearer {old_access}")
    assert stale.status_code == 401
    assert logged_in.get(reverse("api:me")).status_code == 200
