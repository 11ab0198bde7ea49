"""The settings of jwt_sessions: one Django setting each, read at every use.

Every setting is named JWT_<NAME> in the project's settings (the project's
settings module fills them from environment variables of the same names).
They are read here, and only here: each on first use, then remembered until
Django says a setting changed (setting_changed, which override_settings and
the tests' `settings` fixture send), as DRF's api_settings does. Reading one
is then a dictionary lookup: every request reads several.
SimpleJWT's own SIMPLE_JWT dictionary is not read for anything this app
decides (checks.py refuses it): SimpleJWT's defaults name the claims.

    from jwt_sessions.app_settings import app_settings
    app_settings.ACCESS_TOKEN_LIFETIME  # a timedelta
"""

from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.signals import setting_changed
from django.utils.module_loading import import_string


def _duration(value) -> timedelta:
    # Seconds, as the environment gives them; a timedelta is taken as it is.
    return value if isinstance(value, timedelta) else timedelta(seconds=int(value))


class setting:
    """A property of JWTSessionSettings whose value is remembered until reload()."""

    def __init__(self, read):
        self.read = read
        self.name = read.__name__
        self.__doc__ = read.__doc__

    def __get__(self, owner, owner_type=None):
        if owner is None:
            return self
        try:
            return owner.values[self.name]
        except KeyError:
            value = owner.values[self.name] = self.read(owner)
            return value


class JWTSessionSettings:
    """The JWT_* settings, with their defaults."""

    prefix = "JWT_"

    def __init__(self):
        self.values = {}

    def reload(self) -> None:
        """Forget every value read, so the next use reads the settings again."""
        self.values.clear()

    def derived(self, name: str, compute):
        """Return compute(), remembered as a setting is, until the settings change.

        For what every request needs and the settings alone decide (the
        token backend, say): a dictionary lookup instead of building it.
        """
        try:
            return self.values[name]
        except KeyError:
            value = self.values[name] = compute()
            return value

    def forget(self, name: str) -> None:
        """Forget the value derived() remembers as `name` (the next use computes it)."""
        self.values.pop(name, None)

    def _setting(self, name: str, default):
        return getattr(settings, self.prefix + name, default)

    # --- Signing -----------------------------------------------------------

    @setting
    def ALGORITHM(self) -> str:
        """HS256 (JWT_SIGNING_KEY) or RS256, ES256, EdDSA (JWT_KEYS_FILE)."""
        return self._setting("ALGORITHM", "HS256")

    @setting
    def SIGNING_KEY(self) -> str:
        """The HS256 secret: at least 32 bytes (checks.py refuses less)."""
        return self._setting("SIGNING_KEY", "") or ""

    @setting
    def KEYS_FILE(self) -> Path:
        """The JWK Set file of asymmetric keys, kept by `manage.py jwt_keys`."""
        return Path(self._setting("KEYS_FILE", ".jwt-keys.json"))

    @setting
    def ISSUER(self) -> str:
        return self._setting("ISSUER", "jwt_sessions")

    @setting
    def AUDIENCE(self) -> str:
        return self._setting("AUDIENCE", "jwt_sessions")

    @setting
    def AUDIENCE_VALIDATOR(self):
        """A callable(audience) -> bool: may access tokens be minted for it?

        JWT_AUDIENCE_VALIDATOR names it (a dotted path); unset, no audience
        but JWT_AUDIENCE is. The project points it at its registered
        services, so that this app never has to know of them.
        """
        path = self._setting("AUDIENCE_VALIDATOR", None)
        return import_string(path) if path else (lambda audience: False)

    @setting
    def LEEWAY(self) -> timedelta:
        """How far past `exp` a token is still accepted (clock skew)."""
        return _duration(self._setting("LEEWAY", 0))

    # --- Lifetimes ---------------------------------------------------------

    @setting
    def ACCESS_TOKEN_LIFETIME(self) -> timedelta:
        return _duration(self._setting("ACCESS_LIFETIME", 5 * 60))

    @setting
    def REFRESH_TOKEN_LIFETIME(self) -> timedelta:
        """How long a refresh token lives; each use issues a new one."""
        return _duration(self._setting("REFRESH_LIFETIME", 24 * 60 * 60))

    @setting
    def SESSION_MAX_AGE(self) -> timedelta:
        """How long a login lasts at most, counted from the login."""
        return _duration(self._setting("SESSION_MAX_AGE", 14 * 24 * 60 * 60))

    @setting
    def REFRESH_GRACE(self) -> timedelta:
        """How long a rotated refresh token still gets its successor pair."""
        return _duration(self._setting("REFRESH_GRACE_SECONDS", 10))

    @setting
    def LONGEST_TOKEN_LIFETIME(self) -> timedelta:
        """How long a token signed now may be accepted, leeway included."""
        return (
            max(self.REFRESH_TOKEN_LIFETIME, self.ACCESS_TOKEN_LIFETIME) + self.LEEWAY
        )

    # --- Revocations ---------------------------------------------------------

    @setting
    def REVOCATION_FEED_URL(self) -> str | None:
        """Redis that tells every process of each revocation (None: the database)."""
        return self._setting("REVOCATION_FEED_URL", None) or None

    # --- Step-up ---------------------------------------------------------------

    @setting
    def STEP_UP_MAX_AGE(self) -> timedelta:
        """How recent a login a sensitive action wants (STEP_UP_MAX_AGE, unprefixed)."""
        # Named as the project's other step-up settings are, without JWT_.
        return _duration(getattr(settings, "STEP_UP_MAX_AGE", 5 * 60))

    @setting
    def REAUTHENTICATE_URL(self) -> str:
        """The page that asks a user to prove who they are again (?next=)."""
        return self._setting("REAUTHENTICATE_URL", "/accounts/reauthenticate/")

    # --- API -----------------------------------------------------------------

    @setting
    def USER_SERIALIZER(self):
        """The DRF serializer that describes the user of a login."""
        return import_string(
            self._setting("USER_SERIALIZER", "jwt_sessions.serializers.UserSerializer")
        )

    # --- Cookies -----------------------------------------------------------

    @setting
    def COOKIE_SECURE(self) -> bool:
        return bool(self._setting("COOKIE_SECURE", True))

    @setting
    def COOKIE_ACCESS_NAME(self) -> str:
        return self._setting("COOKIE_ACCESS_NAME", f"{self._cookie_prefix}access")

    @setting
    def COOKIE_REFRESH_NAME(self) -> str:
        return self._setting("COOKIE_REFRESH_NAME", f"{self._cookie_prefix}refresh")

    @setting
    def _cookie_prefix(self) -> str:
        # __Host-: the browser keeps the cookie only if it is Secure, on
        # Path=/ and without Domain, so no subdomain can plant or shadow it.
        return "__Host-" if self.COOKIE_SECURE else ""

    @setting
    def COOKIE_SAMESITE(self) -> str:
        return self._setting("COOKIE_SAMESITE", "Lax")

    @setting
    def COOKIE_PATH(self) -> str:
        return self._setting("COOKIE_PATH", "/")

    @setting
    def COOKIE_DOMAIN(self) -> str | None:
        return self._setting("COOKIE_DOMAIN", None) or None


app_settings = JWTSessionSettings()


def _reload_app_settings(**kwargs):
    # Any setting: a JWT_* one, or one a default is derived from.
    app_settings.reload()


setting_changed.connect(_reload_app_settings)
