"""Partners' webhook endpoints and their delivery logs; the outbox of every message owed."""

import secrets

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from platform_gov.admin import ReadOnlyAdmin

from .models import OutboxMessage, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from .outbox import outbox_retry_now
from .webhooks.addresses import webhook_url_problem
from .webhooks.services import EVENTS as WEBHOOK_EVENTS


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


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    """What the platform owes: read-only, with one action, to send chosen messages again now
    (given up ones too)."""

    list_display = (
        "created_at",
        "kind",
        "recipient",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "last_error",
    )
    list_filter = ("status", "kind")
    search_fields = ("recipient", "dedupe_key", "last_error")
    date_hierarchy = "created_at"
    actions = ["retry_now"]

    @admin.action(description=gettext_lazy("Send again now"))
    def retry_now(self, request, queryset):
        count = outbox_retry_now(list(queryset.values_list("pk", flat=True)))
        messages.success(request, _("%(count)d messages will be sent again.") % {"count": count})
