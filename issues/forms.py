"""The resident's forms: reporting an issue and finding it again."""

from __future__ import annotations

import re

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.template.defaultfilters import filesizeformat
from django.utils.functional import lazy
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from agencies.selectors import place_in_city
from platform_gov.forms import BooleanField
from platform_gov.widgets import SearchableSelect

from .models import Attachment, Category
from .photos import FIELD as PHOTOS_FIELD
from .photos import photos_prepare
from .selectors import category_choices, category_grouped_choices

phone_validator = RegexValidator(
    r"^\+?[0-9][0-9 \-]{4,19}$",
    _("Enter a phone number of digits, with an optional leading + (5 to 20 characters)."),
)


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Category) -> str:
        return f"{obj.parent.name} › {obj.name}" if obj.parent_id else obj.name


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


def _photos_help_text() -> str:
    return str(
        _(
            "Up to %(count)d photos (JPEG, PNG or WebP), %(size)s each. Take them now or choose "
            "them from your phone; we remove the location and camera details before storing them."
        )
        % {
            "count": settings.ATTACHMENTS_MAX_COUNT,
            "size": filesizeformat(settings.ATTACHMENTS_MAX_BYTES),
        }
    )


class PhotosField(forms.FileField):
    """Several files in one input; cleaned into checked, re-encoded ``issues.photos.Photo``."""

    widget = MultipleFileInput

    def clean(self, data, initial=None) -> list:
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        checked = [super(PhotosField, self).clean(f, initial) for f in files]
        try:
            return photos_prepare(checked)
        except ValidationError as error:
            raise ValidationError(error.message_dict[PHOTOS_FIELD]) from error


class ReportForm(forms.Form):
    """What a resident tells us; every field is checked and errors name the field."""

    title = forms.CharField(
        label=_("What is the problem?"),
        max_length=200,
        help_text=_("One line, e.g. “Street light broken outside No. 12”."),
    )
    description = forms.CharField(
        label=_("Details"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What happened, since when, and anything that helps us find it."),
    )
    category = CategoryChoiceField(
        label=_("Category"),
        queryset=Category.objects.none(),
        required=False,
        empty_label=_("I don't know – let the dispatcher decide"),
        widget=SearchableSelect,
        help_text=_("Type to search, in Chinese, pinyin or English."),
    )
    address = forms.CharField(label=_("Address or place"), max_length=300, required=False)
    lat = forms.FloatField(
        label=_("Latitude"),
        required=False,
        min_value=-90,
        max_value=90,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    lon = forms.FloatField(
        label=_("Longitude"),
        required=False,
        min_value=-180,
        max_value=180,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    contact_name = forms.CharField(label=_("Your name"), max_length=100, required=False)
    contact_phone = forms.CharField(
        label=_("Phone"),
        max_length=32,
        required=False,
        validators=[phone_validator],
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    contact_email = forms.EmailField(
        label=_("Email"),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text=_("We write to you when your issue is answered."),
    )
    anonymous = BooleanField(
        label=_("Report anonymously"),
        required=False,
        help_text=_("Only the dispatch centre will see your contact details."),
    )
    share_contact_with_partners = BooleanField(
        label=_("Let enterprise partners on my case (e.g. the utility company) see my contact"),
        required=False,
        initial=False,
        help_text=_(
            "Government offices handling your case see it anyway. Not used when you report "
            "anonymously."
        ),
    )
    keep_private = BooleanField(
        label=_("Keep my report off public pages"),
        required=False,
        initial=False,
        help_text=_(
            "Otherwise a summary without your name, phone number or exact address may appear "
            "in the city's open data. Anonymous reports and sensitive categories are never "
            "published."
        ),
    )
    photos = PhotosField(
        label=_("Photos (optional)"),
        required=False,
        # No ``capture``: it would open the camera only, and keep residents from choosing a
        # photo they already took; with ``accept`` phones offer both the camera and the album.
        widget=MultipleFileInput(
            attrs={"accept": ",".join(choice.value for choice in Attachment.Format)}
        ),
        help_text=lazy(_photos_help_text, str)(),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["category"]
        field.queryset = category_choices()
        # Shown grouped and sorted for the page's language; validated against the queryset.
        field.choices, field.widget.search = category_grouped_choices(
            language=get_language() or settings.LANGUAGE_CODE, empty_label=field.empty_label
        )

    @property
    def photos_need_choosing_again(self) -> bool:
        """Browsers never re-send files: after an error, chosen photos must be chosen again."""
        return bool(self.is_bound and self.errors and self.files.getlist("photos"))

    def clean(self) -> dict:
        data = super().clean()
        lat, lon = data.get("lat"), data.get("lon")
        if (lat is None) != (lon is None):
            missing = "lon" if lon is None else "lat"
            if missing not in self.errors:
                self.add_error(missing, _("Give both latitude and longitude, or neither."))
        if lat is None and lon is None and not data.get("address") and "lat" not in self.errors:
            self.add_error("address", _("Tell us where: an address, or the coordinates."))
        if lat is not None and lon is not None and not place_in_city(lon=lon, lat=lat):
            # Not silently sent on to triage: the resident can move the pin, or call 12345.
            self.add_error(
                "lat",
                _(
                    "This place is outside %(city)s, which this service covers. Pick a place "
                    "in the city on the map, or give an address."
                )
                % {"city": _("Qinghe City")},
            )
        if data.get("anonymous"):
            data["share_contact_with_partners"] = False  # no contact goes past the centre
        return data


TOKEN_RE = re.compile(r"(?:/track/)?([A-Za-z0-9_\-]{32,64})/?\s*$")
NUMBER_RE = re.compile(r"^\s*(\d{8})\s*-?\s*([23456789A-Za-z]{6})\s*$")


class TrackForm(forms.Form):
    """Find an issue again: from the tracking link (or the code at its end), or from the
    tracking number with something only the resident knows (the last four digits of the phone
    they gave, or their e-mail address).

    ``cleaned_data`` holds ``token`` (a link was given) or ``number`` and ``check``.
    """

    code = forms.CharField(
        label=_("Your tracking link or tracking number"),
        max_length=300,
        help_text=_(
            "Paste the link you were given, or type the tracking number (e.g. 20261206-7KXQ4M)."
        ),
    )
    check = forms.CharField(
        label=_("With a tracking number: the last four digits of your phone, or your e-mail"),
        max_length=254,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text=_("Only needed with a tracking number, so that no one else can open it."),
    )

    def clean(self) -> dict:
        data = super().clean()
        code = (data.get("code") or "").strip()
        if not code:
            return data
        if number := NUMBER_RE.match(code):
            data["number"] = f"{number.group(1)}-{number.group(2).upper()}"
            check = (data.get("check") or "").strip()
            if not check:
                self.add_error(
                    "check",
                    _(
                        "With a tracking number, give the last four digits of the phone you "
                        "gave, or your e-mail address."
                    ),
                )
            data["check"] = check
            return data
        if token := TOKEN_RE.search(code):
            data["token"] = token.group(1)
            return data
        self.add_error(
            "code",
            _(
                "This is neither a tracking link nor a tracking number. A link looks like "
                "…/track/ followed by a long code; a number like 20261206-7KXQ4M."
            ),
        )
        return data


RATING_CHOICES = [
    (5, _("5 – Very satisfied")),
    (4, _("4 – Satisfied")),
    (3, _("3 – Acceptable")),
    (2, _("2 – Dissatisfied")),
    (1, _("1 – Very dissatisfied")),
]


class FeedbackForm(forms.Form):
    """The resident's rating of a resolution (回访); 1 or 2 sends it back to be redone."""

    rating = forms.TypedChoiceField(
        label=_("How satisfied are you with the resolution?"),
        choices=RATING_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReopenForm(forms.Form):
    """The resident says the problem is still there, within the reopen window."""

    reason = forms.CharField(
        label=_("What is still wrong?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
