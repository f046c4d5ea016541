"""Form pieces every app's pages share."""

from __future__ import annotations

from django import forms


class CheckboxInput(forms.CheckboxInput):
    """A checkbox that reads ``0``, ``off``, ``no`` and ``false`` as unticked.

    Django's own reads every non-empty value but ``false`` as ticked, so a client posting
    ``public=0`` would publish a note meant for the handlers. Browsers send ``on``; programs
    send what they like.
    """

    UNTICKED = frozenset({"", "0", "false", "off", "no", "n"})

    def value_from_datadict(self, data, files, name) -> bool:
        if name not in data:
            return False
        value = data.get(name)
        if isinstance(value, str):
            return value.strip().lower() not in self.UNTICKED
        return bool(value)


class BooleanField(forms.BooleanField):
    """``forms.BooleanField`` with the :class:`CheckboxInput` above."""

    widget = CheckboxInput
