"""Security glue: the Permissions-Policy header, which Django has no setting for."""

from __future__ import annotations

from django.conf import settings


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
