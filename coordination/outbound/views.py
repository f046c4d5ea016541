"""The managers' webhook page: their agencies' endpoints, deliveries and every attempt."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agencies.models import Agency
from coordination.dispatch.permissions import managed_agency_ids

from .models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from .webhooks.services import EVENTS, webhook_endpoint_register

RECENT_DELIVERIES = 50


class WebhookEndpointForm(forms.Form):
    agency = forms.ModelChoiceField(
        label=gettext_lazy("Organisation"), queryset=Agency.objects.none(), empty_label=None
    )
    url = forms.CharField(
        label=gettext_lazy("URL"),
        max_length=500,
        help_text=gettext_lazy("Must start with https://."),
        widget=forms.URLInput(attrs={"placeholder": "https://", "autocomplete": "url"}),
    )
    events = forms.MultipleChoiceField(
        label=gettext_lazy("Events"),
        choices=list(EVENTS.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Tick none to receive every event."),
    )

    def __init__(self, *args, agency_ids: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = Agency.objects.filter(pk__in=agency_ids).order_by("code")


@login_required
def webhooks_page(request: HttpRequest) -> HttpResponse:
    """List and register endpoints. The new secret is shown in this response only."""
    agency_ids = managed_agency_ids(request.user)
    if not agency_ids:
        raise PermissionDenied(_("This page is for the managers of an organisation."))
    form = WebhookEndpointForm(request.POST or None, agency_ids=agency_ids)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            created = webhook_endpoint_register(
                agency=form.cleaned_data["agency"],
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            form = WebhookEndpointForm(agency_ids=agency_ids)
    endpoints = WebhookEndpoint.objects.filter(agency_id__in=agency_ids).select_related("agency")
    deliveries = (
        WebhookDelivery.objects.filter(endpoint__agency_id__in=agency_ids)
        .select_related("endpoint__agency")
        .prefetch_related(Prefetch("attempt_log", queryset=WebhookAttempt.objects.order_by("at")))
        .order_by("-created_at", "-id")[:RECENT_DELIVERIES]
    )
    return render(
        request,
        "coordination/webhooks.html",
        {
            "form": form,
            "created": created,
            "endpoints": endpoints,
            "deliveries": deliveries,
            "event_labels": EVENTS,
        },
        status=201 if created else 200,
    )
