"""``/api/v1/issues/``: residents file (POST, no login); staff list and read the issues they
may see; the dispatcher dispatches, supervises (督办) and merges (并单)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from coordination.dispatch.models import Handoff
from coordination.dispatch.permissions import (
    contact_level,
    issue_for_user,
    issues_visible_to,
    mask_phone,
)
from coordination.dispatch.selectors import issue_assignments, issue_handoffs
from coordination.dispatch.services import merge, routing, supervision
from issues.api.views import issue_submit_response, issue_submit_schema
from issues.models import Attachment, Issue
from issues.services import contact_access_record
from platform_gov.openapi import ERROR_400, ERROR_403, ERROR_404, id_parameter
from platform_gov.throttling import SubmitThrottle

from .assignments import AssignmentSerializer
from .common import ACTION_ERRORS, agency_field, require_dispatcher, valid
from .filters import IssueFilter
from .pagination import CappedCountPagination


class IssueSummarySerializer(serializers.ModelSerializer):
    """An issue in a list: no personal data."""

    category = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Issue
        fields = [
            "id",
            "tracking_number",
            "title",
            "category",
            "status",
            "priority",
            "channel",
            "address",
            "created_at",
        ]


class PhotoSerializer(serializers.ModelSerializer):
    """A resident's photo: ``url`` is the staff's permission-checked view of it."""

    url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "url", "width", "height", "content_type"]

    def get_url(self, attachment: Attachment) -> str:
        path = reverse(
            "coordination:staff_photo",
            kwargs={"issue_id": attachment.issue_id, "photo_id": attachment.pk},
        )
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class IssueDetailSerializer(IssueSummarySerializer):
    """One issue for its handlers. ``context["contact"]`` says how much contact data shows:
    ``full``, ``masked`` (the phone, masked) or ``none``."""

    merged_into = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    contact_name = serializers.SerializerMethodField()
    contact_phone = serializers.SerializerMethodField()
    contact_email = serializers.SerializerMethodField()
    assignments = serializers.SerializerMethodField()
    photos = PhotoSerializer(source="attachments", many=True, read_only=True)

    class Meta(IssueSummarySerializer.Meta):
        fields = [
            *IssueSummarySerializer.Meta.fields,
            "description",
            "lat",
            "lon",
            "anonymous",
            "resolution",
            "redo_count",
            "merged_into",
            "routing_version",
            "routed_at",
            "resolved_at",
            "closed_at",
            "contact_name",
            "contact_phone",
            "contact_email",
            "assignments",
            "photos",
        ]

    def _contact(self) -> str:
        return self.context.get("contact", "none")

    def get_contact_name(self, issue: Issue) -> str | None:
        return issue.contact_name if self._contact() == "full" else None

    def get_contact_email(self, issue: Issue) -> str | None:
        return issue.contact_email if self._contact() == "full" else None

    def get_contact_phone(self, issue: Issue) -> str | None:
        level = self._contact()
        if level == "full":
            return issue.contact_phone
        if level == "masked":
            return mask_phone(issue.contact_phone)
        return None

    def get_assignments(self, issue: Issue) -> list[dict]:
        return AssignmentSerializer(
            self.context.get("assignments", []), many=True, context=self.context
        ).data


class HandoffSerializer(serializers.ModelSerializer):
    from_agency = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    to_agency = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Handoff
        fields = [
            "id",
            "kind",
            "at",
            "assignment",
            "from_agency",
            "to_agency",
            "actor",
            "note",
            "details",
        ]


class DispatchInputSerializer(serializers.Serializer):
    lead = agency_field()
    co_handlers = serializers.ListField(
        child=agency_field(), required=False, default=list, max_length=50
    )
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class EscalateInputSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000)


class MergeInputSerializer(serializers.Serializer):
    into = serializers.PrimaryKeyRelatedField(queryset=Issue.objects.all())


_ISSUE_ID = id_parameter("The issue's id.")


class IssueViewSet(viewsets.GenericViewSet):
    """``/api/v1/issues/``: residents file (POST, no login); staff list and read the issues
    they may see; the dispatcher dispatches, supervises (督办) and merges (并单)."""

    lookup_value_regex = r"\d{1,18}"
    serializer_class = IssueSummarySerializer
    # The list's query filters; drf-spectacular documents them from the FilterSet itself.
    filter_backends = [DjangoFilterBackend]
    filterset_class = IssueFilter
    # The list's count is capped: counting 200,000 visible issues cost more than the page.
    pagination_class = CappedCountPagination

    def get_permissions(self):
        if self.action == "create":
            return [permissions.AllowAny()]
        return [permissions.IsAuthenticated()]

    def get_queryset(self) -> QuerySet[Issue]:
        return issues_visible_to(self.request.user)

    def _issue(self, pk: str) -> Issue:
        return issue_for_user(user=self.request.user, issue_id=int(pk))

    def _dispatcher_issue(self, pk: str) -> Issue:
        require_dispatcher(self.request)
        return self._issue(pk)

    def get_throttles(self):
        # Filing needs no account, so it is limited per client address.
        return [SubmitThrottle()] if self.action == "create" else super().get_throttles()

    @issue_submit_schema
    def create(self, request: Request) -> Response:
        return issue_submit_response(request)

    @extend_schema(
        summary="Issues the user may see, newest first",
        responses={
            200: IssueSummarySerializer(many=True),
            400: ERROR_400,
            403: ERROR_403,
            404: ERROR_404,
        },
    )
    def list(self, request: Request) -> Response:
        issues = self.filter_queryset(
            self.get_queryset().select_related("category").order_by("-created_at", "-id")
        )
        page = self.paginate_queryset(issues)
        return self.get_paginated_response(IssueSummarySerializer(page, many=True).data)

    @extend_schema(
        summary="One issue with its assignments",
        parameters=[_ISSUE_ID],
        responses={200: IssueDetailSerializer, 403: ERROR_403, 404: ERROR_404},
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        """The issue with its assignments; contact data as ``contact_level`` allows."""
        issue = self._issue(pk)
        assignments = list(issue_assignments(issue=issue))
        contact = contact_level(user=request.user, issue=issue, assignments=assignments)
        contact_access_record(user=request.user, issue=issue, level=contact, via="api")
        context = {
            "assignments": assignments,
            "contact": contact,
            "now": timezone.now(),
            "request": request,  # the photos' absolute URLs
        }
        return Response(IssueDetailSerializer(issue, context=context).data)

    @extend_schema(
        summary="The issue's handoff record, oldest first",
        parameters=[_ISSUE_ID],
        responses={200: HandoffSerializer(many=True), 403: ERROR_403, 404: ERROR_404},
    )
    # Not paginated: ``pagination_class=None`` only tells the schema so.
    @action(detail=True, methods=["get"], pagination_class=None)
    def handoffs(self, request: Request, pk: str) -> Response:
        """The full handoff record, oldest first."""
        issue = self._issue(pk)
        return Response(HandoffSerializer(issue_handoffs(issue=issue), many=True).data)

    # Not ``dispatch``: that name is APIView's request handling.
    @extend_schema(
        summary="Dispatch by hand (dispatcher)",
        parameters=[_ISSUE_ID],
        request=DispatchInputSerializer,
        responses={200: IssueDetailSerializer, **ACTION_ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="dispatch", url_name="dispatch")
    def dispatch_by_hand(self, request: Request, pk: str) -> Response:
        """Dispatch by hand: ``lead`` (code), ``co_handlers`` (codes), ``note``."""
        issue = self._dispatcher_issue(pk)
        data = valid(DispatchInputSerializer, request.data)
        routing.issue_dispatch(
            issue_id=issue.pk,
            lead=data["lead"],
            co_handlers=data["co_handlers"],
            actor=request.user,
            note=data["note"],
        )
        return self.retrieve(request, pk)

    @extend_schema(
        summary="Supervise (督办) (dispatcher)",
        parameters=[_ISSUE_ID],
        request=EscalateInputSerializer,
        responses={201: HandoffSerializer, **ACTION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def escalate(self, request: Request, pk: str) -> Response:
        """Supervise (督办): ``note`` says what is expected. 201 with the handoff."""
        issue = self._dispatcher_issue(pk)
        data = valid(EscalateInputSerializer, request.data)
        handoff = supervision.issue_escalate(
            issue_id=issue.pk, actor=request.user, note=data["note"]
        )
        return Response(HandoffSerializer(handoff).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Merge this duplicate into another issue (并单) (dispatcher)",
        parameters=[_ISSUE_ID],
        request=MergeInputSerializer,
        responses={200: IssueDetailSerializer, **ACTION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def merge(self, request: Request, pk: str) -> Response:
        """Merge this duplicate ``into`` (an issue id) the issue that continues."""
        issue = self._dispatcher_issue(pk)
        data = valid(MergeInputSerializer, request.data)
        merge.issue_merge(issue_id=issue.pk, into_id=data["into"].pk, actor=request.user)
        return self.retrieve(request, pk)
