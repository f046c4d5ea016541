"""``/api/v1/stats/agencies/`` and ``/api/v1/stats/channels/``: the rates per organisation
(whose the gate says, ``stats_agency_ids``: managers their reach, enterprise partners their own,
the dispatcher, administrators and the city's leaders every one) and per channel (of the
issues the user may see)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from coordination.dispatch.permissions import (
    can_see_stats,
    issues_visible_to,
    stats_agency_ids,
)
from coordination.reporting.selectors import agency_rates, channel_rates
from platform_gov.openapi import ERROR_400, ERROR_403

from .common import valid


class AgencyRatesSerializer(serializers.Serializer):
    agency = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    assigned = serializers.IntegerField()
    response_rate = serializers.FloatField(allow_null=True)
    resolution_rate = serializers.FloatField(allow_null=True)
    satisfaction_rate = serializers.FloatField(allow_null=True)
    bounce_rate = serializers.FloatField(allow_null=True)
    redo_rate = serializers.FloatField(allow_null=True)
    overdue = serializers.IntegerField()


@extend_schema_field(
    {
        "type": "string",
        "description": "A date (YYYY-MM-DD) or a date and time (ISO 8601).",
        "example": "2026-01-31",
    }
)
class MomentField(serializers.Field):
    """A date or a datetime, as an aware datetime. A date means the start of that day, or,
    for the end of a period (``end=True``), the start of the next, so the day counts whole."""

    default_error_messages = {
        "invalid": _("Give a date (YYYY-MM-DD) or a date and time (ISO 8601)."),
    }

    def __init__(self, *, end: bool = False, **kwargs) -> None:
        self.end = end
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> datetime:
        text = str(data).strip()
        try:
            day = parse_date(text)
            moment = None if day else parse_datetime(text)
        except ValueError:
            self.fail("invalid")
        try:
            if day is not None:
                moment = datetime.combine(day + timedelta(days=1 if self.end else 0), time.min)
            if moment is None:
                self.fail("invalid")
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
        except OverflowError:  # the day after 9999-12-31
            self.fail("invalid")
        return moment

    def to_representation(self, value: datetime) -> str:
        return value.isoformat()


class StatsFilterSerializer(serializers.Serializer):
    """``?from=&to=``: dates (``to`` inclusive: the whole day) or datetimes (``to`` exclusive)."""

    def get_fields(self) -> dict:
        # ``from`` is a Python keyword: the fields are named here rather than declared.
        return {
            "from": MomentField(required=False),
            "to": MomentField(required=False, end=True),
        }

    def validate(self, attrs: dict) -> dict:
        if "from" in attrs and "to" in attrs and attrs["from"] >= attrs["to"]:
            raise serializers.ValidationError({"to": [_("The end must come after the start.")]})
        return attrs


class CanSeeStats(permissions.BasePermission):
    """Managers of any organisation, enterprise partners' staff, the dispatcher,
    administrators and the city's leaders (``can_see_stats``)."""

    def has_permission(self, request, view) -> bool:
        return can_see_stats(request.user)


class AgencyStatsView(APIView):
    """Per agency: the three rates and their companions for assignments received in
    ``[from, to)``; a date as ``to`` counts that whole day. Managers see the organisations in
    their reach (those they manage and every one below), as on the dashboard; an enterprise
    partner's staff their own partner; the dispatcher, administrators and the city's leaders
    see every one."""

    permission_classes = [permissions.IsAuthenticated, CanSeeStats]

    @extend_schema(
        summary="Per-agency rates (managers: reach; partners: own; dispatcher, leaders: all)",
        parameters=[StatsFilterSerializer],
        responses={200: AgencyRatesSerializer(many=True), 400: ERROR_400, 403: ERROR_403},
    )
    def get(self, request: Request) -> Response:
        period = valid(StatsFilterSerializer, request.query_params)
        rates = agency_rates(
            start=period.get("from"),
            end=period.get("to"),
            agency_ids=stats_agency_ids(request.user),
        )
        return Response(AgencyRatesSerializer([r.as_dict() for r in rates], many=True).data)


class ChannelRatesSerializer(serializers.Serializer):
    channel = serializers.CharField()
    label = serializers.CharField()
    filed = serializers.IntegerField()
    answered_at_first_contact = serializers.IntegerField(
        help_text=_("Consultations the call-taker answered on the spot (直接办结).")
    )
    first_contact_share = serializers.FloatField(allow_null=True)
    response_rate = serializers.FloatField(allow_null=True)
    resolution_rate = serializers.FloatField(allow_null=True)
    satisfaction_rate = serializers.FloatField(allow_null=True)


class ChannelStatsView(APIView):
    """Per channel (phone, web, app, …): the issues filed in ``[from, to)``, the share answered
    at first contact and the three rates over the work the others gave. Managers and partners
    count the issues they may see; the dispatcher, administrators and leaders every one."""

    permission_classes = [permissions.IsAuthenticated, CanSeeStats]

    @extend_schema(
        summary="Per-channel counts and rates (managers: the issues they see; dispatcher: all)",
        parameters=[StatsFilterSerializer],
        responses={200: ChannelRatesSerializer(many=True), 400: ERROR_400, 403: ERROR_403},
    )
    def get(self, request: Request) -> Response:
        period = valid(StatsFilterSerializer, request.query_params)
        user = request.user
        rates = channel_rates(
            # The whole city for those the gate gives every organisation (the dispatcher,
            # administrators, the city's leaders); for the others the issues they may see.
            issues=None if stats_agency_ids(user) is None else issues_visible_to(user),
            start=period.get("from"),
            end=period.get("to"),
        )
        return Response(ChannelRatesSerializer([r.as_dict() for r in rates], many=True).data)
