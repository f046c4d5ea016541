from django.contrib import admin

from .models import Agency, Area, Membership
from .services import agency_group, membership_remove, membership_set


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "name_en", "level", "parent")
    list_filter = ("level",)
    search_fields = ("code", "name_zh", "name_en")
    autocomplete_fields = ("parent",)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("user",)


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "name_en", "kind", "parent", "area", "active")
    list_filter = ("kind", "active")
    search_fields = ("code", "name_zh", "name_en")
    autocomplete_fields = ("parent", "area")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        agency_group(agency=obj)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "agency", "role")
    list_filter = ("role", "agency__kind")
    search_fields = ("user__username", "agency__code", "agency__name_zh")
    autocomplete_fields = ("user", "agency")

    def save_model(self, request, obj, form, change):
        # Through the service, so the user joins the agency's permission group.
        membership = membership_set(user=obj.user, agency=obj.agency, role=obj.role)
        obj.pk = membership.pk

    def delete_model(self, request, obj):
        membership_remove(membership=obj)

    def delete_queryset(self, request, queryset):
        for membership in queryset.select_related("user", "agency"):
            membership_remove(membership=membership)
