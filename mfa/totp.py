"""Time-based one-time codes (RFC 6238), by pyotp: a code is good once."""

import re
from datetime import datetime

import pyotp
from pyotp.utils import strings_equal

DIGITS = 6
# A code of the step before or after the current one is accepted too: the
# phone's clock may be off by up to 30 seconds.
DRIFT_STEPS = 1
CODE = re.compile(r"\d{6}")


def new_secret() -> str:
    """Return a new random secret, base32 (160 bits)."""
    return pyotp.random_base32(length=32)


def provisioning_uri(secret: str, *, account: str, issuer: str) -> str:
    """Return the otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret, digits=DIGITS).provisioning_uri(
        name=account, issuer_name=issuer
    )


def normalise(code: str) -> str:
    """Return a typed code without the spaces apps show in the middle."""
    return "".join(str(code).split())


def matching_step(secret: str, code: str, *, at: datetime) -> int | None:
    """Return the time step whose code `code` is, within the drift; else None."""
    code = normalise(code)
    if not CODE.fullmatch(code):
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS)
    now = totp.timecode(at)
    for step in sorted(
        range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1), key=lambda s: abs(s - now)
    ):
        if strings_equal(totp.generate_otp(step), code):
            return step
    return None
