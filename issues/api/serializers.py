"""Input and output shapes of the residents' API: categories, filing and tracking an issue."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ..models import Category, Issue, Update
from ..photos import FIELD as PHOTOS_FIELD
from ..photos import Photo, photos_prepare
from ..selectors import channel_allowed


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
    share_contact_with_partners = serializers.BooleanField(
        required=False,
        default=False,
        help_text=_(
            "The resident's consent that enterprise partners on the case (e.g. the utility "
            "company) see the contact. Ignored when the report is anonymous."
        ),
    )
    keep_private = serializers.BooleanField(
        required=False,
        default=False,
        help_text=_(
            "The resident's choice to keep the report off every public page and out of the "
            "open data (Open311), whatever its category."
        ),
    )
    channel = serializers.ChoiceField(
        choices=Issue.Channel.choices,
        required=False,
        default=Issue.Channel.API,
        help_text=_(
            "How the report reached the platform: by default api. Anybody may name web, app, "
            "mini_program or wechat; staff and operators also phone, email, letter and walk_in."
        ),
    )

    def validate_channel(self, value: str) -> str:
        request = self.context.get("request")
        user = getattr(request, "user", None) or AnonymousUser()
        if not channel_allowed(user=user, channel=value):
            raise serializers.ValidationError(_("You may not file by this channel."))
        return value

    def validate(self, attrs: dict) -> dict:
        if (attrs.get("lat") is None) != (attrs.get("lon") is None):
            field = "lon" if attrs.get("lon") is None else "lat"
            raise serializers.ValidationError(
                {field: [_("Give both latitude and longitude, or neither.")]}
            )
        return attrs


class IssueSubmitWithPhotosSerializer(IssueSubmitSerializer):
    """Filing with photos, in ``multipart/form-data`` (a JSON body cannot carry files)."""

    photos = serializers.ListField(
        child=serializers.FileField(allow_empty_file=False, use_url=False),
        required=False,
        default=list,
        max_length=settings.ATTACHMENTS_MAX_COUNT,
        error_messages={"max_length": _("Add at most {max_length} photos.")},
        help_text=format_lazy(
            _(
                "Up to {count} photos, each a JPEG, PNG or WebP image of at most {size} bytes, "
                "judged by its content (not its name or declared type). They are stored "
                "re-encoded, without metadata such as the GPS position."
            ),
            count=settings.ATTACHMENTS_MAX_COUNT,
            size=settings.ATTACHMENTS_MAX_BYTES,
        ),
    )

    def validate_photos(self, uploads: list) -> list[Photo]:
        try:
            return photos_prepare(uploads)
        except ValidationError as error:
            raise serializers.ValidationError(error.message_dict[PHOTOS_FIELD]) from error


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


class FeedbackInputSerializer(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ReopenInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)
