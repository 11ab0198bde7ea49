"""The product's settings, plus the peers the benchmark compares it with.

Nothing here is used by the site itself. The differences from
authsite.settings, each for a reason:

- DEBUG off, WhiteNoise without autorefresh, persistent database connections:
  production behaviour, so the per-request baseline is not inflated by debug
  bookkeeping, static-file lookups or a new SQLite connection per request.
- django.contrib.sessions and a middleware that picks Django's session
  authentication for /peer-session/ only (bench.middleware).
- HS256 with one key for both our tokens and SimpleJWT's stock ones, and
  SimpleJWT's own AccessToken for its stock authentication classes (ours
  never read AUTH_TOKEN_CLASSES).
- The auth event log at WARNING: thousands of logins and refreshes would
  otherwise flood the terminal.
"""

from authsite.settings import *  # noqa: F403
from authsite.settings import (
    DATABASES,
    INSTALLED_APPS,
    JWT_AUDIENCE,
    JWT_ISSUER,
    LOGGING,
    MIDDLEWARE,
    SILENCED_SYSTEM_CHECKS,
    local_secret,
)

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
SECURE_PROXY_SSL_HEADER = None
WHITENOISE_AUTOREFRESH = False
# Static files come from the finders; nothing is collected for the benchmark.
STATIC_ROOT = None

DATABASES["default"]["CONN_MAX_AGE"] = None

INSTALLED_APPS = [*INSTALLED_APPS, "django.contrib.sessions"]
MIDDLEWARE = [
    "bench.middleware.BenchAuthenticationMiddleware"
    if name == "jwt_sessions.middleware.JWTAuthenticationMiddleware"
    else name
    for name in MIDDLEWARE
]
ROOT_URLCONF = "bench.urls"

JWT_ALGORITHM = "HS256"
JWT_SIGNING_KEY = local_secret("JWT_SIGNING_KEY")
# Only for the stock SimpleJWT rows it is compared with, which read nothing
# else: the site itself never reads SIMPLE_JWT (jwt_sessions.E009 refuses
# it everywhere but here).
SIMPLE_JWT = {
    "ALGORITHM": "HS256",
    "SIGNING_KEY": JWT_SIGNING_KEY,
    "AUDIENCE": JWT_AUDIENCE,
    "ISSUER": JWT_ISSUER,
    "AUTH_TOKEN_CLASSES": ("rest_framework_simplejwt.tokens.AccessToken",),
}
SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, "jwt_sessions.E009"]

LOGGING = {
    **LOGGING,
    "loggers": {"accounts": {"level": "WARNING"}, "jwt_sessions": {"level": "WARNING"}},
}

# The user whose cart an anonymous request sees: the first (and only) user
# of the fresh benchmark database.
BENCH_USER_ID = 1
