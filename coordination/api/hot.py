"""``/api/v1/hot/``: hot issues, early warnings and cooperation figures (the dispatcher,
managers and leaders); ``/api/v1/public/``: "me too" and "is it one of these?" for residents.

Issues appear here as the gate allows: their public part (``coordination.hot.public``) for
everyone who may read the list, their id and title only for those who may see the case.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from agencies.models import Area
from coordination.dispatch.permissions import can_see_hot_issues, cooperation_reach
from coordination.hot.cooperation import cooperation
from coordination.hot.models import HotWarning, Support
from coordination.hot.selectors import (
    board_rows,
    hot_board,
    hot_issue_detail,
    hot_issue_get,
    nearby_issues,
    public_issue_for_page,
    support_count,
    warnings_recent,
)
from coordination.hot.services.supports import support_add
from issues.models import Category, Issue
from platform_gov.openapi import ERROR_400, ERROR_403, ERROR_404, ERROR_429, id_parameter
from platform_gov.throttling import SubmitThrottle, TrackThrottle

from .common import valid
from .stats import MomentField


class CanSeeHotIssues(permissions.BasePermission):
    """The dispatcher, managers of any organisation and the city's leaders."""

    def has_permission(self, request, view) -> bool:
        return can_see_hot_issues(request.user)


# ------------------------------------------------------------------------------ hot issues


class HotIssueSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="hot.pk")
    label = serializers.CharField(source="hot.label")
    keywords = serializers.ListField(child=serializers.CharField(), source="hot.keywords")
    size = serializers.IntegerField(source="hot.size")
    people = serializers.IntegerField(source="hot.people")
    supports = serializers.IntegerField(source="hot.supports")
    heat = serializers.FloatField(source="hot.heat")
    growth = serializers.FloatField(source="hot.growth")
    recent = serializers.IntegerField(
        source="hot.recent", help_text="Complaints of the last 7 days."
    )
    first_at = serializers.DateTimeField(source="hot.first_at")
    last_at = serializers.DateTimeField(source="hot.last_at")
    measured_at = serializers.DateTimeField(source="hot.measured_at")
    is_open = serializers.BooleanField(source="hot.is_open")
    areas = serializers.ListField(child=serializers.CharField(), help_text="Area names.")
    area_codes = serializers.ListField(child=serializers.CharField(), source="hot.areas")
    categories = serializers.ListField(child=serializers.CharField(), source="hot.categories")
    organisations = serializers.SerializerMethodField()
    topics = serializers.SerializerMethodField()
    warning = serializers.BooleanField(source="warned")

    def get_organisations(self, row) -> list[dict]:
        return [{"code": h.code, "name": h.name, "complaints": h.complaints} for h in row.agencies]

    def get_topics(self, row) -> list[int]:
        return [t.pk for t in row.topics]


class MemberSerializer(serializers.Serializer):
    issue = serializers.SerializerMethodField(help_text="The issue's id, for those who may see it.")
    title = serializers.CharField()
    area = serializers.SerializerMethodField()
    status = serializers.CharField()
    filed_at = serializers.DateTimeField()
    supports = serializers.IntegerField()

    def get_issue(self, row) -> int | None:
        return row.issue_id if row.visible else None

    def get_area(self, row) -> str:
        return row.public.area if row.public else ""


class TrendSerializer(serializers.Serializer):
    day = serializers.DateField()
    complaints = serializers.IntegerField()


class HotIssueDetailSerializer(HotIssueSerializer):
    members = MemberSerializer(many=True, help_text="The newest 100.")
    member_count = serializers.IntegerField()
    trend = serializers.SerializerMethodField()
    places = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField()),
        help_text="[lat, lon] of the complaints, rounded to about 100 m.",
    )

    def get_trend(self, detail) -> list[dict]:
        return [{"day": day, "complaints": n} for day, n in detail.trend]


class HotFilterSerializer(serializers.Serializer):
    sort = serializers.ChoiceField(
        choices=["heat", "growth", "size", "latest"], required=False, default="heat"
    )
    area = serializers.SlugRelatedField(
        slug_field="code", queryset=Area.objects.all(), required=False
    )
    category = serializers.SlugRelatedField(
        slug_field="code", queryset=Category.objects.filter(parent__isnull=True), required=False
    )
    closed = serializers.BooleanField(required=False, default=False)


class HotIssueListView(APIView):
    """Hot issues, hottest first (``?sort=heat|growth|size|latest``), open ones unless
    ``closed=true``, in an area (and the areas inside it) or a top-level category."""

    permission_classes = [permissions.IsAuthenticated, CanSeeHotIssues]
    # Named here so that the schema describes the page (count, next, previous, results).
    pagination_class = api_settings.DEFAULT_PAGINATION_CLASS

    @extend_schema(
        summary="Hot issues (dispatcher, managers, leaders)",
        parameters=[HotFilterSerializer],
        responses={200: HotIssueSerializer(many=True), 400: ERROR_400, 403: ERROR_403},
    )
    def get(self, request: Request) -> Response:
        filters = valid(HotFilterSerializer, request.query_params)
        found = hot_board(
            sort=filters["sort"],
            area=filters.get("area"),
            category=filters.get("category"),
            include_closed=filters["closed"],
        )
        paginator = self._paginator()
        page = paginator.paginate_queryset(found, request, view=self)
        rows = board_rows(list(page))
        return paginator.get_paginated_response(HotIssueSerializer(rows, many=True).data)

    def _paginator(self):
        return self.pagination_class()


class HotIssueDetailView(APIView):
    permission_classes = [permissions.IsAuthenticated, CanSeeHotIssues]

    @extend_schema(
        summary="One hot issue with its complaints, trend and places",
        parameters=[id_parameter("The hot issue's id.")],
        responses={200: HotIssueDetailSerializer, 403: ERROR_403, 404: ERROR_404},
    )
    def get(self, request: Request, pk: int) -> Response:
        hot = hot_issue_get(int(pk))
        detail = hot_issue_detail(hot=hot, user=request.user)
        row = detail.row
        payload = HotIssueSerializer(row).data
        payload.update(
            members=MemberSerializer(detail.members, many=True).data,
            member_count=detail.member_count,
            trend=[{"day": day, "complaints": n} for day, n in detail.trend],
            places=[list(p) for p in detail.points],
        )
        return Response(payload)


# ------------------------------------------------------------------------------ warnings


class WarningSerializer(serializers.ModelSerializer):
    # A warning is of an area and category, or of a hot issue: the others are null.
    area = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    category = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    hot_issue = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    is_open = serializers.BooleanField(read_only=True)
    daily = serializers.SerializerMethodField()
    baseline_days = serializers.SerializerMethodField()

    class Meta:
        model = HotWarning
        fields = [
            "id",
            "scope",
            "area",
            "category",
            "hot_issue",
            "started_at",
            "ended_at",
            "is_open",
            "observed",
            "expected",
            "p_value",
            "peak",
            "baseline_days",
            "daily",
        ]

    def get_daily(self, warning) -> list[list]:
        return warning.evidence.get("daily", [])

    def get_baseline_days(self, warning) -> float | None:
        return warning.evidence.get("baseline_days")


class WarningListView(APIView):
    """Early warnings: open ones first, then the latest ended (``services/warnings.py``
    says how a level is judged)."""

    permission_classes = [permissions.IsAuthenticated, CanSeeHotIssues]

    @extend_schema(
        summary="Early warnings (dispatcher, managers, leaders)",
        responses={200: WarningSerializer(many=True), 403: ERROR_403},
    )
    def get(self, request: Request) -> Response:
        return Response(WarningSerializer(warnings_recent(limit=50), many=True).data)


# --------------------------------------------------------------------------- cooperation


class CooperationFilterSerializer(serializers.Serializer):
    def get_fields(self) -> dict:
        return {
            "from": MomentField(required=False),
            "to": MomentField(required=False, end=True),
        }

    def validate(self, attrs: dict) -> dict:
        if "from" in attrs and "to" in attrs and attrs["from"] >= attrs["to"]:
            raise serializers.ValidationError({"to": [_("The end must come after the start.")]})
        return attrs


class OutcomesSerializer(serializers.Serializer):
    cases = serializers.IntegerField()
    resolved = serializers.IntegerField()
    median_hours = serializers.FloatField(allow_null=True)
    rated = serializers.IntegerField()
    satisfaction = serializers.FloatField(allow_null=True)


class OrganisationSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    joint = serializers.IntegerField(help_text="Joint work counted over its pairs.")


class PairSerializer(serializers.Serializer):
    a = serializers.CharField()
    b = serializers.CharField()
    cohandle = serializers.IntegerField()
    whistle = serializers.IntegerField()
    transfer = serializers.IntegerField()
    topic = serializers.IntegerField()
    total = serializers.IntegerField()
    joint_cases = serializers.IntegerField()
    joint_resolved = serializers.IntegerField()
    joint_median_hours = serializers.FloatField(allow_null=True)
    joint_rated = serializers.IntegerField()
    joint_satisfaction = serializers.FloatField(allow_null=True)


class CooperationSerializer(serializers.Serializer):
    organisations = OrganisationSerializer(many=True)
    pairs = PairSerializer(many=True)
    joint = OutcomesSerializer()
    single = OutcomesSerializer()

    def get_fields(self) -> dict:
        fields = super().get_fields()
        fields["from"] = serializers.DateTimeField()
        fields["to"] = serializers.DateTimeField()
        return fields


class CooperationView(APIView):
    """Which organisations worked together in ``[from, to)`` (default: the last 30 days),
    how often (co-handling, whistle, transfer, topics), how fast and how satisfied residents
    were, joint cases against single-agency ones. Managers see the pairs touching their
    organisations; the dispatcher and leaders the whole city."""

    permission_classes = [permissions.IsAuthenticated, CanSeeHotIssues]

    @extend_schema(
        summary="Cooperation between organisations (dispatcher, managers, leaders)",
        parameters=[CooperationFilterSerializer],
        responses={200: CooperationSerializer, 400: ERROR_400, 403: ERROR_403},
    )
    def get(self, request: Request) -> Response:
        period = valid(CooperationFilterSerializer, request.query_params)
        end = period.get("to") or timezone.now()
        start = period.get("from") or end - timezone.timedelta(days=30)
        if start >= end:
            raise ValidationError({"from": [_("The start must come before the end.")]})
        figures = cooperation(start=start, end=end, reach=cooperation_reach(request.user))
        return Response(figures.as_dict())


# ------------------------------------------------------------------------------ residents


class SupportInputSerializer(serializers.Serializer):
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    email = serializers.EmailField(required=False, allow_blank=True, default="")


class SupportAnswerSerializer(serializers.Serializer):
    issue = serializers.IntegerField()
    supports = serializers.IntegerField()


class PublicSupportView(APIView):
    """ "Me too" (我也遇到) on an issue the public may see: once per resident (signed in: the
    account; else the ``phone`` or ``email`` given, of which only a keyed hash is kept)."""

    permission_classes = [permissions.AllowAny]
    throttle_classes = [SubmitThrottle]

    @extend_schema(
        summary="Say “me too” to a public issue (residents, no login needed)",
        parameters=[id_parameter("The issue's id.")],
        request=SupportInputSerializer,
        responses={
            201: SupportAnswerSerializer,
            400: ERROR_400,
            404: ERROR_404,
            429: ERROR_429,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        issue, _shown = public_issue_for_page(issue_id=int(pk))
        data = valid(SupportInputSerializer, request.data)
        try:
            support_add(
                issue_id=issue.pk,
                user=request.user,
                phone=data["phone"],
                email=data["email"],
                via=Support.Via.API,
            )
        except Issue.DoesNotExist as error:
            raise Http404("No such issue.") from error
        return Response(
            {"issue": issue.pk, "supports": support_count(issue)}, status=status.HTTP_201_CREATED
        )


class NearbyInputSerializer(serializers.Serializer):
    lat = serializers.FloatField(min_value=-90, max_value=90)
    lon = serializers.FloatField(min_value=-180, max_value=180)
    q = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class NearbySerializer(serializers.Serializer):
    id = serializers.IntegerField(source="issue.id")
    title = serializers.CharField(source="issue.title")
    category = serializers.CharField(source="issue.category")
    status = serializers.CharField(source="issue.status")
    area = serializers.CharField(source="issue.area")
    filed_on = serializers.DateField(source="issue.filed_on")
    within_m = serializers.IntegerField()
    supports = serializers.IntegerField()


class PublicNearbyView(APIView):
    """Issues being handled within a kilometre of a place (filed in the last 30 days), the
    most like ``q`` first, as the public may see them: "is it one of these?"."""

    permission_classes = [permissions.AllowAny]
    throttle_classes = [TrackThrottle]

    @extend_schema(
        summary="Issues being handled near a place (residents, no login needed)",
        parameters=[NearbyInputSerializer],
        responses={200: NearbySerializer(many=True), 400: ERROR_400, 429: ERROR_429},
    )
    def get(self, request: Request) -> Response:
        data = valid(NearbyInputSerializer, request.query_params)
        found = nearby_issues(lat=data["lat"], lon=data["lon"], words=data["q"])
        return Response(NearbySerializer(found, many=True).data)
