"""Sign in with an OpenID Connect provider: start, finish, link, unlink.

The HTML views and the API views both call these. A login's transaction
(state, nonce, PKCE verifier, next) is a flow (jwt_sessions.flows) whose
token only the browser that started it holds, in an HttpOnly SameSite=Lax
cookie: a callback is finished only by the browser whose cookie names a
live flow with the same `state`, and only once. A cache-only state store
that any browser could finish was authlib's CVE-2025-68158.

Which account a provider's person gets:
- an identity (provider, sub) already linked: its account;
- else an email the provider says is verified and no account has: a new
  account with that address (verified), no usable password;
- else an account with that address: nothing logs in until its owner proves
  the account (its password), and only then is the identity linked;
- an email the provider has not verified: refused, so no one takes over an
  address by claiming it at a provider.
A user with a second factor is asked for it after the provider, as after a
password: the provider proves the person at the provider, not this site's
second factor (Keycloak and allauth do the same).
"""

import hmac
import secrets
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import services as accounts
from accounts.credentials import WRONG_PASSWORD, verify_current_password
from accounts.models import SecurityEvent, User, normalize_email
from jwt_sessions import assurance, flows
from jwt_sessions.flows import Flow
from mfa import services as mfa

from . import app_settings
from . import provider as oidc
from .app_settings import Provider
from .models import Identity

Event = SecurityEvent.Type

LOGIN_FLOW = "oidc-login"
LINK_FLOW = "oidc-link"
APP_NONCE_FLOW = "oidc-app-nonce"
LINK_FLOW_MAX_AGE = 10 * 60
APP_NONCE_MAX_AGE = 10 * 60

LOGIN = "login"
LINK = "link"


class LoginRefused(Exception):
    """A provider login that logs nobody in and changes nothing."""

    def __init__(self, message: str, *, code: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


class LinkRequired(Exception):
    """The provider's verified email is an existing account's: prove it first."""

    def __init__(self, user: User):
        super().__init__(user.email)
        self.user = user


@dataclass(frozen=True)
class LoginStarted:
    flow: Flow
    url: str


@dataclass(frozen=True)
class Outcome:
    """How a callback ended: logged in (pair), a second step, a link to prove."""

    next_url: str
    pair: object = None
    second_step: Flow | None = None
    link_flow: Flow | None = None
    linked: Identity | None = None


def _refused_unreachable(provider: Provider) -> LoginRefused:
    return LoginRefused(
        _(
            "%(provider)s could not be reached, or its answer could not be used. "
            "Nothing was changed. Try again in a few minutes."
        )
        % {"provider": provider.name},
        code="provider_unavailable",
    )


def _refused_token(provider: Provider) -> LoginRefused:
    return LoginRefused(
        _(
            "The answer from %(provider)s could not be verified, so it was "
            "refused. Nothing was changed. Start again from the login page."
        )
        % {"provider": provider.name},
        code="id_token_invalid",
    )


def refused_expired() -> LoginRefused:
    return LoginRefused(
        _(
            "This sign-in expired or was used already. Nothing was changed. "
            "Start again from the login page."
        ),
        code="state_expired",
    )


def _provider_said_no(provider: Provider, error: str) -> LoginRefused:
    if error == "access_denied":
        return LoginRefused(
            _(
                "You did not allow %(provider)s to sign you in here. Nothing "
                "was changed. Try again, or log in another way."
            )
            % {"provider": provider.name},
            code="access_denied",
        )
    return LoginRefused(
        _(
            "%(provider)s could not sign you in. Nothing was changed. Try "
            "again, or log in another way."
        )
        % {"provider": provider.name},
        code="provider_error",
    )


# --- Starting ----------------------------------------------------------------------


def start_login(
    *,
    provider: Provider,
    redirect_uri: str,
    next_url: str,
    link_user=None,
    session_id: str | None = None,
) -> LoginStarted:
    """Begin a login (or, for `link_user`, a link) at `provider`."""
    state = secrets.token_urlsafe(32)
    nonce = secrets.token_urlsafe(32)
    verifier = oidc.new_verifier()
    try:
        url = oidc.authorization_url(
            provider,
            redirect_uri=redirect_uri,
            state=state,
            nonce=nonce,
            verifier=verifier,
        )
    except oidc.ProviderError:
        raise _refused_unreachable(provider) from None
    flow = flows.start(
        LOGIN_FLOW,
        {
            "provider": provider.id,
            "state": state,
            "nonce": nonce,
            "verifier": verifier,
            "next": next_url,
            "intent": LINK if link_user is not None else LOGIN,
            "user_id": link_user.pk if link_user is not None else None,
            "session_id": session_id,
        },
        max_age=app_settings.login_max_age(),
    )
    return LoginStarted(flow=flow, url=url)


# --- The callback ------------------------------------------------------------------


def _param(params, name: str) -> str:
    value = params.get(name, "")
    return value if isinstance(value, str) else ""


def finish_callback(
    *,
    request,
    provider: Provider,
    token,
    params,
    redirect_uri: str,
    replacing=None,
) -> Outcome:
    """Finish the login whose flow `token` this browser holds, with the callback's
    `params` (the query string); raise LoginRefused when it proves nothing.
    """
    data = flows.read(LOGIN_FLOW, token, max_age=app_settings.login_max_age())
    state = _param(params, "state")
    matches = data is not None and (
        data["provider"] == provider.id
        and hmac.compare_digest(state.encode(), data["state"].encode())
    )
    error = _param(params, "error")
    if error:
        # Saying that the provider refused logs nobody in, whoever sent the
        # browser here; the flow ends only if it is this browser's (some
        # providers send an error without the state).
        if matches:
            flows.finish(LOGIN_FLOW, token, max_age=app_settings.login_max_age())
        raise _provider_said_no(provider, error)
    if data is None:
        raise refused_expired()
    if not matches:
        # Not this browser's login: a callback forged for it, or one that
        # was started elsewhere (login CSRF). Its own flow stays as it was.
        raise LoginRefused(
            _(
                "This sign-in was not started in this browser, so it was refused. "
                "Nothing was changed. Start again from the login page."
            ),
            code="state_mismatch",
            status=403,
        )
    # Used once: a replayed callback finds nothing.
    if flows.finish(LOGIN_FLOW, token, max_age=app_settings.login_max_age()) is None:
        raise refused_expired()
    code = _param(params, "code")
    if not code or len(code) > 2048:
        raise _refused_token(provider)
    try:
        id_token = oidc.exchange_code(
            provider, code=code, redirect_uri=redirect_uri, verifier=data["verifier"]
        )
        claims = oidc.verify_id_token(provider, id_token=id_token, nonce=data["nonce"])
    except oidc.ProviderError:
        raise _refused_unreachable(provider) from None
    except oidc.TokenRefused:
        raise _refused_token(provider) from None
    if data["intent"] == LINK:
        return Outcome(
            next_url=data["next"],
            linked=_link_to_current_user(
                request=request, provider=provider, claims=claims, data=data
            ),
        )
    try:
        user = account_for(request=request, provider=provider, claims=claims)
    except LinkRequired as needed:
        flow = flows.start(
            LINK_FLOW,
            {
                "provider": provider.id,
                "sub": claims["sub"],
                "email": needed.user.email,
                "user_id": needed.user.pk,
                "next": data["next"],
            },
            max_age=LINK_FLOW_MAX_AGE,
        )
        return Outcome(next_url=data["next"], link_flow=flow)
    started = log_in(
        request=request,
        user=user,
        provider=provider,
        next_url=data["next"],
        replacing=replacing,
    )
    if isinstance(started, Flow):
        return Outcome(next_url=data["next"], second_step=started)
    return Outcome(next_url=data["next"], pair=started)


def _verified_email(claims: dict) -> str | None:
    email = claims.get("email")
    # Only a JSON true: "email_verified": "false" is a non-empty string.
    if claims.get("email_verified") is not True or not isinstance(email, str):
        return None
    email = normalize_email(email)
    return email if 3 <= len(email) <= 254 and "@" in email else None


def account_for(*, request, provider: Provider, claims: dict) -> User:
    """Return the account the provider's person logs in to, creating it if new.

    Raises LinkRequired when the verified email is an existing account's,
    LoginRefused when the email is not verified or the account inactive.
    """
    identity = (
        Identity.objects.select_related("user")
        .filter(provider=provider.id, sub=claims["sub"])
        .first()
    )
    if identity is not None:
        if not identity.user.is_active:
            raise LoginRefused(
                _("This account is deactivated. Nothing was changed."),
                code="inactive",
                status=403,
            )
        identity.last_used_at = timezone.now()
        email = claims.get("email")
        if isinstance(email, str) and len(email) <= 254:
            identity.email = email
        identity.save(update_fields=["last_used_at", "email"])
        return identity.user
    email = _verified_email(claims)
    if email is None:
        raise LoginRefused(
            _(
                "%(provider)s has not verified your email address, so it cannot "
                "sign you in here: nothing was created or linked. Verify the "
                "address at %(provider)s and try again, or sign up with a password."
            )
            % {"provider": provider.name},
            code="email_unverified",
            status=403,
        )
    existing = User.objects.filter(email=email).first()
    if existing is not None:
        raise LinkRequired(existing)
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email=email, password=None, email_verified_at=timezone.now()
            )
            _create_identity(
                request=request, user=user, provider=provider, claims=claims
            )
    except IntegrityError:
        # Someone signed up with the address (or linked the identity) at the
        # same moment: that one wins; this login can simply be tried again.
        raise refused_expired() from None
    accounts.log_auth_event("signup", user_id=user.pk)
    return user


def _create_identity(*, request, user, provider: Provider, claims: dict) -> Identity:
    email = claims.get("email")
    identity = Identity.objects.create(
        user=user,
        provider=provider.id,
        sub=claims["sub"],
        email=email if isinstance(email, str) and len(email) <= 254 else "",
        last_used_at=timezone.now(),
    )
    accounts.record_event(
        Event.IDENTITY_LINKED,
        user=user,
        request=request,
        detail=_("%(provider)s was linked: it can log in to this account.")
        % {"provider": provider.name},
    )
    return identity


def _link_to_current_user(*, request, provider, claims, data) -> Identity:
    user = request.user
    if not user.is_authenticated or user.pk != data["user_id"]:
        raise LoginRefused(
            _(
                "You are no longer logged in as the account that asked for the "
                "link. Nothing was changed. Log in and try again."
            ),
            code="link_user_changed",
            status=403,
        )
    identity = Identity.objects.filter(provider=provider.id, sub=claims["sub"]).first()
    if identity is not None:
        if identity.user_id == user.pk:
            return identity
        raise LoginRefused(
            _(
                "This %(provider)s account is linked to another account here. "
                "Nothing was changed."
            )
            % {"provider": provider.name},
            code="identity_taken",
            status=409,
        )
    try:
        with transaction.atomic():
            return _create_identity(
                request=request, user=user, provider=provider, claims=claims
            )
    except IntegrityError:
        raise refused_expired() from None


def log_in(*, request, user, provider: Provider, next_url="", replacing=None, also=()):
    """Log in `user`, whom `provider` vouched for: a TokenPair, or a second step."""
    accounts.record_event(
        Event.IDENTITY_LOGIN,
        user=user,
        request=request,
        detail=_("Signed in with %(provider)s.") % {"provider": provider.name},
    )
    return mfa.begin_login(
        request=getattr(request, "_request", request),
        user=user,
        next_url=next_url,
        replacing=replacing,
        methods=(assurance.FEDERATED, *also),
    )


# --- Linking an existing account, proved by its password ------------------------------


def pending_link(token) -> dict | None:
    """Return what a live link flow holds (provider, email, next), or None."""
    data = flows.read(LINK_FLOW, token, max_age=LINK_FLOW_MAX_AGE)
    if data is None or app_settings.provider(data["provider"]) is None:
        return None
    return data


def finish_link(*, request, token, password: str, replacing=None):
    """Link the pending identity to its account once `password` proves it; log in.

    Returns (TokenPair or second-step Flow, next). Raises
    accounts.credentials.CredentialsRefused for a wrong password (the flow
    stays), LoginRefused when the flow ended.
    """
    data = pending_link(token)
    user = (
        User.objects.filter(pk=data["user_id"], is_active=True).first()
        if data is not None
        else None
    )
    if user is None:
        raise refused_expired()
    provider = app_settings.provider(data["provider"])
    verify_current_password(
        request, user=user, password=password, message=WRONG_PASSWORD
    )
    if flows.finish(LINK_FLOW, token, max_age=LINK_FLOW_MAX_AGE) is None:
        raise refused_expired()
    try:
        with transaction.atomic():
            _create_identity(
                request=request,
                user=user,
                provider=provider,
                claims={"sub": data["sub"], "email": data["email"]},
            )
    except IntegrityError:
        raise refused_expired() from None
    started = log_in(
        request=request,
        user=user,
        provider=provider,
        next_url=data["next"],
        replacing=replacing,
        also=(assurance.PASSWORD,),
    )
    return started, data["next"]


# --- Unlinking ------------------------------------------------------------------------


class LastWayIn(Exception):
    """Removing it would leave the account with no way to log in."""


def other_ways_in(user, *, besides: Identity) -> bool:
    """Say whether `user` could still log in without the identity `besides`."""
    return (
        user.has_usable_password()
        or mfa.passkeys_of(user).exists()
        or Identity.objects.of(user).exclude(pk=besides.pk).exists()
    )


def unlink_identity(*, request, user, identity_id) -> Identity:
    """Remove one of `user`'s identities; raise LastWayIn if it is the last way in."""
    with transaction.atomic():
        # The user's row, locked: two removals at once cannot each see the
        # other identity as the way that remains.
        User.objects.select_for_update().filter(pk=user.pk).first()
        identity = Identity.objects.of(user).get(pk=identity_id)
        if not other_ways_in(user, besides=identity):
            raise LastWayIn
        identity.delete()
        accounts.record_event(
            Event.IDENTITY_UNLINKED,
            user=user,
            request=request,
            detail=_("%(provider)s was unlinked: it no longer logs in to this account.")
            % {"provider": identity.provider_name},
        )
    return identity


# --- Apps that hold an ID token already -----------------------------------------------


def issue_app_nonce() -> Flow:
    """Return a nonce for an app's request to a provider: single-use, short-lived."""
    # The nonce is the flow's token: signed, random, and good once.
    return flows.start(APP_NONCE_FLOW, {}, max_age=APP_NONCE_MAX_AGE)


def log_in_app(*, request, provider: Provider, id_token, nonce):
    """Log in the person of an app's `id_token`: (user, TokenPair or second step).

    The nonce must be one this site handed out and not used yet; the ID
    token must carry it. Raises LoginRefused.
    """
    if flows.finish(APP_NONCE_FLOW, nonce, max_age=APP_NONCE_MAX_AGE) is None:
        raise LoginRefused(
            _("That nonce is unknown, expired or used. Ask for a new one."),
            code="nonce_invalid",
            status=401,
        )
    try:
        claims = oidc.verify_id_token(provider, id_token=id_token, nonce=nonce)
    except oidc.ProviderError:
        raise _refused_unreachable(provider) from None
    except oidc.TokenRefused:
        raise LoginRefused(
            _(
                "That ID token could not be verified for %(provider)s and this "
                "nonce. Sign in at the provider again, with a new nonce."
            )
            % {"provider": provider.name},
            code="id_token_invalid",
            status=401,
        ) from None
    try:
        user = account_for(request=request, provider=provider, claims=claims)
    except LinkRequired:
        raise LoginRefused(
            _(
                "An account with this email address exists already. Log in with "
                "its password, then link %(provider)s on the security page."
            )
            % {"provider": provider.name},
            code="link_required",
            status=409,
        ) from None
    return user, log_in(request=request, user=user, provider=provider)
