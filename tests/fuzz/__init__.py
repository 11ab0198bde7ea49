"""Fuzzing of the token and cookie path: the atheris harness and its replay."""

# The HS256 key the harness and the replay of committed inputs sign with,
# so that committed inputs signed with it verify. Not a secret: it signs
# nothing real, and no deployment uses it (it is not in the settings).
FUZZ_SIGNING_KEY = "fuzz-only-hs256-key-it-signs-nothing-real-0123456789abcdef"
