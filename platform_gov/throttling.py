"""Rate limits on what anyone may call without an account, per client address.

Counts live in the cache (Redis in production, shared by every web process). The client
address is ``REMOTE_ADDR`` unless ``TRUSTED_PROXIES`` says how many reverse proxies stand in
front: only then is ``X-Forwarded-For`` read, and only the address the nearest trusted proxy
saw, so a client cannot reset its count by sending a forged header.
"""

from __future__ import annotations

import math

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from rest_framework.throttling import SimpleRateThrottle


class ClientAddressThrottle(SimpleRateThrottle):
    """Counts requests per client address and scope, whoever is signed in."""

    def get_rate(self) -> str | None:
        # Read at each request, so settings (and tests) can change the limits.
        return settings.RATE_LIMITS.get(self.scope)

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class SubmitThrottle(ClientAddressThrottle):
    scope = "submit"


class TrackThrottle(ClientAddressThrottle):
    scope = "track"


class TokenThrottle(ClientAddressThrottle):
    scope = "token"


class SignupThrottle(ClientAddressThrottle):
    scope = "signup"


def page_rate_limit(request: HttpRequest, throttle_class: type[ClientAddressThrottle]):
    """None when the page request may go on; else a 429 page with Retry-After."""
    throttle = throttle_class()
    if throttle.allow_request(request, None):
        return None
    wait = max(1, math.ceil(throttle.wait() or 1))
    response: HttpResponse = render(request, "429.html", {"retry_after": wait}, status=429)
    response["Retry-After"] = str(wait)
    return response
