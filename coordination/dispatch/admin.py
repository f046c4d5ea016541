"""The dispatcher's records, for administrators to read: they change only through the
workflow's services."""

from django.contrib import admin

from platform_gov.admin import ReadOnlyAdmin

from .models import Assignment, CoordinationRequest, DeadlineEvent, Handoff


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
class HandoffAdmin(ReadOnlyAdmin):
    """The append-only record: visible, never editable."""

    list_display = ("at", "issue", "kind", "from_agency", "to_agency", "actor")
    list_filter = ("kind",)
    search_fields = ("issue__tracking_number",)
    list_select_related = ("issue", "from_agency", "to_agency", "actor")


@admin.register(CoordinationRequest)
class CoordinationRequestAdmin(ReadOnlyAdmin):
    list_display = ("requested_at", "kind", "status", "issue", "assignment", "decided_by")
    list_filter = ("kind", "status")
    search_fields = ("issue__tracking_number",)
    list_select_related = ("issue", "assignment__agency", "decided_by")


@admin.register(DeadlineEvent)
class DeadlineEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "assignment", "clock", "step", "due_at")
    list_filter = ("clock", "step")
    list_select_related = ("assignment__issue", "assignment__agency")
