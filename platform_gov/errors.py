"""The one error type for a change the workflow refuses, and how each interface shows it.

Every service that changes an issue, an assignment, a request or a rule set raises
:class:`WorkflowError` when the change does not fit the state things are in: a transition the
table does not allow, someone who got there first, a reason left empty, a deadline passed.
``code`` is stable, for programs; ``message`` is translated, for people. The REST API answers
it as ``400 {"detail": message, "code": code}`` (``api_exception_handler``); pages show
``message`` and change nothing. Anything else a service raises is a bug and surfaces as one.

Bad *input* (a field missing or malformed) is Django's ``ValidationError`` naming the field,
raised by forms, serializers or a service's own checks; it is not a ``WorkflowError``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler


class WorkflowError(Exception):
    """A refused change: ``code`` for programs, ``message`` for people.

    ``extra`` adds to the API's error body what a client needs to mend the request (a rule
    set's problems, say).
    """

    def __init__(self, message: str, *, code: str = "not_allowed", extra: dict | None = None):
        super().__init__(message)
        self.message = str(message)
        self.code = code
        self.extra = dict(extra or {})

    def as_body(self) -> dict[str, Any]:
        return {"detail": self.message, "code": self.code, **self.extra}


def field_errors(error: ValidationError) -> dict[str, Any]:
    """Django's ValidationError as the API's field errors (``__all__`` as non_field_errors)."""
    if not hasattr(error, "error_dict"):
        return {"detail": " ".join(error.messages)}
    return {
        ("non_field_errors" if field == "__all__" else field): messages
        for field, messages in error.message_dict.items()
    }


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's handler, plus the platform's own: a refused change and a service's field errors
    answer 400 with the uniform body, never 500."""
    if isinstance(exc, WorkflowError):
        return Response(exc.as_body(), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, ValidationError):
        exc = exceptions.ValidationError(field_errors(exc))
    return exception_handler(exc, context)
