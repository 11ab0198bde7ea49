"""No usable secret at rest: no token or reset link in any table, cache or log.

Whoever reads the database (a backup, a replica, a support engineer), the
cache or the logs must not find anything that logs them in: no refresh or
access token, signed by us, expired or not, and no password-reset link.
"""

import base64
import binascii
import logging
import re

import jwt
import pytest
import time_machine
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.core import mail
from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenBackendError
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from authsite.logging import JSONFormatter
from jwt_sessions.keys import get_key_set
from jwt_sessions.models import Session
from jwt_sessions.tokens import RefreshToken, get_token_backend
from tests.helpers.clients import PASSWORD, csrf_headers, log_in

ACCESS = settings.JWT_COOKIE_ACCESS_NAME
REFRESH = settings.JWT_COOKIE_REFRESH_NAME
# Runs of the characters a compact JWS is made of; every three consecutive
# dot-separated parts of a run are tried, so a token glued to other dotted
# text (a.b.<token>) is found too.
JWS_CHARACTERS = re.compile(r"[A-Za-z0-9_.-]+")
RESET_LINK = re.compile(r"/accounts/reset/(?P<uid>[^/\s]+)/(?P<token>[^/\s]+)/")
EMAIL_LINK = re.compile(r"/accounts/email/verify/(?P<token>[^/\s]+)/")


# --- what counts as a usable secret ------------------------------------------


def signed_by_this_site(candidate: str) -> bool:
    """Return whether `candidate` is a JWT that one of our keys signed."""
    try:
        get_token_backend().decode(candidate)  # the site's own verification
        return True
    except TokenBackendError:
        pass
    # Expired, or of the wrong audience: still a credential if it is ours
    # (the clock of whoever holds it may be wrong, the lifetime may grow).
    key_set = get_key_set()
    for key in key_set.verifying.values():
        try:
            jwt.decode(
                candidate,
                key.verifying_key,
                algorithms=[key_set.algorithm],
                options={
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                    "verify_aud": False,
                    "verify_iss": False,
                },
            )
            return True
        except (jwt.InvalidTokenError, ValueError, TypeError):
            continue
    return False


def jwt_shaped_substrings(text: str):
    for run in JWS_CHARACTERS.findall(text):
        parts = run.split(".")
        for start in range(len(parts) - 2):
            candidate = parts[start : start + 3]
            if all(candidate):
                yield ".".join(candidate)


def tokens_in(text: str) -> set[str]:
    """Return every substring of `text` that verifies as one of our tokens."""
    return {c for c in jwt_shaped_substrings(text) if signed_by_this_site(c)}


def reset_secrets_in(text: str, reset_tokens) -> set[str]:
    # The part after the dash is the HMAC: that alone is the secret.
    return {
        token
        for token in reset_tokens
        if token in text or token.rpartition("-")[2] in text
    }


def as_texts(value):
    """Yield `value` as text, and decoded once more if it is base64."""
    if value is None:
        return
    if isinstance(value, memoryview):
        value = value.tobytes()
    text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
    yield text
    # The database cache keeps base64 of pickles; a token inside one would
    # not show as text.
    try:
        decoded = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return
    yield decoded.decode("latin-1")


# --- where secrets could be at rest --------------------------------------------


def every_table():
    """Yield (table, texts) for every table of the database, all its rows."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {quote(table)}")
            rows = cursor.fetchall()
            yield (
                table,
                [text for row in rows for value in row for text in as_texts(value)],
            )


def tokens_at_rest() -> set[str]:
    return {
        token
        for _, texts in every_table()
        for text in texts
        for token in tokens_in(text)
    }


def every_cache_entry():
    """Yield (key, texts) for every entry of a cache that is not the database."""
    cache = caches["default"]
    if isinstance(cache, DatabaseCache):
        return  # its table is one of the tables
    client = cache._cache.get_client()  # Redis: the cache is a store too
    for key in client.scan_iter():
        if client.type(key) == b"string":
            yield key.decode(), [*as_texts(key), *as_texts(client.get(key))]


# --- every flow that hands out or stores a secret ------------------------------


def handed_out(response, into: set) -> None:
    for name in (ACCESS, REFRESH):
        if name in response.cookies and response.cookies[name].value:
            into.add(response.cookies[name].value)


def go_through_every_flow(browser, app_client, user) -> tuple[set, set]:
    """Log in, refresh, race a refresh, ask for a reset link, log out.

    Return the tokens the site handed out and the reset tokens it emailed.
    """
    tokens = set()
    csrf = settings.CSRF_COOKIE_NAME

    browser.get(reverse("accounts:login"))
    login = browser.post(
        reverse("accounts:login"),
        {
            "email": user.email,
            "password": PASSWORD,
            "csrfmiddlewaretoken": browser.cookies[csrf].value,
        },
    )
    assert login.status_code == 302
    handed_out(login, tokens)

    refreshed = browser.post(reverse("api:token-refresh"), **csrf_headers(browser))
    assert refreshed.status_code == 200
    handed_out(refreshed, tokens)

    # Two requests race one rotation: both get the same successor.
    raced = browser.cookies[REFRESH].value
    first = browser.post(reverse("api:token-refresh"), **csrf_headers(browser))
    handed_out(first, tokens)
    first_jti = get_token_backend().decode(first.cookies[REFRESH].value)["jti"]
    browser.cookies[REFRESH] = raced
    second = browser.post(reverse("api:token-refresh"), **csrf_headers(browser))
    handed_out(second, tokens)
    assert first.status_code == second.status_code == 200
    assert get_token_backend().decode(second.cookies[REFRESH].value)["jti"] == (
        first_jti
    )

    # An app's login and refresh: the tokens travel in the body.
    app = app_client.post(
        reverse("api:app-token"),
        {"email": user.email, "password": PASSWORD},
        content_type="application/json",
    ).json()
    app_refreshed = app_client.post(
        reverse("api:app-token-refresh"),
        {"refresh": app["refresh"]},
        content_type="application/json",
    ).json()
    tokens |= {*app.values(), *app_refreshed.values()}

    browser.get(reverse("accounts:password_reset"))
    browser.post(
        reverse("accounts:password_reset"),
        {"email": user.email, "csrfmiddlewaretoken": browser.cookies[csrf].value},
    )
    reset_tokens = {
        match["token"]
        for message in mail.outbox
        for match in RESET_LINK.finditer(message.body)
    }
    assert reset_tokens

    logout = browser.post(
        reverse("accounts:logout"), {"csrfmiddlewaretoken": browser.cookies[csrf].value}
    )
    assert logout.status_code == 302
    return tokens, reset_tokens


def test_no_table_or_cache_entry_holds_a_token_or_a_reset_link(
    browser, app_client, user
):
    tokens, reset_tokens = go_through_every_flow(browser, app_client, user)

    found = {}
    scanned_tables = set()
    for table, texts in [*every_table(), *every_cache_entry()]:
        scanned_tables.add(table)
        for text in texts:
            for secret in tokens_in(text) | reset_secrets_in(text, reset_tokens):
                found.setdefault(table, set()).add(secret)

    assert not found, {table: len(secrets) for table, secrets in found.items()}
    # The scan saw every table Django knows of, and the rows that matter.
    model_tables = {
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }
    assert model_tables <= scanned_tables
    stored_tokens = {"jwt_sessions_session", "token_blacklist_outstandingtoken"}
    assert stored_tokens <= scanned_tables
    # The control: the scan recognises every token the site handed out, even
    # once it has expired.
    after_the_session = timezone.now() + timezone.timedelta(
        seconds=settings.JWT_SESSION_MAX_AGE + 60
    )
    with time_machine.travel(after_the_session, tick=False):
        assert tokens and all(tokens_in(f"x.{token}.y") == {token} for token in tokens)
    assert all(
        reset_secrets_in(f"...{token}...", reset_tokens) for token in reset_tokens
    )


def test_no_log_line_holds_a_token_or_a_reset_link(browser, app_client, user, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="accounts")
    caplog.set_level(logging.DEBUG, logger="jwt_sessions")
    caplog.set_level(logging.DEBUG, logger="django.db.backends")

    # With every SQL statement and its parameters logged, as DEBUG would.
    with CaptureQueriesContext(connection):
        tokens, reset_tokens = go_through_every_flow(browser, app_client, user)

    lines = configured_log_lines(caplog.records)
    assert any("auth_event" in line for line in lines)
    assert any("jwt_sessions_session" in line for line in lines)  # SQL was logged
    found = {
        secret
        for line in lines
        for secret in tokens_in(line) | reset_secrets_in(line, reset_tokens)
    }
    assert not found, f"{len(found)} secret(s) logged"
    assert tokens


def configured_log_lines(records) -> list[str]:
    """Return `records` as the site's log handlers write them, text and JSON."""
    formatters = [
        handler.formatter
        for handler in logging.getLogger().handlers
        if type(handler) is logging.StreamHandler  # not pytest's capture
    ]
    assert formatters
    formatters.append(JSONFormatter())
    return [f.format(record) for f in formatters for record in records]


def test_a_reset_link_refused_during_a_lockout_is_logged_without_its_token(
    settings, browser, user, caplog
):
    # Django logs every 4xx with its path, and this path holds the token:
    # the owner's valid link is refused while someone has locked the address.
    settings.AXES_FAILURE_LIMIT = 3
    csrf = settings.CSRF_COOKIE_NAME
    browser.get(reverse("accounts:password_reset"))
    browser.post(
        reverse("accounts:password_reset"),
        {"email": user.email, "csrfmiddlewaretoken": browser.cookies[csrf].value},
    )
    link = RESET_LINK.search(mail.outbox[-1].body)
    for guess in range(3):
        browser.get(
            reverse("accounts:password_reset_confirm", args=[link["uid"], f"x-{guess}"])
        )
    caplog.set_level(logging.INFO)

    refused = browser.get(link[0])

    assert refused.status_code == 429
    lines = configured_log_lines(caplog.records)
    assert any("Too Many Requests" in line for line in lines)
    assert [line for line in lines if reset_secrets_in(line, {link["token"]})] == []


def test_an_email_link_refused_for_its_csrf_token_is_logged_without_its_token(
    browser, unverified_user, caplog
):
    log_in(browser, unverified_user.email)
    browser.post(
        reverse("accounts:email-verify-resend"),
        {"csrfmiddlewaretoken": browser.cookies[settings.CSRF_COOKIE_NAME].value},
    )
    token = EMAIL_LINK.search(mail.outbox[-1].body)["token"]
    caplog.set_level(logging.INFO)

    # A form posted without the CSRF cookie (a tab left open too long).
    refused = Client(enforce_csrf_checks=True).post(
        reverse("accounts:email-verify", args=[token])
    )

    assert refused.status_code == 403
    lines = configured_log_lines(caplog.records)
    assert any("/accounts/email/verify/[redacted]/" in line for line in lines)
    assert [line for line in lines if token in line] == []


def test_simplejwts_own_ways_of_recording_a_token_store_no_token_either(user):
    # Not used by this site, but a refactor could: for_user() and blacklist()
    # write the token into the row themselves.
    issued = RefreshToken.for_user(user)
    unrecorded = RefreshToken()
    unrecorded["user_id"] = str(user.pk)
    unrecorded.blacklist()

    rows = OutstandingToken.objects.filter(jti__in=[issued["jti"], unrecorded["jti"]])
    assert sorted(rows.values_list("token", flat=True)) == ["", ""]


# --- the upgrade -------------------------------------------------------------

BEFORE = [("accounts", "0004_replaced_reason")]
# What the old code ran with: SimpleJWT's tables as they are now.
BEFORE_STATE = [
    *BEFORE,
    ("token_blacklist", "0013_alter_blacklistedtoken_options_and_more"),
]


@pytest.mark.django_db(transaction=True)
def test_upgrading_forgets_the_stored_tokens_and_keeps_the_signing_kid():
    """A database of the old code: tokens in OutstandingToken and Session."""
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE_STATE).apps
    now = timezone.now()
    user = old.get_model("accounts", "User").objects.create(
        email="alice@example.com", password="!"
    )
    session = old.get_model("accounts", "Session").objects.create(
        user=user,
        expires_at=now + timezone.timedelta(days=1),
        refresh_jti="r2",
        previous_refresh_jti="r1",
        rotated_at=now,  # mid-grace
    )
    claims = {"sid": str(session.pk), "user_id": str(user.pk), "auth_time": 0}
    refresh = get_token_backend().encode({**claims, "jti": "r2", "exp": 2**31})
    access = get_token_backend().encode({**claims, "jti": "a2", "exp": 2**31})
    old.get_model("accounts", "Session").objects.filter(pk=session.pk).update(
        successor_access=access
    )
    for jti, token in [("r1", "an.unparseable.token"), ("r2", refresh)]:
        old.get_model("token_blacklist", "OutstandingToken").objects.create(
            user_id=user.pk, jti=jti, token=token, expires_at=now
        )
    # The control: the scan finds what the old code stored.
    assert tokens_at_rest() == {refresh, access}

    executor = MigrationExecutor(connection)
    executor.migrate(latest)

    assert tokens_at_rest() == set()
    upgraded = Session.objects.get()
    assert upgraded.signing_kid == get_key_set().active.kid
    assert upgraded.successor_claims == {}
    assert set(OutstandingToken.objects.values_list("jti", "token")) == {
        ("r1", ""),
        ("r2", ""),
    }


# --- the admin ---------------------------------------------------------------


def every_admin_page(client) -> dict:
    """Return every changelist and change page of the admin, by URL."""
    urls = []
    for model in admin.site._registry:
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls.append(reverse(f"{name}_changelist"))
        for pk in model._default_manager.values_list("pk", flat=True)[:50]:
            urls.append(reverse(f"{name}_change", args=[quote(pk)]))
    return {url: client.get(url) for url in urls}


def test_no_admin_page_shows_a_token(browser, app_client, superuser, user):
    tokens, _ = go_through_every_flow(
        Client(enforce_csrf_checks=True), app_client, user
    )
    # A record as the old code left it: the admin must not show it either.
    backend = get_token_backend()
    live = next(t for t in tokens if backend.decode(t)["token_type"] == "refresh")
    record = OutstandingToken.objects.get(jti=backend.decode(live)["jti"])
    OutstandingToken.objects.filter(pk=record.pk).update(token=live)
    log_in(browser, superuser.email)  # the password, then the code

    pages = every_admin_page(browser)

    assert {page.status_code for page in pages.values()} == {200}
    showing = [url for url, page in pages.items() if tokens_in(page.content.decode())]
    assert showing == []
    # Among them the pages that matter, showing their records.
    session = Session.objects.get(pk=backend.decode(live)["sid"])
    session_page = reverse("admin:jwt_sessions_session_change", args=[session.pk])
    records = reverse("admin:token_blacklist_outstandingtoken_changelist")
    record_page = reverse(
        "admin:token_blacklist_outstandingtoken_change", args=[record.pk]
    )
    assert session.signing_kid in pages[session_page].content.decode()
    assert record.jti in pages[records].content.decode()
    assert record.jti in pages[record_page].content.decode()
