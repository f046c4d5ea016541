from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from issues.models import Category, Issue

from .services import DESK_CHANNELS


class CallForm(forms.Form):
    contact_phone = forms.CharField(
        label=_("Caller's number"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autofocus": True, "inputmode": "tel", "autocomplete": "off"}
        ),
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("What the caller says"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.filter(active=True).order_by("code"),
        required=False,
    )
    address = forms.CharField(label=_("Place"), max_length=300, required=False)
    contact_name = forms.CharField(label=_("Caller's name"), max_length=100, required=False)
    channel = forms.ChoiceField(
        label=_("Came by"),
        choices=[(c, label) for c, label in Issue.Channel.choices if c in DESK_CHANNELS],
        initial=Issue.Channel.PHONE,
    )
    answer = forms.CharField(
        label=_("Answer given"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    article = forms.IntegerField(required=False, widget=forms.HiddenInput)
    outcome = forms.ChoiceField(choices=[("file", "file"), ("answer", "answer")], initial="file")

    def call(self) -> dict:
        data = self.cleaned_data
        return {
            key: data[key]
            for key in (
                "title",
                "description",
                "category",
                "address",
                "contact_name",
                "contact_phone",
                "channel",
            )
        }


class FollowUpForm(forms.Form):
    note = forms.CharField(label=_("What the caller said"), max_length=2000)
