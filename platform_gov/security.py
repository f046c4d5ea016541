"""Security glue: the client address the lock-out counts by, Permissions-Policy, the token view.

Sign-in lock-out is django-axes (settings ``AXES_*``). Axes must count failures per client
address exactly as the rate limits do (``platform_gov.throttling``): ``REMOTE_ADDR`` unless
``TRUSTED_PROXIES`` says how many proxies stand in front, so a forged ``X-Forwarded-For`` cannot
give an attacker a fresh count. Axes handles the sign-in page in its middleware; DRF's token
endpoint answers JSON, so its lock-out is answered here.
"""

from __future__ import annotations

import ipaddress
import math

from axes.helpers import get_cool_off, get_lockout_message
from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.http import HttpRequest
from rest_framework import status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle

from .throttling import TokenThrottle


def client_ip_address(request: HttpRequest) -> str | None:
    """The client's address as the rate limits see it; ``AXES_CLIENT_IP_CALLABLE``.

    DRF's ``get_ident`` is the throttles' own logic (``NUM_PROXIES`` = ``TRUSTED_PROXIES``).
    Axes stores the address in an IP field, so anything that is not an address (a proxy
    passing on garbage) falls back to the connection's address.
    """
    ident = BaseThrottle().get_ident(request)
    try:
        return str(ipaddress.ip_address(ident))
    except ValueError:
        return request.META.get("REMOTE_ADDR")


class PermissionsPolicyMiddleware:
    """Adds ``Permissions-Policy`` (settings.PERMISSIONS_POLICY) to every response.

    Django has no setting for this header. A feature listed with no origins is switched off
    for the page and anything it embeds.
    https://developer.mozilla.org/docs/Web/HTTP/Reference/Headers/Permissions-Policy
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.header = ", ".join(
            f"{feature}=({' '.join(origins)})"
            for feature, origins in settings.PERMISSIONS_POLICY.items()
        )

    def __call__(self, request):
        response = self.get_response(request)
        if self.header:
            response.headers.setdefault("Permissions-Policy", self.header)
        return response


class TokenView(ObtainAuthToken):
    """``POST /api/v1/auth/token/``: ``username`` and ``password`` give ``{"token": ...}``.

    Locked out like the sign-in page: once axes locks the username and address, the answer
    is 429 ``{"detail": ...}`` with Retry-After, even for the right password. A token obtained
    counts as a successful sign-in, so it clears the earlier failures as the page does.
    """

    throttle_classes = [TokenThrottle]

    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        if not serializer.is_valid():
            # authenticate() ran on this request: axes marked it when the user is locked out.
            if getattr(request, "axes_locked_out", False):
                return locked_out_response()
            raise ValidationError(serializer.errors)
        user = serializer.validated_data["user"]
        user_logged_in.send(sender=type(user), request=request, user=user)
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


def locked_out_response() -> Response:
    cool_off = get_cool_off()
    response = Response(
        {"detail": str(get_lockout_message())}, status=status.HTTP_429_TOO_MANY_REQUESTS
    )
    if cool_off:
        response["Retry-After"] = str(math.ceil(cool_off.total_seconds()))
    return response
