"""Form widgets the pages share: selects that a script turns into searchable lists.

Without JavaScript they are plain ``<select>`` elements (grouped, sorted, complete); with it,
``static/js/select.js`` turns every ``select[data-searchable]`` into a tom-select that finds an
option by its name, its pinyin or the pinyin's initials (``search`` per option).
"""

from __future__ import annotations

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import mark_safe


def option_html(value, label, attrs: dict) -> str:
    """One ``<option>``, as the searchable selects write it (escaped)."""
    return format_html('<option value="{}"{}>{}</option>', value, flatatt(attrs), label)


def optgroup_open(label) -> str:
    return format_html('<optgroup label="{}">', label)


class SearchableSelectMixin:
    """Adds ``data-searchable`` to the select and ``data-search`` to each option whose value
    is in ``self.search`` (value → text to match; tom-select reads it as the option's
    ``search`` field)."""

    search: dict[str, str]
    # The options' HTML prepared elsewhere (``SafeString``), or None: from ``choices``.
    options: str | None = None

    def __init__(self, *args, search: dict[str, str] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.search = dict(search or {})
        self.attrs.setdefault("data-searchable", "")

    def render(self, name, value, attrs=None, renderer=None):
        """The select built in Python: Django renders each option through a template, which
        for a list of two hundred organisations cost more than the rest of a page. With
        ``options`` given (the options' HTML, rendered once for many pages: see
        ``coordination.dispatch.pickers``) and nothing chosen, those are the select's."""
        if self.options is not None and not any(self.format_value(value)):
            attrs = self.build_attrs(self.attrs, attrs)
            if self.allow_multiple_selected:
                attrs["multiple"] = True
            return mark_safe(  # noqa: S308 (the name and attributes escaped, options prepared)
                format_html('<select name="{}"{}>', name, flatatt(attrs))
                + self.options
                + "</select>"
            )
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [format_html('<select name="{}"{}>', widget["name"], flatatt(widget["attrs"]))]
        for group, options, _index in widget["optgroups"]:
            if group:
                parts.append(optgroup_open(group))
            for option in options:
                parts.append(
                    option_html(
                        "" if option["value"] is None else option["value"],
                        option["label"],
                        option["attrs"],
                    )
                )
            if group:
                parts.append("</optgroup>")
        parts.append("</select>")
        return mark_safe("".join(parts))  # noqa: S308 (every part went through format_html)

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        text = self.search.get(str(value))
        if text:
            option["attrs"]["data-search"] = text
        return option


class SearchableSelect(SearchableSelectMixin, forms.Select):
    pass


class SearchableSelectMultiple(SearchableSelectMixin, forms.SelectMultiple):
    pass
