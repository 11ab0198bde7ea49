"""Fuzz the token and cookie path with atheris (coverage-guided libFuzzer).

    make fuzz                          # FUZZ_SECONDS=60 by default
    FUZZ_SECONDS=600 make fuzz
    FUZZ_ALGORITHM=RS256 make fuzz     # or ES256, EdDSA; HS256 by default
    .venv/bin/python -m tests.fuzz.fuzz_tokens .fuzz/crashes/crash-...  # replay one

Every input goes through `tests.fuzz.target.check`: the token classes, the
access and refresh cookies, the Bearer header, the home page and the verify,
refresh and logout endpoints, through Django's request handler, against a
real user with a real login. An exception or a broken invariant is a crash:
libFuzzer writes the input to `.fuzz/crashes/` (git-ignored) and exits
non-zero. Commit it to `tests/fuzz/crashers/`, where `make test` replays it.

The harness runs on a database and keys of its own in `.fuzz/run/` (never
DATABASE_URL or REDIS_URL). It starts from `tests/fuzz/corpus/`,
`tests/fuzz/crashers/`, the tokens of its own login and what earlier runs
found (`.fuzz/corpus/`), with `tests/fuzz/tokens.dict` as its dictionary.
"""

import logging
import os
import secrets
import shutil
import sys
from io import StringIO
from pathlib import Path

import atheris

from tests.fuzz import FUZZ_SIGNING_KEY

HERE = Path(__file__).resolve().parent
WORK = HERE.parents[1] / ".fuzz"
# Coverage-instrumented: our code and the libraries that parse tokens.
# atheris instruments whole top-level packages; all of Django would make
# start-up take half a minute and every input slower, so of Django only the
# function that splits the Cookie header is instrumented (in main()).
INSTRUMENTED = ["accounts", "authsite", "jwt", "rest_framework_simplejwt"]
EMAIL = "fuzz@example.com"


def configure_environment(scratch: Path) -> None:
    """Point the settings at the harness's own database, keys and secrets."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "authsite.settings"
    os.environ["DJANGO_DEBUG"] = "1"
    os.environ["DATABASE_URL"] = f"sqlite:///{scratch / 'fuzz.sqlite3'}"
    os.environ.pop("REDIS_URL", None)  # the database cache, rolled back per input
    os.environ["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(50)
    os.environ["DJANGO_LOCAL_SECRETS_FILE"] = str(scratch / "secrets.json")
    os.environ["JWT_ALGORITHM"] = os.environ.get("FUZZ_ALGORITHM", "HS256")
    os.environ["JWT_KEYS_FILE"] = str(scratch / "jwt-keys.json")
    os.environ["AUTH_LOG_LEVEL"] = "WARNING"
    # The key committed inputs were signed with.
    os.environ["JWT_SIGNING_KEY"] = FUZZ_SIGNING_KEY


def log_in_a_user():
    """Migrate, create a user, log in through the app endpoint; return tokens."""
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse

    from accounts.models import User

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    if os.environ["JWT_ALGORITHM"] != "HS256":
        call_command(
            "jwt_keys",
            "generate",
            "--algorithm",
            os.environ["JWT_ALGORITHM"],
            stdout=StringIO(),
        )
    password = secrets.token_urlsafe(16)
    User.objects.create_user(EMAIL, password)
    response = Client().post(
        reverse("api:app-token"),
        {"email": EMAIL, "password": password},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()


def main() -> None:
    # Emptied at every start: the database and keys of the last run.
    scratch = WORK / "run"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    configure_environment(scratch)
    with atheris.instrument_imports(include=INSTRUMENTED):
        import django

        django.setup()
        from django.http import cookie

        from tests.fuzz import target

        atheris.instrument_func(cookie.parse_cookie)

        # The first request imports the URLconf, views and middleware,
        # which must be imported inside this block to be instrumented.
        tokens = log_in_a_user()

    # 401s are logged as warnings; only errors (a 500) matter here.
    logging.disable(logging.WARNING)
    live = target.Live.of(tokens["refresh"])
    seeds = scratch / "seeds"
    seeds.mkdir()
    (seeds / "live-access").write_text(tokens["access"])
    (seeds / "live-refresh").write_text(tokens["refresh"])
    for directory in ("corpus", "crashes"):
        (WORK / directory).mkdir(parents=True, exist_ok=True)

    def test_one_input(data: bytes) -> None:
        target.check(data, live)

    seconds = int(os.environ.get("FUZZ_SECONDS", "60"))
    given = sys.argv[1:]
    replaying = any(not arg.startswith("-") for arg in given)
    options = [
        f"-max_total_time={seconds}",
        # A little over the serializers' max_length (8192): past every limit.
        "-max_len=9000",
        # Bounded work: one input taking seconds is a crash too.
        "-timeout=5",
        "-rss_limit_mb=2048",
        # Comparisons guide the mutations too: it found the sid that is no
        # UUID (tests/fuzz/crashers/) in minutes, where plain coverage did not.
        "-use_value_profile=1",
        f"-dict={HERE / 'tokens.dict'}",
        f"-artifact_prefix={WORK / 'crashes'}/",
        "-print_final_stats=1",
    ]
    corpora = [WORK / "corpus", HERE / "corpus", HERE / "crashers", seeds]
    arguments = [sys.argv[0], *options, *given]
    if not replaying:
        arguments += [str(directory) for directory in corpora]
    atheris.Setup(arguments, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
