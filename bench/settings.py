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
    LOGGING,
    MIDDLEWARE,
    SIMPLE_JWT,
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
    if name == "accounts.middleware.JWTAuthenticationMiddleware"
    else name
    for name in MIDDLEWARE
]
ROOT_URLCONF = "bench.urls"

JWT_ALGORITHM = "HS256"
JWT_SIGNING_KEY = local_secret("JWT_SIGNING_KEY")
SIMPLE_JWT = {
    **SIMPLE_JWT,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": JWT_SIGNING_KEY,
    "AUTH_TOKEN_CLASSES": ("rest_framework_simplejwt.tokens.AccessToken",),
}

LOGGING = {**LOGGING, "loggers": {"accounts": {"level": "WARNING"}}}

# The user whose cart an anonymous request sees: the first (and only) user
# of the fresh benchmark database.
BENCH_USER_ID = 1
