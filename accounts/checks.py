from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from . import keys


@register(Tags.security, deploy=False)
def check_jwt_signing_key(app_configs, **kwargs):
    """Refuse signing keys that cannot work or are too weak (RFC 7518 3.2, 3.3).

    accounts.E001 a short HMAC key, E010 an unsupported algorithm, E011 no key
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
                id="accounts.W010",
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
