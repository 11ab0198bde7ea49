"""Replay every committed fuzz input through the real path, as the fuzzer does.

The seed corpus (`tests/fuzz/corpus/`) and every input that ever broke the
invariant (`tests/fuzz/crashers/`) go through `tests.fuzz.target.check`,
with the harness's signing key and a real login, so `make test` proves on
every run what `make fuzz` checks; the fuzzer itself is `make fuzz`.
"""

from pathlib import Path

from django.urls import reverse

from tests.fuzz import FUZZ_SIGNING_KEY
from tests.fuzz.target import Live, check
from tests.helpers.clients import PASSWORD

HERE = Path(__file__).resolve().parent
INPUTS = sorted(
    path for folder in ("corpus", "crashers") for path in (HERE / folder).iterdir()
)


def log_in_with_the_harness_key(settings, client, user) -> dict:
    """Sign with the harness's key and log `user` in; return its tokens."""
    settings.JWT_SIGNING_KEY = FUZZ_SIGNING_KEY
    response = client.post(
        reverse("api:app-token"),
        {"email": user.email, "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()


def test_the_committed_inputs_are_there():
    # A folder that lost its files would make the replay below prove nothing.
    assert {path.parent.name for path in INPUTS} == {"corpus", "crashers"}


def test_every_committed_fuzz_input_and_the_live_tokens_keep_the_invariant(
    settings, app_client, user
):
    # One login for all inputs (each input runs in a transaction of its own
    # that is rolled back, as in the harness), so the replay takes a second.
    tokens = log_in_with_the_harness_key(settings, app_client, user)
    inputs = {f"{path.parent.name}/{path.name}": path.read_bytes() for path in INPUTS}
    inputs |= {f"live {kind}": token.encode() for kind, token in tokens.items()}
    broken = {}
    for name, data in inputs.items():
        try:
            check(data, Live.of(tokens["refresh"]))
        except Exception as exc:  # every input is tried, every failure named
            broken[name] = f"{type(exc).__name__}: {exc}"

    assert broken == {}
