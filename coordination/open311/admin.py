from django.contrib import admin

from .models import ApiKey


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Keys are issued by ``manage.py open311_key create`` (only their hash is kept); here
    they are seen and deactivated."""

    list_display = ("name", "prefix", "agency", "active", "created_at", "last_used_at")
    list_filter = ("active",)
    fields = ("name", "prefix", "agency", "active", "created_at", "last_used_at")
    readonly_fields = ("prefix", "created_at", "last_used_at")

    def has_add_permission(self, request):
        return False
