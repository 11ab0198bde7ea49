"""A signing key's life: generate it, make it the signing key, retire it.

A planned change of key logs nobody out: a new key is published (JWKS)
before it signs, and the key it replaces keeps verifying until every refresh
token it signed has expired. An emergency retirement (a leaked key) removes
the key at once and ends every session whose tokens it signed.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.utils import timezone

from . import keys
from .app_settings import app_settings
from .services import end_sessions_signed_with


class KeyChangeRefused(Exception):
    """A key change that would break something; the message says why."""


@dataclass(frozen=True)
class KeyStatus:
    kid: str
    algorithm: str
    active: bool
    created_at: datetime | None
    # When it stopped signing (None: it is active, or it never signed).
    deactivated_at: datetime | None
    # From then on no unexpired token it signed can exist.
    retire_after: datetime | None


@dataclass(frozen=True)
class Retirement:
    kid: str
    sessions_ended: int
    # The key that took over signing (an emergency retire of the active key).
    new_active_kid: str | None = None


def _now() -> int:
    return int(timezone.now().timestamp())


def _datetime(epoch: int | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, tz=UTC)


def longest_token_lifetime() -> timedelta:
    """Return how long a token signed now may be accepted (refresh outlives access)."""
    return app_settings.LONGEST_TOKEN_LIFETIME


def _load() -> tuple[dict, str | None]:
    """Return the key file's JSON and its keys' algorithm (None: no file yet)."""
    path = keys.keys_file()
    if not path.exists():
        return {"active": None, "keys": []}, None
    data = keys.read_key_file(path)
    algorithms = {jwk.get("alg") for jwk in data["keys"] if isinstance(jwk, dict)}
    if not algorithms:
        return data, None
    if len(algorithms) == 1 and None not in algorithms:
        return data, algorithms.pop()
    return data, keys.configured_algorithm()


def _save(data: dict, algorithm: str) -> None:
    # Never write a file the site would refuse to start with.
    keys.parse_key_set(data, algorithm, source=str(keys.keys_file()))
    keys.write_key_file(keys.keys_file(), data)


def _find(data: dict, kid: str) -> dict:
    for jwk in data["keys"]:
        if jwk.get("kid") == kid:
            return jwk
    raise KeyChangeRefused(
        f"There is no key {kid!r} in {keys.keys_file()} (see: jwt_keys list)."
    )


def generate_key(*, algorithm: str | None = None) -> tuple[str, bool]:
    """Add a new key to the key file; return its kid and whether it signs now."""
    data, file_algorithm = _load()
    algorithm = algorithm or file_algorithm or keys.configured_algorithm()
    if algorithm not in keys.ASYMMETRIC_ALGORITHMS:
        raise KeyChangeRefused(
            f"{algorithm} keys do not live in the key file (HS256 signs with "
            "JWT_SIGNING_KEY). Pass --algorithm RS256, ES256 or EdDSA, and set "
            "JWT_ALGORITHM to match."
        )
    if file_algorithm and algorithm != file_algorithm:
        raise KeyChangeRefused(
            f"{keys.keys_file()} holds {file_algorithm} keys; one file holds one "
            f"algorithm, so a {algorithm} key would never verify."
        )
    jwk = keys.new_private_jwk(algorithm, created_at=_now())
    data["keys"].append(jwk)
    # The first key signs at once; any later one is only published (JWKS)
    # until `activate`, so that other services see it before its tokens.
    first = not data.get("active")
    if first:
        data["active"] = jwk["kid"]
    _save(data, algorithm)
    return jwk["kid"], first


def activate_key(*, kid: str) -> str | None:
    """Make `kid` the signing key; return the kid of the key it replaces."""
    data, algorithm = _load()
    jwk = _find(data, kid)  # an empty file has no kid: algorithm is known below
    previous = data.get("active")
    if previous == kid:
        raise KeyChangeRefused(f"{kid} is already the active key.")
    if previous:
        _find(data, previous)["deactivated_at"] = _now()
    jwk["deactivated_at"] = None
    data["active"] = kid
    _save(data, algorithm)
    return previous


def key_statuses() -> list[KeyStatus]:
    """Return every key of the key file, the active one first."""
    data, algorithm = _load()
    statuses = []
    for jwk in data["keys"]:
        deactivated = _datetime(jwk.get("deactivated_at"))
        statuses.append(
            KeyStatus(
                kid=jwk.get("kid"),
                algorithm=jwk.get("alg") or algorithm,
                active=jwk.get("kid") == data.get("active"),
                created_at=_datetime(jwk.get("created_at")),
                deactivated_at=deactivated,
                retire_after=deactivated + longest_token_lifetime()
                if deactivated
                else None,
            )
        )
    return sorted(statuses, key=lambda status: not status.active)


def retire_key(*, kid: str, emergency: bool = False) -> Retirement:
    """Remove `kid` from the key set: tokens it signed are refused from now on.

    Without `emergency`, refuse to retire the active key or a key whose
    tokens may still be in use. With it, retire at once: a new key takes over
    signing if `kid` was active, and every session whose refresh token `kid`
    signed ends.
    """
    data, algorithm = _load()
    jwk = _find(data, kid)
    is_active = data.get("active") == kid
    if not emergency:
        if is_active:
            raise KeyChangeRefused(
                f"{kid} is the active signing key. For a planned change, "
                "generate and activate a new key first, then retire this one once "
                "its tokens have expired. If it leaked, run: jwt_keys retire "
                f"{kid} --emergency (a new key takes over and every session it "
                "signed ends)."
            )
        deactivated = _datetime(jwk.get("deactivated_at"))
        if deactivated and timezone.now() < deactivated + longest_token_lifetime():
            retire_after = deactivated + longest_token_lifetime()
            raise KeyChangeRefused(
                f"Refresh tokens signed by {kid} may be in use until "
                f"{retire_after:%Y-%m-%d %H:%M:%S} UTC; retiring it sooner logs "
                "out the users who hold them. Wait until then, or if the key "
                "leaked, pass --emergency to end those sessions now."
            )
    new_active_kid = None
    data["keys"] = [other for other in data["keys"] if other.get("kid") != kid]
    if is_active:
        replacement = keys.new_private_jwk(algorithm, created_at=_now())
        data["keys"].append(replacement)
        data["active"] = new_active_kid = replacement["kid"]
    _save(data, algorithm)
    ended = end_sessions_signed_with(kid) if emergency else 0
    return Retirement(kid=kid, sessions_ended=ended, new_active_kid=new_active_kid)
