"""jwt_sessions is an app of its own: another project could lift it as it is."""

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
APP = BASE_DIR / "jwt_sessions"
# The project's own packages: the app may import none of them.
PROJECT_PACKAGES = (
    "accounts",
    "shop",
    "authsite",
    "bench",
    "tests",
    "registered_services",
)


def imported_modules(path: Path) -> set[str]:
    """Return the absolute module names a Python file imports."""
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            modules.add(node.module)
    return modules


def test_jwt_sessions_imports_nothing_of_the_project():
    offenders = {
        f"{path.relative_to(BASE_DIR)}: {module}"
        for path in APP.rglob("*.py")
        for module in imported_modules(path)
        if module.split(".")[0] in PROJECT_PACKAGES
    }

    assert not offenders
    # The check sees imports at all (a parser that found none would pass).
    assert "django.db" in imported_modules(APP / "models.py")


def test_jwt_sessions_names_no_project_module_in_a_string():
    # Dotted paths in strings (settings defaults, lazy references) are
    # imports too, only later.
    offenders = [
        f"{path.relative_to(BASE_DIR)}:{node.lineno}: {node.value}"
        for path in APP.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value.split(".")[0] in PROJECT_PACKAGES
        and "." in node.value
        and " " not in node.value
    ]

    assert not offenders


def test_no_module_imports_a_private_name_of_another():
    offenders = []
    for package in ("accounts", "authsite", "jwt_sessions", "shop"):
        for path in (BASE_DIR / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ImportFrom):
                    offenders += [
                        f"{path.relative_to(BASE_DIR)}: {alias.name}"
                        for alias in node.names
                        if alias.name.startswith("_") and alias.name != "__version__"
                    ]

    assert not offenders


STANDALONE_SCRIPT = """
import json

import django

django.setup()

from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client, RequestFactory

from jwt_sessions import services
from jwt_sessions.models import Session

call_command("migrate", verbosity=0)
call_command("check", fail_level="WARNING")
user = User.objects.create_user("someone", password="not used here")
request = RequestFactory().post("/", REMOTE_ADDR="192.0.2.1")
pair = services.log_in(request=request, user=user)
client = Client()
refreshed = client.post(
    "/api/app/token/refresh/",
    {"refresh": str(pair.refresh)},
    content_type="application/json",
    secure=True,
)
access = refreshed.json()["access"]
listed = client.get(
    "/api/sessions/", HTTP_AUTHORIZATION=f"Bearer {access}", secure=True
)
logged_out = client.post(
    "/api/app/token/blacklist/",
    {"refresh": refreshed.json()["refresh"]},
    content_type="application/json",
    secure=True,
)
refused = client.get(
    "/api/sessions/", HTTP_AUTHORIZATION=f"Bearer {access}", secure=True
)
print(json.dumps({
    "refreshed": refreshed.status_code,
    "listed": listed.status_code,
    "sessions": len(listed.json()),
    "logged_out": logged_out.status_code,
    "refused": refused.status_code,
    "revoked_reason": Session.objects.get().revoked_reason,
}))
"""


def test_jwt_sessions_runs_in_a_project_with_djangos_own_user(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "JWT_", "DATABASE_URL", "REDIS_URL"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="tests.jwt_sessions.standalone.settings",
        STANDALONE_DATABASE=str(tmp_path / "standalone.sqlite3"),
    )

    result = subprocess.run(
        [sys.executable, "-c", STANDALONE_SCRIPT],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == {
        "refreshed": 200,
        "listed": 200,
        "sessions": 1,
        "logged_out": 200,
        "refused": 401,
        "revoked_reason": "logout",
    }
