"""Fuzz Verifier.receive() (the events endpoint's parser) with atheris.

    make fuzz                                       # FUZZ_RECEIVE_SECONDS, 20 s
    FUZZ_SECONDS=300 .venv/bin/python verifier/fuzz/fuzz_receive.py
    .venv/bin/python verifier/fuzz/fuzz_receive.py .fuzz/receive-crashes/crash-...

An input is the pushed body (bytes), unless its first line is `SIGN`: the
rest is then a payload signed by the fake issuer's key with typ
secevent+jwt, so that mutations reach the claim checks behind the
signature. The first byte of the input picks the content type.

The invariant: receive() returns a SessionRevoked or raises EventRejected
with one of RFC 8935's codes and a description; nothing else (an
IssuerUnavailable too is a crash: the fake issuer is up). A crash is written
to `.fuzz/receive-crashes/` (git-ignored).
"""

import json
import logging
import os
import sys
from pathlib import Path

import atheris

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
WORK = ROOT / ".fuzz"
sys.path[:0] = [str(ROOT / "verifier"), str(ROOT / "verifier" / "tests")]

CONTENT_TYPES = [
    "application/secevent+jwt",
    "application/secevent+jwt; charset=utf-8",
    "application/json",
    "",
]


class InvariantBroken(Exception):
    pass


def main() -> None:
    with atheris.instrument_imports(include=["authsite_verifier", "jwt"]):
        from authsite_verifier import EventRejected, SessionRevoked, Verifier
        from fake_issuer import AUDIENCE, CLIENT_ID, CLIENT_SECRET, FakeIssuer

    issuer = FakeIssuer()
    verifier = Verifier(
        issuer.url,
        AUDIENCE,
        CLIENT_ID,
        CLIENT_SECRET,
        poll_interval=1.0,
        max_staleness=5.0,
        max_seen_events=10_000,
    )
    logging.disable(logging.WARNING)

    def test_one_input(data: bytes) -> None:
        content_type = CONTENT_TYPES[data[0] % len(CONTENT_TYPES)] if data else ""
        mode, _, rest = data[1:].partition(b"\n")
        body = (
            issuer.sign_raw(rest, typ="secevent+jwt").encode()
            if mode == b"SIGN"
            else data[1:]
        )
        try:
            event = verifier.receive(body, content_type)
        except EventRejected as error:
            answer = error.as_dict()
            if answer["err"] not in EventRejected.CODES or not answer["description"]:
                raise InvariantBroken(f"bad 400 body {answer!r}") from None
            return
        if not isinstance(event, SessionRevoked) or not isinstance(event.sid, str):
            raise InvariantBroken(f"accepted as {event!r}")

    seeds = WORK / "receive-seeds"
    seeds.mkdir(parents=True, exist_ok=True)
    valid = issuer.event_claims("s-seed", seq=1)
    (seeds / "valid").write_bytes(b"\x00" + issuer.revoke("s-seed").encode())
    (seeds / "signed").write_bytes(b"\x00SIGN\n" + json.dumps(valid).encode())
    for directory in ("receive-corpus", "receive-crashes"):
        (WORK / directory).mkdir(parents=True, exist_ok=True)

    seconds = int(os.environ.get("FUZZ_SECONDS", "20"))
    given = sys.argv[1:]
    replaying = any(not arg.startswith("-") for arg in given)
    options = [
        f"-max_total_time={seconds}",
        "-max_len=4096",
        "-timeout=5",
        "-rss_limit_mb=2048",
        "-use_value_profile=1",
        f"-artifact_prefix={WORK / 'receive-crashes'}/",
        "-print_final_stats=1",
    ]
    arguments = [sys.argv[0], *options, *given]
    if not replaying:
        arguments += [str(WORK / "receive-corpus"), str(seeds)]
    atheris.Setup(arguments, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
