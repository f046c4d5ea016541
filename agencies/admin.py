from django.contrib import admin

from platform_gov.admin import ReadOnlyAdmin

from .models import Agency, Area, Membership, MembershipChange
from .services import agency_group, membership_change, membership_remove, membership_set


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


def _membership_save(request, membership: Membership) -> Membership:
    """Save a membership edited in the admin through the services: a new one joins the group;
    a changed person or organisation revokes the old row's access (recorded)."""
    if membership.pk is None:
        return membership_set(
            user=membership.user,
            agency=membership.agency,
            role=membership.role,
            actor=request.user,
            via="admin",
        )
    return membership_change(
        membership=membership,
        user=membership.user,
        agency=membership.agency,
        role=membership.role,
        actor=request.user,
        via="admin",
    )


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
        # Through the services, so the user joins the agency's permission group, and a row
        # moved to another organisation or person takes the old access with it.
        obj.pk = _membership_save(request, obj).pk

    def delete_model(self, request, obj):
        membership_remove(membership=obj, actor=request.user, via="admin")

    def delete_queryset(self, request, queryset):
        for membership in queryset.select_related("user", "agency"):
            membership_remove(membership=membership, actor=request.user, via="admin")


@admin.register(MembershipChange)
class MembershipChangeAdmin(ReadOnlyAdmin):
    """Who joined, left or moved between organisations, and who changed it."""

    list_display = ("at", "username", "kind", "from_agency", "to_agency", "to_role", "actor")
    list_filter = ("kind", "via")
    search_fields = ("username", "from_agency", "to_agency")
    list_select_related = ("actor",)
