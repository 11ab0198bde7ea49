"""A command run before `migrate` says to migrate, not a traceback.

Each runs manage.py in a fresh process over a new, empty SQLite file, as a
newcomer who skipped a step of the README would.
"""

import pytest

COMMANDS = [
    ("register_service", "inventory", "--remove"),
    ("deliver_events",),
    ("unlock", "--email", "alice@example.com"),
    ("seed_demo",),
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: " ".join(command))
def test_a_command_before_migrate_says_to_migrate_first(fresh_database, command):
    ran = fresh_database("manage.py", *command)

    assert ran.returncode == 1, ran.stderr
    assert "Traceback" not in ran.stderr
    assert "The database is not migrated yet" in ran.stderr
    assert "Run `make migrate` (or `python manage.py migrate`) first." in ran.stderr
    assert ran.stdout == ""  # no client_id: nothing was registered


def test_registering_a_service_before_migrate_says_to_migrate_first(
    fresh_database, tmp_path
):
    # As the README's recipe goes: the key first (no database needed), then
    # the registration, here without the `make migrate` between them.
    key = {"JWT_ALGORITHM": "ES256", "JWT_KEYS_FILE": str(tmp_path / "keys.json")}
    generated = fresh_database("manage.py", "jwt_keys", "generate", **key)
    assert generated.returncode == 0, generated.stderr

    ran = fresh_database(
        "manage.py", "register_service", "inventory", "--audience", "inventory", **key
    )

    assert ran.returncode == 1, ran.stderr
    assert "Traceback" not in ran.stderr
    assert "The database is not migrated yet" in ran.stderr
    assert ran.stdout == ""


def test_a_command_on_a_database_that_cannot_be_opened_says_so(fresh_database):
    fresh_database.database.mkdir()  # a directory where the file should be

    ran = fresh_database("manage.py", "register_service", "x", "--audience", "x")

    assert ran.returncode == 1, ran.stderr
    assert "Traceback" not in ran.stderr
    assert "The database cannot be used" in ran.stderr
    assert "Check DATABASE_URL" in ran.stderr
