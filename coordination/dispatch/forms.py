"""Forms of the staff's case page and the dispatcher's page."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency
from issues.models import Issue
from platform_gov.forms import BooleanField

from .selectors import dispatchable_agencies, whistle_agencies


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
    published = BooleanField(
        label=_("Publish it too"),
        required=False,
        help_text=_(
            "Ticked: the public may read it too (the city's open data, reports merged into "
            "this one). Leave out names, phone numbers and addresses."
        ),
    )


# ------------------------------------------------------------------ the case page's actions

REASON_WIDGET = {"rows": 3}


def _reason(label) -> forms.CharField:
    return forms.CharField(
        label=label, max_length=2000, widget=forms.Textarea(attrs=dict(REASON_WIDGET))
    )


class ReasonForm(forms.Form):
    """A request that needs nothing but its reason: a bounce-back (退单) or a rating appeal."""

    reason = _reason(_("Reason"))


class TransferForm(forms.Form):
    reason = _reason(_("Why should another organisation lead?"))
    suggested_agency = AgencyChoiceField(
        label=_("Suggested organisation"),
        queryset=Agency.objects.none(),
        to_field_name="code",
        required=False,
        empty_label=_("Let the dispatcher decide"),
    )

    def __init__(self, *args, agency: Agency | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        agencies = dispatchable_agencies().order_by("kind", "code")
        if agency is not None:
            agencies = agencies.exclude(pk=agency.pk)
        self.fields["suggested_agency"].queryset = agencies


class AgenciesForm(forms.Form):
    """Organisations to bring in, and why: co-handling (协办) or the whistle (吹哨报到).

    ``choices`` gives the organisations a form offers (all that may be dispatched to, by
    default); the service checks the same selector again."""

    agencies = AgencyMultipleChoiceField(
        label=_("Organisations"),
        queryset=Agency.objects.none(),
        to_field_name="code",
        widget=forms.SelectMultiple(attrs={"size": 5}),
        help_text=_("Hold Ctrl (or ⌘) to choose more than one."),
    )
    reason = _reason(_("Reason"))
    choices = staticmethod(dispatchable_agencies)

    def __init__(self, *args, agency: Agency | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        agencies = self.choices().order_by("kind", "code")
        if agency is not None:
            agencies = agencies.exclude(pk=agency.pk)
        self.fields["agencies"].queryset = agencies


class CohandleForm(AgenciesForm):
    pass


class WhistleForm(AgenciesForm):
    # The departments a whistle may summon: the selector the service checks with.
    choices = staticmethod(whistle_agencies)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agencies"].label = _("Departments to summon")
        self.fields["reason"].label = _("What are they summoned for?")


class ExtensionForm(forms.Form):
    until = forms.DateTimeField(
        label=_("New deadline"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    reason = _reason(_("Why is more time needed?"))


class ReplyForm(forms.Form):
    message = forms.CharField(
        label=_("Message"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    public = BooleanField(
        label=_("Visible to the resident"),
        required=False,
        help_text=_(
            "Ticked: a reply shown on the resident's tracking page. "
            "Not ticked: an internal note for the handlers only."
        ),
    )
    published = BooleanField(
        label=_("Publish it too"),
        required=False,
        help_text=_(
            "Ticked with the box above: the public may read the reply too (the city's open "
            "data, reports merged into this one). Leave out names, phone numbers and addresses."
        ),
    )

    def clean(self) -> dict:
        data = super().clean()
        if data.get("published") and not data.get("public"):
            self.add_error("published", _("Only a reply to the resident can be published."))
        return data


# ------------------------------------------------------------------ the dispatcher's decisions


class ApproveForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=2000, required=False)
    reassign_to = AgencyChoiceField(
        label=_("Send to"),
        queryset=Agency.objects.none(),
        to_field_name="code",
        required=False,
        empty_label=_("The suggested organisation, or back to triage"),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reassign_to"].queryset = dispatchable_agencies().order_by("kind", "code")


class RejectForm(forms.Form):
    note = forms.CharField(label=_("Why is it rejected?"), max_length=2000)


class EscalateForm(forms.Form):
    note = forms.CharField(label=_("What is expected?"), max_length=2000)


class IssueNumberField(forms.CharField):
    """An issue by its tracking number (or, for the dispatcher's convenience, its id)."""

    def clean(self, value) -> Issue:
        number = super().clean(value).strip()
        issue = Issue.objects.filter(tracking_number__iexact=number).first()
        if issue is None and number.isdigit():
            issue = Issue.objects.filter(pk=int(number)).first()
        if issue is None:
            raise forms.ValidationError(_("No issue has this tracking number."))
        return issue


class PublicationForm(forms.Form):
    """The dispatcher's part in what the public sees of an issue (``issues.publication``)."""

    public_summary = forms.CharField(
        label=_("Public summary"),
        max_length=Issue._meta.get_field("public_summary").max_length,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "What the public reads instead of the resident's description. Leave it empty to "
            "publish the description with phone numbers, ID numbers, e-mail addresses, room "
            "numbers and names removed."
        ),
    )
    keep_private = BooleanField(
        label=_("Withhold from publication"),
        required=False,
        help_text=_("Only an administrator can publish it again."),
    )


class MergeForm(forms.Form):
    issue = IssueNumberField(label=_("Merge the duplicate"), max_length=20)
    into = IssueNumberField(label=_("into the issue that continues"), max_length=20)
