"""OpenAPI descriptions of the residents' API; the shared ones are ``platform_gov.openapi``."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter

# The token of a resident's link: ``secrets.token_urlsafe``.
ACCESS_TOKEN_PARAMETER = OpenApiParameter(
    "access_token",
    {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"},
    OpenApiParameter.PATH,
    description="The secret token of the resident's tracking link.",
)
