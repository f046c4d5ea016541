"""The hot room's records, for administrators to read: they change only through its
services (the clusterer, supports, warnings, topics)."""

from django.contrib import admin

from platform_gov.admin import ReadOnlyAdmin

from .models import HotIssue, HotWarning, Support, Topic, TopicEvent


@admin.register(HotIssue)
class HotIssueAdmin(ReadOnlyAdmin):
    list_display = ("id", "label", "size", "people", "supports", "heat", "growth", "is_open")
    list_filter = ("is_open",)
    search_fields = ("label",)
    exclude = ("state",)  # the engine's own state: large, and meaningless by hand


@admin.register(HotWarning)
class HotWarningAdmin(ReadOnlyAdmin):
    list_display = ("started_at", "scope", "area", "category", "hot_issue", "observed", "ended_at")
    list_filter = ("scope",)
    list_select_related = ("area", "category", "hot_issue")


@admin.register(Support)
class SupportAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "issue", "via")
    list_select_related = ("issue",)
    exclude = ("contact_key",)


@admin.register(Topic)
class TopicAdmin(ReadOnlyAdmin):
    list_display = ("title", "lead", "status", "due_on", "created_at")
    list_filter = ("status",)
    search_fields = ("title",)
    list_select_related = ("lead",)


@admin.register(TopicEvent)
class TopicEventAdmin(ReadOnlyAdmin):
    """The append-only record of topics: visible, never editable."""

    list_display = ("at", "topic", "kind", "agency", "actor")
    list_filter = ("kind",)
    list_select_related = ("topic", "agency", "actor")
