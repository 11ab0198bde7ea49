"""Fuzz the emailed links' token parser with atheris (coverage-guided libFuzzer).

    make fuzz                       # after the token harness, FUZZ_EMAIL_SECONDS
    FUZZ_SECONDS=300 .venv/bin/python -m tests.fuzz.fuzz_email_links
    .venv/bin/python -m tests.fuzz.fuzz_email_links .fuzz/email-crashes/crash-...

Every input goes through `tests.fuzz.email_target.check`: the parser, the
API endpoint that uses a link and the link's page, against a real user.
A crash is written to `.fuzz/email-crashes/` (git-ignored); commit it to
`tests/fuzz/email_crashers/`, where `make test` replays it. Runs on a
database of its own in `.fuzz/email-run/`, as the token harness does.
"""

import logging
import os
import shutil
import sys
from pathlib import Path

import atheris

from tests.fuzz.fuzz_tokens import WORK, configure_environment

HERE = Path(__file__).resolve().parent
INSTRUMENTED = ["accounts", "authsite"]
EMAIL = "fuzz@example.com"


def main() -> None:
    scratch = WORK / "email-run"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    configure_environment(scratch)
    with atheris.instrument_imports(include=INSTRUMENTED):
        import django

        django.setup()
        from django.core import signing
        from django.core.management import call_command
        from django.test import Client

        atheris.instrument_func(signing.loads)
        atheris.instrument_func(signing.TimestampSigner.unsign)

        from accounts.models import User
        from tests.fuzz import email_target

        call_command("migrate", verbosity=0)
        call_command("createcachetable", verbosity=0)
        user = User.objects.create_user(EMAIL, "fuzz password 123")
        Client().get("/")  # imports the URLconf and views, instrumented

    logging.disable(logging.WARNING)
    crashes = WORK / "email-crashes"
    corpus = WORK / "email-corpus"
    for directory in (crashes, corpus):
        directory.mkdir(parents=True, exist_ok=True)

    def test_one_input(data: bytes) -> None:
        email_target.check(data, user_id=user.pk, email=user.email)

    seconds = int(os.environ.get("FUZZ_SECONDS", "30"))
    given = sys.argv[1:]
    replaying = any(not arg.startswith("-") for arg in given)
    options = [
        f"-max_total_time={seconds}",
        "-max_len=1400",  # past MAX_TOKEN_LENGTH (1024)
        "-timeout=5",
        "-rss_limit_mb=2048",
        "-use_value_profile=1",
        f"-artifact_prefix={crashes}/",
        "-print_final_stats=1",
    ]
    arguments = [sys.argv[0], *options, *given]
    if not replaying:
        arguments += [str(corpus), str(HERE / "email_corpus")]
    atheris.Setup(arguments, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
