"""``/api/v1/issues/<id>/publication/``: what the public sees of an issue, and the
dispatcher's part in it (a public summary, withholding the issue).

The policy itself is ``issues.publication``; this shows its answer for one issue to those
who may see the issue, and lets the dispatcher approve the summary or withhold the issue.
"""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from coordination.dispatch.permissions import can_edit_publication, issue_for_user
from issues.models import Issue
from issues.publication import public_place, public_summary, publication_refusal
from issues.services import issue_publication_set
from platform_gov.openapi import ERROR_403, ERROR_404, id_parameter

from .common import ACTION_ERRORS, valid


class PublicationSerializer(serializers.Serializer):
    """The issue as the public sees it (or would, once publishable)."""

    published = serializers.BooleanField(help_text="Whether the public sees the issue at all.")
    refusal = serializers.CharField(
        allow_null=True,
        help_text=(
            "Why not: `anonymous`, `kept_private`, `uncategorised`, `private_category` or "
            "`rejected`; null when published."
        ),
    )
    public_summary = serializers.CharField(
        allow_blank=True, help_text="The summary staff approved; empty: the scrubbed description."
    )
    summary = serializers.CharField(allow_blank=True, help_text="The text the public reads.")
    keep_private = serializers.BooleanField()
    lat = serializers.FloatField(allow_null=True, help_text="Rounded to about 100 m.")
    lon = serializers.FloatField(allow_null=True, help_text="Rounded to about 100 m.")
    area = serializers.CharField(allow_null=True, help_text="The finest area containing it.")


class PublicationInputSerializer(serializers.Serializer):
    public_summary = serializers.CharField(
        max_length=Issue._meta.get_field("public_summary").max_length,
        required=False,
        allow_blank=True,
        help_text="The text the public reads instead of the description; empty to drop it.",
    )
    keep_private = serializers.BooleanField(
        required=False,
        help_text="True withholds the issue from publication (an administrator can undo it).",
    )


def _answer(issue: Issue) -> Response:
    refusal = publication_refusal(issue)
    place = public_place(issue)
    return Response(
        PublicationSerializer(
            {
                "published": refusal is None,
                "refusal": refusal,
                "public_summary": issue.public_summary,
                "summary": public_summary(issue),
                "keep_private": issue.keep_private,
                "lat": place.lat,
                "lon": place.lon,
                "area": place.area_name,
            }
        ).data
    )


class IssuePublicationView(APIView):
    """GET: whoever may see the issue; POST: the dispatcher (404 for anyone else)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        summary="What the public sees of the issue",
        parameters=[id_parameter("The issue's id.")],
        responses={200: PublicationSerializer, 403: ERROR_403, 404: ERROR_404},
    )
    def get(self, request: Request, pk: int) -> Response:
        return _answer(issue_for_user(user=request.user, issue_id=pk))

    @extend_schema(
        summary="Approve the public summary, or withhold the issue (dispatcher)",
        parameters=[id_parameter("The issue's id.")],
        request=PublicationInputSerializer,
        responses={200: PublicationSerializer, **ACTION_ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        issue = issue_for_user(user=request.user, issue_id=pk)
        if not can_edit_publication(request.user):
            raise Http404("No such issue.")
        data = valid(PublicationInputSerializer, request.data)
        issue_publication_set(
            issue_id=issue.pk,
            public_summary=data.get("public_summary"),
            keep_private=data.get("keep_private"),
        )
        return _answer(Issue.objects.select_related("category").get(pk=issue.pk))
