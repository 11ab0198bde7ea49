from django.conf import settings
from django.core.checks import Error, Tags, register

MIN_HMAC_KEY_BYTES = 32


@register(Tags.security, deploy=False)
def check_jwt_signing_key(app_configs, **kwargs):
    """Refuse an HMAC signing key too short to resist guessing (RFC 7518 3.2)."""
    jwt_settings = getattr(settings, "SIMPLE_JWT", {})
    algorithm = jwt_settings.get("ALGORITHM", "HS256")
    key = jwt_settings.get("SIGNING_KEY") or ""
    if algorithm.startswith("HS") and len(key.encode()) < MIN_HMAC_KEY_BYTES:
        return [
            Error(
                f"The JWT signing key is {len(key.encode())} bytes; {algorithm} "
                f"needs at least {MIN_HMAC_KEY_BYTES}.",
                hint="Set JWT_SIGNING_KEY to a long random value, e.g. the output "
                "of: python -c 'import secrets; print(secrets.token_urlsafe(64))'",
                id="accounts.E001",
            )
        ]
    return []


@register(Tags.security)
def check_auth_cookie_settings(app_configs, **kwargs):
    """Refuse cookie settings that browsers would silently drop or weaken."""
    errors = []
    names = (settings.JWT_COOKIE_ACCESS_NAME, settings.JWT_COOKIE_REFRESH_NAME)
    if len(set(names)) != 2:
        errors.append(
            Error(
                "JWT_COOKIE_ACCESS_NAME and JWT_COOKIE_REFRESH_NAME are the same.",
                hint="Give the two cookies different names.",
                id="accounts.E002",
            )
        )
    for name in names:
        if name.startswith("__Host-") and (
            not settings.JWT_COOKIE_SECURE
            or settings.JWT_COOKIE_PATH != "/"
            or settings.JWT_COOKIE_DOMAIN
        ):
            errors.append(
                Error(
                    f"The cookie name {name!r} has the __Host- prefix, which "
                    "browsers only accept with Secure, Path=/ and no Domain.",
                    hint="Set JWT_COOKIE_SECURE=1, JWT_COOKIE_PATH=/ and no "
                    "JWT_COOKIE_DOMAIN, or choose a name without the prefix.",
                    id="accounts.E003",
                )
            )
        if name.startswith("__Secure-") and not settings.JWT_COOKIE_SECURE:
            errors.append(
                Error(
                    f"The cookie name {name!r} has the __Secure- prefix, which "
                    "browsers only accept on Secure cookies.",
                    hint="Set JWT_COOKIE_SECURE=1 or drop the prefix.",
                    id="accounts.E004",
                )
            )
    if settings.JWT_COOKIE_SAMESITE not in ("Lax", "Strict", "None"):
        errors.append(
            Error(
                f"JWT_COOKIE_SAMESITE is {settings.JWT_COOKIE_SAMESITE!r}.",
                hint="Use Lax (the default), Strict or None.",
                id="accounts.E005",
            )
        )
    elif settings.JWT_COOKIE_SAMESITE == "None" and not settings.JWT_COOKIE_SECURE:
        errors.append(
            Error(
                "JWT_COOKIE_SAMESITE=None needs JWT_COOKIE_SECURE=1; browsers "
                "reject the cookie otherwise.",
                id="accounts.E006",
            )
        )
    middleware = "accounts.middleware.JWTAuthenticationMiddleware"
    if middleware not in settings.MIDDLEWARE:
        errors.append(
            Error(
                f"{middleware} is not in MIDDLEWARE: pages and refreshed cookies "
                "would not work.",
                hint="Add it after CsrfViewMiddleware.",
                id="accounts.E007",
            )
        )
    if "django.contrib.sessions.middleware.SessionMiddleware" in settings.MIDDLEWARE:
        errors.append(
            Error(
                "SessionMiddleware is in MIDDLEWARE; this site keeps no "
                "server-side session and sets no sessionid cookie.",
                hint="Remove it.",
                id="accounts.E008",
            )
        )
    return errors
