"""System checks of OIDC_PROVIDERS: ids oidc.E001 to oidc.E005.

A provider that cannot work (no issuer, no client id, an issuer in plain
http on a public host) is refused at start-up, with what to change, rather
than at its first login.
"""

import re
from urllib.parse import urlsplit

from django.core.checks import Error, Tags, register

from authsite.hosts import is_loopback

from . import app_settings

REQUIRED = ("id", "name", "issuer", "client_id")
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")
EXAMPLE = (
    '[{"id": "acme", "name": "Acme", "issuer": "https://id.acme.example", '
    '"client_id": "...", "client_secret": "...", "scopes": "openid email profile"}]'
)


def issuer_problem(issuer: str) -> str | None:
    """Return what is wrong with an issuer URL, or None."""
    parts = urlsplit(issuer)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "is not an http(s) URL"
    if parts.query or parts.fragment:
        return "has a query or fragment, which an issuer never has"
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        return "uses plain http on a host that is not this machine"
    return None


@register(Tags.security)
def check_oidc_providers(app_configs, **kwargs):
    """Refuse OIDC_PROVIDERS entries that no login could work with."""
    from django.conf import settings

    value = getattr(settings, "OIDC_PROVIDERS", [])
    if not isinstance(value, list):
        return [
            Error(
                "OIDC_PROVIDERS is not a list.",
                hint=f"Set OIDC_PROVIDERS to a JSON list, e.g. {EXAMPLE}.",
                id="oidc.E001",
            )
        ]
    errors = []
    seen = set()
    for index, entry in enumerate(value):
        where = f"OIDC_PROVIDERS[{index}]"
        if not isinstance(entry, dict):
            errors.append(
                Error(
                    f"{where} is not an object.",
                    hint=f"Each provider is an object, e.g. {EXAMPLE}.",
                    id="oidc.E001",
                )
            )
            continue
        missing = [k for k in REQUIRED if not isinstance(entry.get(k), str)]
        missing += [k for k in REQUIRED if k not in missing and not entry[k].strip()]
        if missing:
            errors.append(
                Error(
                    f"{where} has no {', '.join(missing)}.",
                    hint="Give every provider an id, a name, its issuer URL and "
                    "the client id it registered this site under.",
                    id="oidc.E002",
                )
            )
            continue
        if not SLUG.match(entry["id"]) or entry["id"] in seen:
            errors.append(
                Error(
                    f"{where} has the id {entry['id']!r}, which is not a unique "
                    "lower-case slug.",
                    hint="Use a short unique name such as acme: it is part of "
                    "the login and callback URLs.",
                    id="oidc.E003",
                )
            )
        seen.add(entry["id"])
        problem = issuer_problem(entry["issuer"])
        if problem:
            errors.append(
                Error(
                    f"{where} issuer {entry['issuer']!r} {problem}.",
                    hint="Use the provider's https:// issuer URL; plain http:// "
                    "only for a provider on localhost or 127.0.0.1.",
                    id="oidc.E004",
                )
            )
        scopes = entry.get("scopes", app_settings.DEFAULT_SCOPES)
        if not isinstance(scopes, str) or "openid" not in scopes.split():
            errors.append(
                Error(
                    f"{where} scopes {scopes!r} do not include openid.",
                    hint='Ask for "openid email profile": without openid there '
                    "is no ID token, without email no address to sign up with.",
                    id="oidc.E005",
                )
            )
    return errors
