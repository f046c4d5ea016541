from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency
from issues.models import Category

from .models import Article


class ArticleForm(forms.Form):
    question = forms.CharField(label=_("Question"), max_length=300)
    answer = forms.CharField(label=_("Answer"), max_length=5000, widget=forms.Textarea)
    organisation = forms.ModelChoiceField(label=_("Organisation"), queryset=Agency.objects.none())
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.filter(active=True).order_by("code"),
        required=False,
    )
    audience = forms.ChoiceField(label=_("Audience"), choices=Article.Audience.choices)
    valid_from = forms.DateField(
        label=_("Valid from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    valid_to = forms.DateField(
        label=_("Valid to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, agency_ids=None, **kwargs):
        super().__init__(*args, **kwargs)
        agencies = Agency.objects.filter(active=True).order_by("code")
        if agency_ids is not None:
            agencies = agencies.filter(pk__in=agency_ids)
        self.fields["organisation"].queryset = agencies

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("valid_from"), data.get("valid_to")
        if start and end and end < start:
            self.add_error("valid_to", _("The end of validity must not come before its start."))
        return data


class ReviewForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea)
