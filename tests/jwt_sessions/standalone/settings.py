"""A project that is not this site: Django's own User, no accounts, no shop.

tests/jwt_sessions/test_app_stands_alone.py runs jwt_sessions in it, to show
that the app can be lifted into another project as it is.
"""

import os

BASE_DIR = os.path.dirname(__file__)
SECRET_KEY = "standalone-test-only-" + "s" * 40
DEBUG = False
ALLOWED_HOSTS = ["testserver"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "jwt_sessions",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "jwt_sessions.middleware.JWTAuthenticationMiddleware",
]
ROOT_URLCONF = "tests.jwt_sessions.standalone.urls"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ["STANDALONE_DATABASE"],
    }
}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "jwt_sessions.authentication.JWTBearerAuthentication",
        "jwt_sessions.authentication.JWTCookieAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
}
# Everything else of jwt_sessions keeps its default.
JWT_SIGNING_KEY = "standalone-test-only-" + "k" * 40
