"""OpenAPI descriptions shared by every app's API views (drf-spectacular); no behaviour here.

API.md's rules, as the schema states them: errors answer ``{"detail": "..."}`` or field
errors ``{"field": ["message"]}`` with 400; objects a user may not see answer 404, never 403.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

DETAIL_SCHEMA = {
    "type": "object",
    "properties": {
        "detail": {"type": "string"},
        "code": {
            "type": "string",
            "description": "For a refused change: a stable code, e.g. `not_resolved`.",
        },
    },
    "required": ["detail"],
}

# ``{"field": ["message"]}``; a nested input (a list of codes, the simulator's ``issue``)
# nests its errors by index or by field. ``non_field_errors`` holds errors of the whole body.
FIELD_ERRORS_SCHEMA = {
    "type": "object",
    "additionalProperties": {
        "anyOf": [
            {"type": "array", "items": {"type": "string"}},
            {"type": "object"},
        ]
    },
}

ERROR_400 = OpenApiResponse(
    {"anyOf": [DETAIL_SCHEMA, FIELD_ERRORS_SCHEMA]},
    description='Field errors `{"field": ["message"]}`, or `{"detail": "..."}` when the '
    "request was understood but refused (a malformed body, an action not allowed now).",
)
ERROR_403 = OpenApiResponse(
    DETAIL_SCHEMA,
    description="Not logged in, or the user's role may not use this endpoint at all.",
)
ERROR_404 = OpenApiResponse(
    DETAIL_SCHEMA,
    description="No such object, or one the user may not see (404, never 403).",
)
ERROR_429 = OpenApiResponse(
    DETAIL_SCHEMA,
    description="Too many requests from this client address; the `Retry-After` header says "
    "how many seconds to wait.",
)


def id_parameter(description: str) -> OpenApiParameter:
    """A numeric object id in the path (the routes accept 1 to 18 digits)."""
    return OpenApiParameter(
        "id",
        {"type": "integer", "minimum": 0, "maximum": 10**18 - 1},
        OpenApiParameter.PATH,
        description=description,
    )
