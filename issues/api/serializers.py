"""Input and output shapes of the residents' API: categories, filing and tracking an issue."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ..models import Category, Issue, Update


class CategorySerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Category
        fields = ["code", "name", "parent", "service_code"]


class IssueSubmitSerializer(serializers.Serializer):
    """What a resident (or a partner's software) files; the service validates it again."""

    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=5000)
    category = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Category.objects.filter(active=True),
        required=False,
        allow_null=True,
    )
    lat = serializers.FloatField(min_value=-90, max_value=90, required=False, allow_null=True)
    lon = serializers.FloatField(min_value=-180, max_value=180, required=False, allow_null=True)
    address = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    contact_name = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default=""
    )
    contact_phone = serializers.CharField(
        max_length=32, required=False, allow_blank=True, default=""
    )
    contact_email = serializers.EmailField(required=False, allow_blank=True, default="")
    anonymous = serializers.BooleanField(required=False, default=False)
    channel = serializers.ChoiceField(
        choices=Issue.Channel.choices, required=False, default=Issue.Channel.WEB
    )

    def validate(self, attrs: dict) -> dict:
        if (attrs.get("lat") is None) != (attrs.get("lon") is None):
            field = "lon" if attrs.get("lon") is None else "lat"
            raise serializers.ValidationError(
                {field: [_("Give both latitude and longitude, or neither.")]}
            )
        return attrs


class IssueCreatedSerializer(serializers.ModelSerializer):
    class Meta:
        model = Issue
        fields = ["id", "tracking_number", "access_token", "status"]


class PublicUpdateSerializer(serializers.ModelSerializer):
    class Meta:
        model = Update
        fields = ["kind", "at", "note"]


class TrackSerializer(serializers.ModelSerializer):
    """The resident's view of an issue: no personal data, no staff names, no internal notes."""

    category = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    timeline = PublicUpdateSerializer(source="updates", many=True, read_only=True)

    class Meta:
        model = Issue
        fields = [
            "tracking_number",
            "title",
            "category",
            "status",
            "created_at",
            "resolution",
            "timeline",
        ]


class MyIssueSerializer(serializers.ModelSerializer):
    """One issue on a signed-in resident's list: what the tracking page shows, and its link."""

    category = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Issue
        fields = [
            "tracking_number",
            "access_token",
            "title",
            "category",
            "status",
            "created_at",
            "resolved_at",
        ]
