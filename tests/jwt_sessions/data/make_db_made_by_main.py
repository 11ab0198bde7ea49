"""Make db-made-by-<commit>.sqlite3 and .json: a database as main left it.

The database is made by the real code of a commit from before the sessions
moved to `jwt_sessions` (db7776f, where they are still `accounts.Session`):
its migrations, its login endpoints. tests/jwt_sessions/
test_database_from_before_the_move.py migrates a copy forward with today's
code and logs in with the tokens kept here.

To make it again (the output replaces the files next to this script):

    git worktree add /tmp/oldmain db7776f
    .venv/bin/python tests/jwt_sessions/data/make_db_made_by_main.py /tmp/oldmain
    git worktree remove --force /tmp/oldmain

Run from any checkout with any Python that has requirements.txt installed;
the checkout given as the argument is the code that makes the database, and
it must be clean (the commit recorded is its HEAD). The keys below sign the
tokens in the JSON: they are test keys, known to everyone, for this fixture
only.
"""

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
EMAIL = "alice@example.com"
PASSWORD = "correct horse battery staple 42"
# About 50 years, so that the tokens are still valid whenever the test runs
# (their exp is then about 2076, far below the year 9999 limit).
FIFTY_YEARS = str(50 * 365 * 24 * 60 * 60)
# Everything the site reads that changes what a token or a session is; the
# test runs both the migration and the logins with exactly this.
ENV = {
    "DJANGO_DEBUG": "1",
    "DJANGO_SECRET_KEY": "test-only-secret-key-of-the-fixture-db-made-by-main-0001",
    "JWT_ALGORITHM": "HS256",
    "JWT_SIGNING_KEY": "test-only-jwt-signing-key-of-the-fixture-db-made-by-main",
    "JWT_ISSUER": "authsite",
    "JWT_AUDIENCE": "authsite",
    "JWT_ACCESS_LIFETIME": FIFTY_YEARS,
    "JWT_REFRESH_LIFETIME": FIFTY_YEARS,
    "JWT_SESSION_MAX_AGE": FIFTY_YEARS,
    "JWT_COOKIE_SECURE": "1",
}
BROWSER_USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("checkout", type=Path, help="a clean checkout of the commit")
    parser.add_argument("--out-dir", type=Path, default=HERE)
    args = parser.parse_args()
    checkout = args.checkout.resolve()
    commit = git(checkout, "rev-parse", "HEAD")
    if git(checkout, "status", "--porcelain", "--untracked-files=no"):
        sys.exit(f"{checkout} has uncommitted changes: the fixture must be {commit}.")
    name = f"db-made-by-{commit[:7]}"

    with tempfile.TemporaryDirectory(prefix="db-made-by-main-") as tmp:
        database = Path(tmp) / "before.sqlite3"
        env = site_env(database, Path(tmp))
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=checkout,
            env=env,
            check=True,
        )
        logins = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--log-in"],
            cwd=checkout,
            env=env,
            capture_output=True,
            text=True,
        )
        if logins.returncode:
            sys.exit(f"The logins failed:\n{logins.stderr}")
        made = json.loads(logins.stdout)
        single_file(database)
        out = args.out_dir / f"{name}.sqlite3"
        out.write_bytes(database.read_bytes())

    facts = {
        "commit": commit,
        "made_with": "tests/jwt_sessions/data/make_db_made_by_main.py",
        "env": ENV,
        "email": EMAIL,
        "password": PASSWORD,
        **made,
        **rows_of(out),
    }
    (args.out_dir / f"{name}.json").write_text(json.dumps(facts, indent=2) + "\n")
    print(f"wrote {out} ({out.stat().st_size} bytes) and {name}.json")


def git(checkout: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(checkout), *args],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def site_env(database: Path, tmp: Path) -> dict:
    """Return the environment the old site runs with: ENV and nothing else."""
    keep = {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR"}
    env = {key: value for key, value in os.environ.items() if key in keep}
    return {
        **env,
        **ENV,
        "DATABASE_URL": f"sqlite:///{database}",
        # Not the checkout's own files: nothing there is read or written.
        "DJANGO_LOCAL_SECRETS_FILE": str(tmp / "local-secrets.json"),
        "JWT_KEYS_FILE": str(tmp / "jwt-keys.json"),
        "DJANGO_SETTINGS_MODULE": "authsite.settings",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def single_file(database: Path) -> None:
    """Fold the WAL into `database` and leave it in rollback-journal mode."""
    connection = sqlite3.connect(database)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        # The site turns WAL on again whenever it connects (init_command).
        connection.execute("PRAGMA journal_mode=DELETE")
        connection.execute("VACUUM")
    finally:
        connection.close()
    leftovers = [p for p in database.parent.glob(f"{database.name}-*")]
    if leftovers:
        sys.exit(f"{database} still needs {leftovers}.")


def rows_of(database: Path) -> dict:
    """Return what the database holds that the migration must keep."""
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    connection.row_factory = sqlite3.Row
    try:

        def rows(sql):
            return [dict(row) for row in connection.execute(sql)]

        def count(table):
            return connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]

        (content_type,) = rows(
            "SELECT id, app_label, model FROM django_content_type"
            " WHERE app_label = 'accounts' AND model = 'session'"
        )
        return {
            # Every column: the move must keep each of them as it is.
            "sessions": rows("SELECT * FROM accounts_session ORDER BY id"),
            "security_events": rows(
                "SELECT id, type, user_id, session_id FROM accounts_securityevent"
                " ORDER BY id"
            ),
            "session_content_type": content_type,
            "session_permissions": rows(
                "SELECT id, codename FROM auth_permission"
                f" WHERE content_type_id = {content_type['id']} ORDER BY id"
            ),
            "user_permissions": rows(
                "SELECT user_id, permission_id FROM accounts_user_user_permissions"
            ),
            # Only the revoked session's state is cached: the tokens of the
            # live ones were never used, so after the move the database, not
            # the cache, answers for them.
            "cache_keys": [
                key
                for (key,) in connection.execute(
                    "SELECT cache_key FROM django_cache ORDER BY cache_key"
                )
            ],
            "counts": {
                table: count(table)
                for table in (
                    "accounts_user",
                    "accounts_session",
                    "accounts_securityevent",
                    "token_blacklist_outstandingtoken",
                    "token_blacklist_blacklistedtoken",
                    "django_cache",
                )
            },
            "last_migrations": {
                app: name
                for app, name in connection.execute(
                    "SELECT app, max(name) FROM django_migrations GROUP BY app"
                )
            },
        }
    finally:
        connection.close()


# --- run inside the old checkout, with its settings ---------------------------


def log_in_through_the_old_api() -> dict:
    """Log in four times through the old code's endpoints; return the tokens."""
    sys.path.insert(0, os.getcwd())
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import Permission
    from django.test import Client

    from accounts.models import User
    from accounts.tokens import get_token_backend

    user = User.objects.create_user(EMAIL, PASSWORD)
    # A permission on the session model: it must stay the user's after the
    # model's ContentType moves to jwt_sessions.
    user.user_permissions.add(
        Permission.objects.get(
            content_type__app_label="accounts", codename="view_session"
        )
    )
    credentials = {"email": EMAIL, "password": PASSWORD}

    def app_login():
        response = Client().post(
            "/api/app/token/", credentials, content_type="application/json"
        )
        assert response.status_code == 200, response.content
        return response.json()

    def sid(token):
        return get_token_backend().decode(token)["sid"]

    app = app_login()

    refreshed_once = app_login()
    response = Client().post(
        "/api/app/token/refresh/",
        {"refresh": refreshed_once["refresh"]},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    refreshed_once = {**response.json(), "first_refresh": refreshed_once["refresh"]}

    logged_out = app_login()
    response = Client().post(
        "/api/app/token/blacklist/",
        {"refresh": logged_out["refresh"]},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content

    browser = Client(enforce_csrf_checks=True, HTTP_USER_AGENT=BROWSER_USER_AGENT)
    browser.get("/api/csrf/")
    response = browser.post(
        "/api/token/",
        credentials,
        content_type="application/json",
        HTTP_X_CSRFTOKEN=browser.cookies[settings.CSRF_COOKIE_NAME].value,
    )
    assert response.status_code == 200, response.content
    cookies = {
        "access": browser.cookies[settings.JWT_COOKIE_ACCESS_NAME].value,
        "refresh": browser.cookies[settings.JWT_COOKIE_REFRESH_NAME].value,
    }

    decoded = get_token_backend().decode(app["refresh"])
    return {
        "user_id": user.pk,
        "refresh_expires_at": decoded["exp"],
        "access_expires_at": get_token_backend().decode(app["access"])["exp"],
        "cookie_names": {
            "access": settings.JWT_COOKIE_ACCESS_NAME,
            "refresh": settings.JWT_COOKIE_REFRESH_NAME,
            "csrf": settings.CSRF_COOKIE_NAME,
        },
        "logins": {
            "app": {"sid": sid(app["refresh"]), **app},
            "app_refreshed_once": {
                "sid": sid(refreshed_once["refresh"]),
                **refreshed_once,
            },
            "app_logged_out": {"sid": sid(logged_out["refresh"]), **logged_out},
            "browser": {"sid": sid(cookies["refresh"]), **cookies},
        },
    }


if __name__ == "__main__":
    if sys.argv[1:] == ["--log-in"]:
        json.dump(log_in_through_the_old_api(), sys.stdout)
    else:
        main()
