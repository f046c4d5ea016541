"""``/api/v1/assignments/``: the user's organisations' assignments and what staff do with them."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from coordination.dispatch.models import Assignment, CoordinationRequest
from coordination.dispatch.permissions import assignment_for_user
from coordination.dispatch.selectors import agency_queue
from coordination.dispatch.services import assignments, requests
from platform_gov.openapi import ERROR_400, ERROR_403, ERROR_404, id_parameter

from .common import ACTION_ERRORS, agency_field, valid
from .requests import CoordinationRequestSerializer


class AssignmentSerializer(serializers.ModelSerializer):
    agency = serializers.SlugRelatedField(slug_field="code", read_only=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Assignment
        fields = [
            "id",
            "issue",
            "agency",
            "role",
            "status",
            "response_due_at",
            "due_at",
            "accepted_at",
            "done_at",
            "resolution",
            "summoned",
            "redo",
            "extended",
            "overdue",
        ]

    def get_overdue(self, assignment: Assignment) -> bool:
        return assignment.is_overdue(self.context.get("now"))


class QueueAssignmentSerializer(AssignmentSerializer):
    """An assignment in an agency's queue, with what identifies its issue."""

    tracking_number = serializers.CharField(source="issue.tracking_number", read_only=True)
    title = serializers.CharField(source="issue.title", read_only=True)
    category = serializers.SlugRelatedField(
        source="issue.category", slug_field="code", read_only=True, allow_null=True
    )
    issue_status = serializers.CharField(source="issue.status", read_only=True)

    class Meta(AssignmentSerializer.Meta):
        fields = [
            *AssignmentSerializer.Meta.fields,
            "tracking_number",
            "title",
            "category",
            "issue_status",
        ]


class QueueFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[
            Assignment.Status.PENDING,
            Assignment.Status.ACCEPTED,
            Assignment.Status.DONE,
        ],
        required=False,
    )


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class TransferInputSerializer(ReasonSerializer):
    suggested_agency = agency_field(required=False, allow_null=True)


class AgenciesInputSerializer(ReasonSerializer):
    agencies = serializers.ListField(child=agency_field(), allow_empty=False, max_length=50)


class ExtensionInputSerializer(ReasonSerializer):
    until = serializers.DateTimeField()


class ReplyInputSerializer(serializers.Serializer):
    message = serializers.CharField(max_length=5000)
    public = serializers.BooleanField(required=False, default=False)
    published = serializers.BooleanField(
        required=False,
        default=False,
        help_text=(
            "With `public`: the public may read the reply too (Open311's updates, the "
            "tracking page of a report merged into this one)."
        ),
    )


class ResolveInputSerializer(serializers.Serializer):
    resolution = serializers.CharField(max_length=5000)
    published = serializers.BooleanField(
        required=False,
        default=False,
        help_text="The lead's resolution may be read by the public too (Open311's status notes).",
    )


_ASSIGNMENT_ID = id_parameter("The assignment's id.")
_SUMMONED = inline_serializer(
    "WhistleSummoned", fields={"summoned": AssignmentSerializer(many=True)}
)


class AssignmentViewSet(viewsets.GenericViewSet):
    """The user's agencies' assignments and what their staff do with them.

    Besides API.md's actions, ``POST /api/v1/assignments/<id>/appeal/`` with ``reason``
    lets the lead appeal the latest rating of its resolution as unfair (an ``appeal``
    coordination request the dispatcher decides). Requests answer 201 with the request;
    ``whistle`` answers 201 with the summoned assignments; the rest answer 200 with the
    assignment. An assignment of another agency answers 404.
    """

    lookup_value_regex = r"\d{1,18}"
    serializer_class = AssignmentSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_object(self) -> Assignment:
        return assignment_for_user(user=self.request.user, assignment_id=int(self.kwargs["pk"]))

    def _answer(self, assignment_id: int) -> Response:
        assignment = Assignment.objects.select_related("agency").get(pk=assignment_id)
        return Response(AssignmentSerializer(assignment).data)

    def _requested(self, request_: CoordinationRequest) -> Response:
        return Response(
            CoordinationRequestSerializer(request_).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="The agencies' queue, soonest deadline first",
        parameters=[QueueFilterSerializer],
        responses={
            200: QueueAssignmentSerializer(many=True),
            400: ERROR_400,
            403: ERROR_403,
            404: ERROR_404,
        },
    )
    def list(self, request: Request) -> Response:
        """``?status=pending|accepted|done``: the queue, soonest deadline first."""
        wanted = valid(QueueFilterSerializer, request.query_params).get("status")
        queue = agency_queue(user=request.user, include_done=wanted == Assignment.Status.DONE)
        if wanted:
            queue = queue.filter(status=wanted)
        page = self.paginate_queryset(queue)
        serializer = QueueAssignmentSerializer(page, many=True, context={"now": timezone.now()})
        return self.get_paginated_response(serializer.data)

    @extend_schema(
        summary="One assignment",
        parameters=[_ASSIGNMENT_ID],
        responses={200: AssignmentSerializer, 403: ERROR_403, 404: ERROR_404},
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(AssignmentSerializer(self.get_object()).data)

    @extend_schema(
        summary="Sign for it (签收)",
        parameters=[_ASSIGNMENT_ID],
        request=None,
        responses={200: AssignmentSerializer, **ACTION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str) -> Response:
        """Sign for it (签收): the resolution clock starts."""
        assignment = self.get_object()
        assignments.assignment_accept(assignment_id=assignment.pk, actor=request.user)
        return self._answer(assignment.pk)

    @extend_schema(
        summary="Resolve it",
        parameters=[_ASSIGNMENT_ID],
        request=ResolveInputSerializer,
        responses={200: AssignmentSerializer, **ACTION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str) -> Response:
        """Done, with ``resolution``; the issue is resolved when its lead assignment is."""
        assignment = self.get_object()
        data = valid(ResolveInputSerializer, request.data)
        assignments.assignment_resolve(
            assignment_id=assignment.pk,
            actor=request.user,
            resolution=data["resolution"],
            published=data["published"],
        )
        return self._answer(assignment.pk)

    @extend_schema(
        summary="A note to the resident or the other handlers",
        parameters=[_ASSIGNMENT_ID],
        request=ReplyInputSerializer,
        responses={200: AssignmentSerializer, **ACTION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def reply(self, request: Request, pk: str) -> Response:
        """``message`` to the resident (``public``: true) or to the other handlers."""
        assignment = self.get_object()
        data = valid(ReplyInputSerializer, request.data)
        assignments.assignment_reply(
            assignment_id=assignment.pk,
            actor=request.user,
            message=data["message"],
            public=data["public"],
            published=data["published"],
        )
        return self._answer(assignment.pk)

    @extend_schema(
        summary="Ask to return it (退单)",
        parameters=[_ASSIGNMENT_ID],
        request=ReasonSerializer,
        responses={201: CoordinationRequestSerializer, **ACTION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def bounce(self, request: Request, pk: str) -> Response:
        """Ask to return it (退单) with ``reason``; the dispatcher decides."""
        assignment = self.get_object()
        data = valid(ReasonSerializer, request.data)
        return self._requested(
            requests.assignment_request_bounce(
                assignment_id=assignment.pk,
                actor=request.user,
                reason=data["reason"],
            )
        )

    @extend_schema(
        summary="Ask the dispatcher to move it (转办)",
        parameters=[_ASSIGNMENT_ID],
        request=TransferInputSerializer,
        responses={201: CoordinationRequestSerializer, **ACTION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def transfer(self, request: Request, pk: str) -> Response:
        """Ask the dispatcher to move it (转办): ``reason``, ``suggested_agency`` (code)."""
        assignment = self.get_object()
        data = valid(TransferInputSerializer, request.data)
        suggested = data.get("suggested_agency")
        return self._requested(
            requests.assignment_request_transfer(
                assignment_id=assignment.pk,
                actor=request.user,
                reason=data["reason"],
                suggested_agency=suggested.code if suggested else "",
            )
        )

    @extend_schema(
        summary="Ask for co-handlers (协办)",
        parameters=[_ASSIGNMENT_ID],
        request=AgenciesInputSerializer,
        responses={201: CoordinationRequestSerializer, **ACTION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def cohandle(self, request: Request, pk: str) -> Response:
        """Ask for co-handlers (协办): ``agencies`` (codes), ``reason``."""
        assignment = self.get_object()
        data = valid(AgenciesInputSerializer, request.data)
        return self._requested(
            requests.assignment_request_cohandlers(
                assignment_id=assignment.pk,
                actor=request.user,
                agencies=[a.code for a in data["agencies"]],
                reason=data["reason"],
            )
        )

    @extend_schema(
        summary="Summon departments (吹哨报到)",
        parameters=[_ASSIGNMENT_ID],
        request=AgenciesInputSerializer,
        responses={201: _SUMMONED, **ACTION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def whistle(self, request: Request, pk: str) -> Response:
        """A street office summons departments (吹哨报到): ``agencies`` (codes), ``reason``.

        201 ``{"summoned": [assignments]}``: each with the short whistle deadline.
        """
        assignment = self.get_object()
        data = valid(AgenciesInputSerializer, request.data)
        summoned = assignments.assignment_whistle(
            assignment_id=assignment.pk,
            actor=request.user,
            agencies=[a.code for a in data["agencies"]],
            reason=data["reason"],
        )
        return Response(
            {"summoned": AssignmentSerializer(summoned, many=True).data},
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        summary="Ask for more time (延期)",
        parameters=[_ASSIGNMENT_ID],
        request=ExtensionInputSerializer,
        responses={201: CoordinationRequestSerializer, **ACTION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def extension(self, request: Request, pk: str) -> Response:
        """Ask for more time (延期): ``until`` (ISO 8601), ``reason``."""
        assignment = self.get_object()
        data = valid(ExtensionInputSerializer, request.data)
        return self._requested(
            requests.assignment_request_extension(
                assignment_id=assignment.pk,
                actor=request.user,
                until=data["until"],
                reason=data["reason"],
            )
        )

    @extend_schema(
        summary="Appeal the latest rating as unfair",
        parameters=[_ASSIGNMENT_ID],
        request=ReasonSerializer,
        responses={201: CoordinationRequestSerializer, **ACTION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def appeal(self, request: Request, pk: str) -> Response:
        """Appeal the latest rating as unfair (our addition to API.md): ``reason``."""
        assignment = self.get_object()
        data = valid(ReasonSerializer, request.data)
        return self._requested(
            requests.feedback_appeal(
                assignment_id=assignment.pk,
                actor=request.user,
                reason=data["reason"],
            )
        )
