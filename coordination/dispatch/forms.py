"""Forms of the staff's case page and the dispatcher's page."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from django import forms
from django.conf import settings
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency, Area
from issues.models import Category, Issue
from platform_gov.collation import search_text, sort_key
from platform_gov.forms import BooleanField, DrawnOnce, options_mark
from platform_gov.widgets import SearchableSelect, SearchableSelectMultiple, option_html

from .pickers import AgencyPicker, AgencyPickers, agency_grouped_choices, agency_pickers
from .selectors import dispatchable_agencies, whistle_agencies


class AgencyChoiceField(forms.ModelChoiceField):
    """One organisation, from a searchable list grouped by kind."""

    widget = SearchableSelect

    def label_from_instance(self, obj: Agency) -> str:
        return f"{obj.name} ({obj.get_kind_display()})"

    def offer(self, agencies: Iterable[Agency]) -> None:
        """Show these organisations (grouped, sorted, searchable); validation still asks the
        queryset, so offer what it holds."""
        value = self.to_field_name or "pk"
        self.choices, self.widget.search = agency_grouped_choices(
            agencies, value=value, empty_label=self.empty_label
        )

    def offer_picker(self, picker: AgencyPicker, *, left_out: Collection[int], name: str) -> None:
        """Show a prepared list (``pickers``) but for ``left_out``: what ``offer`` shows of
        the same organisations, without building it again. The form (``DrawnOnce``) puts the
        options in where the select shows their mark (``name``: the field's)."""
        empty = (
            ""
            if self.empty_label is None
            else option_html("", self.empty_label, {"selected": True})
        )
        self.drawn_options = mark_safe(empty + picker.options_html(left_out=left_out))  # noqa: S308
        self.widget.options = mark_safe(options_mark(name))  # noqa: S308 (no markup)


class AgencyMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Several organisations, from a searchable list grouped by kind."""

    widget = SearchableSelectMultiple

    def label_from_instance(self, obj: Agency) -> str:
        return f"{obj.name} ({obj.get_kind_display()})"

    def offer(self, agencies: Iterable[Agency]) -> None:
        value = self.to_field_name or "pk"
        self.choices, self.widget.search = agency_grouped_choices(agencies, value=value)

    def offer_picker(self, picker: AgencyPicker, *, left_out: Collection[int], name: str) -> None:
        """As ``AgencyChoiceField.offer_picker``, with nothing chosen first."""
        self.drawn_options = picker.options_html(left_out=left_out)
        self.widget.options = mark_safe(options_mark(name))  # noqa: S308 (no markup)


class DispatchForm(forms.Form):
    """The dispatcher chooses the lead and any co-handlers for an issue in triage."""

    lead = AgencyChoiceField(label=_("Lead organisation"), queryset=Agency.objects.none())
    co_handlers = AgencyMultipleChoiceField(
        label=_("Co-handlers"),
        queryset=Agency.objects.none(),
        required=False,
        help_text=_("Type to search by name, pinyin or code; choose as many as needed."),
    )
    note = forms.CharField(label=_("Note"), max_length=1000, required=False)

    def __init__(self, *args, agencies: list[Agency] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        queryset = dispatchable_agencies().order_by("kind", "code")
        self.fields["lead"].queryset = queryset
        self.fields["co_handlers"].queryset = queryset
        if not self.is_bound:  # only what is shown needs the grouped, searchable choices
            agencies = list(queryset) if agencies is None else agencies
            self.fields["lead"].offer(agencies)
            self.fields["co_handlers"].offer(agencies)

    def clean(self) -> dict:
        data = super().clean()
        lead = data.get("lead")
        if lead and lead in (data.get("co_handlers") or []):
            self.add_error("co_handlers", _("The lead cannot also be a co-handler."))
        return data


class ResolveForm(DrawnOnce, forms.Form):
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


class ReasonForm(DrawnOnce, forms.Form):
    """A request that needs nothing but its reason: a bounce-back (退单) or a rating appeal."""

    reason = _reason(_("Reason"))


class TransferForm(DrawnOnce, forms.Form):
    reason = _reason(_("Why should another organisation lead?"))
    suggested_agency = AgencyChoiceField(
        label=_("Suggested organisation"),
        queryset=Agency.objects.none(),
        to_field_name="code",
        required=False,
        empty_label=_("Let the dispatcher decide"),
    )

    def __init__(
        self,
        *args,
        agency: Agency | None = None,
        on_case: Iterable[int] = (),
        pickers: AgencyPickers | None = None,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        # Never offered: the organisation itself, nor one already working on the case.
        left_out = {*on_case, *([agency.pk] if agency is not None else [])}
        agencies = dispatchable_agencies().exclude(pk__in=left_out).order_by("kind", "code")
        self.fields["suggested_agency"].queryset = agencies
        if not self.is_bound:  # shown: the prepared list (the queryset is for validation)
            picker = (pickers or agency_pickers()).picker("dispatchable", value="code")
            self.fields["suggested_agency"].offer_picker(
                picker, left_out=left_out, name="suggested_agency"
            )


class AgenciesForm(DrawnOnce, forms.Form):
    """Organisations to bring in, and why: co-handling (协办) or the whistle (吹哨报到).

    ``choices`` gives the organisations a form offers (all that may be dispatched to, by
    default); the service checks the same selector again."""

    agencies = AgencyMultipleChoiceField(
        label=_("Organisations"),
        queryset=Agency.objects.none(),
        to_field_name="code",
        help_text=_("Type to search by name, pinyin or code; choose as many as needed."),
    )
    reason = _reason(_("Reason"))
    choices = staticmethod(dispatchable_agencies)
    picker = "dispatchable"  # the same list, prepared (``pickers.SOURCES``)

    def __init__(
        self,
        *args,
        agency: Agency | None = None,
        on_case: Iterable[int] = (),
        pickers: AgencyPickers | None = None,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        # Never offered: the organisation itself, nor one already working on the case.
        left_out = {*on_case, *([agency.pk] if agency is not None else [])}
        agencies = self.choices().exclude(pk__in=left_out).order_by("kind", "code")
        self.fields["agencies"].queryset = agencies
        if not self.is_bound:  # shown: the prepared list (the queryset is for validation)
            picker = (pickers or agency_pickers()).picker(self.picker, value="code")
            self.fields["agencies"].offer_picker(picker, left_out=left_out, name="agencies")


class CohandleForm(AgenciesForm):
    pass


class WhistleForm(AgenciesForm):
    # The departments a whistle may summon: the selector the service checks with.
    choices = staticmethod(whistle_agencies)
    picker = "whistle"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agencies"].label = _("Departments to summon")
        self.fields["reason"].label = _("What are they summoned for?")


class ExtensionForm(DrawnOnce, forms.Form):
    until = forms.DateTimeField(
        label=_("New deadline"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    reason = _reason(_("Why is more time needed?"))


class ReplyForm(DrawnOnce, forms.Form):
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
        # The dispatcher's page renders this field as a text input over one shared datalist
        # of organisations (a select per request made the page megabytes long).
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


# ------------------------------------------------------------------ the dispatcher's workbench


class WorkbenchFilterForm(forms.Form):
    """The workbench's filters (a GET form): each narrows the list of every issue."""

    q = forms.CharField(
        label=_("Search"),
        max_length=200,
        required=False,
        help_text=_("A tracking number, or words of the title or address."),
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any")), *Issue.Status.choices]
    )
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.none(),
        required=False,
        to_field_name="code",
        empty_label=_("Any"),
        widget=SearchableSelect,
    )
    area = forms.ModelChoiceField(
        label=_("Area"),
        queryset=Area.objects.none(),
        required=False,
        to_field_name="code",
        empty_label=_("Any"),
        widget=SearchableSelect,
    )
    agency = AgencyChoiceField(
        label=_("Organisation"),
        queryset=Agency.objects.none(),
        required=False,
        to_field_name="code",
        empty_label=_("Any"),
    )
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", _("Any")), *Issue.Channel.choices]
    )
    overdue = forms.BooleanField(label=_("Overdue work"), required=False)
    at_risk = forms.BooleanField(label=_("Due soon (at risk)"), required=False)
    filed_from = forms.DateField(
        label=_("Filed from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        input_formats=["%Y-%m-%d"],
    )
    filed_to = forms.DateField(
        label=_("Filed until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        input_formats=["%Y-%m-%d"],
        help_text=_("Both days are included."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        language = get_language() or settings.LANGUAGE_CODE
        categories = list(Category.objects.select_related("parent"))
        self.fields["category"].queryset = Category.objects.all()
        self.fields["category"].choices = [("", _("Any"))] + [
            (c.code, f"{c.parent.name} › {c.name}" if c.parent_id else c.name)
            for c in sorted(
                categories,
                key=lambda c: (
                    sort_key(c.parent.name if c.parent_id else c.name, language),
                    bool(c.parent_id),
                    sort_key(c.name, language),
                ),
            )
        ]
        self.fields["category"].widget.search = {
            c.code: search_text(c.name_zh, c.name_en) for c in categories
        }
        areas = list(Area.objects.all())
        self.fields["area"].queryset = Area.objects.all()
        self.fields["area"].choices = [("", _("Any"))] + [
            (a.code, f"{a.name} ({a.get_level_display()})")
            for a in sorted(areas, key=lambda a: sort_key(a.name, language))
        ]
        self.fields["area"].widget.search = {
            a.code: search_text(a.name_zh, a.name_en) for a in areas
        }
        agencies = dispatchable_agencies()
        self.fields["agency"].queryset = agencies
        self.fields["agency"].offer(list(agencies))
