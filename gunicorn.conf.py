"""gunicorn settings for authsite, from the environment (`make serve` uses it).

gunicorn reads this file by itself when started from the project root:
    gunicorn authsite.wsgi
"""

import os

# Behind the TLS proxy: listen where the proxy forwards to.
bind = [f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"]
# Processes share nothing but the database and the cache, so any number works.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
# Each worker imports the app itself: no state is made before the fork.
preload_app = False
# Addresses whose X-Forwarded-* headers gunicorn believes (the TLS proxy).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# Errors to stderr; the access log is off unless asked for ("-" is stdout):
# the proxy keeps one, and the app logs every auth event itself.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Slow or huge request headers are refused before Django sees them.
limit_request_line = 8190
