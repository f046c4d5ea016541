"""``GET /api/v1/issues/<id>/similar/``: the open issues that may be the same problem as one
the user may see (并单 candidates), among those the user may see, most alike first."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from coordination.dispatch.permissions import is_dispatcher, issue_for_user, issues_visible_to
from coordination.learning.selectors import similar_issues
from platform_gov.openapi import ERROR_400, ERROR_403, ERROR_404, id_parameter

MAX_LIMIT = 50


class SimilarIssueSerializer(serializers.Serializer):
    """A possible duplicate: the issue (no personal data), how alike the texts are (0-1),
    how far apart the two places are and how many hours apart they were filed."""

    id = serializers.IntegerField(source="issue.pk")
    tracking_number = serializers.CharField(source="issue.tracking_number")
    title = serializers.CharField(source="issue.title")
    status = serializers.CharField(source="issue.status")
    category = serializers.CharField(source="issue.category.code", allow_null=True, default=None)
    created_at = serializers.DateTimeField(source="issue.created_at")
    score = serializers.FloatField()
    distance_m = serializers.FloatField(allow_null=True)
    hours_apart = serializers.SerializerMethodField()

    def get_hours_apart(self, similar) -> float:
        return round(similar.apart.total_seconds() / 3600, 1)


class SimilarQuerySerializer(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, required=False, default=10)


class SimilarIssuesView(APIView):
    @extend_schema(
        summary="Open issues that may be the same problem (duplicates, 并单)",
        description=(
            "Open issues filed within DUPLICATE_DISTANCE_METERS and DUPLICATE_WINDOW_DAYS of "
            "this one whose text is at least DUPLICATE_MIN_SCORE alike, among those the user "
            "may see, most alike first."
        ),
        parameters=[
            id_parameter("The issue's id."),
            OpenApiParameter("limit", int, description=f"At most this many (1-{MAX_LIMIT})."),
        ],
        responses={
            200: SimilarIssueSerializer(many=True),
            400: ERROR_400,
            403: ERROR_403,
            404: ERROR_404,
        },
    )
    def get(self, request: Request, id: int) -> Response:
        issue = issue_for_user(user=request.user, issue_id=id)
        query = SimilarQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        among = None if is_dispatcher(request.user) else issues_visible_to(request.user)
        found = similar_issues(issue=issue, among=among, limit=query.validated_data["limit"])
        return Response(SimilarIssueSerializer(found, many=True).data)
