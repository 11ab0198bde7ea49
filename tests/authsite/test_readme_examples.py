"""Every shell example in the README runs as written, copied into bash.

Each ```sh block is classified below by its first line: run here (against a
live server, a scratch key file or a scratch database), or not run, with the
reason. A new block fails the guard until it is classified.
"""

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

BASE_DIR = Path(__file__).resolve().parents[2]
README = BASE_DIR / "README.md"

NOT_RUN = {
    "make run": "the make targets are what CI itself runs",
    "pip install -r requirements.txt": "runs in CI's install step",
    "DATABASE_URL=postgres://": "is CI's own second run of the suite",
    "OIDC_PROVIDERS=": "needs a real provider's client; tests/oidc/ runs the login",
    ".venv/bin/python -m oidc_provider_mock": "a provider and a server that run "
    "until stopped; tests/oidc/ runs the same provider",
    'pip install "./verifier[django]"': "installs into the reader's own service; "
    "verifier/tests/ import the package from the working tree",
    "make example": "serves until stopped; verifier/tests/test_example_service.py "
    "runs the example under gunicorn",
    "# Terminal 1: the site, with an asymmetric key": "three terminals with two "
    "servers that run until stopped; tests/registered_services/"
    "test_example_service.py runs the same steps (ES256 key, register_service, "
    "both servers under gunicorn, a login for the audience, a logout)",
}


def shell_blocks() -> dict[str, str]:
    """Return the README's ```sh blocks, keyed by their first line."""
    blocks = re.findall(r"^```sh\n(.*?)^```", README.read_text(), re.S | re.M)
    return {block.splitlines()[0]: block for block in blocks}


def block_starting(prefix: str) -> str:
    matches = [
        block for first, block in shell_blocks().items() if first.startswith(prefix)
    ]
    assert len(matches) == 1, f"one README example should start with {prefix!r}"
    return matches[0]


def bash(script: str, *, env: dict, cwd=BASE_DIR) -> subprocess.CompletedProcess:
    """Run `script` in bash as a reader would, with the project's venv first."""
    full_env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "JWT_", "DATABASE_URL", "REDIS_URL"))
    }
    venv_bin = str(Path(sys.executable).parent)
    full_env.update(env, PATH=f"{venv_bin}:{os.environ['PATH']}")
    return subprocess.run(
        ["bash", "-c", script],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=180,
    )


RUN_HERE = (
    "# An app's session, with curl",
    "export JWT_ALGORITHM=EdDSA",
    "OLD_KID=$(python manage.py jwt_keys list",
    'python manage.py jwt_keys retire "$LEAKED_KID"',
    "DJANGO_DEBUG=0 DJANGO_ALLOWED_HOSTS=shop.example",
    "python manage.py unlock --email",
    "python manage.py register_service orders",
)


def test_every_shell_example_is_run_here_or_says_why_not():
    for first in shell_blocks():
        assert first.startswith(RUN_HERE) or first.startswith(tuple(NOT_RUN)), (
            f"README example {first!r} is neither run by this module nor listed "
            "in NOT_RUN with a reason"
        )


@pytest.mark.django_db(transaction=True)
def test_the_curl_example_gets_an_access_token_and_calls_the_api(live_server):
    call_command("seed_demo", force=True, stdout=io.StringIO())  # as `make run`
    script = block_starting("# An app's session").replace(
        "http://localhost:8000", live_server.url
    )

    result = bash(script, env={})

    assert result.returncode == 0, result.stderr
    assert '"email":"demo@example.com"' in result.stdout.replace(" ", "")


@pytest.fixture
def key_file_env(tmp_path):
    return {
        "JWT_ALGORITHM": "EdDSA",
        "JWT_KEYS_FILE": str(tmp_path / "keys.json"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }


def test_the_key_file_examples_generate_rotate_and_retire(key_file_env):
    setup = bash(block_starting("export JWT_ALGORITHM=EdDSA"), env=key_file_env)
    rotation = block_starting("OLD_KID=").replace("sleep 300", "true  # no wait here")
    rotated = bash(rotation, env=key_file_env)
    listed = bash("python manage.py jwt_keys list", env=key_file_env)

    assert setup.returncode == 0, setup.stderr
    assert "active: signs new tokens" in setup.stdout
    # Step 4 runs at once here, so it is refused, saying when it will be safe.
    assert rotated.returncode != 0
    assert "may be in use until" in rotated.stderr
    assert "signs new tokens from now on" in rotated.stdout
    assert listed.stdout.count("EdDSA") == 2


def test_the_emergency_example_retires_the_leaked_key(key_file_env):
    kid = bash("python manage.py jwt_keys generate", env=key_file_env).stdout.strip()
    # Ending the sessions the key signed needs a database (and a key to start).
    migrated = bash("python manage.py migrate --noinput -v0", env=key_file_env)
    assert migrated.returncode == 0, migrated.stderr

    result = bash(
        block_starting('python manage.py jwt_keys retire "$LEAKED_KID"'),
        env={**key_file_env, "LEAKED_KID": kid},
    )

    assert result.returncode == 0, result.stderr
    assert f"{kid} is retired" in result.stdout


def test_the_check_deploy_example_passes(tmp_path):
    result = bash(
        block_starting("DJANGO_DEBUG=0"),
        env={"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"},
    )

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_the_unlock_examples_run(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    bash("python manage.py migrate --noinput -v0", env=env)

    result = bash(block_starting("python manage.py unlock --email"), env=env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.count("nothing to do") == 2


def test_the_register_service_example_registers_and_removes(key_file_env):
    bash("python manage.py jwt_keys generate", env=key_file_env)
    migrated = bash("python manage.py migrate --noinput -v0", env=key_file_env)
    assert migrated.returncode == 0, migrated.stderr

    result = bash(
        block_starting("python manage.py register_service orders"), env=key_file_env
    )

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split(": ")[0] for line in lines] == ["client_id", "client_secret"]
    assert "Removed service 'orders'." in result.stderr
