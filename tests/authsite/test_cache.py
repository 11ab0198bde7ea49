"""The Redis cache backend keeps its client instead of building one per call."""

import os

import pytest

from authsite.cache import RedisCache

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/1")


@pytest.fixture
def redis_cache():
    cache = RedisCache(REDIS_URL, {"KEY_PREFIX": "cache-test"})
    try:
        cache.set("probe", 1)
    except Exception as exc:  # no Redis on this machine
        if os.environ.get("CI"):
            raise
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {exc}")
    yield cache
    cache.delete_many(["probe", "answer"])


def test_reads_and_writes_share_one_client(redis_cache):
    client = redis_cache._cache.get_client("answer", write=True)

    redis_cache.set("answer", 42)

    assert redis_cache.get("answer") == 42
    assert redis_cache._cache.get_client("answer") is client
