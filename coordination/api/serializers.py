"""Input and output shapes of the dispatcher's API."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agencies.models import Agency
from issues.models import Attachment, Category, Issue

from ..models import Assignment, CoordinationRequest, Handoff, Rule, RuleSet
from ..permissions import mask_phone
from ..selectors import dispatchable_agencies


class RuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = Rule
        fields = ["id", "name", "position", "conditions", "actions"]


class RuleSetSerializer(serializers.ModelSerializer):
    published_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    rules = RuleSerializer(many=True, read_only=True)

    class Meta:
        model = RuleSet
        fields = ["id", "version", "title", "status", "published_at", "published_by", "rules"]


class ProblemSerializer(serializers.Serializer):
    rule = serializers.IntegerField(source="rule_id", allow_null=True)
    field = serializers.CharField()
    message = serializers.CharField()


class PublishInputSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class SimulatedIssueSerializer(serializers.Serializer):
    """An issue as the simulator takes it: nothing is saved."""

    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    description = serializers.CharField(
        max_length=5000, required=False, allow_blank=True, default=""
    )
    category = serializers.SlugRelatedField(
        slug_field="code", queryset=Category.objects.all(), required=False, allow_null=True
    )
    lat = serializers.FloatField(min_value=-90, max_value=90, required=False, allow_null=True)
    lon = serializers.FloatField(min_value=-180, max_value=180, required=False, allow_null=True)
    channel = serializers.ChoiceField(choices=Issue.Channel.choices, default=Issue.Channel.WEB)
    priority = serializers.ChoiceField(
        choices=Issue.Priority.choices, default=Issue.Priority.NORMAL
    )
    submitted_at = serializers.DateTimeField(required=False, allow_null=True)

    def validate(self, attrs: dict) -> dict:
        if (attrs.get("lat") is None) != (attrs.get("lon") is None):
            raise serializers.ValidationError(
                {"lon": ["Give both latitude and longitude, or neither."]}
            )
        return attrs


class SimulateInputSerializer(serializers.Serializer):
    issue = SimulatedIssueSerializer(required=False)
    replay_last = serializers.IntegerField(min_value=1, max_value=10_000, required=False)

    def validate(self, attrs: dict) -> dict:
        if ("issue" in attrs) == ("replay_last" in attrs):
            raise serializers.ValidationError(
                {"non_field_errors": ["Give either 'issue' or 'replay_last', not both."]}
            )
        return attrs


# ------------------------------------------------------------------ staff: issues and work


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


class AgencySerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    area = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Agency
        fields = ["code", "name", "name_zh", "name_en", "kind", "parent", "area", "active"]


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


# ------------------------------------------------------------------------- input shapes


def _agency_field(**kwargs) -> serializers.SlugRelatedField:
    """An agency named by code; unknown, inactive or the dispatch centre → a field error."""
    return serializers.SlugRelatedField(
        slug_field="code", queryset=dispatchable_agencies(), **kwargs
    )


class QueueFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[
            Assignment.Status.PENDING,
            Assignment.Status.ACCEPTED,
            Assignment.Status.DONE,
        ],
        required=False,
    )


class RequestFilterSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=CoordinationRequest.Kind.choices, required=False)
    status = serializers.ChoiceField(
        choices=CoordinationRequest.Status.choices,
        required=False,
        default=CoordinationRequest.Status.OPEN,
    )


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class TransferInputSerializer(ReasonSerializer):
    suggested_agency = _agency_field(required=False, allow_null=True)


class AgenciesInputSerializer(ReasonSerializer):
    agencies = serializers.ListField(child=_agency_field(), allow_empty=False, max_length=50)


class ExtensionInputSerializer(ReasonSerializer):
    until = serializers.DateTimeField()


class ReplyInputSerializer(serializers.Serializer):
    message = serializers.CharField(max_length=5000)
    public = serializers.BooleanField(required=False, default=False)


class ResolveInputSerializer(serializers.Serializer):
    resolution = serializers.CharField(max_length=5000)


class FeedbackInputSerializer(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class DispatchInputSerializer(serializers.Serializer):
    lead = _agency_field()
    co_handlers = serializers.ListField(
        child=_agency_field(), required=False, default=list, max_length=50
    )
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ApproveInputSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    reassign_to = _agency_field(required=False, allow_null=True)


class RejectInputSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000)


class EscalateInputSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000)


class MergeInputSerializer(serializers.Serializer):
    into = serializers.PrimaryKeyRelatedField(queryset=Issue.objects.all())


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
