"""The emailed links that prove an address: to verify it, or to change to it.

A link's token is signed (django.core.signing, with the SECRET_KEY and a salt
of its own), dated, and never stored: it says which account and which
address, and carries a fingerprint of the account's email state (the
address, and when it was verified). Using the link changes that state, so
the same link no longer matches: it works once. So does changing the
address: a link sent to the old one dies with it.
"""

from dataclasses import dataclass

from django.core import signing
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _

from . import app_settings
from .models import User

VERIFY = "verify"
CHANGE = "change"
SALT = "accounts.email_tokens"
# Longer than any token this module makes: anything longer is refused before
# it is decoded at all.
MAX_TOKEN_LENGTH = 1024


class LinkRefused(Exception):
    """A link that cannot be used; `message` says why, `code` names it."""

    status = 400

    def __init__(self, message, *, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


class LinkBroken(LinkRefused):
    """Not a token this site made (garbled, cut short, forged)."""


class LinkExpired(LinkRefused):
    """A real link, older than ACCOUNT_EMAIL_VERIFICATION_MAX_AGE."""

    status = 410


class LinkUsed(LinkRefused):
    """A real link whose account has moved on: used, or superseded."""

    status = 410


class AlreadyVerified(LinkRefused):
    """A verification link opened again, once its address is verified."""

    status = 409


BROKEN = _(
    "This link does not work: it was copied incompletely or changed. Open the "
    "link from the email again."
)
EXPIRED = _("This link has expired. Ask for a new one.")
ALREADY_VERIFIED = _("This address is verified already. There is nothing more to do.")
USED = _(
    "This link has been used already, or the account's address changed since "
    "it was sent. Ask for a new one if you still need it."
)


@dataclass(frozen=True)
class EmailLink:
    """What a valid token says: `user` proves they own `email`, for `purpose`."""

    user: User
    email: str
    purpose: str


def _fingerprint(user: User, purpose: str, email: str) -> str:
    # The account's email state as it is now: a link made for another state
    # (before the address was verified, or changed) no longer matches.
    verified = user.email_verified_at.isoformat() if user.email_verified_at else ""
    return salted_hmac(
        SALT,
        f"{user.pk}|{purpose}|{email}|{user.email}|{verified}",
        algorithm="sha256",
    ).hexdigest()[:32]


def make_token(*, user: User, purpose: str, email: str) -> str:
    """Return a token that lets `user` prove they own `email`, for `purpose`."""
    return signing.dumps(
        {
            "u": user.pk,
            "p": purpose,
            "e": email,
            "s": _fingerprint(user, purpose, email),
        },
        salt=SALT,
        compress=False,
    )


def read_token(token, *, for_update: bool = False) -> EmailLink:
    """Return what `token` says, or raise LinkRefused (its kinds say why)."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        raise LinkBroken(BROKEN, code="invalid_token")
    try:
        data = signing.loads(
            token,
            salt=SALT,
            max_age=app_settings.email_verification_max_age(),
        )
    except signing.SignatureExpired:
        raise LinkExpired(EXPIRED, code="token_expired") from None
    except (signing.BadSignature, ValueError, UnicodeError):
        raise LinkBroken(BROKEN, code="invalid_token") from None
    # Signed by this site, so well-formed; checked all the same, as cheaply.
    if not (
        isinstance(data, dict)
        and type(data.get("u")) is int
        and data.get("p") in (VERIFY, CHANGE)
        and isinstance(data.get("e"), str)
        and isinstance(data.get("s"), str)
    ):
        raise LinkBroken(BROKEN, code="invalid_token")
    users = User.objects.filter(pk=data["u"], is_active=True)
    user = (users.select_for_update() if for_update else users).first()
    if user is None:
        raise LinkUsed(USED, code="token_used")
    if not constant_time_compare(data["s"], _fingerprint(user, data["p"], data["e"])):
        if data["p"] == VERIFY and data["e"] == user.email and user.email_is_verified:
            raise AlreadyVerified(ALREADY_VERIFIED, code="already_verified")
        raise LinkUsed(USED, code="token_used")
    return EmailLink(user=user, email=data["e"], purpose=data["p"])
