from django import forms
from django.utils.translation import gettext_lazy as _


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note (optional)"), max_length=1000, required=False)
