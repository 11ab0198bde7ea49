"""Talk to an OpenID Connect provider: discovery, the code, the ID token.

Built on authlib (OAuth2Session: the authorization URL with PKCE S256, the
code exchange) and joserfc (the JWS signature against the provider's JWKS,
the claims with authlib's CodeIDToken rules). Nothing here keeps a login's
state: the caller holds `state`, `nonce` and the PKCE verifier in a flow
bound to the browser (services.py).
"""

import hashlib
import time

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from django.core.cache import cache
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from . import app_settings
from .app_settings import Provider

# Signature algorithms an ID token may use: asymmetric only. An HMAC
# algorithm would be checked against the client secret, or (the classic
# confusion) against a public key; "none" checks nothing.
ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
     "ES256", "ES384", "ES512", "EdDSA"}
)  # fmt: skip
# Clock skew tolerated on exp and iat, in seconds.
LEEWAY = 60
# An unknown kid refetches the JWKS at most this often (a key rotation is
# seen at once; a flood of made-up kids costs the provider nothing).
JWKS_REFETCH_INTERVAL = 60
MAX_ID_TOKEN_LENGTH = 16 * 1024


class ProviderError(Exception):
    """The provider could not be reached, or said something unusable."""


class TokenRefused(Exception):
    """An ID token that proves nothing: bad signature, wrong claims."""


def cache_key(provider: Provider, what: str) -> str:
    digest = hashlib.sha256(provider.issuer.encode()).hexdigest()[:32]
    return f"oidc:{what}:{digest}"


def _get_json(url: str) -> dict:
    try:
        response = requests.get(
            url, timeout=app_settings.http_timeout(), allow_redirects=False
        )
        response.raise_for_status()
        data = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise ProviderError(f"{url}: {exc}") from exc
    if not isinstance(data, dict):
        raise ProviderError(f"{url} did not answer a JSON object.")
    return data


def metadata(provider: Provider) -> dict:
    """Return the provider's discovery document, cached for a while."""
    key = cache_key(provider, "metadata")
    found = cache.get(key)
    if isinstance(found, dict):
        return found
    found = _get_json(provider.issuer + "/.well-known/openid-configuration")
    # OpenID Connect Discovery 1.0, section 4.3: the document must name the
    # issuer it was fetched for, or a provider could speak for another.
    if found.get("issuer") != provider.issuer:
        raise ProviderError(
            f"The discovery document of {provider.issuer} names the issuer "
            f"{found.get('issuer')!r}."
        )
    for field in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(found.get(field), str):
            raise ProviderError(f"The discovery document has no {field}.")
    cache.set(key, found, timeout=app_settings.metadata_max_age())
    return found


def _key_set(provider: Provider, *, refetch: bool = False) -> KeySet:
    key = cache_key(provider, "jwks")
    found = None if refetch else cache.get(key)
    if not isinstance(found, dict):
        found = _get_json(metadata(provider)["jwks_uri"])
        cache.set(key, found, timeout=app_settings.metadata_max_age())
        cache.set(cache_key(provider, "jwks-fetched"), time.time(), timeout=None)
    try:
        return KeySet.import_key_set(found)
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise ProviderError(f"The provider's JWKS is unusable: {exc}") from exc


def allowed_algorithms(provider: Provider) -> list[str]:
    """The algorithms the provider advertises for ID tokens, asymmetric only."""
    advertised = metadata(provider).get("id_token_signing_alg_values_supported")
    if not isinstance(advertised, list):
        # Discovery says RS256 must be supported; it is the default.
        advertised = ["RS256"]
    return sorted(ASYMMETRIC_ALGORITHMS & {a for a in advertised if isinstance(a, str)})


def authorization_url(
    provider: Provider, *, redirect_uri: str, state: str, nonce: str, verifier: str
) -> str:
    """Return the provider's URL that asks the user to log in there."""
    client = OAuth2Session(
        provider.client_id,
        scope=provider.scopes,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
    )
    url, _state = client.create_authorization_url(
        metadata(provider)["authorization_endpoint"],
        state=state,
        nonce=nonce,
        code_verifier=verifier,
    )
    return url


def new_verifier() -> str:
    """Return a fresh PKCE code verifier (RFC 7636: 43 to 128 characters)."""
    return generate_token(64)


def exchange_code(
    provider: Provider, *, code: str, redirect_uri: str, verifier: str
) -> str:
    """Trade the authorization code for the ID token; return the ID token."""
    client = OAuth2Session(
        provider.client_id,
        provider.client_secret or None,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        token_endpoint_auth_method=(
            "client_secret_basic" if provider.client_secret else "none"
        ),
    )
    try:
        token = client.fetch_token(
            metadata(provider)["token_endpoint"],
            code=code,
            code_verifier=verifier,
            timeout=app_settings.http_timeout(),
        )
    except (AuthlibBaseError, requests.RequestException, ValueError) as exc:
        raise ProviderError(f"The code exchange failed: {exc}") from exc
    id_token = token.get("id_token") if isinstance(token, dict) else None
    if not isinstance(id_token, str):
        raise ProviderError("The token endpoint answered no ID token.")
    return id_token


def verify_id_token(provider: Provider, *, id_token, nonce: str) -> dict:
    """Return the claims of `id_token` if `provider` issued it for us with `nonce`.

    Checks the signature against the provider's JWKS (fetched again once for
    a kid it does not know), with only the asymmetric algorithms the
    provider advertises; then iss, aud, exp, iat, nonce, and azp when there
    are several audiences (OpenID Connect Core 1.0, section 3.1.3.7).
    Raises TokenRefused, or ProviderError when the provider is unreachable.
    """
    if not isinstance(id_token, str) or not id_token:
        raise TokenRefused("No ID token.")
    if len(id_token) > MAX_ID_TOKEN_LENGTH:
        raise TokenRefused("The ID token is too long.")
    if not isinstance(nonce, str) or not nonce:
        raise TokenRefused("No nonce to compare with.")
    algorithms = allowed_algorithms(provider)
    if not algorithms:
        raise TokenRefused("The provider advertises no asymmetric algorithm.")
    try:
        try:
            token = jwt.decode(id_token, _key_set(provider), algorithms=algorithms)
        except InvalidKeyIdError:
            fetched = cache.get(cache_key(provider, "jwks-fetched")) or 0
            if time.time() - fetched < JWKS_REFETCH_INTERVAL:
                raise
            token = jwt.decode(
                id_token, _key_set(provider, refetch=True), algorithms=algorithms
            )
        claims = CodeIDToken(
            token.claims,
            token.header,
            options={
                "iss": {"essential": True, "value": provider.issuer},
                "aud": {"essential": True, "value": provider.client_id},
                "sub": {"essential": True},
                "nonce": {"essential": True, "value": nonce},
            },
            params={"nonce": nonce, "client_id": provider.client_id},
        )
        claims.validate(leeway=LEEWAY)
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise TokenRefused(str(exc) or type(exc).__name__) from exc
    iat = claims.get("iat")
    if not isinstance(iat, int | float) or iat > time.time() + LEEWAY:
        raise TokenRefused("The ID token was issued in the future.")
    if not isinstance(claims.get("sub"), str) or not 0 < len(claims["sub"]) <= 255:
        raise TokenRefused("The ID token's sub is not a short string.")
    return dict(claims)
