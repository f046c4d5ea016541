"""What the dispatcher's API views share: input parsing, the dispatcher check, schemas.

A service's refusal (``WorkflowError``) and its field errors need no handling here: the
project's exception handler answers them (``platform_gov.errors.api_exception_handler``).
"""

from __future__ import annotations

from django.http import Http404
from rest_framework import permissions, serializers
from rest_framework.request import Request

from coordination.dispatch.permissions import is_dispatcher
from coordination.dispatch.selectors import dispatchable_agencies
from platform_gov.openapi import ERROR_400, ERROR_403, ERROR_404

# What every action on one object may answer besides its success.
ACTION_ERRORS = {400: ERROR_400, 403: ERROR_403, 404: ERROR_404}


def valid(serializer_class: type[serializers.Serializer], data) -> dict:
    """The validated data, or a 400 naming each field."""
    body = serializer_class(data=data)
    body.is_valid(raise_exception=True)
    return body.validated_data


# The database's ids are positive 64-bit integers: anything else is a field error, never a
# query (PostgreSQL would refuse it with an overflow, a 500).
ID_MAX = 2**63 - 1


def id_field(**kwargs) -> serializers.IntegerField:
    """An object's id given in a body or query (the object itself is looked up after)."""
    return serializers.IntegerField(min_value=1, max_value=ID_MAX, **kwargs)


def agency_field(**kwargs) -> serializers.SlugRelatedField:
    """An agency named by code; unknown, inactive or the dispatch centre → a field error."""
    return serializers.SlugRelatedField(
        slug_field="code", queryset=dispatchable_agencies(), **kwargs
    )


class IsDispatcher(permissions.BasePermission):
    """For the dispatcher's lists (403 for others); their objects answer 404 instead."""

    def has_permission(self, request, view) -> bool:
        return is_dispatcher(request.user)


def require_dispatcher(request: Request) -> None:
    """The dispatcher's acts on one object: 404 for anyone else (nothing leaks)."""
    if not is_dispatcher(request.user):
        raise Http404("No such object.")
