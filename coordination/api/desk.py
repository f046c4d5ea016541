"""The call-takers' console in the API (operators and the dispatcher):

- ``GET /api/v1/desk/callers/?phone=``: the caller's earlier issues, newest first;
- ``POST /api/v1/desk/answers/``: record a call answered on the spot (直接办结): filed with
  its channel (phone by default) and closed at once with the answer and the article used.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from coordination.desk.selectors import caller_issues
from coordination.desk.services import DESK_CHANNELS, desk_answer
from coordination.dispatch.permissions import can_use_desk
from issues.models import Category, Issue
from platform_gov.errors import field_errors
from platform_gov.openapi import ERROR_400, ERROR_403

from .common import id_field, valid


class IsOperator(permissions.BasePermission):
    """The hotline's operators and the dispatcher."""

    def has_permission(self, request, view) -> bool:
        return can_use_desk(request.user)


class CallerIssueSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    tracking_number = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField()
    open = serializers.BooleanField(source="is_open")
    category = serializers.CharField(source="category.code", allow_null=True, default=None)
    channel = serializers.CharField()
    created_at = serializers.DateTimeField()


class CallerQuerySerializer(serializers.Serializer):
    phone = serializers.CharField(max_length=32)


class CallerIssuesView(APIView):
    permission_classes = [permissions.IsAuthenticated, IsOperator]

    @extend_schema(
        summary="A caller's earlier issues, by phone number (operators)",
        parameters=[CallerQuerySerializer],
        responses={200: CallerIssueSerializer(many=True), 400: ERROR_400, 403: ERROR_403},
    )
    def get(self, request: Request) -> Response:
        query = valid(CallerQuerySerializer, request.query_params)
        return Response(CallerIssueSerializer(caller_issues(query["phone"]), many=True).data)


class AnswerOnTheSpotSerializer(serializers.Serializer):
    contact_phone = serializers.CharField(max_length=32)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=5000, required=False, default="")
    category = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Category.objects.filter(active=True),
        required=False,
        allow_null=True,
        default=None,
    )
    address = serializers.CharField(max_length=300, required=False, default="")
    contact_name = serializers.CharField(max_length=100, required=False, default="")
    channel = serializers.ChoiceField(
        choices=[(c, label) for c, label in Issue.Channel.choices if c in DESK_CHANNELS],
        default=Issue.Channel.PHONE,
    )
    answer = serializers.CharField(max_length=5000, required=False, default="")
    article = id_field(required=False, allow_null=True, default=None)


class AnsweredSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    tracking_number = serializers.CharField()
    status = serializers.CharField()
    answered_at_first_contact = serializers.BooleanField()
    resolution = serializers.CharField()


class AnswerOnTheSpotView(APIView):
    permission_classes = [permissions.IsAuthenticated, IsOperator]

    @extend_schema(
        summary="Record a call answered on the spot (直接办结): filed and closed at once",
        request=AnswerOnTheSpotSerializer,
        responses={201: AnsweredSerializer, 400: ERROR_400, 403: ERROR_403},
    )
    def post(self, request: Request) -> Response:
        data = dict(valid(AnswerOnTheSpotSerializer, request.data))
        article_id = data.pop("article")
        answer = data.pop("answer")
        try:
            issue = desk_answer(actor=request.user, answer=answer, article_id=article_id, **data)
        except ValidationError as error:
            return Response(field_errors(error), status=status.HTTP_400_BAD_REQUEST)
        return Response(AnsweredSerializer(issue).data, status=status.HTTP_201_CREATED)
