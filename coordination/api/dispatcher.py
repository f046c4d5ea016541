"""``/api/v1/dispatch/queue/``: what waits for the dispatcher, oldest first."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from coordination.dispatch.selectors import requests_open, triage_queue
from platform_gov.openapi import ERROR_403

from .common import IsDispatcher
from .issues import IssueSummarySerializer
from .requests import CoordinationRequestSerializer


class DispatchQueueView(APIView):
    """Issues in triage and open coordination requests, oldest first."""

    permission_classes = [permissions.IsAuthenticated, IsDispatcher]

    @extend_schema(
        summary="Issues in triage and open coordination requests (dispatcher)",
        responses={
            200: inline_serializer(
                "DispatchQueue",
                fields={
                    "triage": IssueSummarySerializer(many=True),
                    "requests": CoordinationRequestSerializer(many=True),
                },
            ),
            403: ERROR_403,
        },
    )
    def get(self, request: Request) -> Response:
        requests_ = requests_open()
        return Response(
            {
                "triage": IssueSummarySerializer(triage_queue()[:200], many=True).data,
                "requests": CoordinationRequestSerializer(requests_[:200], many=True).data,
            }
        )
