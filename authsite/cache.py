"""The shared cache: Django's Redis backend with a kept client, and the
database cache's table (created by `migrate`, required at start-up).
"""

from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends import redis
from django.core.cache.backends.db import BaseDatabaseCache
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connections, router


class RedisCacheClient(redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        # Django wraps the pool in a new redis.Redis on every call, which here
        # costs about as much as the round trip itself. A client is safe to
        # share between threads (the pool hands out connections), so keep it:
        # every authenticated request asks the cache once.
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient


def missing_cache_tables(using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """Return the database cache tables that settings name but `using` lacks."""
    wanted = []
    for alias in settings.CACHES:
        cache = caches[alias]
        if isinstance(cache, BaseDatabaseCache) and router.allow_migrate_model(
            using, cache.cache_model_class
        ):
            wanted.append(cache._table)
    connection = connections[using]
    if not wanted or not database_exists(connection):
        return []
    existing = set(connection.introspection.table_names())
    if "django_migrations" not in existing:
        return []  # never migrated: `migrate` creates the cache table too
    return [table for table in wanted if table not in existing]


def database_exists(connection) -> bool:
    """Say whether `connection`'s database is there, without creating it."""
    # Connecting to SQLite creates the file: a check must not leave an
    # empty database behind where none was (a build step without one).
    if connection.vendor != "sqlite" or connection.is_in_memory_db():
        return True
    return Path(connection.settings_dict["NAME"]).exists()


def create_cache_tables(*, using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    """Create the database cache tables (a post_migrate receiver)."""
    # `migrate` alone must leave a working site: without the table every
    # login, refresh and lockout check fails. createcachetable skips tables
    # that exist, so running after every app's migrations costs a lookup.
    call_command("createcachetable", database=using, verbosity=0)


class CacheTableMissing(ImproperlyConfigured):
    fix = "Run: python manage.py migrate (it creates the table)."

    def __init__(self, tables):
        self.problem = (
            f"The database cache table {', '.join(tables)} does not exist, so "
            "every login, refresh and lockout check would fail."
        )
        super().__init__(f"{self.problem} {self.fix}")


def ensure_cache_tables_exist() -> None:
    """Raise CacheTableMissing if a database cache has no table to work in."""
    try:
        tables = missing_cache_tables()
    except Exception:
        # Whatever keeps us from looking (an unreachable database, which is
        # /healthz's to report; a server that starts before its database; a
        # test that allows no database access) proves nothing missing.
        return
    if tables:
        raise CacheTableMissing(tables)
