"""Input and output shapes of the dispatcher's API."""

from __future__ import annotations

from rest_framework import serializers

from issues.models import Category, Issue

from ..models import Rule, RuleSet


class RuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = Rule
        fields = ["id", "name", "position", "conditions", "actions"]


class RuleSetSerializer(serializers.ModelSerializer):
    published_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
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
