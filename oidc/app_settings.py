"""The settings of oidc, read at use (the tests change them).

OIDC_PROVIDERS is a list of providers, each a dict: "id" (the slug in this
site's URLs), "name" (shown on the buttons), "issuer" (whose
/.well-known/openid-configuration says the rest), "client_id",
"client_secret" and "scopes" (default "openid email profile"). The system
checks (checks.py) refuse an entry that could not work.
"""

from dataclasses import dataclass

from django.conf import settings

DEFAULT_SCOPES = "openid email profile"


@dataclass(frozen=True)
class Provider:
    id: str
    name: str
    issuer: str
    client_id: str
    client_secret: str
    scopes: str = DEFAULT_SCOPES


def provider_entries() -> list:
    """OIDC_PROVIDERS as configured, before any check."""
    value = getattr(settings, "OIDC_PROVIDERS", [])
    return value if isinstance(value, list) else []


def providers() -> list[Provider]:
    """Every well-formed provider of OIDC_PROVIDERS, in their order."""
    found = []
    for entry in provider_entries():
        if not isinstance(entry, dict):
            continue
        try:
            found.append(
                Provider(
                    id=str(entry["id"]),
                    name=str(entry["name"]),
                    issuer=str(entry["issuer"]).rstrip("/"),
                    client_id=str(entry["client_id"]),
                    client_secret=str(entry.get("client_secret") or ""),
                    scopes=str(entry.get("scopes") or DEFAULT_SCOPES),
                )
            )
        except KeyError:
            continue
    return found


def provider(provider_id: str) -> Provider | None:
    """The provider whose id is `provider_id`, or None."""
    return next((p for p in providers() if p.id == provider_id), None)


def http_timeout() -> float:
    """OIDC_HTTP_TIMEOUT: seconds to wait for a provider's answer (default 5)."""
    return float(getattr(settings, "OIDC_HTTP_TIMEOUT", 5))


def login_max_age() -> int:
    """OIDC_LOGIN_MAX_AGE: seconds a login may spend at the provider (default 600)."""
    return int(getattr(settings, "OIDC_LOGIN_MAX_AGE", 10 * 60))


def metadata_max_age() -> int:
    """OIDC_METADATA_MAX_AGE: seconds a provider's discovery and keys are cached."""
    return int(getattr(settings, "OIDC_METADATA_MAX_AGE", 60 * 60))
