"""The dashboard's tables as HTML rows, written in Python rather than by template loops.

The rankings list every organisation five times, the breakdowns and the map every area:
thousands of cells, which Django's template loops render at tens of microseconds each — most
of a cold dashboard's time once its figures come from the summaries (and the map's table is
rendered on every request, cached figures or not).
"""

from __future__ import annotations

from django import template
from django.utils.formats import localize
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

register = template.Library()


def _numbers():
    """A function writing a cell's number, localized as ``{{ value }}`` would be (each
    distinct value once: a percentage recurs), None as "no data yet"."""
    missing = format_html(
        '<span aria-hidden="true">—</span><span class="visually-hidden">{}</span>',
        _("no data yet"),
    )
    seen: dict[tuple[type, object], str] = {}

    def number(value) -> str:
        if value is None:
            return missing
        key = (type(value), value)
        if key not in seen:
            seen[key] = conditional_escape(localize(value))
        return seen[key]

    return number


@register.simple_tag
def map_rows(layer: dict) -> SafeString:
    """The ``<tr>`` of the map's table: each area's name, open issues and resolution rate."""
    features = layer["areas"]["features"]
    if not features:
        return format_html(
            '<tr><td colspan="3">{}</td></tr>', _("No areas have been drawn for the city yet.")
        )
    number = _numbers()
    lines = [
        format_html(
            '<tr data-area="{}"><th scope="row">{}</th>',
            f["properties"]["code"],
            f["properties"]["name"],
        )
        + f'<td class="num">{number(f["properties"]["count"])}</td>'
        + f'<td class="num">{number(f["properties"]["rate"])}</td></tr>'
        for f in features
    ]
    # Every piece is escaped above (format_html, conditional_escape) or is markup of our own.
    return mark_safe("\n".join(lines))  # noqa: S308


@register.simple_tag
def table_rows(table: dict) -> SafeString:
    """The ``<tr>`` of a table of ``tables.py``: the label as a row header, then the numbers,
    localized as ``{{ value }}`` would be; None as "no data yet"."""
    if not table["rows"]:
        return format_html(
            '<tr><td colspan="{}">{}</td></tr>', len(table["columns"]), _("Nothing in this period.")
        )
    number = _numbers()

    lines = [
        '<tr><th scope="row">'
        + conditional_escape(localize(label))
        + "</th>"
        + "".join(f'<td class="num">{number(value)}</td>' for value in values)
        + "</tr>"
        for label, *values in table["rows"]
    ]
    # Every piece is escaped above (conditional_escape) or is this function's own markup.
    return mark_safe("\n".join(lines))  # noqa: S308
