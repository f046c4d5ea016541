from django.contrib import admin

from .models import Category, CategoryQuestion, Feedback, Issue, Update


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
    )
    inlines = [UpdateInline]


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = ("at", "issue", "rating", "excluded")
    list_filter = ("rating", "excluded")
    search_fields = ("issue__tracking_number",)
    readonly_fields = ("issue", "rating", "comment", "round", "excluded", "at")

    def has_add_permission(self, request):
        return False
