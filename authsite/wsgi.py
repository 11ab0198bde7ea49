"""The WSGI application; refuses to start with unusable keys or no cache table."""

import os

from django.core.wsgi import get_wsgi_application

from authsite.cache import ensure_cache_tables_exist
from jwt_sessions.keys import ensure_key_set_usable
from mfa.checks import ensure_webauthn_settings_usable

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "authsite.settings")

application = get_wsgi_application()

# Refuse to serve with signing keys that cannot work (a missing or weak key,
# a kid used twice...), WebAuthn settings no passkey could work with, or
# without the database cache's table: the
# ImproperlyConfigured says what to fix. runserver, gunicorn and uvicorn all
# load this module before they take a request.
ensure_key_set_usable()
ensure_webauthn_settings_usable()
ensure_cache_tables_exist()
