"""The WSGI application; refuses to start with unusable keys or no cache table."""

import os

from django.core.wsgi import get_wsgi_application

from authsite.serving import prepare_to_serve

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "authsite.settings")

application = get_wsgi_application()

# Checks the settings and keys, and settles the process in, before the
# first request (serving.py).
prepare_to_serve()
