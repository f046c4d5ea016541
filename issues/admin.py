from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from platform_gov.admin import ReadOnlyAdmin

from .models import Attachment, Category, CategoryQuestion, ContactAccess, Feedback, Issue, Update
from .services import contact_access_record


class CategoryQuestionInline(admin.TabularInline):
    model = CategoryQuestion
    extra = 0
    fields = ("order", "code", "question_zh", "question_en", "datatype", "required", "values")


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    inlines = [CategoryQuestionInline]
    list_display = ("code", "name_zh", "name_en", "parent", "service_code", "active")
    list_filter = ("active", "parent")
    search_fields = ("code", "name_zh", "name_en", "service_code")
    autocomplete_fields = ("parent",)


class UpdateInline(admin.TabularInline):
    model = Update
    extra = 0
    readonly_fields = ("kind", "agency", "note", "at")
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class AttachmentInline(admin.TabularInline):
    """The resident's photos, read-only; the link goes through the permission-checked view
    (the file has no URL of its own)."""

    model = Attachment
    extra = 0
    fields = ("position", "photo", "content_type", "width", "height", "size", "sha256")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("photo"))
    def photo(self, attachment: Attachment) -> str:
        url = reverse("coordination:staff_photo", args=[attachment.issue_id, attachment.pk])
        return format_html('<a href="{}">{}</a>', url, _("Open"))


@admin.register(Issue)
class IssueAdmin(admin.ModelAdmin):
    """Read-mostly: issues change state through the workflow pages, never by hand here."""

    list_display = (
        "tracking_number",
        "title",
        "category",
        "status",
        "priority",
        "channel",
        "created_at",
    )
    list_filter = ("status", "priority", "channel")
    search_fields = ("tracking_number", "title")
    date_hierarchy = "created_at"
    readonly_fields = (
        "tracking_number",
        "status",
        "channel",
        "created_at",
        "routed_at",
        "resolved_at",
        "closed_at",
        "reporter",
        "media_url",  # a partner's link from Open311: shown, not edited
    )
    inlines = [UpdateInline, AttachmentInline]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # The page shows the resident's contact: as on the staff pages, every opening of it
        # is on the audit record.
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            issue = self.get_object(request, object_id)
            if issue is not None:
                contact_access_record(
                    user=request.user, issue=issue, level=ContactAccess.Level.FULL, via="admin"
                )
        return response


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = ("at", "issue", "rating", "excluded")
    list_filter = ("rating", "excluded")
    search_fields = ("issue__tracking_number",)
    readonly_fields = ("issue", "rating", "comment", "round", "excluded", "at")

    def has_add_permission(self, request):
        return False


@admin.register(ContactAccess)
class ContactAccessAdmin(ReadOnlyAdmin):
    """Who was shown which resident's contact details, and when."""

    list_display = ("at", "user", "issue", "level", "via")
    list_filter = ("level", "via")
    search_fields = ("user__username", "issue__tracking_number")
    list_select_related = ("user", "issue")
