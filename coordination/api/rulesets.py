"""``/api/v1/rulesets/``: rule-set versions, publishing and the simulator (administrators)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from coordination.rules.compiled import facts_from
from coordination.rules.models import Rule, RuleSet
from coordination.rules.permissions import can_manage_rules
from coordination.rules.services import ruleset_publish
from coordination.rules.simulate import simulate_facts, simulate_replay
from issues.models import Category, Issue
from platform_gov.openapi import ERROR_400, ERROR_403, ERROR_404, FIELD_ERRORS_SCHEMA, id_parameter

from .common import valid


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


class CanManageRules(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        return can_manage_rules(request.user)


_RULESET_ID = id_parameter("The rule-set version's id.")

_PUBLISH_400 = OpenApiResponse(
    {
        "anyOf": [
            {
                "type": "object",
                "properties": {
                    "detail": {"type": "string"},
                    "problems": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "rule": {"type": "integer", "nullable": True},
                                "field": {"type": "string"},
                                "message": {"type": "string"},
                            },
                            "required": ["rule", "field", "message"],
                        },
                    },
                },
                "required": ["detail"],
            },
            FIELD_ERRORS_SCHEMA,
        ]
    },
    description='`{"detail", "problems": [{"rule", "field", "message"}]}` when the rule set '
    'has problems, `{"detail"}` when it may not be published, or field errors.',
)

_DECISION_SCHEMA = {"type": "object", "description": "A routing decision and its reasons."}
_SIMULATION_SCHEMA = {
    "oneOf": [
        {
            "type": "object",
            "title": "One issue",
            "properties": {
                "facts": {"type": "object"},
                "decision": _DECISION_SCHEMA,
                "active_decision": _DECISION_SCHEMA,
                "changed": {"type": "boolean"},
            },
            "required": ["facts", "decision", "active_decision", "changed"],
        },
        {
            "type": "object",
            "title": "Replay of the last N issues",
            "properties": {
                "ruleset": {"type": "integer"},
                "active": {"type": "integer", "nullable": True},
                "replayed": {"type": "integer"},
                "changed": {"type": "integer"},
                "moves": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "from": {"type": "string"},
                            "to": {"type": "string"},
                            "count": {"type": "integer"},
                        },
                    },
                },
                "sample": {"type": "array", "items": {"type": "object"}},
            },
            "required": ["ruleset", "active", "replayed", "changed", "moves", "sample"],
        },
    ]
}


@extend_schema_view(
    list=extend_schema(
        summary="Rule-set versions", responses={200: RuleSetSerializer, 403: ERROR_403}
    ),
    retrieve=extend_schema(
        summary="One rule-set version",
        parameters=[_RULESET_ID],
        responses={200: RuleSetSerializer, 403: ERROR_403, 404: ERROR_404},
    ),
)
class RuleSetViewSet(viewsets.ReadOnlyModelViewSet):
    """Rule-set versions, newest first; one is active."""

    serializer_class = RuleSetSerializer
    permission_classes = [permissions.IsAuthenticated, CanManageRules]
    queryset = RuleSet.objects.select_related("published_by").prefetch_related("rules")

    @extend_schema(
        summary="Publish this version (it becomes the active one)",
        parameters=[_RULESET_ID],
        request=PublishInputSerializer,
        responses={200: RuleSetSerializer, 400: _PUBLISH_400, 403: ERROR_403, 404: ERROR_404},
    )
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str | None = None) -> Response:
        ruleset = self.get_object()
        data = valid(PublishInputSerializer, request.data)
        # A rule set with problems answers 400 with them (``RuleSetInvalid``, a WorkflowError).
        published = ruleset_publish(ruleset_id=ruleset.pk, actor=request.user, note=data["note"])
        return Response(RuleSetSerializer(published).data)

    @extend_schema(
        summary="Simulate this version against the active one",
        parameters=[_RULESET_ID],
        request=SimulateInputSerializer,
        responses={
            200: OpenApiResponse(
                _SIMULATION_SCHEMA,
                description="`issue`: the decisions for one issue; `replay_last`: the moves.",
            ),
            400: ERROR_400,
            403: ERROR_403,
            404: ERROR_404,
        },
    )
    @action(detail=True, methods=["post"])
    def simulate(self, request: Request, pk: str | None = None) -> Response:
        """Route one issue, or replay the last N, under this version and the active one."""
        ruleset = self.get_object()
        body = SimulateInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if "replay_last" in body.validated_data:
            return Response(
                simulate_replay(ruleset=ruleset, last=body.validated_data["replay_last"])
            )
        facts = facts_from(**body.validated_data["issue"])
        return Response(simulate_facts(ruleset=ruleset, facts=facts).as_json())
