from django.contrib import admin

from .models import CalendarDay, SLAPolicy


@admin.register(SLAPolicy)
class SLAPolicyAdmin(admin.ModelAdmin):
    list_display = ("__str__", "code", "category", "priority", "response_hours", "resolution_hours")
    list_filter = ("priority",)
    autocomplete_fields = ("category",)


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """Public holidays and make-up working days (调休) of the working calendar."""

    list_display = ("date", "kind", "name")
    list_filter = ("kind",)
    date_hierarchy = "date"
