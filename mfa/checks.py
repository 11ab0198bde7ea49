"""System checks of the passkey settings: ids mfa.E001 to mfa.E004.

A browser refuses a WebAuthn ceremony whose RP id is not the page's host or
a registrable suffix of it, so a wrong WEBAUTHN_RP_ID or WEBAUTHN_ORIGINS
would only show as passkeys that never work: refuse them at start-up.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured

from . import app_settings


def _within(host: str, rp_id: str) -> bool:
    """Say whether `host` is `rp_id` or one of its subdomains."""
    return host == rp_id or host.endswith("." + rp_id)


def _allowed_host_fits(rp_id: str, allowed: str) -> bool:
    if allowed == "*":
        return True
    if allowed.startswith("."):
        # ".example.org" serves example.org and all its subdomains.
        return _within(allowed[1:], rp_id) or _within(rp_id, allowed[1:])
    return _within(allowed, rp_id)


@register(Tags.security)
def check_webauthn_settings(app_configs, **kwargs):
    """Refuse an RP id or origins that passkeys cannot work with."""
    errors = []
    rp_id = app_settings.webauthn_rp_id()
    hosts = list(settings.ALLOWED_HOSTS)
    # A bare word (say "com") is a public suffix, never registrable; only
    # localhost is a host of one label that browsers accept as an RP id.
    registrable = rp_id == "localhost" or (
        "." in rp_id.strip(".") and rp_id == rp_id.strip(".").lower()
    )
    if not registrable or not any(_allowed_host_fits(rp_id, h) for h in hosts):
        errors.append(
            Error(
                f"WEBAUTHN_RP_ID {rp_id!r} is not a registrable suffix of any "
                f"host in ALLOWED_HOSTS ({', '.join(hosts) or 'none'}).",
                hint="Set WEBAUTHN_RP_ID to the site's host name (e.g. "
                "shop.example) or its registrable domain (example.com).",
                id="mfa.E001",
            )
        )
    origins = app_settings.webauthn_origins()
    if not origins:
        errors.append(
            Error(
                "WEBAUTHN_ORIGINS is empty: no passkey ceremony could succeed.",
                hint="Set WEBAUTHN_ORIGINS to the site's origin, e.g. "
                "https://shop.example.",
                id="mfa.E004",
            )
        )
    for origin in origins:
        parts = urlsplit(origin)
        host = parts.hostname or ""
        if (
            parts.scheme not in ("http", "https")
            or not host
            or parts.path not in ("", "/")
        ):
            errors.append(
                Error(
                    f"WEBAUTHN_ORIGINS has {origin!r}, which is not an origin.",
                    hint="Write each as scheme://host[:port], e.g. "
                    "https://shop.example.",
                    id="mfa.E004",
                )
            )
            continue
        if not _within(host, rp_id):
            errors.append(
                Error(
                    f"The origin {origin!r} is not on WEBAUTHN_RP_ID {rp_id!r} "
                    "or a subdomain of it: browsers refuse its ceremonies.",
                    hint="Remove it from WEBAUTHN_ORIGINS, or change WEBAUTHN_RP_ID.",
                    id="mfa.E002",
                )
            )
        if parts.scheme != "https" and host != "localhost":
            errors.append(
                Error(
                    f"The origin {origin!r} is not https: WebAuthn needs a "
                    "secure context, which plain http is only on localhost.",
                    hint=f"Use https://{parts.netloc} in WEBAUTHN_ORIGINS.",
                    id="mfa.E003",
                )
            )
    return errors


def ensure_webauthn_settings_usable() -> None:
    """Raise ImproperlyConfigured with the fix if passkeys could not work.

    The system check stops `manage.py check`, migrate and runserver; the
    WSGI and ASGI modules call this so that gunicorn and uvicorn do not
    start either.
    """
    errors = check_webauthn_settings(None)
    if errors:
        raise ImproperlyConfigured(
            " ".join(f"{error.msg} {error.hint} ({error.id})" for error in errors)
        )
