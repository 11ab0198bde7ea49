"""SimpleJWT token classes that read their settings at use, not at import.

SimpleJWT binds lifetimes and its signing backend when it is first imported;
these subclasses look them up (in `app_settings`) on every use, so that a
settings change (in tests, or a new signing key) takes effect at once. Keys
come from `keys`; `get_token_backend()` is the one way tokens are signed and
verified, and `StrictTokenBackend.decode` the one place a token is checked.
"""

import itertools
import json
import re
import time
import uuid
from datetime import datetime, timedelta
from functools import lru_cache

import jwt
from jwt.utils import base64url_decode
from rest_framework_simplejwt import tokens
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.exceptions import (
    TokenBackendError,
    TokenBackendExpiredToken,
    TokenError,
)
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.utils import aware_utcnow, datetime_from_epoch

from . import assurance, keys
from .app_settings import app_settings

# OpenID Connect's name for the time the user actually authenticated; it
# travels unchanged through every rotation of a login's refresh tokens.
AUTH_TIME_CLAIM = "auth_time"
# How the user authenticated (RFC 8176 values) and the level that reaches
# (assurance.py); like auth_time, kept through every rotation and renewed
# by a step-up. Tokens issued before they existed have neither.
AMR_CLAIM = "amr"
ACR_CLAIM = "acr"
# The login session (jwt_sessions.Session) every token of one login belongs to.
SESSION_ID_CLAIM = "sid"
# SimpleJWT's default name for the user's id (its USER_ID_CLAIM setting).
USER_ID_CLAIM = "user_id"

# Claims every token of this site carries and every check insists on.
REQUIRED_CLAIMS = (
    "exp",
    "iat",
    "jti",
    "iss",
    "aud",
    "token_type",
    USER_ID_CLAIM,
    AUTH_TIME_CLAIM,
    SESSION_ID_CLAIM,
)
TIME_CLAIMS = ("exp", "iat", AUTH_TIME_CLAIM)
STRING_CLAIMS = ("jti", "token_type", USER_ID_CLAIM, SESSION_ID_CLAIM)
# 9999-12-31: beyond it datetime cannot represent a timestamp at all.
MAX_EPOCH = 253_402_300_799

# Nothing longer is decoded at all. Browsers drop a cookie whose name and
# value pass 4096 bytes (the least RFC 6265 6.1 asks them to keep, and what
# they keep; ASVS 3.3.5), so a longer token was never one of ours, and
# Bearer tokens are the same tokens. Ours are 413 characters (HS256), 477
# (ES256, EdDSA), 734 (RS256 with the 2048-bit keys `jwt_keys generate`
# makes) and 1758 with an 8192-bit RSA key.
MAX_TOKEN_LENGTH = 4096
# Nothing longer is parsed as a header. Ours are {"alg","kid","typ"}: 70
# characters with HS256, 91 with a generated asymmetric kid, 134 with the
# longest kid KID_PATTERN allows. 256 characters decode to 192 bytes, which
# also caps JSON nesting far below Python's recursion limit.
MAX_HEADER_SEGMENT_LENGTH = 256
# The JWS compact serialization (RFC 7515 7.1) as we issue it: three
# unpadded base64url segments. Anything else, non-ASCII bytes above all, is
# refused before a byte of it is decoded.
COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


# The only header members a token of ours has. Anything else is refused,
# above all members that name a key or where to fetch one (jku, jwk, x5u,
# x5c): the key is ours to choose, never the token's. And crit, which would
# oblige us to understand extensions we do not.
ALLOWED_HEADER_MEMBERS = frozenset({"alg", "typ", "kid"})


class StrictTokenBackend(TokenBackend):
    """A TokenBackend that signs with the active key and names it in `kid`.

    Decoding picks the verifying key by `kid` from the key set, accepts only
    the configured algorithm, and refuses tokens missing any claim of
    REQUIRED_CLAIMS.
    """

    def encode(self, payload: dict, *, kid: str | None = None) -> str:
        # A token that was issued names its key (RefreshToken.for_session):
        # signed again, it is signed by that key, never silently by another.
        key_set = keys.get_key_set()
        key = key_set.active if kid is None else key_set.signer(kid)
        if key is None:
            raise TokenBackendError("The key that signed this token cannot sign.")
        jwt_payload = payload.copy()
        if self.audience is not None:
            jwt_payload["aud"] = self.audience
        if self.issuer is not None:
            jwt_payload["iss"] = self.issuer
        return jwt.encode(
            jwt_payload,
            key.signing_key,
            algorithm=self.algorithm,
            headers={"kid": key.kid},
            json_encoder=self.json_encoder,
        )

    def get_verifying_key(self, token):
        return self._verifying_key_for(unverified_header(token))

    def _verifying_key_for(self, header: dict):
        # Checked before any key is touched: an HMAC check keyed with a
        # public key (algorithm confusion) or alg none never happens.
        if header.get("alg") != self.algorithm:
            raise jwt.InvalidAlgorithmError("The token's alg is not ours.")
        if not header.keys() <= ALLOWED_HEADER_MEMBERS:
            raise jwt.InvalidTokenError("The token has header members we refuse.")
        kid = header.get("kid")
        if not isinstance(kid, str) or not keys.KID_PATTERN.fullmatch(kid):
            raise jwt.InvalidTokenError("The token names no valid kid.")
        key = keys.get_key_set().verifying.get(kid)
        if key is None:
            raise jwt.InvalidTokenError("The token's key is unknown or retired.")
        return key.verifying_key

    def decode(self, token, verify=True):
        try:
            token = well_formed_token(token)
            payload = jwt.decode(
                token,
                # The shape is checked once, just above, for both reads.
                self._verifying_key_for(_header_of(token)) if verify else None,
                algorithms=[self.algorithm],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.get_leeway(),
                options={
                    "verify_signature": verify,
                    "require": list(REQUIRED_CLAIMS) if verify else [],
                },
            )
        except jwt.ExpiredSignatureError as exc:
            raise TokenBackendExpiredToken("Token is expired") from exc
        except (jwt.InvalidTokenError, ValueError, TypeError, RecursionError) as exc:
            # ValueError/TypeError: PyJWT lets some malformed inputs through
            # as plain Python errors; they are invalid tokens all the same.
            # RecursionError: JSON nested deeper than the stack has room for
            # (issue 12). Whichever parser meets it, the token is invalid;
            # every token class decodes here, so nothing else must catch it.
            raise TokenBackendError("Token is invalid") from exc
        if verify and not has_well_typed_claims(payload):
            raise TokenBackendError("Token is invalid")
        return payload


def well_formed_token(token) -> str:
    """Return `token` as text if it has the shape of one of ours; else raise."""
    # The only work done on a client's bytes before refusing them: a length
    # check, then one linear match (the segments' class excludes the dots,
    # so it cannot backtrack).
    if not isinstance(token, str | bytes) or len(token) > MAX_TOKEN_LENGTH:
        raise jwt.DecodeError("The token is too long, or not text.")
    if isinstance(token, bytes):
        # Never fails; COMPACT_JWS then admits ASCII only.
        token = token.decode("latin-1")
    if not COMPACT_JWS.fullmatch(token):
        raise jwt.DecodeError("The token is not three base64url segments.")
    return token


def unverified_header(token) -> dict:
    """Return a token's JOSE header, read before anything is verified."""
    # Only the first segment is decoded: jwt.get_unverified_header() decodes
    # the whole token, which jwt.decode() is about to do again anyway.
    return _header_of(well_formed_token(token))


def _header_of(token: str) -> dict:
    # `token` has passed well_formed_token().
    segment = token.partition(".")[0]
    if len(segment) > MAX_HEADER_SEGMENT_LENGTH:
        raise jwt.DecodeError("The token's header is too long.")
    return dict(_parse_header_segment(segment))


@lru_cache(maxsize=64)
def _parse_header_segment(segment: str) -> tuple:
    # Every token signed by one key has the same header, so its parse is
    # remembered (a pure function of the text; nothing is trusted from it).
    # lru_cache keeps only parses that succeed, and segments are short
    # (MAX_HEADER_SEGMENT_LENGTH), so what clients send cannot fill memory.
    try:
        header = json.loads(base64url_decode(segment))
    except (ValueError, RecursionError) as exc:
        # ValueError: not base64, not UTF-8 or not JSON. RecursionError:
        # nested deeper than the stack left (the 1000 "[" of issue 12).
        raise jwt.DecodeError("The token's header is not JSON.") from exc
    if not isinstance(header, dict):
        raise jwt.InvalidTokenError("The token's header is not an object.")
    return tuple(header.items())


def has_well_typed_claims(payload: dict) -> bool:
    """Return whether the claims this site reads have the types it expects."""
    return (
        all(
            type(payload[claim]) is int and 0 <= payload[claim] <= MAX_EPOCH
            for claim in TIME_CLAIMS
        )
        and all(type(payload[claim]) is str for claim in STRING_CLAIMS)
        and _is_canonical_uuid(payload[SESSION_ID_CLAIM])
        and _is_amr(payload.get(AMR_CLAIM, ()))
        and type(payload.get(ACR_CLAIM, "")) is str
    )


def _is_amr(value) -> bool:
    # A short list of the methods we issue: the step-up checks read it.
    return (
        type(value) in (list, tuple)
        and len(value) <= len(assurance.KNOWN_METHODS)
        and all(type(method) is str for method in value)
        and set(value) <= assurance.KNOWN_METHODS
    )


def _is_canonical_uuid(text: str) -> bool:
    # sid is looked up as a Session primary key, where anything but a UUID
    # raises (a 500, found by the fuzzer on a token signed with our key).
    # We issue str(session.pk) only, so no other spelling is accepted.
    try:
        return str(uuid.UUID(text)) == text
    except ValueError:
        return False


@lru_cache(maxsize=8)
def _backend_for(
    algorithm: str, audience: str, issuer: str, leeway
) -> StrictTokenBackend:
    return StrictTokenBackend(
        algorithm,
        None,  # keys come from `keys`, at every use
        "",
        audience,
        issuer,
        None,  # never fetch keys from a URL named by configuration or token
        leeway,
    )


def get_token_backend(audience: str | None = None) -> StrictTokenBackend:
    """Return the backend for the current JWT_* settings (and `audience`).

    None is JWT_AUDIENCE, the audience of this site's own API; another is
    a service's (JWT_AUDIENCE_VALIDATOR says which may be minted).
    """
    if audience is None or audience == app_settings.AUDIENCE:
        return app_settings.derived("token backend", _current_backend)
    return _backend_for(
        app_settings.ALGORITHM, audience, app_settings.ISSUER, app_settings.LEEWAY
    )


def _current_backend() -> StrictTokenBackend:
    return _backend_for(
        app_settings.ALGORITHM,
        app_settings.AUDIENCE,
        app_settings.ISSUER,
        app_settings.LEEWAY,
    )


class _NowWhenAsked:
    """A token's current_time, read from the clock only if something asks."""

    # Not a data descriptor: Token.__init__ sets the attribute itself, as
    # SimpleJWT does; a token remembered by verified_access_token() has none
    # until it is read (nothing in a request's authentication reads it).
    def __get__(self, token, owner=None):
        if token is None:
            return self
        now = token.__dict__["current_time"] = aware_utcnow()
        return now


class LiveSettingsMixin:
    # The app_settings attribute that says how long this kind of token lives.
    lifetime_setting: str
    # The kid of the key that signs this token; None: whichever is active.
    # Issued tokens name theirs (for_session), so every str() of one is
    # signed by the key its session records, even if another key became
    # active in between.
    kid: str | None = None
    # The audience it is signed for and checked against; None: JWT_AUDIENCE.
    # Only access tokens are ever minted for another (a service's).
    audience: str | None = None
    current_time = _NowWhenAsked()

    def __str__(self) -> str:
        # Claims in one fixed order, so that the same claims always give the
        # same token: the grace interval signs stored claims again, and a
        # store may hand them back reordered (PostgreSQL's jsonb does).
        return self.token_backend.encode(
            dict(sorted(self.payload.items())), kid=self.kid
        )

    @classmethod
    def from_claims(cls, claims: dict, *, kid: str):
        """Return the token of exactly `claims`, signed by key `kid` and verified."""
        token = cls()
        token.payload = dict(claims)
        token.kid = kid
        # Claims stored with their aud (a service's access token) keep it.
        token.audience = claims.get("aud")
        try:
            # The checks every reader of it makes (key, claims, expiry): a
            # token that would be refused is never handed out.
            cls.for_audience(str(token), audience=token.audience)
        except TokenBackendError as exc:
            raise TokenError("Token is invalid") from exc
        return token

    @classmethod
    def for_audience(cls, raw, *, audience: str | None):
        """Return the token `raw`, verified as one for `audience`; raise TokenError."""
        token = cls.__new__(cls)
        token.audience = audience
        cls.__init__(token, raw)
        return token

    @property
    def lifetime(self) -> timedelta:
        return getattr(app_settings, self.lifetime_setting)

    @property
    def token_backend(self) -> StrictTokenBackend:
        return get_token_backend(self.audience)

    @property
    def expires_at(self) -> datetime:
        return datetime_from_epoch(self["exp"])

    def verify(self):
        # StrictTokenBackend.decode has already checked the signature, exp
        # (with the leeway) and the presence and type of every claim; what is
        # left is the token type. Whether a refresh token may still be used
        # is its login session's decision (services), which also honours the
        # grace interval a blacklist lookup knows nothing of.
        self.verify_token_type()


class AccessToken(LiveSettingsMixin, tokens.AccessToken):
    lifetime_setting = "ACCESS_TOKEN_LIFETIME"


class RefreshToken(LiveSettingsMixin, tokens.RefreshToken):
    lifetime_setting = "REFRESH_TOKEN_LIFETIME"
    access_token_class = AccessToken

    @classmethod
    def for_session(cls, session, *, auth: "assurance.Assurance") -> "RefreshToken":
        """Return a new refresh token of `session`, recorded as outstanding."""
        # Not SimpleJWT's for_user(): the claims must be final before the
        # token is recorded, and the user is already at hand (no lookup).
        token = cls()
        token[USER_ID_CLAIM] = str(session.user_id)
        token[AUTH_TIME_CLAIM] = auth.auth_time
        token[AMR_CLAIM] = list(auth.methods)
        token[ACR_CLAIM] = auth.level
        token[SESSION_ID_CLAIM] = str(session.pk)
        token.kid = keys.get_key_set().active.kid
        if token.expires_at > session.expires_at:
            token.set_exp(from_time=session.expires_at, lifetime=timedelta(0))
        OutstandingToken.objects.create(
            user_id=session.user_id,
            jti=token["jti"],
            # Not the token: whoever reads the table would hold every live
            # login. The blacklist and flushexpiredtokens need only the jti
            # and the times.
            token="",
            created_at=token.current_time,
            expires_at=token.expires_at,
        )
        return token

    @property
    def access_token(self) -> AccessToken:
        access = super().access_token
        access.kid = self.kid
        # An access token never outlives the refresh token it came from.
        access["exp"] = min(access["exp"], self["exp"])
        return access


# Access tokens verified lately, by their text: the same token comes back
# on every request of its holder for its whole life, and its signature and
# claims do not change. A hit is only believed while the key set and the
# backend it was verified with are the current ones (a new key file, a
# retired key or changed settings make new ones; a key file that another
# process replaced is seen within keys.RECENT_FOR, 20 ms), and only until
# its exp.
# Bounded: the oldest are dropped first. It holds nothing a request did not
# already bring, in memory only.
VERIFIED_ACCESS_TOKENS_MAX = 10_000
# raw token -> (claims, key set, backend, time.time() it is refused from)
_verified_access_tokens: dict[str, tuple] = {}


def verified_access_token(raw) -> AccessToken:
    """Return AccessToken(raw), verified now or recently; raise TokenError."""
    if isinstance(raw, bytes):
        # As a Bearer header gives it; the same token as text (never fails,
        # and well_formed_token admits ASCII only).
        raw = raw.decode("latin-1")
    backend = get_token_backend()
    # At most 20 ms stale (no stat of the key file per request); a token
    # not remembered is verified against the key file as it is now.
    key_set = keys.recent_key_set()
    hit = _verified_access_tokens.get(raw) if isinstance(raw, str) else None
    if hit is not None:
        claims, verified_with, verified_by, refused_from = hit
        if verified_with is key_set and verified_by is backend:
            if time.time() < refused_from:
                token = AccessToken.__new__(AccessToken)
                token.token = raw
                token.payload = dict(claims)
                return token
            del _verified_access_tokens[raw]
    token = AccessToken(raw)
    if len(_verified_access_tokens) >= VERIFIED_ACCESS_TOKENS_MAX:
        for oldest in list(
            itertools.islice(_verified_access_tokens, VERIFIED_ACCESS_TOKENS_MAX // 10)
        ):
            _verified_access_tokens.pop(oldest, None)
    # PyJWT's own rule: expired once exp <= now - leeway, that is from
    # exp + leeway on.
    refused_from = token.payload["exp"] + backend.get_leeway().total_seconds()
    _verified_access_tokens[raw] = (
        dict(token.payload),
        key_set,
        backend,
        refused_from,
    )
    return token
