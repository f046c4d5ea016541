"""Forms of the rule pages: the simulator and the replay."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from issues.models import Category, Issue


class SimulateForm(forms.Form):
    """An issue typed in, or a past one picked, to see how a rule set would route it."""

    issue = forms.CharField(
        label=_("A past issue (tracking number)"),
        max_length=20,
        required=False,
        help_text=_("Leave empty to route the issue described below."),
    )
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    description = forms.CharField(
        label=_("Description"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.none(),
        required=False,
        to_field_name="code",
    )
    lat = forms.FloatField(label=_("Latitude"), required=False, min_value=-90, max_value=90)
    lon = forms.FloatField(label=_("Longitude"), required=False, min_value=-180, max_value=180)
    channel = forms.ChoiceField(
        label=_("Channel"), choices=Issue.Channel.choices, initial=Issue.Channel.WEB
    )
    priority = forms.ChoiceField(
        label=_("Priority"), choices=Issue.Priority.choices, initial=Issue.Priority.NORMAL
    )
    submitted_at = forms.DateTimeField(
        label=_("Filed at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("Empty: now."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(active=True).order_by("code")

    def clean_issue(self) -> Issue | None:
        number = self.cleaned_data["issue"].strip()
        if not number:
            return None
        issue = Issue.objects.select_related("category").filter(tracking_number=number).first()
        if issue is None:
            raise forms.ValidationError(_("No issue has this tracking number."))
        return issue

    def clean(self) -> dict:
        data = super().clean()
        if (data.get("lat") is None) != (data.get("lon") is None):
            self.add_error("lon", _("Give both latitude and longitude, or neither."))
        if not data.get("issue") and not (
            data.get("title") or data.get("description") or data.get("category")
        ):
            self.add_error("title", _("Describe an issue, or give a tracking number."))
        return data


class ReplayForm(forms.Form):
    replay_last = forms.IntegerField(
        label=_("Replay the last N issues"), min_value=1, max_value=10_000, initial=1000
    )
