"""Set up, use and remove second factors; the second step of a login.

The HTML views and the API views both call these. A code (from the
authenticator app, or a recovery code) is checked like a password: each
wrong one counts towards the account's and the address's lockout
(django-axes), a lockout refuses even a right one, and an app's code is
good once (a replay in its time window is refused).
"""

import hashlib
from dataclasses import dataclass

import segno
from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_login_failed
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from accounts.lockout import lockout_message
from jwt_sessions import assurance, flows
from jwt_sessions import services as sessions

from . import app_settings, recovery, totp, vault
from .models import Authenticator
from .signals import (
    recovery_code_used,
    recovery_codes_regenerated,
    second_factor_added,
    second_factor_removed,
)

Type = Authenticator.Type

# The second step of a login: who passed the first, how, and where to go.
LOGIN_FLOW = "mfa-login"
LOGIN_FLOW_MAX_AGE = 5 * 60
# Wrong codes one login flow takes before it must start again from the
# password (the account's lockout counts them too).
LOGIN_FLOW_ATTEMPTS = 5
# An authenticator app being set up waits this long for its first code.
SETUP_MAX_AGE = 10 * 60
# Marks a code attempt in django-axes' credentials: counted with the
# account's password guesses, recorded as a wrong code (accounts.receivers).
SECOND_FACTOR_CREDENTIAL = "second_factor"

WRONG_CODE = _lazy(
    "That code is not right. Enter the code your app shows now, or a recovery code."
)

METHOD_NAMES = {Type.TOTP: "totp", Type.RECOVERY_CODES: "recovery_code"}
# How a second step may be passed, as the API names them.
SECOND_FACTOR_METHODS = ["totp", "recovery_code"]
# How a step-up may be passed.
REAUTHENTICATION_METHODS = ["password", *SECOND_FACTOR_METHODS]


class CodeRefused(Exception):
    """A code that does not log in, with what to tell the user."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


class CodesLockedOut(CodeRefused):
    """Too many wrong codes or passwords: nothing is checked for a while."""


class FlowEnded(Exception):
    """The login's second step waited too long, or was already taken."""


class AlreadySetUp(Exception):
    """The user has an authenticator app already: remove it first."""


# --- What a user has ----------------------------------------------------------


def second_factor_methods(user) -> list[str]:
    """Return how `user` can pass a second step: "totp", "recovery_code"."""
    types = set(Authenticator.objects.of(user).values_list("type", flat=True))
    return [
        METHOD_NAMES[kind] for kind in (Type.TOTP, Type.RECOVERY_CODES) if kind in types
    ]


def has_second_factor(user) -> bool:
    # Recovery codes come with a factor and stand in for it: alone (once its
    # factor is removed) they are removed too.
    return Authenticator.objects.of(user).filter(type=Type.TOTP).exists()


def recovery_codes_left(user) -> int:
    codes = Authenticator.objects.of(user).filter(type=Type.RECOVERY_CODES).first()
    return len(codes.data.get("hashes", [])) if codes is not None else 0


# --- Setting up an authenticator app -------------------------------------------


@dataclass(frozen=True)
class TotpSetup:
    """What the user needs to add this site to an authenticator app."""

    secret: str
    uri: str

    @property
    def qr_svg(self) -> str:
        """The otpauth:// URI as a QR code, an inline SVG (no script, no CDN)."""
        return segno.make(self.uri, error="m").svg_inline(
            scale=5, border=2, dark="#1d2330", light="#ffffff"
        )

    @property
    def grouped_secret(self) -> str:
        """The secret in groups of four, as people type it."""
        return " ".join(self.secret[i : i + 4] for i in range(0, len(self.secret), 4))


def _setup_key(user, session_id: str) -> str:
    # One pending setup per login session: another browser of the same user
    # cannot finish (or see) it.
    digest = hashlib.sha256(str(session_id).encode()).hexdigest()
    return f"mfa:totp-setup:{user.pk}:{digest}"


def start_totp_setup(*, user, session_id: str) -> TotpSetup:
    """Draw a new secret for `user`, kept (sealed) until a code confirms it."""
    if has_second_factor(user):
        raise AlreadySetUp
    secret = totp.new_secret()
    cache.set(_setup_key(user, session_id), vault.seal(secret), timeout=SETUP_MAX_AGE)
    return _setup(user, secret)


def pending_totp_setup(*, user, session_id: str) -> TotpSetup | None:
    """Return the setup this login session started and has not finished."""
    sealed = cache.get(_setup_key(user, session_id))
    if sealed is None:
        return None
    try:
        return _setup(user, vault.unseal(sealed))
    except vault.Unreadable:
        return None


def _setup(user, secret: str) -> TotpSetup:
    return TotpSetup(
        secret=secret,
        uri=totp.provisioning_uri(
            secret, account=user.get_username(), issuer=app_settings.totp_issuer()
        ),
    )


def confirm_totp_setup(*, request, user, session_id: str, code: str) -> list[str]:
    """Keep the pending authenticator app if `code` is its; return recovery codes.

    The codes are shown once and kept only as keyed hashes.
    """
    setup = pending_totp_setup(user=user, session_id=session_id)
    if setup is None:
        raise CodeRefused(
            _("The setup expired. Start again to get a new QR code."),
            code="setup_expired",
        )
    step = totp.matching_step(setup.secret, code, at=timezone.now())
    if step is None:
        raise CodeRefused(
            _(
                "That code does not match. Check that the app shows this site's "
                "account, then enter the code it shows now."
            ),
            code="code_incorrect",
        )
    with transaction.atomic():
        if has_second_factor(user):
            raise AlreadySetUp
        authenticator = Authenticator.objects.create(
            user=user,
            type=Type.TOTP,
            name=_("Authenticator app"),
            data={"secret": vault.seal(setup.secret), "last_step": step},
        )
        codes = _replace_recovery_codes(user)
        second_factor_added.send(
            sender=Authenticator,
            user=user,
            authenticator=authenticator,
            request=request,
        )
    cache.delete(_setup_key(user, session_id))
    return codes


def remove_totp(*, request, user) -> bool:
    """Remove the authenticator app, and the recovery codes that stood in for it."""
    with transaction.atomic():
        deleted, _counts = (
            Authenticator.objects.of(user)
            .filter(type__in=(Type.TOTP, Type.RECOVERY_CODES))
            .delete()
        )
        if deleted:
            second_factor_removed.send(
                sender=Authenticator, user=user, type=Type.TOTP, request=request
            )
    return bool(deleted)


def regenerate_recovery_codes(*, request, user) -> list[str]:
    """Replace the user's recovery codes with ten new ones; return them."""
    if not has_second_factor(user):
        raise CodeRefused(
            _("Set up an authenticator app first: recovery codes stand in for it."),
            code="no_second_factor",
        )
    with transaction.atomic():
        codes = _replace_recovery_codes(user)
        recovery_codes_regenerated.send(
            sender=Authenticator, user=user, request=request
        )
    return codes


def _replace_recovery_codes(user) -> list[str]:
    codes = recovery.generate()
    Authenticator.objects.update_or_create(
        user=user,
        type=Type.RECOVERY_CODES,
        defaults={
            "name": _("Recovery codes"),
            "data": {"hashes": recovery.hashes_of(codes)},
        },
    )
    return codes


# --- Checking a code ------------------------------------------------------------


def verify_second_factor(*, request, user, code) -> str:
    """Check a code from the app or a recovery code; return its amr method.

    Raises CodesLockedOut while the account or address is locked out, else
    CodeRefused for a wrong, replayed or malformed code (each counted).
    """
    request = getattr(request, "_request", request)
    credentials = {"email": user.get_username(), SECOND_FACTOR_CREDENTIAL: True}
    if not AxesProxyHandler.is_allowed(request, credentials):
        raise CodesLockedOut(lockout_message(), code="locked_out")
    code = str(code or "")[:64]
    refusal = None
    with transaction.atomic():
        app = (
            Authenticator.objects.select_for_update()
            .of(user)
            .filter(type=Type.TOTP)
            .first()
        )
        if app is not None:
            refusal = _use_app_code(app, code)
            if refusal is None:
                return assurance.ONE_TIME_CODE
        codes = (
            Authenticator.objects.select_for_update()
            .of(user)
            .filter(type=Type.RECOVERY_CODES)
            .first()
        )
        if codes is not None and _use_recovery_code(codes, code, request=request):
            return assurance.RECOVERY_CODE
    user_login_failed.send(sender=__name__, credentials=credentials, request=request)
    if getattr(request, "axes_locked_out", False):
        raise CodesLockedOut(lockout_message(), code="locked_out")
    raise refusal or CodeRefused(
        WRONG_CODE,
        code="code_incorrect",
    )


def _use_app_code(app: Authenticator, code: str) -> CodeRefused | None:
    try:
        secret = vault.unseal(app.data["secret"])
    except (vault.Unreadable, KeyError):
        return CodeRefused(
            _("This authenticator app can no longer be checked. Use a recovery code."),
            code="authenticator_unreadable",
        )
    step = totp.matching_step(secret, code, at=timezone.now())
    if step is None:
        return CodeRefused(
            WRONG_CODE,
            code="code_incorrect",
        )
    if step <= app.data.get("last_step", -1):
        # RFC 6238 section 5.2: a code is accepted once, even within its
        # window; someone who saw it over the user's shoulder is too late.
        return CodeRefused(
            _("That code was used already. Wait for the next one, then enter it."),
            code="code_replayed",
        )
    app.data["last_step"] = step
    app.last_used_at = timezone.now()
    app.save(update_fields=["data", "last_used_at"])
    return None


def _use_recovery_code(codes: Authenticator, code: str, *, request) -> bool:
    hashes = list(codes.data.get("hashes", []))
    index = recovery.index_of(code, hashes)
    if index is None:
        return False
    del hashes[index]
    codes.data["hashes"] = hashes
    codes.last_used_at = timezone.now()
    codes.save(update_fields=["data", "last_used_at"])
    recovery_code_used.send(
        sender=Authenticator, user=codes.user, remaining=len(hashes), request=request
    )
    return True


# --- The second step of a login ----------------------------------------------------


def begin_login(*, request, user, next_url: str = "", replacing=None):
    """Log in a `user` whose password was right, or ask for their second factor.

    Return the TokenPair of a new session, or, for a user with a second
    factor, the Flow of the second step (nothing logs in until its code).
    """
    if has_second_factor(user):
        return start_login_step(user=user, next_url=next_url)
    return sessions.log_in(request=request, user=user, replacing=replacing)


def start_login_step(
    *, user, methods=(assurance.PASSWORD,), next_url: str = ""
) -> flows.Flow:
    """Begin the second step for a `user` who passed the first; nothing logs in yet."""
    return flows.start(
        LOGIN_FLOW,
        {
            "user_id": user.pk,
            "methods": list(methods),
            "next": next_url,
            "attempts": 0,
        },
        max_age=LOGIN_FLOW_MAX_AGE,
    )


def login_step_user(token):
    """Return the user a live second step belongs to, or None."""
    data = flows.read(LOGIN_FLOW, token, max_age=LOGIN_FLOW_MAX_AGE)
    if data is None:
        return None
    return (
        get_user_model()
        ._default_manager.filter(pk=data["user_id"], is_active=True)
        .first()
    )


def finish_login_step(*, request, token, code, replacing=None):
    """Log in with the code of a live second step; return (TokenPair, next).

    Raises FlowEnded when the step expired, was finished already or took too
    many wrong codes (start again from the password), CodeRefused or
    CodesLockedOut for the code.
    """
    data = flows.read(LOGIN_FLOW, token, max_age=LOGIN_FLOW_MAX_AGE)
    user = login_step_user(token) if data is not None else None
    if user is None:
        raise FlowEnded
    try:
        method = verify_second_factor(request=request, user=user, code=code)
    except CodesLockedOut:
        raise
    except CodeRefused:
        data["attempts"] += 1
        if data["attempts"] >= LOGIN_FLOW_ATTEMPTS:
            flows.finish(LOGIN_FLOW, token, max_age=LOGIN_FLOW_MAX_AGE)
        else:
            flows.update(LOGIN_FLOW, token, data, max_age=LOGIN_FLOW_MAX_AGE)
        raise
    # Only one request ever logs in with one step, however many raced.
    if flows.finish(LOGIN_FLOW, token, max_age=LOGIN_FLOW_MAX_AGE) is None:
        raise FlowEnded
    pair = sessions.log_in(
        request=getattr(request, "_request", request),
        user=user,
        methods=[*data["methods"], method],
        replacing=replacing,
    )
    return pair, data["next"]
