"""Drafts of the routing rules are edited here; validation, simulation and publishing live on
/coordination/rules/."""

from django import forms
from django.contrib import admin

from .models import Responsibility, Rule, RuleSet, RuleSetPublication
from .services import ruleset_draft_create
from .validation import rule_problems


class RuleForm(forms.ModelForm):
    """Checks each rule as it is typed: errors land on the conditions or actions field."""

    class Meta:
        model = Rule
        fields = ("position", "name", "conditions", "actions")

    def clean(self) -> dict:
        data = super().clean()
        if self.errors:
            return data
        rule = Rule(
            pk=self.instance.pk or 0,
            name=data.get("name", ""),
            position=data.get("position") or 0,
            conditions=data.get("conditions") or {},
            actions=data.get("actions") or {},
        )
        for problem in rule_problems(rule=rule):
            field = "actions" if problem.field.startswith("actions") else "conditions"
            self.add_error(field, f"{problem.field}: {problem.message}")
        return data


class RuleInline(admin.StackedInline):
    model = Rule
    form = RuleForm
    extra = 0
    fields = ("position", "name", "conditions", "actions")
    ordering = ("position", "id")

    def _editable(self, obj) -> bool:
        return obj is None or obj.is_editable

    def has_add_permission(self, request, obj=None):
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(obj) and super().has_delete_permission(request, obj)


@admin.register(RuleSet)
class RuleSetAdmin(admin.ModelAdmin):
    """Drafts are edited here; validation, simulation and publishing: /coordination/rules/."""

    list_display = ("version", "title", "status", "published_at", "published_by")
    list_filter = ("status",)
    readonly_fields = (
        "version",
        "status",
        "based_on",
        "created_by",
        "created_at",
        "published_at",
        "published_by",
    )
    inlines = [RuleInline]

    def save_model(self, request, obj, form, change):
        if not change:
            draft = ruleset_draft_create(actor=request.user, title=obj.title)
            obj.pk, obj.version = draft.pk, draft.version
            obj._state.adding = False
            obj.created_at = draft.created_at
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None):
        return (obj is None or obj.is_editable) and super().has_delete_permission(request, obj)


@admin.register(RuleSetPublication)
class RuleSetPublicationAdmin(admin.ModelAdmin):
    list_display = ("at", "action", "ruleset", "previous", "actor")
    list_select_related = ("ruleset", "previous", "actor")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Responsibility)
class ResponsibilityAdmin(admin.ModelAdmin):
    list_display = ("agency", "category", "legal_basis")
    list_filter = ("agency",)
    search_fields = ("notes", "legal_basis")
