"""Forms of the hot room's pages: the board's filters, topics and their steps, "me too"."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency, Area
from coordination.dispatch.selectors import dispatchable_agencies
from issues.models import Category, Issue

from .selectors import SORTS


class AgencyChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Agency) -> str:
        return f"{obj.name} ({obj.get_kind_display()})"


class AgenciesChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Agency) -> str:
        return f"{obj.name} ({obj.get_kind_display()})"


class BoardFilterForm(forms.Form):
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("heat", _("Heat")),
            ("growth", _("Growth")),
            ("size", _("Complaints")),
            ("latest", _("Latest complaint")),
        ],
    )
    area = forms.ModelChoiceField(
        label=_("Area"),
        required=False,
        queryset=Area.objects.order_by("level", "code"),
        empty_label=_("Whole city"),
    )
    category = forms.ModelChoiceField(
        label=_("Category"),
        required=False,
        queryset=Category.objects.filter(parent__isnull=True).order_by("code"),
        empty_label=_("All categories"),
    )
    closed = forms.BooleanField(label=_("Include closed hot issues"), required=False)

    def clean_sort(self) -> str:
        sort = self.cleaned_data.get("sort") or "heat"
        return sort if sort in SORTS else "heat"


TRACKING_NUMBERS = re.compile(r"[\s,，;；]+")


class IssuesField(forms.CharField):
    """Issues named by tracking number (or id), one per line or separated by commas."""

    widget = forms.Textarea(attrs={"rows": 3})

    def clean(self, value) -> list[Issue]:
        value = super().clean(value)
        names = [n for n in TRACKING_NUMBERS.split(value or "") if n]
        if not names:
            return []
        numbers = [n.upper() for n in names if not n.isdigit()]
        ids = [int(n) for n in names if n.isdigit()]
        found = list(Issue.objects.filter(tracking_number__in=numbers)) + list(
            Issue.objects.filter(pk__in=ids)
        )
        known = {i.tracking_number for i in found} | {str(i.pk) for i in found}
        missing = [n for n in names if n.upper() not in known and n not in known]
        if missing:
            raise ValidationError(
                _("No such issue: %(names)s") % {"names": ", ".join(missing[:10])}
            )
        return list({i.pk: i for i in found}.values())


class TopicForm(forms.Form):
    """A new topic: from a hot issue (its complaints) and/or issues picked by hand."""

    title = forms.CharField(label=_("Title"), max_length=200)
    goal = forms.CharField(
        label=_("Goal"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the organisations will achieve together, in words residents understand."),
    )
    lead = AgencyChoiceField(label=_("Lead organisation"), queryset=Agency.objects.none())
    participants = AgenciesChoiceField(
        label=_("Participating organisations"),
        queryset=Agency.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Departments, street offices, party and mass organisations, enterprises."),
    )
    due_on = forms.DateField(
        label=_("To be done by"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    milestone = forms.CharField(label=_("First milestone"), max_length=200, required=False)
    milestone_due_on = forms.DateField(
        label=_("Milestone due"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    issues = IssuesField(
        label=_("Issues (tracking numbers)"),
        required=False,
        help_text=_("One per line; with a hot issue, its complaints are added anyway."),
    )

    def __init__(self, *args, hot_issue=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        agencies = dispatchable_agencies().order_by("kind", "code")
        self.fields["lead"].queryset = agencies
        self.fields["participants"].queryset = agencies
        self.hot_issue = hot_issue
        if hot_issue is None:
            self.fields["issues"].required = True

    def clean(self) -> dict:
        data = super().clean()
        if bool(data.get("milestone")) != bool(data.get("milestone_due_on")):
            self.add_error("milestone_due_on", _("Give the milestone both a name and a date."))
        return data


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Progress"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    public = forms.BooleanField(
        label=_("Show to the residents of the member issues"), required=False
    )
    agency = forms.TypedChoiceField(label=_("On behalf of"), coerce=int, required=False)

    def __init__(self, *args, agencies=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"].choices = [(a.pk, a.name) for a in agencies]
        if not agencies:
            del self.fields["agency"]


class MilestoneForm(forms.Form):
    title = forms.CharField(label=_("Milestone"), max_length=200)
    due_on = forms.DateField(label=_("Due"), widget=forms.DateInput(attrs={"type": "date"}))
    agency = AgencyChoiceField(
        label=_("Organisation responsible"), queryset=Agency.objects.none(), required=False
    )

    def __init__(self, *args, topic=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if topic is not None:
            ids = [topic.lead_id, *topic.participants.values_list("pk", flat=True)]
            self.fields["agency"].queryset = Agency.objects.filter(pk__in=ids).order_by("code")


class MilestoneDoneForm(forms.Form):
    note = forms.CharField(label=_("What was done"), max_length=2000, required=False)


class IssuesForm(forms.Form):
    issues = IssuesField(label=_("Issues (tracking numbers)"))


class ParticipantsForm(forms.Form):
    add = AgenciesChoiceField(
        label=_("Bring in"),
        queryset=Agency.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    remove = AgenciesChoiceField(
        label=_("Let go"),
        queryset=Agency.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )
    note = forms.CharField(label=_("Why"), max_length=2000, required=False)

    def __init__(self, *args, topic=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if topic is not None:
            current = list(topic.participants.values_list("pk", flat=True))
            self.fields["add"].queryset = (
                dispatchable_agencies().exclude(pk__in=[topic.lead_id, *current]).order_by("code")
            )
            self.fields["remove"].queryset = Agency.objects.filter(pk__in=current).order_by("code")


class DecisionForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=2000, required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Why"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class CompleteForm(forms.Form):
    summary = forms.CharField(
        label=_("What was achieved (told to the residents)"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


phone_validator = RegexValidator(
    r"^\+?[0-9][0-9 \-]{4,19}$",
    _("Enter a phone number of digits, with an optional leading + (5 to 20 characters)."),
)


class SupportForm(forms.Form):
    """ "Me too": a signed-in resident needs nothing more; others give a phone or e-mail,
    so that they are counted once (only a keyed hash of it is kept)."""

    phone = forms.CharField(
        label=_("Phone"),
        max_length=32,
        required=False,
        validators=[phone_validator],
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    email = forms.EmailField(
        label=_("Email"), required=False, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )


class CooperationForm(forms.Form):
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("To (inclusive)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def period(self):
        """[start, end) as aware datetimes: the last 30 days by default."""
        data = self.cleaned_data if self.is_valid() else {}
        today = timezone.localdate()
        end = data.get("end") or today
        start = data.get("start") or end - timedelta(days=29)
        if start > end:
            start, end = end, start
        tz = timezone.get_current_timezone()
        return (
            datetime.combine(start, time.min, tzinfo=tz),
            datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz),
        )
