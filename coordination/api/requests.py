"""``/api/v1/coordination-requests/`` and ``/api/v1/dispatch/queue/``: what waits for the
dispatcher, and its decisions."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from coordination.dispatch.models import CoordinationRequest
from coordination.dispatch.permissions import is_dispatcher, request_for_user
from coordination.dispatch.services import requests
from platform_gov.openapi import ERROR_400, ERROR_403, ERROR_404, id_parameter

from .common import ACTION_ERRORS, agency_field, valid


class CoordinationRequestSerializer(serializers.ModelSerializer):
    tracking_number = serializers.CharField(source="issue.tracking_number", read_only=True)
    agency = serializers.SlugRelatedField(
        source="assignment.agency", slug_field="code", read_only=True
    )
    requested_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    decided_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = CoordinationRequest
        fields = [
            "id",
            "kind",
            "status",
            "reason",
            "payload",
            "issue",
            "tracking_number",
            "assignment",
            "agency",
            "requested_by",
            "requested_at",
            "decided_by",
            "decided_at",
            "decision_note",
        ]


class RequestFilterSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=CoordinationRequest.Kind.choices, required=False)
    status = serializers.ChoiceField(
        choices=CoordinationRequest.Status.choices,
        required=False,
        default=CoordinationRequest.Status.OPEN,
    )


class ApproveInputSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    reassign_to = agency_field(required=False, allow_null=True)


class RejectInputSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000)


_REQUEST_ID = id_parameter("The coordination request's id.")


class CoordinationRequestViewSet(viewsets.GenericViewSet):
    """Requests waiting for the dispatcher: ``?kind=&status=`` (``open`` unless said)."""

    lookup_value_regex = r"\d{1,18}"
    serializer_class = CoordinationRequestSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self) -> QuerySet[CoordinationRequest]:
        return CoordinationRequest.objects.select_related(
            "issue", "assignment__agency", "requested_by", "decided_by"
        ).order_by("requested_at", "id")

    def get_object(self) -> CoordinationRequest:
        return request_for_user(user=self.request.user, request_id=int(self.kwargs["pk"]))

    def _answer(self, request_id: int) -> Response:
        return Response(CoordinationRequestSerializer(self.get_queryset().get(pk=request_id)).data)

    @extend_schema(
        summary="Coordination requests waiting for a decision (dispatcher)",
        parameters=[RequestFilterSerializer],
        responses={
            200: CoordinationRequestSerializer(many=True),
            400: ERROR_400,
            403: ERROR_403,
            404: ERROR_404,
        },
    )
    def list(self, request: Request) -> Response:
        if not is_dispatcher(request.user):
            self.permission_denied(request, message=_("This is for the dispatch centre."))
        filters = valid(RequestFilterSerializer, request.query_params)
        found = self.get_queryset().filter(status=filters["status"])
        if filters.get("kind"):
            found = found.filter(kind=filters["kind"])
        page = self.paginate_queryset(found)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        summary="One coordination request (dispatcher)",
        parameters=[_REQUEST_ID],
        responses={200: CoordinationRequestSerializer, 403: ERROR_403, 404: ERROR_404},
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(
        summary="Approve (dispatcher)",
        parameters=[_REQUEST_ID],
        request=ApproveInputSerializer,
        responses={200: CoordinationRequestSerializer, **ACTION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        """Approve with ``note``; ``reassign_to`` (code) says where a bounce or transfer goes."""
        decided = self.get_object()
        data = valid(ApproveInputSerializer, request.data)
        target = data.get("reassign_to")
        requests.request_approve(
            request_id=decided.pk,
            actor=request.user,
            note=data["note"],
            reassign_to=target.code if target else "",
        )
        return self._answer(decided.pk)

    @extend_schema(
        summary="Reject (dispatcher)",
        parameters=[_REQUEST_ID],
        request=RejectInputSerializer,
        responses={200: CoordinationRequestSerializer, **ACTION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str) -> Response:
        """Reject with ``note``: the assignment stays with its agency."""
        decided = self.get_object()
        data = valid(RejectInputSerializer, request.data)
        requests.request_reject(request_id=decided.pk, actor=request.user, note=data["note"])
        return self._answer(decided.pk)
