"""Rate limits on what anyone may call without an account, per client address.

Counts live in the cache (Redis in production, shared by every web process). The client
address is ``REMOTE_ADDR`` unless ``TRUSTED_PROXIES`` says how many reverse proxies stand in
front: only then is ``X-Forwarded-For`` read, and only the address the nearest trusted proxy
saw, so a client cannot reset its count by sending a forged header.

Filing never depends on Redis: when the shared cache cannot be reached, the counts fall back
to a cache of this process's own (:class:`ResilientCache`), with a logged warning, so a
resident is still limited (per web process) and never answered with a 500.
"""

from __future__ import annotations

import logging
import math
import time
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache as shared_cache
from django.core.cache.backends.locmem import LocMemCache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from rest_framework.throttling import SimpleRateThrottle

logger = logging.getLogger(__name__)

# After a failure the shared cache is not asked again for this long: while Redis is down each
# request would otherwise wait for its connection to fail.
RETRY_SHARED_AFTER_SECONDS = 5.0


class ResilientCache:
    """The shared cache (Redis), or this process's own in-memory cache while it fails.

    Only what the request path needs to keep counting (get, set, add, incr, delete). Every
    failure is logged as a warning and answered from the local cache, which keeps counting
    until the shared one answers again (counts then restart from the shared cache's)."""

    def __init__(self, shared=shared_cache) -> None:
        self.shared = shared
        self.local = LocMemCache("platform-gov-fallback", {"OPTIONS": {"MAX_ENTRIES": 10000}})
        self._down_until = 0.0

    def _call(self, method: str, *args, **kwargs):
        if time.monotonic() >= self._down_until:
            try:
                return getattr(self.shared, method)(*args, **kwargs)
            except Exception:
                self._down_until = time.monotonic() + RETRY_SHARED_AFTER_SECONDS
                logger.warning(
                    "cache unavailable: counting in this process (%s)", method, exc_info=True
                )
        return getattr(self.local, method)(*args, **kwargs)

    def get(self, key, default=None):
        return self._call("get", key, default)

    def set(self, key, value, timeout=None):
        return self._call("set", key, value, timeout)

    def add(self, key, value, timeout=None):
        return self._call("add", key, value, timeout)

    def delete(self, key):
        return self._call("delete", key)

    def incr(self, key, delta=1):
        try:
            return self._call("incr", key, delta)
        except ValueError:  # the key lived in the other cache: start again from 0
            self._call("set", key, delta, 3600)
            return delta

    def window_hit(
        self, key: str, *, now: float, duration: float, limit: int, count: bool = True
    ) -> tuple[bool, int, float | None]:
        """``sliding_window_hit`` on the shared cache, or on the local one while it fails."""
        if time.monotonic() >= self._down_until:
            try:
                return sliding_window_hit(
                    self.shared, key, now=now, duration=duration, limit=limit, count=count
                )
            except Exception:
                self._down_until = time.monotonic() + RETRY_SHARED_AFTER_SECONDS
                logger.warning(
                    "cache unavailable: counting in this process (window)", exc_info=True
                )
        return sliding_window_hit(
            self.local, key, now=now, duration=duration, limit=limit, count=count
        )

    def clear_local(self) -> None:
        self._down_until = 0.0
        self.local.clear()


def sliding_window_hit(
    cache, key: str, *, now: float, duration: float, limit: int, count: bool = True
) -> tuple[bool, int, float | None]:
    """Whether a request at ``now`` is within ``limit`` requests in the ``duration`` seconds
    before it under ``key`` (DRF's sliding window: a refused request is not counted), counting
    it when it is and ``count``; with how many the window then holds and the time of the
    oldest (None: empty). The site's Redis cache does it in one round trip
    (``platform_gov.redis_cache``); any other cache keeps the times in one entry, read and
    written again."""
    if hasattr(cache, "sliding_window_hit"):
        return cache.sliding_window_hit(key, now=now, duration=duration, limit=limit, count=count)
    history = [t for t in cache.get(key, []) if t > now - duration]  # newest first
    allowed = len(history) < limit
    if allowed and count:
        history.insert(0, now)
        cache.set(key, history, duration)
    return allowed, len(history), (history[-1] if history else None)


resilient_cache = ResilientCache()


class ClientAddressThrottle(SimpleRateThrottle):
    """Counts requests per client address and scope, whoever is signed in."""

    cache = resilient_cache

    def get_rate(self) -> str | None:
        # Read at each request, so settings (and tests) can change the limits.
        return settings.RATE_LIMITS.get(self.scope)

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def allow_request(self, request, view, *, count: bool = True) -> bool:
        """DRF's sliding window, checked and counted in one call to the cache
        (``ResilientCache.window_hit``). ``count=False`` only asks."""
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        self.now = self.timer()
        allowed, self._held, self._oldest = self.cache.window_hit(
            self.key, now=self.now, duration=self.duration, limit=self.num_requests, count=count
        )
        return allowed

    def wait(self) -> float | None:
        """As DRF's: the time until the oldest request leaves the window, shared among the
        requests still available (all of it when none is)."""
        remaining = (
            self.duration - (self.now - self._oldest) if self._oldest is not None else self.duration
        )
        available = self.num_requests - self._held + 1
        return remaining / available if available > 0 else None


class SubmitThrottle(ClientAddressThrottle):
    scope = "submit"


class TrackThrottle(ClientAddressThrottle):
    scope = "track"


class TokenThrottle(ClientAddressThrottle):
    scope = "token"


class SignupThrottle(ClientAddressThrottle):
    scope = "signup"


class TrackNumberThrottle(ClientAddressThrottle):
    """Finding an issue by its tracking number and a second factor (four digits of a phone):
    few tries per address, so the digits cannot be guessed."""

    scope = "track_number"


def page_rate_limit(request: HttpRequest, throttle_class: type[ClientAddressThrottle]):
    """None when the page request may go on (and it is counted); else a 429 page with
    Retry-After."""
    throttle = throttle_class()
    if throttle.allow_request(request, None):
        return None
    return too_many_requests(request, max(1, math.ceil(throttle.wait() or 1)))


def rate_limit_wait(request: HttpRequest, throttle_class: type[ClientAddressThrottle]) -> int:
    """Seconds until the client may act again under ``throttle_class`` (0: now), counting
    nothing: pages count only what really happened (``rate_limit_count``), so a form sent
    back for its errors does not use up the limit."""
    throttle = throttle_class()
    if throttle.allow_request(request, None, count=False):
        return 0
    return max(1, math.ceil(throttle.wait() or 1))


def rate_limit_count(request: HttpRequest, throttle_class: type[ClientAddressThrottle]) -> None:
    """Count one use against ``throttle_class``'s limit (after the act succeeded)."""
    throttle_class().allow_request(request, None)


def too_many_requests(
    request: HttpRequest, wait: int, *, template: str = "429.html", context: dict | None = None
) -> HttpResponse:
    """A 429 page saying when to try again (in minutes, and the time), with Retry-After.

    ``template`` and ``context`` let a form page answer with the form as it was typed."""
    when = timezone.localtime(timezone.now() + timedelta(seconds=wait))
    response: HttpResponse = render(
        request,
        template,
        {
            **(context or {}),
            "retry_after": wait,
            "retry_minutes": max(1, math.ceil(wait / 60)),
            "retry_at": when,
        },
        status=429,
    )
    response["Retry-After"] = str(wait)
    return response
