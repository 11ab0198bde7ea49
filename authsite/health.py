"""GET /healthz: whether this app server can reach its database and cache."""

import logging
import uuid

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger("authsite.health")


def _database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        logger.exception("health check: the database does not answer")
        return False


def _cache_answers() -> bool:
    # A round trip through the shared cache, under a key of this probe alone.
    key, value = f"healthz:{uuid.uuid4().hex}", uuid.uuid4().hex
    try:
        cache.set(key, value, timeout=10)
        answered = cache.get(key) == value
        cache.delete(key)
        return answered
    except Exception:
        logger.exception("health check: the cache does not answer")
        return False


@never_cache
@require_safe
def healthz(request):
    """Answer 200 when the database and the cache answer, 503 otherwise."""
    checks = {"database": _database_answers(), "cache": _cache_answers()}
    healthy = all(checks.values())
    return JsonResponse(
        {
            "status": "ok" if healthy else "unavailable",
            "checks": {name: "ok" if ok else "failed" for name, ok in checks.items()},
        },
        status=200 if healthy else 503,
    )
