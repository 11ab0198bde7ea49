"""An authenticator app for test users, and the codes it would show."""

import pyotp
from django.utils import timezone

from mfa import recovery, totp, vault
from mfa.models import Authenticator

# The secret every test user's "phone" holds (base32, 160 bits).
TEST_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
# The recovery codes of each user given an app, by user id: what they wrote
# down when it was set up.
_recovery_codes: dict[int, list[str]] = {}


def give_authenticator_app(user) -> list[str]:
    """Set up the test authenticator app for `user`; return the recovery codes."""
    Authenticator.objects.create(
        user=user,
        type=Authenticator.Type.TOTP,
        data={"secret": vault.seal(TEST_SECRET), "last_step": -1},
    )
    codes = recovery.generate()
    Authenticator.objects.create(
        user=user,
        type=Authenticator.Type.RECOVERY_CODES,
        data={"hashes": recovery.hashes_of(codes)},
    )
    _recovery_codes[user.pk] = list(codes)
    return codes


def code_for_step(step: int) -> str:
    return pyotp.TOTP(TEST_SECRET).generate_otp(step)


def next_code(user) -> str:
    """Return a code the site will take now: the app's, or a recovery code.

    An app's code is good once, and only the steps around now are accepted,
    so a test that logs in often in one half-minute gets a recovery code.
    """
    app = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    now = pyotp.TOTP(TEST_SECRET).timecode(timezone.now())
    step = max(now - totp.DRIFT_STEPS, app.data.get("last_step", -1) + 1)
    if step <= now + totp.DRIFT_STEPS:
        return code_for_step(step)
    return _recovery_codes[user.pk].pop()
