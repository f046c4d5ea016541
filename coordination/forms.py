"""Forms of the staff and dispatcher pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency

from .selectors import dispatchable_agencies


class AgencyChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Agency) -> str:
        return f"{obj.name} ({obj.get_kind_display()})"


class AgencyMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Agency) -> str:
        return f"{obj.name} ({obj.get_kind_display()})"


class DispatchForm(forms.Form):
    """The dispatcher chooses the lead and any co-handlers for an issue in triage."""

    lead = AgencyChoiceField(label=_("Lead organisation"), queryset=Agency.objects.none())
    co_handlers = AgencyMultipleChoiceField(
        label=_("Co-handlers"),
        queryset=Agency.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    note = forms.CharField(label=_("Note"), max_length=1000, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        agencies = dispatchable_agencies().order_by("kind", "code")
        self.fields["lead"].queryset = agencies
        self.fields["co_handlers"].queryset = agencies

    def clean(self) -> dict:
        data = super().clean()
        lead = data.get("lead")
        if lead and lead in (data.get("co_handlers") or []):
            self.add_error("co_handlers", _("The lead cannot also be a co-handler."))
        return data


class ResolveForm(forms.Form):
    resolution = forms.CharField(
        label=_("How was it resolved?"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The resident reads this on the tracking page."),
    )
