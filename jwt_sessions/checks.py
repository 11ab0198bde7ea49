"""System checks: settings that would make tokens or cookies unsafe or unusable."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from . import keys
from .app_settings import app_settings

# Where each SimpleJWT setting this app decides lives instead.
JWT_SETTINGS_FOR_SIMPLE_JWT = {
    "ALGORITHM": "JWT_ALGORITHM",
    "SIGNING_KEY": "JWT_SIGNING_KEY",
    "VERIFYING_KEY": "JWT_KEYS_FILE",
    "ISSUER": "JWT_ISSUER",
    "AUDIENCE": "JWT_AUDIENCE",
    "LEEWAY": "JWT_LEEWAY",
    "ACCESS_TOKEN_LIFETIME": "JWT_ACCESS_LIFETIME",
    "REFRESH_TOKEN_LIFETIME": "JWT_REFRESH_LIFETIME",
}


@register(Tags.security, deploy=False)
def check_jwt_signing_key(app_configs, **kwargs):
    """Refuse signing keys that cannot work or are too weak (RFC 7518 3.2, 3.3).

    jwt_sessions.E001 a short HMAC key, E010 an unsupported algorithm, E011 no key
    file, E012 an unreadable file or key, E013 a weak RSA key, E014 a kid used
    twice, E015 a key that does not fit the algorithm, E016 no active key.
    """
    try:
        keys.get_key_set()
    except keys.KeySetError as exc:
        return [Error(exc.message, hint=exc.hint, id=exc.check_id)]
    if (
        keys.configured_algorithm() not in keys.HMAC_ALGORITHMS
        and not keys.file_is_private(keys.keys_file())
    ):
        return [
            Warning(
                f"The key file {keys.keys_file()} can be read by other users; it "
                "holds private keys.",
                hint=f"chmod 600 {keys.keys_file()}",
                id="jwt_sessions.W010",
            )
        ]
    return []


@register(Tags.security)
def check_auth_cookie_settings(app_configs, **kwargs):
    """Refuse cookie settings that browsers would silently drop or weaken."""
    errors = []
    names = (app_settings.COOKIE_ACCESS_NAME, app_settings.COOKIE_REFRESH_NAME)
    if len(set(names)) != 2:
        errors.append(
            Error(
                "JWT_COOKIE_ACCESS_NAME and JWT_COOKIE_REFRESH_NAME are the same.",
                hint="Give the two cookies different names.",
                id="jwt_sessions.E002",
            )
        )
    for name in names:
        if name.startswith("__Host-") and (
            not app_settings.COOKIE_SECURE
            or app_settings.COOKIE_PATH != "/"
            or app_settings.COOKIE_DOMAIN
        ):
            errors.append(
                Error(
                    f"The cookie name {name!r} has the __Host- prefix, which "
                    "browsers only accept with Secure, Path=/ and no Domain.",
                    hint="Set JWT_COOKIE_SECURE=1, JWT_COOKIE_PATH=/ and no "
                    "JWT_COOKIE_DOMAIN, or choose a name without the prefix.",
                    id="jwt_sessions.E003",
                )
            )
        if name.startswith("__Secure-") and not app_settings.COOKIE_SECURE:
            errors.append(
                Error(
                    f"The cookie name {name!r} has the __Secure- prefix, which "
                    "browsers only accept on Secure cookies.",
                    hint="Set JWT_COOKIE_SECURE=1 or drop the prefix.",
                    id="jwt_sessions.E004",
                )
            )
    if app_settings.COOKIE_SAMESITE not in ("Lax", "Strict", "None"):
        errors.append(
            Error(
                f"JWT_COOKIE_SAMESITE is {app_settings.COOKIE_SAMESITE!r}.",
                hint="Use Lax (the default), Strict or None.",
                id="jwt_sessions.E005",
            )
        )
    elif app_settings.COOKIE_SAMESITE == "None" and not app_settings.COOKIE_SECURE:
        errors.append(
            Error(
                "JWT_COOKIE_SAMESITE=None needs JWT_COOKIE_SECURE=1; browsers "
                "reject the cookie otherwise.",
                id="jwt_sessions.E006",
            )
        )
    middleware = "jwt_sessions.middleware.JWTAuthenticationMiddleware"
    if middleware not in settings.MIDDLEWARE:
        errors.append(
            Error(
                f"{middleware} is not in MIDDLEWARE: pages and refreshed cookies "
                "would not work.",
                hint="Add it after CsrfViewMiddleware.",
                id="jwt_sessions.E007",
            )
        )
    if "django.contrib.sessions.middleware.SessionMiddleware" in settings.MIDDLEWARE:
        errors.append(
            Error(
                "SessionMiddleware is in MIDDLEWARE; this site keeps no "
                "server-side session and sets no sessionid cookie.",
                hint="Remove it.",
                id="jwt_sessions.E008",
            )
        )
    return errors


@register(Tags.compatibility)
def check_no_simple_jwt_settings(app_configs, **kwargs):
    """Refuse SIMPLE_JWT settings: this app reads its own, and only those."""
    # Two places for one setting is how a lifetime or a key ends up read
    # from the wrong one. SimpleJWT's defaults name the claims; everything
    # this app decides comes from JWT_* (app_settings.py).
    configured = getattr(settings, "SIMPLE_JWT", None)
    if not configured:
        return []
    names = ", ".join(sorted(configured))
    moves = "; ".join(
        f"{name} -> {JWT_SETTINGS_FOR_SIMPLE_JWT[name]}"
        for name in sorted(configured)
        if name in JWT_SETTINGS_FOR_SIMPLE_JWT
    )
    return [
        Error(
            f"SIMPLE_JWT is set ({names}), but jwt_sessions reads its settings "
            "from JWT_* settings only, so these would be ignored or disagree.",
            hint=f"Remove SIMPLE_JWT. {moves or 'Nothing in it has a JWT_ setting.'}",
            id="jwt_sessions.E009",
        )
    ]
