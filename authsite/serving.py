"""What a server process does once, before its first request.

wsgi.py and asgi.py call prepare_to_serve() at import: runserver, gunicorn
and uvicorn all load one of them before they take a request.
"""

import gc
from importlib import import_module

from django.conf import settings

from authsite.cache import ensure_cache_tables_exist
from jwt_sessions.keys import ensure_key_set_usable
from mfa.checks import ensure_webauthn_settings_usable


def prepare_to_serve() -> None:
    """Refuse to serve with settings that cannot work; then settle in."""
    # A missing or weak signing key, a kid used twice..., WebAuthn settings
    # no passkey could work with, or no database cache table: the
    # ImproperlyConfigured says what to fix.
    ensure_key_set_usable()
    ensure_webauthn_settings_usable()
    ensure_cache_tables_exist()
    # Every URL pattern and view is imported now, not by the first request.
    import_module(settings.ROOT_URLCONF)
    # What exists by now (Django, every app and view: about 135,000 objects)
    # lives as long as the process. Python's full garbage collections used
    # to scan all of it, each for about 70 ms in which the request at hand
    # waited: the slow tail of `make bench`'s revocation across two servers
    # (docs/BENCHMARKS.md). Frozen, it is never scanned again; collections
    # look only at what requests made since.
    gc.collect()
    gc.freeze()
