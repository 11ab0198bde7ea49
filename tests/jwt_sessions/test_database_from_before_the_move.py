"""A database made by main before the move migrates forward with its logins alive.

Until db7776f the login sessions were `accounts.Session`; they move to
`jwt_sessions.Session` (accounts 0010 copies the rows and moves the model's
ContentType, 0011 repoints SecurityEvent.session and drops the old table). Nobody may be
logged out by the upgrade, and nobody logged out may be let back in.

The first test migrates a real database of db7776f (data/, made by the code
of that commit with data/make_db_made_by_main.py) in a subprocess of this
checkout and logs in with the tokens that code handed out. The second does
the same in place, on whatever database the suite runs on (PostgreSQL in CI).
"""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jwt_sessions.keys import get_key_set

DATA = Path(__file__).resolve().parent / "data"
FIXTURE = DATA / "db-made-by-db7776f.json"
CHECKOUT = Path(settings.BASE_DIR)
# What a subprocess may take from this one: nothing that configures the site.
PASSED_ON = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")


# --- the database main made, migrated by this checkout --------------------------


def site_env(facts: dict, database: Path, tmp_path: Path) -> dict:
    """Return the environment the fixture was made with, on `database`."""
    passed_on = {name: os.environ[name] for name in PASSED_ON if name in os.environ}
    # Not REDIS_URL, not CI's DATABASE_URL: the copy and its own cache table.
    return {
        **passed_on,
        **facts["env"],
        "DATABASE_URL": f"sqlite:///{database}",
        "DJANGO_LOCAL_SECRETS_FILE": str(tmp_path / "local-secrets.json"),
        "JWT_KEYS_FILE": str(tmp_path / "jwt-keys.json"),
        "DJANGO_SETTINGS_MODULE": "authsite.settings",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def run(args: list[str], env: dict) -> str:
    done = subprocess.run(
        [sys.executable, *args],
        cwd=CHECKOUT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return done.stdout


def rows(database: Path, sql: str) -> list[dict]:
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    connection.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in connection.execute(sql)]
    finally:
        connection.close()


def tables(database: Path) -> set[str]:
    found = rows(database, "SELECT name FROM sqlite_master WHERE type = 'table'")
    return {row["name"] for row in found}


def normalized(row: dict) -> dict:
    """Return `row` with ids as UUIDs, times as datetimes and JSON parsed."""
    result = dict(row)
    for name in ("id", "session_id"):
        if isinstance(result.get(name), str):
            result[name] = uuid.UUID(result[name])
    for name in (
        "created_at",
        "last_used_at",
        "expires_at",
        "rotated_at",
        "revoked_at",
    ):
        if isinstance(result.get(name), str):
            result[name] = datetime.fromisoformat(result[name])
    if isinstance(result.get("successor_claims"), str):
        result["successor_claims"] = json.loads(result["successor_claims"])
    return result


def sessions_in(database: Path, table: str, columns) -> dict:
    """Return the rows of the session `table`, by id, with `columns` only."""
    found = [normalized(row) for row in rows(database, f"SELECT * FROM {table}")]
    return {row["id"]: {name: row[name] for name in columns} for row in found}


def test_a_database_made_by_main_migrates_with_its_logins_alive(tmp_path):
    facts = json.loads(FIXTURE.read_text())
    database = tmp_path / "db.sqlite3"
    shutil.copyfile(DATA / f"db-made-by-{facts['commit'][:7]}.sqlite3", database)
    env = site_env(facts, database, tmp_path)
    columns = list(facts["sessions"][0])
    before = {row["id"]: row for row in map(normalized, facts["sessions"])}
    live = {login["sid"] for login in facts["logins"].values()} - {
        facts["logins"]["app_logged_out"]["sid"]
    }
    # The control: the copy is what main left, and nothing in its cache
    # answers for a live session, so what follows asks the migrated table.
    assert sessions_in(database, "accounts_session", columns) == before
    cached = [row["cache_key"] for row in rows(database, "SELECT * FROM django_cache")]
    assert not [key for key in cached for sid in live if sid in key]

    run(["manage.py", "migrate", "--noinput", "-v0"], env)

    assert "accounts_session" not in tables(database)
    assert sessions_in(database, "jwt_sessions_session", columns) == before
    events = rows(
        database,
        "SELECT id, type, user_id, session_id FROM accounts_securityevent ORDER BY id",
    )
    assert list(map(normalized, events)) == list(
        map(normalized, facts["security_events"])
    )
    pointing_to = {
        key["from"]: key["table"]
        for key in rows(database, "PRAGMA foreign_key_list(accounts_securityevent)")
    }
    assert pointing_to["session_id"] == "jwt_sessions_session"
    assert rows(database, "PRAGMA foreign_key_check") == []
    content_type = facts["session_content_type"]
    assert rows(
        database,
        "SELECT id, app_label, model FROM django_content_type WHERE model = 'session'",
    ) == [{**content_type, "app_label": "jwt_sessions"}]
    assert (
        rows(
            database,
            "SELECT id, codename FROM auth_permission"
            f" WHERE content_type_id = {content_type['id']} ORDER BY id",
        )
        == facts["session_permissions"]
    )
    assert (
        rows(
            database,
            "SELECT user_id, permission_id FROM accounts_user_user_permissions",
        )
        == facts["user_permissions"]
    )
    for table in (
        "token_blacklist_outstandingtoken",
        "token_blacklist_blacklistedtoken",
    ):
        count = rows(database, f"SELECT count(*) AS n FROM {table}")[0]["n"]
        assert count == facts["counts"][table], table

    answers = json.loads(
        run(
            [str(DATA / "use_the_kept_tokens.py"), str(FIXTURE)],
            env,
        )
    )

    logins = facts["logins"]
    sid = {name: login["sid"] for name, login in logins.items()}
    me = {"status": 200, "email": facts["email"]}
    refused = {"status": 401, "code": "token_not_valid"}
    assert {name: answer["status"] for name, answer in answers.items()} == {
        "app: kept access on /api/me/": 200,
        "app: refresh": 200,
        "app: new access on /api/me/": 200,
        "app refreshed once: refresh": 200,
        "app logged out: refresh": 401,
        "app logged out: kept access on /api/me/": 401,
        "browser: refresh": 200,
        "browser: /api/me/ with the new cookies": 200,
    }
    assert answers["app: kept access on /api/me/"] == me
    assert answers["app: new access on /api/me/"] == me
    assert answers["browser: /api/me/ with the new cookies"] == me
    assert answers["app logged out: refresh"] == refused
    for step, login in [
        ("app: refresh", "app"),
        ("app refreshed once: refresh", "app_refreshed_once"),
        ("browser: refresh", "browser"),
    ]:
        assert answers[step]["refresh_sid"] == sid[login], step
    # The rotations were recorded in the moved rows: the next refresh of
    # each login is the token just handed out.
    after = sessions_in(
        database, "jwt_sessions_session", ["refresh_jti", "previous_refresh_jti"]
    )
    for step, login in [
        ("app: refresh", "app"),
        ("app refreshed once: refresh", "app_refreshed_once"),
        ("browser: refresh", "browser"),
    ]:
        kept_jti = jwt.decode(
            logins[login]["refresh"], options={"verify_signature": False}
        )["jti"]
        assert after[uuid.UUID(sid[login])] == {
            "refresh_jti": answers[step]["refresh_jti"],
            "previous_refresh_jti": kept_jti,
        }, step
    assert after[uuid.UUID(sid["app_logged_out"])] == {
        "refresh_jti": before[uuid.UUID(sid["app_logged_out"])]["refresh_jti"],
        "previous_refresh_jti": "",
    }


# --- the same upgrade, in place, on the suite's own database ---------------------

BEFORE = [
    ("accounts", "0009_security_event_reset_link_refused"),
    ("jwt_sessions", None),
]
# What main ran with: its accounts app and SimpleJWT's tables as they are now.
BEFORE_STATE = [
    ("accounts", "0009_security_event_reset_link_refused"),
    ("token_blacklist", "0013_alter_blacklistedtoken_options_and_more"),
]


def a_login_as_main_made_it(old_apps) -> tuple:
    """Create a user, a login session and its login event with `old_apps`.

    Return the session, the event and the session's refresh token, signed
    and recorded as RefreshToken.for_session did.
    """
    now = timezone.now().replace(microsecond=0)
    epoch = int(now.timestamp())
    key_set = get_key_set()
    user = old_apps.get_model("accounts", "User").objects.create(
        email="alice@example.com", password="!"
    )
    jti = uuid.uuid4().hex
    session = old_apps.get_model("accounts", "Session").objects.create(
        user=user,
        created_at=now,
        last_used_at=now,
        expires_at=now + timedelta(days=14),
        refresh_jti=jti,
        signing_kid=key_set.active.kid,
        ip_address="127.0.0.1",
    )
    claims = {
        "token_type": "refresh",
        "exp": epoch + 24 * 60 * 60,
        "iat": epoch,
        "jti": jti,
        "user_id": str(user.pk),
        "auth_time": epoch,
        "sid": str(session.pk),
        "iss": settings.JWT_ISSUER,
        "aud": settings.JWT_AUDIENCE,
    }
    refresh = jwt.encode(
        dict(sorted(claims.items())),
        key_set.active.signing_key,
        algorithm=key_set.algorithm,
        headers={"kid": key_set.active.kid},
    )
    old_apps.get_model("token_blacklist", "OutstandingToken").objects.create(
        user_id=user.pk,
        jti=jti,
        token="",
        created_at=now,
        expires_at=now + timedelta(days=1),
    )
    event = old_apps.get_model("accounts", "SecurityEvent").objects.create(
        type="login", user=user, session=session, ip_address="127.0.0.1"
    )
    return session, event, refresh


@pytest.mark.django_db(transaction=True)
def test_a_login_from_before_the_move_refreshes_after_migrating_in_place():
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate(BEFORE)
        old_apps = executor.loader.project_state(BEFORE_STATE).apps
        session, event, refresh = a_login_as_main_made_it(old_apps)
        assert "accounts_session" in connection.introspection.table_names()

        MigrationExecutor(connection).migrate(latest)

        app = Client(enforce_csrf_checks=True)
        refreshed = app.post(
            reverse("api:app-token-refresh"),
            {"refresh": refresh},
            content_type="application/json",
        )
        assert refreshed.status_code == 200, refreshed.content
        me = app.get(
            reverse("api:me"),
            HTTP_AUTHORIZATION=f"Bearer {refreshed.json()['access']}",
        )
        assert me.status_code == 200, me.content
        assert me.json()["email"] == "alice@example.com"

        Session = apps.get_model("jwt_sessions", "Session")
        SecurityEvent = apps.get_model("accounts", "SecurityEvent")
        moved = Session.objects.get(pk=session.pk)
        new_jti = jwt.decode(
            refreshed.json()["refresh"], options={"verify_signature": False}
        )["jti"]
        assert (moved.user_id, moved.refresh_jti, moved.previous_refresh_jti) == (
            session.user_id,
            new_jti,
            session.refresh_jti,
        )
        assert SecurityEvent._meta.get_field("session").related_model is Session
        assert SecurityEvent.objects.get(pk=event.pk).session_id == session.pk
        assert "accounts_session" not in connection.introspection.table_names()
    finally:
        # Whatever failed, the next test gets the database at the latest state.
        MigrationExecutor(connection).migrate(latest)


def test_the_kept_tokens_are_valid_for_a_year_at_least():
    # They expire in 2076; this says when the fixture must be made again.
    facts = json.loads(FIXTURE.read_text())
    expiry = min(facts["refresh_expires_at"], facts["access_expires_at"])
    assert datetime.fromtimestamp(expiry, tz=UTC) > timezone.now() + timedelta(days=365)
