"""Production settings: secure by default whenever DEBUG is off."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
    "JWT_SIGNING_KEY": secrets.token_urlsafe(64),
    "DJANGO_ALLOWED_HOSTS": "shop.example,.example.org",
}


def run(args, env):
    """Run a Python command in a fresh process with only `env` configured."""
    full_env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "JWT_", "SECURE_"))
    }
    full_env.update(env, DJANGO_SETTINGS_MODULE="authsite.settings")
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def security_settings(env) -> dict:
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({n: getattr(s, n) for n in ["
        "'SECURE_SSL_REDIRECT', 'SECURE_HSTS_SECONDS', "
        "'SECURE_HSTS_INCLUDE_SUBDOMAINS', 'SECURE_HSTS_PRELOAD', "
        "'SECURE_PROXY_SSL_HEADER', 'CSRF_TRUSTED_ORIGINS', 'CSRF_COOKIE_SECURE', "
        "'SESSION_COOKIE_SECURE', 'ALLOWED_HOSTS']}))"
    )
    result = run(["-c", code], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_documented_production_settings_pass_check_deploy():
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], PRODUCTION
    )

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_production_is_https_only_by_default():
    found = security_settings(PRODUCTION)

    assert found["SECURE_SSL_REDIRECT"] is True
    assert found["SECURE_HSTS_SECONDS"] == 365 * 24 * 60 * 60
    assert found["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert found["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert found["CSRF_COOKIE_SECURE"] is True
    assert found["SESSION_COOKIE_SECURE"] is True
    assert found["ALLOWED_HOSTS"] == ["shop.example", ".example.org"]
    # The allowed hosts, as https origins (a leading dot is any subdomain).
    assert found["CSRF_TRUSTED_ORIGINS"] == [
        "https://shop.example",
        "https://*.example.org",
    ]


def test_plain_http_takes_an_explicit_switch():
    found = security_settings({**PRODUCTION, "DJANGO_SECURE_SSL_REDIRECT": "0"})

    assert found["SECURE_SSL_REDIRECT"] is False
    assert found["SECURE_HSTS_SECONDS"] == 365 * 24 * 60 * 60


def test_the_proxy_header_and_trusted_origins_come_from_the_environment():
    found = security_settings(
        {
            **PRODUCTION,
            "DJANGO_SECURE_PROXY_SSL_HEADER": "X-Forwarded-Scheme",
            "DJANGO_CSRF_TRUSTED_ORIGINS": "https://app.example",
        }
    )

    assert found["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_SCHEME", "https"]
    assert found["CSRF_TRUSTED_ORIGINS"] == ["https://app.example"]


def test_local_runs_do_not_redirect_to_https(tmp_path):
    found = security_settings(
        {"DJANGO_LOCAL_SECRETS_FILE": str(tmp_path / "secrets.json")}
    )

    assert found["SECURE_SSL_REDIRECT"] is False
    assert found["SECURE_HSTS_SECONDS"] == 0
    assert found["SECURE_PROXY_SSL_HEADER"] is None


def test_production_without_allowed_hosts_fails_check_deploy():
    env = {k: v for k, v in PRODUCTION.items() if k != "DJANGO_ALLOWED_HOSTS"}

    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)

    assert result.returncode != 0
    assert "security.W020" in result.stderr


def test_api_calls_over_http_are_refused_not_redirected(client, settings, db):
    """ASVS 4.1.2: only pages redirect to HTTPS; the API fails loudly."""
    settings.SECURE_SSL_REDIRECT = True

    api = client.get("/api/me/", HTTP_AUTHORIZATION="Bearer x.y.z")
    page = client.get("/accounts/login/")
    over_https = client.get("/api/me/", secure=True)

    assert api.status_code == 403
    assert api.json()["code"] == "https_required"
    assert page.status_code == 301
    assert page["Location"].startswith("https://")
    assert over_https.status_code == 401
