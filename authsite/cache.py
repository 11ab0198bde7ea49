"""Django's Redis cache backend, keeping one client per connection pool."""

from django.core.cache.backends import redis


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
