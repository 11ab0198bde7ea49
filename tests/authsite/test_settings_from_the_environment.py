"""Start-up: secrets, lifetimes and the database, from the environment."""

import json
import stat
import subprocess
from pathlib import Path

import pytest

from tests.helpers.subprocesses import run_django

BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "JWT_SIGNING_KEY"])
def test_production_refuses_to_start_without_a_secret(tmp_path, missing):
    env = {
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "s" * 50,
        "JWT_SIGNING_KEY": "j" * 50,
        "DJANGO_LOCAL_SECRETS_FILE": str(tmp_path / "secrets.json"),
    }
    del env[missing]

    result = run_django(env)

    assert result.returncode != 0
    assert f"{missing} is not set" in result.stderr
    assert not (tmp_path / "secrets.json").exists()


def test_local_runs_generate_keys_once_into_a_private_file(tmp_path):
    secrets_file = tmp_path / "secrets.json"
    env = {"DJANGO_LOCAL_SECRETS_FILE": str(secrets_file)}
    code = (
        "from django.conf import settings; "
        "print(settings.SECRET_KEY, settings.JWT_SIGNING_KEY)"
    )

    first = run_django(env, code)
    second = run_django(env, code)

    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    secret_key, signing_key = first.stdout.split()
    assert secret_key != signing_key
    assert len(signing_key) >= 64
    assert json.loads(secrets_file.read_text())["JWT_SIGNING_KEY"] == signing_key
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600


def test_the_secrets_file_is_ignored_by_git():
    result = subprocess.run(
        ["git", "check-ignore", "-q", ".local-secrets.json"], cwd=BASE_DIR
    )
    assert result.returncode == 0


def test_lifetimes_come_from_the_environment(tmp_path):
    env = {
        "DJANGO_LOCAL_SECRETS_FILE": str(tmp_path / "s.json"),
        "JWT_ACCESS_LIFETIME": "60",
        "JWT_REFRESH_LIFETIME": "3600",
        "JWT_SESSION_MAX_AGE": "7200",
    }
    code = (
        "from jwt_sessions.app_settings import app_settings as s; "
        "print(s.ACCESS_TOKEN_LIFETIME.seconds, "
        "s.REFRESH_TOKEN_LIFETIME.seconds, s.SESSION_MAX_AGE.seconds)"
    )

    result = run_django(env, code)

    assert result.stdout.split() == ["60", "3600", "7200"]


def test_a_malformed_lifetime_says_what_to_fix(tmp_path):
    result = run_django(
        {
            "DJANGO_LOCAL_SECRETS_FILE": str(tmp_path / "s.json"),
            "JWT_ACCESS_LIFETIME": "5m",
        }
    )

    assert result.returncode != 0
    assert "JWT_ACCESS_LIFETIME must be a whole number of seconds" in result.stderr


def test_database_url_is_honoured(tmp_path):
    db_path = tmp_path / "other.sqlite3"
    result = run_django(
        {
            "DJANGO_LOCAL_SECRETS_FILE": str(tmp_path / "s.json"),
            "DATABASE_URL": f"sqlite:///{db_path}",
        },
        "from django.conf import settings; "
        "print(settings.DATABASES['default']['NAME'])",
    )

    assert result.stdout.strip() == str(db_path)
