"""The rate limits' sliding window (DRF's: the requests of the last ``duration`` seconds, a
refused one not counted), on the site's Redis cache (one script, one round trip) and on any
other cache (one entry read and written again): both answer alike, request for request."""

from __future__ import annotations

import random

import pytest
from django.core.cache.backends.locmem import LocMemCache

from platform_gov.redis_cache import ReusedClientRedisCache
from platform_gov.throttling import sliding_window_hit
from tests.own_redis import OwnRedis

T0 = 1_800_000_000.123456


@pytest.fixture(scope="module")
def own_redis(tmp_path_factory):
    server = OwnRedis(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(params=["locmem", pytest.param("redis", marks=pytest.mark.services)])
def cache(request):
    if request.param == "locmem":
        return LocMemCache(f"window-{random.random()}", {})
    redis = request.getfixturevalue("own_redis")
    backend = ReusedClientRedisCache(redis.url, {"KEY_PREFIX": f"w{random.random()}"})
    assert hasattr(backend, "sliding_window_hit")
    return backend


def hit(cache, at: float, *, limit: int = 3, duration: float = 60, count: bool = True):
    return sliding_window_hit(cache, "k", now=at, duration=duration, limit=limit, count=count)


def test_up_to_the_limit_then_refused_and_a_refusal_is_not_counted(cache):
    assert hit(cache, T0) == (True, 1, T0)
    assert hit(cache, T0 + 1) == (True, 2, T0)
    assert hit(cache, T0 + 2) == (True, 3, T0)
    assert hit(cache, T0 + 3) == (False, 3, T0)
    assert hit(cache, T0 + 59) == (False, 3, T0)
    # The first request leaves the window at exactly T0 + 60: one place again.
    assert hit(cache, T0 + 60) == (True, 3, T0 + 1)
    assert hit(cache, T0 + 60.5) == (False, 3, T0 + 1)


def test_asking_counts_nothing(cache):
    assert hit(cache, T0, count=False) == (True, 0, None)
    assert hit(cache, T0, limit=1) == (True, 1, T0)
    assert hit(cache, T0 + 1, limit=1, count=False) == (False, 1, T0)
    assert hit(cache, T0 + 61, limit=1, count=False) == (True, 0, None)


def test_keys_and_windows_are_apart(cache):
    for n in range(3):
        hit(cache, T0 + n)
    assert sliding_window_hit(cache, "other", now=T0 + 3, duration=60, limit=3)[0] is True
    assert hit(cache, T0 + 3)[0] is False


@pytest.mark.services
def test_both_caches_answer_alike_for_a_random_run_of_requests(own_redis):
    locmem = LocMemCache("window-alike", {})
    redis = ReusedClientRedisCache(own_redis.url, {"KEY_PREFIX": "alike"})
    rng = random.Random(12345)
    at = T0
    for _ in range(400):
        at += rng.choice([0.001, 0.5, 3, 7, 20])
        count = rng.random() < 0.9
        limit = rng.choice([2, 5])
        assert hit(redis, at, limit=limit, duration=30, count=count) == hit(
            locmem, at, limit=limit, duration=30, count=count
        )


def test_the_throttle_says_when_the_oldest_request_leaves_the_window(settings, rf):
    import time_machine

    from platform_gov.throttling import TrackThrottle, rate_limit_wait

    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "track": "2/minute"}
    request = rf.get("/track/x/", REMOTE_ADDR="192.0.2.7")
    with time_machine.travel(T0, tick=False) as clock:
        assert TrackThrottle().allow_request(request, None)
        clock.shift(10)
        assert TrackThrottle().allow_request(request, None)
        clock.shift(10)
        throttle = TrackThrottle()
        assert not throttle.allow_request(request, None)
        assert throttle.wait() == pytest.approx(40)
        assert rate_limit_wait(request, TrackThrottle) == 40
        clock.shift(40)  # the first leaves the window
        assert rate_limit_wait(request, TrackThrottle) == 0
        assert TrackThrottle().allow_request(request, None)
        assert not TrackThrottle().allow_request(request, None)


@pytest.mark.services
def test_on_redis_requests_at_once_never_pass_the_limit_together(own_redis):
    """Checking and counting are one step in Redis: twenty requests at the same moment, from
    as many threads, and exactly the limit of them pass (a read, then a write, let several
    read the same count)."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    redis = ReusedClientRedisCache(own_redis.url, {"KEY_PREFIX": "together"})
    start = Barrier(20)

    def one(n: int) -> bool:
        start.wait()
        return hit(redis, T0 + n / 1000, limit=5)[0]

    with ThreadPoolExecutor(20) as pool:
        passed = list(pool.map(one, range(20)))
    assert passed.count(True) == 5
