"""`migrate` alone makes a working site; a missing cache table stops start-up.

Each test runs manage.py in a fresh process over a fresh SQLite file with the
database cache (what `make run` uses), as a newcomer's first deploy would.
"""

import sqlite3
import textwrap
from pathlib import Path

import pytest
from django.core.management import call_command

from authsite.checks import check_cache_tables

# A login through the real API, in the fresh process, against its database.
LOG_IN = textwrap.dedent(
    """
    import django; django.setup()
    from django.test import Client
    from accounts.models import User
    User.objects.create_user("new@example.com", "a fresh deploy's passphrase 9")
    client = Client()
    response = client.post(
        "/api/app/token/",
        {"email": "new@example.com", "password": "a fresh deploy's passphrase 9"},
        content_type="application/json",
        secure=True,
    )
    print(response.status_code)
    """
)


def drop_cache_table(database: Path) -> None:
    with sqlite3.connect(database) as connection:
        connection.execute("DROP TABLE django_cache")


def test_migrate_alone_gives_a_site_where_logins_work(fresh_database):
    migrated = fresh_database("manage.py", "migrate", "--noinput", "-v0")
    assert migrated.returncode == 0, migrated.stderr

    checked = fresh_database("manage.py", "check")
    login = fresh_database("-c", LOG_IN)

    assert checked.returncode == 0, checked.stderr
    assert login.stdout.split()[-1] == "200", login.stderr


def test_check_and_app_servers_refuse_to_start_without_the_cache_table(
    fresh_database,
):
    fresh_database("manage.py", "migrate", "--noinput", "-v0")
    drop_cache_table(fresh_database.database)

    checked = fresh_database("manage.py", "check")
    # What gunicorn, uvicorn and runserver do first: load the application.
    served = fresh_database("-c", "import authsite.wsgi")

    assert checked.returncode != 0
    assert "authsite.E020" in checked.stderr
    assert "django_cache does not exist" in checked.stderr
    assert "Run: python manage.py migrate" in checked.stderr
    assert served.returncode != 0
    assert "CacheTableMissing" in served.stderr
    assert "Run: python manage.py migrate" in served.stderr


def test_migrate_is_not_stopped_by_the_missing_table_and_creates_it(fresh_database):
    fresh_database("manage.py", "migrate", "--noinput", "-v0")
    drop_cache_table(fresh_database.database)

    migrated = fresh_database("manage.py", "migrate", "--noinput")
    checked = fresh_database("manage.py", "check")

    assert migrated.returncode == 0, migrated.stderr
    assert "authsite.W020" in migrated.stderr
    assert checked.returncode == 0, checked.stderr


@pytest.mark.django_db
def test_the_check_names_a_missing_table_and_passes_with_it(settings):
    assert check_cache_tables(None) == []
    settings.CACHES = {
        **settings.CACHES,
        "other": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "other_cache_table",
        },
    }

    errors = check_cache_tables(None)
    while_migrating = check_cache_tables(None, databases=["default"])
    call_command("createcachetable", "other_cache_table", verbosity=0)

    assert [error.id for error in errors] == ["authsite.E020"]
    assert "other_cache_table" in errors[0].msg
    assert [warning.id for warning in while_migrating] == ["authsite.W020"]
    assert check_cache_tables(None) == []


def test_check_before_the_first_migrate_passes_and_creates_no_database(
    fresh_database,
):
    # A build step runs `check --deploy` where no database exists yet.
    checked = fresh_database("manage.py", "check")

    assert checked.returncode == 0, checked.stderr
    assert not fresh_database.database.exists()
