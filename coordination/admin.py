from django.contrib import admin

from .models import Assignment, Handoff, RoutingRule, SLAPolicy


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ("position", "name", "category", "include_subcategories", "lead", "active")
    list_display_links = ("name",)
    list_filter = ("active", "lead__kind")
    search_fields = ("name", "category__code", "lead__code")
    autocomplete_fields = ("category", "lead", "co_handlers")
    ordering = ("position", "id")


@admin.register(SLAPolicy)
class SLAPolicyAdmin(admin.ModelAdmin):
    list_display = ("__str__", "category", "priority", "response_hours", "resolution_hours")
    list_filter = ("priority",)
    autocomplete_fields = ("category",)


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ("issue", "agency", "role", "status", "due_at")
    list_filter = ("status", "role")
    search_fields = ("issue__tracking_number", "agency__code")
    list_select_related = ("issue", "agency")

    def has_change_permission(self, request, obj=None):
        return False  # assignments move through the workflow services only

    def has_add_permission(self, request):
        return False


@admin.register(Handoff)
class HandoffAdmin(admin.ModelAdmin):
    """The append-only record: visible, never editable."""

    list_display = ("at", "issue", "kind", "from_agency", "to_agency", "actor")
    list_filter = ("kind",)
    search_fields = ("issue__tracking_number",)
    list_select_related = ("issue", "from_agency", "to_agency", "actor")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
