"""Set up, use and remove second factors; the second step of a login; passkeys.

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
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url

from accounts import app_settings as account_settings
from accounts.lockout import lockout_message
from jwt_sessions import assurance, flows
from jwt_sessions import services as sessions
from jwt_sessions.client import describe_user_agent, user_agent

from . import app_settings, passkeys, recovery, totp, vault
from .models import Authenticator
from .signals import (
    passkey_counter_regressed,
    passkey_used,
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

METHOD_NAMES = {
    Type.TOTP: "totp",
    Type.RECOVERY_CODES: "recovery_code",
    Type.WEBAUTHN: "passkey",
}
# How a second step may be passed, as the API names them.
SECOND_FACTOR_METHODS = ["totp", "recovery_code", "passkey"]
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
    """Return how `user` can pass a second step: "totp", "recovery_code", "passkey"."""
    types = set(Authenticator.objects.of(user).values_list("type", flat=True))
    return [
        METHOD_NAMES[kind]
        for kind in (Type.TOTP, Type.RECOVERY_CODES, Type.WEBAUTHN)
        if kind in types
    ]


def has_second_factor(user) -> bool:
    """Return whether `user` has an authenticator app or a passkey."""
    # Recovery codes come with the app and stand in for it: alone (once the
    # app is removed) they are removed too.
    return (
        Authenticator.objects.of(user)
        .filter(type__in=(Type.TOTP, Type.WEBAUTHN))
        .exists()
    )


def has_authenticator_app(user) -> bool:
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
    if has_authenticator_app(user):
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
        if has_authenticator_app(user):
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
    if not has_authenticator_app(user):
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


def begin_login(
    *,
    request,
    user,
    next_url: str = "",
    replacing=None,
    methods=(assurance.PASSWORD,),
    audience=None,
):
    """Log in a `user` whose password was right, or ask for their second factor.

    Return the TokenPair of a new session, or, for a user with a second
    factor, the Flow of the second step (nothing logs in until its code).
    `methods` are how the first step was passed (a provider's login: fed);
    `audience` the access token's aud (sessions.log_in).
    """
    if has_second_factor(user):
        return start_login_step(user=user, methods=methods, next_url=next_url)
    return sessions.log_in(
        request=request,
        user=user,
        methods=methods,
        replacing=replacing,
        audience=audience,
    )


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


def finish_login_step(*, request, token, code, replacing=None, audience=None):
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
        audience=audience,
    )
    return pair, data["next"]


# --- Passkeys ---------------------------------------------------------------------
# Every ceremony's challenge waits in a flow (jwt_sessions.flows), bound to
# the client that asked for it (the flow cookie, or an app's flow_token),
# used once and for at most five minutes.

PASSKEY_REGISTER_FLOW = "webauthn-register"
PASSKEY_LOGIN_FLOW = "webauthn-login"
PASSKEY_STEP_UP_FLOW = "webauthn-step-up"
PASSKEY_FLOW_MAX_AGE = 5 * 60
# Enough for every device a person owns; a bound on what one account stores.
MAX_PASSKEYS = 20

PASSKEY_REFUSED = _lazy(
    "That passkey could not be checked. Try again, or log in with your password."
)


EMAIL_NOT_VERIFIED = _lazy(
    "Your email address is not verified yet. Open the link we sent to it, or "
    "log in with your password to get a new one."
)


class PasskeyRefused(Exception):
    """A passkey ceremony that proves nothing; nothing was changed."""

    def __init__(self, message, *, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


def passkeys_of(user):
    return Authenticator.objects.of(user).filter(type=Type.WEBAUTHN)


def _challenge_of(data: dict) -> bytes:
    return base64url_to_bytes(data["challenge"])


def _new_challenge() -> tuple[bytes, str]:
    challenge = passkeys.new_challenge()
    return challenge, bytes_to_base64url(challenge)


def start_passkey_registration(*, user, session_id: str) -> tuple[flows.Flow, dict]:
    """Begin adding a passkey for `user`; return the flow and create()'s options."""
    existing = list(passkeys_of(user).values_list("data", flat=True))
    if len(existing) >= MAX_PASSKEYS:
        raise PasskeyRefused(
            _("You have %(count)d passkeys, the most one account keeps. Remove one.")
            % {"count": MAX_PASSKEYS},
            code="too_many_passkeys",
        )
    # All of a user's passkeys carry one handle, which login checks.
    handle = (
        existing[0]["user_handle"]
        if existing
        else bytes_to_base64url(passkeys.new_user_handle())
    )
    challenge, encoded = _new_challenge()
    flow = flows.start(
        PASSKEY_REGISTER_FLOW,
        {
            "challenge": encoded,
            "user_id": user.pk,
            "sid": str(session_id),
            "user_handle": handle,
        },
        max_age=PASSKEY_FLOW_MAX_AGE,
    )
    options = passkeys.registration_options(
        user=user,
        user_handle=base64url_to_bytes(handle),
        challenge=challenge,
        existing=existing,
    )
    return flow, options


def finish_passkey_registration(
    *, request, user, session_id: str, token, credential, name: str = ""
) -> Authenticator:
    """Keep the passkey `credential` made for the flow `token`; return it."""
    # Used up whatever follows: a challenge is answered once.
    data = flows.finish(PASSKEY_REGISTER_FLOW, token, max_age=PASSKEY_FLOW_MAX_AGE)
    # Bound to the login session that asked: another browser of the same
    # user (or another user) holding the token cannot finish it.
    if data is None or data["user_id"] != user.pk or data["sid"] != str(session_id):
        raise PasskeyRefused(
            _("This passkey setup has ended. Start again."), code="passkey_flow_ended"
        )
    if not isinstance(credential, dict):
        raise PasskeyRefused(PASSKEY_REFUSED, code="passkey_refused")
    try:
        stored = passkeys.verify_registration(
            credential=credential, challenge=_challenge_of(data)
        )
    except passkeys.CeremonyRefused:
        raise PasskeyRefused(PASSKEY_REFUSED, code="passkey_refused") from None
    with transaction.atomic():
        if Authenticator.objects.filter(
            type=Type.WEBAUTHN, data__credential_id=stored["credential_id"]
        ).exists():
            raise PasskeyRefused(
                _("This passkey is already registered."), code="passkey_registered"
            )
        authenticator = Authenticator.objects.create(
            user=user,
            type=Type.WEBAUTHN,
            name=(name or "").strip()[:100]
            or _("Passkey on %(device)s")
            % {"device": describe_user_agent(user_agent(request))},
            data={**stored, "user_handle": data["user_handle"]},
        )
        second_factor_added.send(
            sender=Authenticator,
            user=user,
            authenticator=authenticator,
            request=request,
        )
    return authenticator


def rename_passkey(*, user, passkey_id, name: str) -> Authenticator:
    """Rename one of `user`'s passkeys; raise Authenticator.DoesNotExist."""
    passkey = passkeys_of(user).get(pk=passkey_id)
    passkey.name = name.strip()[:100] or passkey.name
    passkey.save(update_fields=["name"])
    return passkey


def remove_passkey(*, request, user, passkey_id) -> None:
    """Remove one of `user`'s passkeys; raise Authenticator.DoesNotExist."""
    with transaction.atomic():
        passkey = passkeys_of(user).select_for_update().get(pk=passkey_id)
        passkey.delete()
        second_factor_removed.send(
            sender=Authenticator,
            user=user,
            type=Type.WEBAUTHN,
            name=passkey.name,
            request=request,
        )


def start_passkey_login() -> tuple[flows.Flow, dict]:
    """Begin a login with a passkey alone; the same options for everyone."""
    challenge, encoded = _new_challenge()
    flow = flows.start(
        PASSKEY_LOGIN_FLOW, {"challenge": encoded}, max_age=PASSKEY_FLOW_MAX_AGE
    )
    return flow, passkeys.authentication_options(challenge=challenge)


def start_passkey_step_up(*, user, session_id: str) -> tuple[flows.Flow, dict]:
    """Begin proving again, with a passkey, who the user of a login is."""
    stored = list(passkeys_of(user).values_list("data", flat=True))
    if not stored:
        raise PasskeyRefused(_("You have no passkey."), code="no_passkey")
    challenge, encoded = _new_challenge()
    flow = flows.start(
        PASSKEY_STEP_UP_FLOW,
        {"challenge": encoded, "user_id": user.pk, "sid": str(session_id)},
        max_age=PASSKEY_FLOW_MAX_AGE,
    )
    return flow, passkeys.authentication_options(challenge=challenge, allowed=stored)


def _verify_passkey_assertion(*, request, challenge: bytes, credential, owner=None):
    """Check an assertion against the passkey it names; return (user, methods).

    `owner`, when given, is the only user whose passkey may answer. Nothing
    is changed unless the assertion is good, except that a genuine one whose
    counter went backwards is reported (passkey_counter_regressed).
    """
    credential_id = passkeys.credential_id_of(credential)
    if credential_id is None:
        raise PasskeyRefused(PASSKEY_REFUSED, code="passkey_refused")
    with transaction.atomic():
        passkey = (
            Authenticator.objects.select_for_update()
            .select_related("user")
            .filter(type=Type.WEBAUTHN, data__credential_id=credential_id)
            .first()
        )
        if (
            passkey is None
            or not passkey.user.is_active
            or (owner is not None and passkey.user_id != owner.pk)
            # The handle the authenticator keeps with the credential must be
            # the one given to its owner: a credential answering for another
            # account proves nothing about either.
            or passkeys.user_handle_of(credential) != passkey.data.get("user_handle")
        ):
            raise PasskeyRefused(PASSKEY_REFUSED, code="passkey_refused")
        try:
            assertion = passkeys.verify_assertion(
                credential=credential, challenge=challenge, stored=passkey.data
            )
        except passkeys.CeremonyRefused:
            assertion = None
        if assertion is not None:
            passkey.data["sign_count"] = assertion.new_sign_count
            passkey.data["backup_state"] = assertion.backed_up
            passkey.last_used_at = timezone.now()
            passkey.save(update_fields=["data", "last_used_at"])
            passkey_used.send(
                sender=Authenticator,
                user=passkey.user,
                authenticator=passkey,
                request=request,
            )
            return passkey.user, passkeys.methods_of(passkey.data)
    if passkeys.is_counter_regression(
        credential=credential, challenge=challenge, stored=passkey.data
    ):
        # A counter that goes backwards means two copies of one key
        # (WebAuthn section 6.1.1): refused, and told to the owner and staff.
        passkey_counter_regressed.send(
            sender=Authenticator,
            user=passkey.user,
            authenticator=passkey,
            request=request,
        )
    raise PasskeyRefused(PASSKEY_REFUSED, code="passkey_refused")


def finish_passkey_login(*, request, token, credential, login_step_token=None):
    """Log in with a passkey's assertion for the flow `token`.

    Return (user, methods, next) for the caller to log in with. A
    browser in the login's second step (after a password) gives that step's
    token: the login then joins the password to the passkey and goes where
    the password step was going, and the step is finished.
    """
    data = flows.finish(PASSKEY_LOGIN_FLOW, token, max_age=PASSKEY_FLOW_MAX_AGE)
    if data is None:
        raise PasskeyRefused(
            _("This passkey login has ended. Try again."), code="passkey_flow_ended"
        )
    step = (
        flows.read(LOGIN_FLOW, login_step_token, max_age=LOGIN_FLOW_MAX_AGE)
        if login_step_token
        else None
    )
    user, methods = _verify_passkey_assertion(
        request=request, challenge=_challenge_of(data), credential=credential
    )
    if (
        account_settings.email_verification_is_mandatory()
        and not user.email_is_verified
    ):
        # ACCOUNT_EMAIL_VERIFICATION = "mandatory" holds for every login;
        # the password login is the one that sends the link again.
        raise PasskeyRefused(EMAIL_NOT_VERIFIED, code="email_not_verified")
    next_url = ""
    if (
        step is not None
        and step["user_id"] == user.pk
        and flows.finish(LOGIN_FLOW, login_step_token, max_age=LOGIN_FLOW_MAX_AGE)
    ):
        methods = (*step["methods"], *methods)
        next_url = step["next"]
    return user, methods, next_url


def finish_passkey_step_up(*, request, user, session_id: str, token, credential):
    """Check a passkey of `user` for the step-up flow `token`; return its amr."""
    data = flows.finish(PASSKEY_STEP_UP_FLOW, token, max_age=PASSKEY_FLOW_MAX_AGE)
    if data is None or data["user_id"] != user.pk or data["sid"] != str(session_id):
        raise PasskeyRefused(
            _("This confirmation has ended. Try again."), code="passkey_flow_ended"
        )
    _owner, methods = _verify_passkey_assertion(
        request=request,
        challenge=_challenge_of(data),
        credential=credential,
        owner=user,
    )
    return methods
