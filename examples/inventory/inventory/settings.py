"""Settings of the example service, from environment variables.

AUTHSITE_URL             the site's base URL (http://127.0.0.1:8000)
AUTHSITE_ISSUER          the site's JWT_ISSUER (authsite)
AUTHSITE_ACCESS_LIFETIME the site's JWT_ACCESS_LIFETIME in seconds (300)
INVENTORY_AUDIENCE       the audience it was registered with (inventory)
INVENTORY_CLIENT_ID      what `manage.py register_service` printed (required)
INVENTORY_CLIENT_SECRET  idem (required)
INVENTORY_DEBUG          1 for Django's debug mode
"""

import os
import secrets

from django.core.exceptions import ImproperlyConfigured


def required(name):
    value = os.environ.get(name, "")
    if not value:
        raise ImproperlyConfigured(
            f"Set {name}: run `python manage.py register_service inventory "
            "--audience inventory --events-url http://127.0.0.1:8001/events/` "
            "on the site and export what it prints."
        )
    return value


DEBUG = os.environ.get("INVENTORY_DEBUG") == "1"
# No session, no cookie, nothing signed: a key per process is enough.
SECRET_KEY = os.environ.get("INVENTORY_SECRET_KEY") or secrets.token_urlsafe(50)
ALLOWED_HOSTS = os.environ.get("INVENTORY_ALLOWED_HOSTS", "127.0.0.1,localhost").split(
    ","
)
ROOT_URLCONF = "inventory.urls"
WSGI_APPLICATION = "inventory.wsgi.application"
INSTALLED_APPS = ["rest_framework", "inventory.apps.InventoryConfig"]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]
DATABASES = {}
USE_TZ = True

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "authsite_verifier.django.VerifierAuthentication"
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # No django.contrib.auth here: no AnonymousUser either.
    "UNAUTHENTICATED_USER": None,
}

AUTHSITE_VERIFIER = {
    "ISSUER_URL": os.environ.get("AUTHSITE_URL", "http://127.0.0.1:8000"),
    "ISSUER": os.environ.get("AUTHSITE_ISSUER", "authsite"),
    "AUDIENCE": os.environ.get("INVENTORY_AUDIENCE", "inventory"),
    "CLIENT_ID": required("INVENTORY_CLIENT_ID"),
    "CLIENT_SECRET": required("INVENTORY_CLIENT_SECRET"),
    "MAX_TOKEN_LIFETIME": int(os.environ.get("AUTHSITE_ACCESS_LIFETIME", "300")),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"authsite_verifier": {"handlers": ["console"], "level": "INFO"}},
}
