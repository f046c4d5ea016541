"""The site's Redis cache keeps one redis-py client per server and still behaves as Django's:
values round-trip, counters count, and a Redis that goes away and comes back (empty) is used
again without restarting the process."""

from __future__ import annotations

import pytest
import redis

from platform_gov.redis_cache import ReusedClientRedisCache
from tests.own_redis import OwnRedis

pytestmark = pytest.mark.services


@pytest.fixture
def own_redis(tmp_path):
    server = OwnRedis(tmp_path)
    server.start()
    yield server
    server.stop()


def _cache(url: str) -> ReusedClientRedisCache:
    return ReusedClientRedisCache(url, {"KEY_PREFIX": "t"})


def test_the_client_is_built_once_and_reused(own_redis):
    cache = _cache(own_redis.url)

    first = cache._cache.get_client("a")
    assert cache._cache.get_client("b", write=True) is first
    assert isinstance(first, redis.Redis)


def test_it_answers_as_djangos_redis_cache(own_redis):
    cache = _cache(own_redis.url)

    cache.set("history", [3.5, 2.0], 60)
    assert cache.get("history") == [3.5, 2.0]
    assert cache.add("count", 0, 60) is True
    assert cache.add("count", 5, 60) is False
    assert cache.incr("count") == 1
    assert cache.incr("count", 4) == 5
    cache.delete("count")
    assert cache.get("count", "gone") == "gone"
    with pytest.raises(ValueError):
        cache.incr("never-set")


def test_a_redis_restart_is_survived_by_the_same_client(own_redis):
    cache = _cache(own_redis.url)
    cache.set("k", "before", 60)
    client = cache._cache.get_client("k")

    own_redis.stop()
    with pytest.raises(redis.ConnectionError):
        cache.get("k")
    own_redis.start()

    assert cache.get("k") is None  # no persistence: it came back empty
    cache.set("k", "after", 60)
    assert cache.get("k") == "after"
    assert cache._cache.get_client("k") is client
