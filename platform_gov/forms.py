"""Form pieces every app's pages share."""

from __future__ import annotations

import re
from collections.abc import Callable

from django import forms
from django.forms.boundfield import BoundField
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language


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


# ------------------------------------------------------------ forms drawn once, shown often

# The numbers in a form's ``auto_id`` (the assignment in ``id_reply1234_%s``) are drawn as
# these marks, then each page puts its own back: marks hold no digit, so they cannot be taken
# for one, and no label or help text holds them.
_NUMBER = re.compile(r"\d+")
_DRAWINGS: dict[tuple, str] = {}
DRAWINGS_KEPT = 2048  # forms × ids' shapes × languages × parts; emptied when full


def _mark(index: int) -> str:
    # The index's digits written as letters (0 → a, 12 → bc): one mark per number, no digit.
    return f"zzdrawn{''.join(chr(ord('a') + int(d)) for d in str(index))}zz"


def options_mark(name: str) -> str:
    """What a select shows in place of its prepared options until the form puts them in."""
    return f"zzoptions{name.replace('_', '')}zz"


def _put_in(html: str, numbers, parts: dict[str, str]) -> SafeString:
    for index, number in enumerate(numbers):
        html = html.replace(_mark(index), number)
    for mark, part in parts.items():
        html = html.replace(mark, part)
    return mark_safe(html)  # noqa: S308 (drawn by Django's templates; parts are prepared HTML)


class DrawnBoundField(BoundField):
    """A field of a :class:`DrawnOnce` form: its group (label, widget, help, errors) and its
    widget drawn once, like the form.

    Each drawing is made by a new bound field of the form (its ids then the marks): this one
    may keep values computed with the page's own ids."""

    def render(self, template_name=None, context=None, renderer=None):
        if template_name is None and context is None and renderer is None:
            return self.form.drawn(
                ("group", self.name), lambda: BoundField.render(self.form[self.name])
            )
        return super().render(template_name, context, renderer)

    def as_field_group(self):
        return self.render()

    def as_widget(self, widget=None, attrs=None, only_initial=False):
        if widget is None and attrs is None and not only_initial:
            return self.form.drawn(
                ("widget", self.name), lambda: BoundField.as_widget(self.form[self.name])
            )
        return super().as_widget(widget, attrs, only_initial)


class DrawnOnce:
    """For forms shown empty on a busy page (the case page carries seven): an unbound form,
    its fields' groups and widgets are drawn once per process, form, language and shape of
    ids, and each page puts its own ids in. Django draws a form through a template for every
    field, label, widget and error list; this skips that work, not its result.

    What else a drawing depends on goes in ``drawn_parts``: mark → HTML put in after drawing
    (a prepared list of options); the HTML drawn with the marks in it is what is kept. A bound
    form (with what was sent, and its errors) or one with initial values is drawn every time.
    """

    bound_field_class = DrawnBoundField

    def drawn_parts(self) -> dict[str, str]:
        """Mark → HTML: by default each field's prepared options (``drawn_options``, which a
        field's widget shows as its mark)."""
        return {
            options_mark(name): field.drawn_options
            for name, field in self.fields.items()
            if getattr(field, "drawn_options", None) is not None
        }

    def _as_built(self) -> bool:
        """Whether each prepared list's widget still shows its mark (else someone changed
        the field after the form was built: it is drawn afresh)."""
        return all(
            getattr(field.widget, "options", None) == options_mark(name)
            for name, field in self.fields.items()
            if getattr(field, "drawn_options", None) is not None
        )

    _drawing = False  # within a drawing of this form: its fields' drawings keep their marks

    def drawn(self, what: tuple, draw: Callable[[], str]) -> SafeString:
        if self._drawing:
            return mark_safe(str(draw()))  # noqa: S308 (drawn by Django's templates)
        auto_id = self.auto_id
        parts = self.drawn_parts()
        if self.is_bound or self.initial or not isinstance(auto_id, str) or not self._as_built():
            return _put_in(str(draw()), (), parts)
        numbers = _NUMBER.findall(auto_id)
        counter = iter(range(len(numbers)))
        shape = _NUMBER.sub(lambda _m: _mark(next(counter)), auto_id)
        key = (type(self), shape, self.prefix, get_language(), tuple(parts), what)
        html = _DRAWINGS.get(key)
        if html is None:
            self.auto_id, self._bound_fields_cache, self._drawing = shape, {}, True
            try:
                html = str(draw())
            finally:
                self.auto_id, self._bound_fields_cache, self._drawing = auto_id, {}, False
            if len(_DRAWINGS) >= DRAWINGS_KEPT:
                _DRAWINGS.clear()
            _DRAWINGS[key] = html
        return _put_in(html, numbers, parts)

    def render(self, template_name=None, context=None, renderer=None):
        if context is None and renderer is None:
            return self.drawn(
                ("form", template_name or self.template_name),
                lambda: super(DrawnOnce, self).render(template_name),
            )
        return super().render(template_name, context, renderer)

    __str__ = render
    __html__ = render
