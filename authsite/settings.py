"""Settings for authsite, driven by environment variables.

With no environment at all the site runs locally: DEBUG on, SQLite next to the
code, and strong random keys generated once into a git-ignored file. With
DJANGO_DEBUG=0 every secret must come from the environment.
"""

import json
import os
import secrets
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be 1 or 0 (true/false), not {value!r}.")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must be a whole number of seconds, not {value!r}."
        ) from None


def env_amount(name: str, default: str) -> Decimal:
    value = os.environ.get(name) or default
    try:
        amount = Decimal(value)
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount < 0:
        raise ImproperlyConfigured(
            f"{name} must be an amount such as 500.00, not {value!r}."
        )
    return amount


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)

# Local runs keep generated keys here so that logins survive a restart.
LOCAL_SECRETS_FILE = Path(
    os.environ.get("DJANGO_LOCAL_SECRETS_FILE", BASE_DIR / ".local-secrets.json")
)


def local_secret(name: str) -> str:
    """Return a key from the environment, or a generated one when DEBUG is on."""
    value = os.environ.get(name)
    if value:
        return value
    if not DEBUG:
        raise ImproperlyConfigured(
            f"{name} is not set. With DJANGO_DEBUG=0 set it to a long random "
            f"value, e.g. python -c 'import secrets; print(secrets.token_urlsafe(64))'."
        )
    stored = {}
    if LOCAL_SECRETS_FILE.exists():
        stored = json.loads(LOCAL_SECRETS_FILE.read_text())
    if name not in stored:
        stored[name] = secrets.token_urlsafe(64)
        # Written owner-readable only: these keys sign every local login.
        fd = os.open(LOCAL_SECRETS_FILE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(stored, fh, indent=2)
    return stored[name]


SECRET_KEY = local_secret("DJANGO_SECRET_KEY")

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS",
    ["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else [],
)


def https_origins(hosts: list[str]) -> list[str]:
    """Return the https origins of ALLOWED_HOSTS entries (".x.com" -> "*.x.com")."""
    return [
        f"https://*{host}" if host.startswith(".") else f"https://{host}"
        for host in hosts
        if host != "*"
    ]


# Unsafe requests whose Origin is not one of these are refused by CSRF checks.
CSRF_TRUSTED_ORIGINS = env_list(
    "DJANGO_CSRF_TRUSTED_ORIGINS", https_origins(ALLOWED_HOSTS)
)

INSTALLED_APPS = [
    "accounts.apps.JWTAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "axes",
    "corsheaders",
    "csp",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "authsite",
    "jwt_sessions",
    "accounts",
    "registered_services",
    "mfa",
    "oidc",
    "shop",
]

# No SessionMiddleware: authentication lives in the JWT cookies alone, so no
# server-side session is ever created. JWTAuthenticationMiddleware takes the
# place of Django's AuthenticationMiddleware (it subclasses it).
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "authsite.middleware.RefuseInsecureAPIMiddleware",
    # Static files straight from the app servers, before any other work.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    # Errors under /api/ in DRF's JSON shape, whatever answered them; a body
    # over DATA_UPLOAD_MAX_MEMORY_SIZE is refused here with a 413.
    "authsite.middleware.APIErrorMiddleware",
    # Django's, without the trailing-slash redirect of API requests.
    "authsite.middleware.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Before the JWT middleware, which adds a message as it answers.
    "django.contrib.messages.middleware.MessageMiddleware",
    "jwt_sessions.middleware.JWTAuthenticationMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a lockout into the 429 response.
    "axes.middleware.AxesMiddleware",
]

# The admin asks for SessionMiddleware; this site deliberately has none.
SILENCED_SYSTEM_CHECKS = ["admin.E410"]

ROOT_URLCONF = "authsite.urls"
WSGI_APPLICATION = "authsite.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "shop.context_processors.cart_summary",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # Writers queue for the lock instead of failing at once, and
        # IMMEDIATE takes it at BEGIN so a transaction never has to upgrade a
        # read lock mid-way (which SQLite can only answer with an error).
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not memory: tests of concurrent requests need several
    # connections to see one database.
    _db_path = Path(DATABASES["default"]["NAME"])
    DATABASES["default"]["TEST"] = {
        "NAME": str(_db_path.with_name(f"test-{_db_path.name}"))
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The cache carries state every process must share (session revocations,
# login throttles): Redis when REDIS_URL is set (Django's backend, keeping its
# client: authsite/cache.py), else a database table, never
# one process's memory.
REDIS_URL = os.environ.get("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "authsite.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "authsite",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "django_cache",
            "KEY_PREFIX": "authsite",
        }
    }

# How many reverse proxies in front of the site append to X-Forwarded-For;
# 0 trusts no header and uses the connection's address.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses every password check of a locked-out account or address
    # before the hasher runs.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    # No NumericPasswordValidator: ASVS 6.2.5 wants no rules on the kinds of
    # characters; the length and common-password checks catch weak ones.
]
EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "authsite@localhost")
# Sign-up sends a link that proves the address is its owner's. "optional":
# an unverified account may log in (a banner asks it to verify; checkout
# waits for it); "mandatory": it may not log in until the link is opened.
# Checked at start-up (accounts.checks). Links work this many seconds.
ACCOUNT_EMAIL_VERIFICATION = os.environ.get("ACCOUNT_EMAIL_VERIFICATION", "optional")
ACCOUNT_EMAIL_VERIFICATION_MAX_AGE = env_int(
    "ACCOUNT_EMAIL_VERIFICATION_MAX_AGE", 3 * 24 * 60 * 60
)
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "dashboard"

# Messages ride in a signed cookie: there is no session to keep them in.
MESSAGE_STORAGE = "authsite.messages.MessageCookieStorage"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
# Local runs and tests: WhiteNoise serves the source files, no collectstatic.
WHITENOISE_AUTOREFRESH = DEBUG


def static_security_headers(headers, path, url):
    """Give static files the protective headers pages get from middleware."""
    # WhiteNoise answers before the CSP and X-Frame-Options middleware run.
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'"
    headers["Cross-Origin-Resource-Policy"] = "same-origin"


WHITENOISE_ADD_HEADERS_FUNCTION = static_security_headers
WHITENOISE_USE_FINDERS = DEBUG
if not DEBUG:
    # Hashed, compressed names, cached forever by browsers; needs
    # `manage.py collectstatic` first. Local runs and tests serve the sources.
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {
            "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        },
    }

# --- HTTPS -------------------------------------------------------------------
# With DEBUG off everything defaults to secure; a plain-HTTP server needs an
# explicit DJANGO_SECURE_SSL_REDIRECT=0.
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
# Load balancers probe app servers directly, over plain HTTP. API calls over
# HTTP get a 403 instead of a redirect (authsite.middleware).
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^api/"]
SECURE_HSTS_SECONDS = env_int(
    "DJANGO_SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 60 * 60
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", True)
# The header the TLS proxy sets to "https"; trusted only because the proxy
# overwrites whatever a client sent. Empty when nothing terminates TLS for us.
_proxy_ssl_header = os.environ.get(
    "DJANGO_SECURE_PROXY_SSL_HEADER", "" if DEBUG else "X-Forwarded-Proto"
)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_" + _proxy_ssl_header.upper().replace("-", "_"), "https")
    if _proxy_ssl_header
    else None
)

# --- JWT ---------------------------------------------------------------------
# jwt_sessions reads these, and only these (jwt_sessions/app_settings.py);
# SimpleJWT's SIMPLE_JWT is not set at all (a system check refuses it).

# HS256 signs with JWT_SIGNING_KEY; RS256, ES256 and EdDSA with the active key
# of JWT_KEYS_FILE, a git-ignored JWK Set kept by `manage.py jwt_keys`
# (jwt_sessions/keys.py checks both at start-up).
JWT_ALGORITHM = os.environ.get("JWT_ALGORITHM", "HS256")
JWT_KEYS_FILE = Path(os.environ.get("JWT_KEYS_FILE", BASE_DIR / ".jwt-keys.json"))
JWT_SIGNING_KEY = local_secret("JWT_SIGNING_KEY") if JWT_ALGORITHM == "HS256" else ""
JWT_ISSUER = os.environ.get("JWT_ISSUER", "authsite")
JWT_AUDIENCE = os.environ.get("JWT_AUDIENCE", "authsite")
# Lifetimes in seconds.
JWT_ACCESS_LIFETIME = env_int("JWT_ACCESS_LIFETIME", 5 * 60)
JWT_REFRESH_LIFETIME = env_int("JWT_REFRESH_LIFETIME", 24 * 60 * 60)
# Counted from the login and never extended by rotation.
JWT_SESSION_MAX_AGE = env_int("JWT_SESSION_MAX_AGE", 14 * 24 * 60 * 60)
# Parallel requests that race one rotation all get the same successor pair
# within this interval; a rotated refresh token presented later is reuse.
JWT_REFRESH_GRACE_SECONDS = env_int("JWT_REFRESH_GRACE_SECONDS", 10)
# Every process hears of each revocation here and, while it is sure it has
# heard of all of them, answers "is this session alive?" from memory.
# Its own Redis may be named (tests stop it without stopping the cache).
JWT_REVOCATION_FEED_URL = os.environ.get("JWT_REVOCATION_FEED_URL") or REDIS_URL
# How the token endpoints describe the user of a login.
JWT_USER_SERIALIZER = "accounts.serializers.UserSerializer"
# Access tokens may also be minted for a registered service's audience
# (POST /api/app/token/ with "audience"); this says which those are.
JWT_AUDIENCE_VALIDATOR = "registered_services.services.is_service_audience"
# Who pushes revocation events to registered services: "background" (each
# web process, after the commit and from a thread of its own), "inline"
# (in the commit hook itself) or "command" (only `manage.py deliver_events`).
SERVICE_EVENTS_DELIVERY = os.environ.get("SERVICE_EVENTS_DELIVERY", "background")
# Sensitive actions (changing the password, ending other sessions) want a
# login proved at most this many seconds ago; an older one is asked to prove
# it again at /accounts/reauthenticate/ (the API answers RFC 9470's
# challenge). 0 turns the age limit off.
STEP_UP_MAX_AGE = env_int("STEP_UP_MAX_AGE", 5 * 60)
# A checkout whose total is above this amount is sensitive too.
STEP_UP_CHECKOUT_OVER = env_amount("STEP_UP_CHECKOUT_OVER", "500.00")
# The admin refuses staff whose login has no second factor (sending them to
# set one up, or to prove it); mfa/.
MFA_REQUIRED_FOR_STAFF = env_bool("MFA_REQUIRED_FOR_STAFF", True)
# What authenticator apps call this site.
MFA_TOTP_ISSUER = os.environ.get("MFA_TOTP_ISSUER", "authsite")
# Passkeys (WebAuthn): the relying party's id (the host, or a registrable
# suffix of it, that every passkey is bound to), the origins whose
# ceremonies are accepted, and the name authenticators show. Locally
# "localhost" (any port); without DEBUG the first allowed host and its https
# origin, as CSRF_TRUSTED_ORIGINS. The system checks mfa.E001-E004 refuse
# an id or origin browsers would not accept for this site.
WEBAUTHN_RP_ID = os.environ.get(
    "WEBAUTHN_RP_ID",
    "localhost"
    if DEBUG
    else next((h.lstrip(".") for h in ALLOWED_HOSTS if h != "*"), "localhost"),
)
WEBAUTHN_ORIGINS = env_list(
    "WEBAUTHN_ORIGINS",
    ["http://localhost:8000", "https://localhost:8000"]
    if DEBUG
    else [f"https://{WEBAUTHN_RP_ID}"],
)
WEBAUTHN_RP_NAME = os.environ.get("WEBAUTHN_RP_NAME", "authsite")

# "Sign in with" OpenID Connect providers: a JSON list in the environment,
# each {"id", "name", "issuer", "client_id", "client_secret", "scopes"}.
# The system checks oidc.E001-E005 say what is wrong with an entry.
try:
    OIDC_PROVIDERS = json.loads(os.environ.get("OIDC_PROVIDERS") or "[]")
except ValueError as exc:
    raise ImproperlyConfigured(
        f"OIDC_PROVIDERS must be a JSON list of providers, e.g. "
        f'[{{"id": "acme", "name": "Acme", "issuer": "https://id.acme.example", '
        f'"client_id": "...", "client_secret": "...", "scopes": '
        f'"openid email profile"}}]: {exc}.'
    ) from None

# --- Auth cookies ------------------------------------------------------------
# Secure by default. Chromium and Firefox accept Secure cookies, and the
# __Host- prefix, on http://localhost, so local runs need no change.
JWT_COOKIE_SECURE = env_bool("JWT_COOKIE_SECURE", True)
_cookie_prefix = "__Host-" if JWT_COOKIE_SECURE else ""
JWT_COOKIE_ACCESS_NAME = os.environ.get(
    "JWT_COOKIE_ACCESS_NAME", f"{_cookie_prefix}access"
)
JWT_COOKIE_REFRESH_NAME = os.environ.get(
    "JWT_COOKIE_REFRESH_NAME", f"{_cookie_prefix}refresh"
)
JWT_COOKIE_SAMESITE = os.environ.get("JWT_COOKIE_SAMESITE", "Lax")
JWT_COOKIE_PATH = os.environ.get("JWT_COOKIE_PATH", "/")
JWT_COOKIE_DOMAIN = os.environ.get("JWT_COOKIE_DOMAIN") or None

CSRF_COOKIE_SECURE = JWT_COOKIE_SECURE
# No session exists; the messages cookie takes these attributes from here.
SESSION_COOKIE_SECURE = JWT_COOKIE_SECURE
SESSION_COOKIE_SAMESITE = "Lax"
MESSAGES_COOKIE_NAME = f"{_cookie_prefix}messages"
CSRF_COOKIE_NAME = f"{_cookie_prefix}csrftoken"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "authsite.views.csrf_failure"

# --- Brute-force protection (django-axes) ----------------------------------
# Failed password checks are counted per account and per client address in
# the shared cache; reaching the limit on either locks it for the cool-off.
AXES_HANDLER = "accounts.lockout.LockoutCacheHandler"
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(seconds=env_int("LOGIN_LOCKOUT_SECONDS", 15 * 60))
AXES_LOCKOUT_PARAMETERS = "accounts.lockout.lockout_parameters"
AXES_USERNAME_FORM_FIELD = "email"
AXES_USERNAME_CALLABLE = "accounts.lockout.counted_username"
AXES_CLIENT_IP_CALLABLE = "jwt_sessions.client.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
# A successful login must not wipe the address's count: an attacker with an
# account of their own could otherwise reset it between guesses.
AXES_RESET_ON_SUCCESS = False
AXES_VERBOSE = False

# --- Security headers --------------------------------------------------------
# Django's SecurityMiddleware sends nosniff, Referrer-Policy and COOP;
# XFrameOptionsMiddleware sends DENY; django-csp sends the policy below.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        # No inline script or style anywhere: an injected tag cannot run.
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- CORS ------------------------------------------------------------------
# Closed unless a front-end origin is configured; then only those exact
# origins may send credentials (cookies) cross-origin.
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS", [])
CORS_ALLOW_CREDENTIALS = bool(CORS_ALLOWED_ORIGINS)
CORS_URLS_REGEX = r"^/api/.*$"
CSRF_TRUSTED_ORIGINS = [*CSRF_TRUSTED_ORIGINS, *CORS_ALLOWED_ORIGINS]

# --- Django REST framework -------------------------------------------------

REST_FRAMEWORK = {
    # Bearer first: its scheme is what a 401 names in WWW-Authenticate.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "jwt_sessions.authentication.JWTBearerAuthentication",
        "jwt_sessions.authentication.JWTCookieAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "EXCEPTION_HANDLER": "authsite.exceptions.api_exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "signup": os.environ.get("SIGNUP_RATE", "20/hour"),
        "oidc_nonce": os.environ.get("OIDC_NONCE_RATE", "30/minute"),
        # Verification and email-change links: per account, per client address.
        "email_link": os.environ.get("EMAIL_LINK_RATE", "5/hour"),
        "email_link_ip": os.environ.get("EMAIL_LINK_IP_RATE", "20/hour"),
        # Failed client authentications of services, per client address.
        "service_client": os.environ.get("SERVICE_CLIENT_FAILURE_RATE", "30/minute"),
    },
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "authsite API",
    "DESCRIPTION": (
        "Cookie-based JWT sessions and a small shop. Browsers authenticate with "
        "the HttpOnly auth cookies (unsafe methods also need the X-CSRFToken "
        "header); apps send Authorization: Bearer <access token>."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and Redoc from the installed sidecar package, never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Two lists of methods in the schema, each an enum of its own name.
    "ENUM_NAME_OVERRIDES": {
        "SecondFactorMethodEnum": "mfa.services.SECOND_FACTOR_METHODS",
        "ReauthenticationMethodEnum": "mfa.services.REAUTHENTICATION_METHODS",
    },
}

# One line per record; "json" (the default without DEBUG) carries the
# structured fields (event, user_id, sid, ip) for log collectors.
LOG_FORMAT = os.environ.get("DJANGO_LOG_FORMAT", "text" if DEBUG else "json")
if LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured(
        f"DJANGO_LOG_FORMAT must be text or json, not {LOG_FORMAT!r}."
    )
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {
            "class": "authsite.logging.TextFormatter",
            "format": "%(levelname)s %(name)s %(message)s",
        },
        "json": {"()": "authsite.logging.JSONFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "accounts": {"level": os.environ.get("AUTH_LOG_LEVEL", "INFO")},
        "jwt_sessions": {"level": os.environ.get("AUTH_LOG_LEVEL", "INFO")},
    },
}
