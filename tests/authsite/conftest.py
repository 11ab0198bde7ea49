"""Fixtures shared by the tests of the project package."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture
def fresh_database(tmp_path):
    """Return a function that runs Python in a fresh process on a new database.

    Its keyword arguments are more environment variables for that process.
    """
    database = tmp_path / "db.sqlite3"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL")
    }
    env.update(
        DATABASE_URL=f"sqlite:///{database}",
        DJANGO_SETTINGS_MODULE="authsite.settings",
    )

    def run(*args, **more_env):
        return subprocess.run(
            [sys.executable, *args],
            cwd=BASE_DIR,
            env={**env, **more_env},
            capture_output=True,
            text=True,
            timeout=120,
        )

    run.database = database
    return run
