"""A signed-in resident's own issues (``GET /api/v1/my/issues/``)."""

from __future__ import annotations

from rest_framework import permissions
from rest_framework.generics import ListAPIView

from ..selectors import issues_reported_by
from .serializers import MyIssueSerializer


class MyIssuesView(ListAPIView):
    """The issues the signed-in user filed, newest first, with each one's tracking link token.

    Shows only what the tracking page shows: no handlers, no internal notes, no contact.
    """

    serializer_class = MyIssueSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self):
        return issues_reported_by(user=self.request.user)
