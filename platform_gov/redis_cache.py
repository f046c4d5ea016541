"""Django's Redis cache, with one redis-py client per connection pool instead of one per call,
and a sliding-window counter for the rate limits in one round trip.

Django's ``RedisCacheClient.get_client`` builds a new ``redis.Redis`` for every cache call;
each build fills the client's table of about 80 response callbacks, a tenth of a millisecond
that the rate limit of every public page paid twice. A ``redis.Redis`` is safe to share between
threads (its connections come from the pool, which also starts afresh in a forked process),
so one per pool is kept and reused. Everything else is Django's.
"""

from __future__ import annotations

import secrets

from django.core.cache.backends.redis import RedisCache, RedisCacheClient

# A sliding window of requests, checked and counted in one round trip: the requests of the
# last ``duration`` seconds are the members of a sorted set, scored by their time.
_WINDOW_SCRIPT = """
local key = KEYS[1]
local now = tonumber(ARGV[1])
local duration = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - duration)
local size = redis.call('ZCARD', key)
local allowed = size < limit
if allowed and ARGV[4] == '1' then
  redis.call('ZADD', key, now, ARGV[5])
  redis.call('PEXPIRE', key, math.ceil(duration * 1000))
  size = size + 1
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')[2]
return {allowed and 1 or 0, size, oldest or false}
"""


class ReusedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, servers, **options) -> None:
        super().__init__(servers, **options)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            if index not in self._pools:
                self._pools[index] = self._pool_class.from_url(
                    self._servers[index], **self._pool_options
                )
            client = self._clients[index] = self._client(connection_pool=self._pools[index])
        return client


class ReusedClientRedisCache(RedisCache):
    """``django.core.cache.backends.redis.RedisCache`` whose clients are reused."""

    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient
        self._window_scripts: dict[int, object] = {}

    def sliding_window_hit(
        self, key: str, *, now: float, duration: float, limit: int, count: bool = True
    ) -> tuple[bool, int, float | None]:
        """Whether a request at ``now`` is within ``limit`` requests in ``duration`` seconds
        under ``key``, counting it when it is and ``count``; with how many the window holds
        then and the time of its oldest (None: empty). What
        ``platform_gov.throttling.sliding_window_hit`` does with two calls to any cache, in
        one script run by Redis: the check and the count cannot interleave with another
        process's."""
        client = self._cache.get_client(key, write=True)
        script = self._window_scripts.get(id(client))
        if script is None:
            script = self._window_scripts[id(client)] = client.register_script(_WINDOW_SCRIPT)
        allowed, size, oldest = script(
            keys=[self.make_and_validate_key(f"window:{key}")],
            args=[repr(now), repr(float(duration)), limit, int(count), secrets.token_hex(8)],
        )
        return bool(allowed), int(size), (float(oldest) if oldest else None)
