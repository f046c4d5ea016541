import secrets

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext as _

from issues.admin import IssueAdmin
from issues.models import Issue

from .models import (
    Assignment,
    CalendarDay,
    ContactAccess,
    CoordinationRequest,
    DeadlineEvent,
    Handoff,
    Rule,
    RuleSet,
    RuleSetPublication,
    SLAPolicy,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from .permissions import contact_access_record
from .rulesets import rule_problems, ruleset_draft_create
from .webhooks import EVENTS as WEBHOOK_EVENTS
from .webhooks import webhook_url_problem


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


@admin.register(SLAPolicy)
class SLAPolicyAdmin(admin.ModelAdmin):
    list_display = ("__str__", "code", "category", "priority", "response_hours", "resolution_hours")
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


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """Public holidays and make-up working days (调休) of the working calendar."""

    list_display = ("date", "kind", "name")
    list_filter = ("kind",)
    date_hierarchy = "date"


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records the workflow writes; visible to administrators, changed only by the services."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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


# ------------------------------------------------------------------------------ webhooks


class WebhookEndpointForm(forms.ModelForm):
    """The secret is never shown again: a new endpoint gets one made (see ``save_model``)."""

    url = forms.URLField(max_length=500, assume_scheme="https")

    class Meta:
        model = WebhookEndpoint
        fields = ("agency", "url", "events", "active")
        # The declared url field replaces the model's default one (which would assume http).
        field_classes = {"url": forms.URLField}
        widgets = {"url": forms.URLInput}

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        if problem := webhook_url_problem(url):
            raise forms.ValidationError(problem)
        return url

    def clean_events(self) -> list:
        events = self.cleaned_data.get("events") or []
        if not isinstance(events, list) or any(e not in WEBHOOK_EVENTS for e in events):
            raise forms.ValidationError(
                _("A list of events among: %(events)s") % {"events": ", ".join(WEBHOOK_EVENTS)}
            )
        return events


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ("agency", "url", "events", "active", "created_at")
    list_filter = ("active",)
    search_fields = ("agency__code", "url")
    list_select_related = ("agency",)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.secret = secrets.token_hex(32)
        super().save_model(request, obj, form, change)
        if not change:
            messages.warning(
                request,
                _("The signing secret of %(url)s, shown this once: %(secret)s")
                % {"url": obj.url, "secret": obj.secret},
            )


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    fields = readonly_fields = ("at", "status_code", "error", "duration_ms")
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "event", "endpoint", "status", "attempts", "delivered_at")
    list_filter = ("status", "event")
    search_fields = ("event_id", "endpoint__agency__code")
    list_select_related = ("endpoint__agency",)
    inlines = [WebhookAttemptInline]


@admin.register(ContactAccess)
class ContactAccessAdmin(ReadOnlyAdmin):
    """Who was shown which resident's contact details, and when."""

    list_display = ("at", "user", "issue", "level", "via")
    list_filter = ("level", "via")
    search_fields = ("user__username", "issue__tracking_number")
    list_select_related = ("user", "issue")


# The issue's admin page shows the resident's contact, so, as on the staff pages, every
# opening of it is on the audit record (coordination owns the record; issues' admin does not
# know about it, hence the subclass here).
admin.site.unregister(Issue)


@admin.register(Issue)
class AuditedIssueAdmin(IssueAdmin):
    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            issue = self.get_object(request, object_id)
            if issue is not None:
                contact_access_record(
                    user=request.user, issue=issue, level=ContactAccess.Level.FULL, via="admin"
                )
        return response
