"""Replay the committed inputs of the email-link fuzzer, as `make fuzz` runs them."""

from pathlib import Path

import pytest

from tests.fuzz.email_target import check

HERE = Path(__file__).resolve().parent
INPUTS = sorted(
    path
    for folder in ("email_corpus", "email_crashers")
    for path in (HERE / folder).iterdir()
    if not path.name.startswith(".")
)


def test_the_committed_email_inputs_are_there():
    assert any(path.parent.name == "email_corpus" for path in INPUTS)


@pytest.mark.parametrize("path", INPUTS, ids=lambda path: path.name)
def test_every_committed_email_link_input_keeps_the_invariant(unverified_user, path):
    check(path.read_bytes(), user_id=unverified_user.pk, email=unverified_user.email)
    unverified_user.refresh_from_db()
    assert not unverified_user.email_is_verified
