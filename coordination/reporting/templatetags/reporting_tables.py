"""The dashboard's tables as HTML rows, written in Python rather than by template loops.

The rankings list every organisation five times and the breakdowns every area: thousands of
cells, which Django's template loops render at tens of microseconds each — most of a cold
dashboard's time once its figures come from the summaries. The HTML is the same as the loops'.
"""

from __future__ import annotations

from django import template
from django.utils.formats import localize
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag
def table_rows(table: dict) -> SafeString:
    """The ``<tr>`` of a table of ``tables.py``: the label as a row header, then the numbers,
    localized as ``{{ value }}`` would be; None as "no data yet"."""
    if not table["rows"]:
        return format_html(
            '<tr><td colspan="{}">{}</td></tr>', len(table["columns"]), _("Nothing in this period.")
        )
    missing = format_html(
        '<span aria-hidden="true">—</span><span class="visually-hidden">{}</span>',
        _("no data yet"),
    )
    seen: dict[tuple[type, object], str] = {}  # a percentage recurs: localized once

    def number(value) -> str:
        if value is None:
            return missing
        key = (type(value), value)
        if key not in seen:
            seen[key] = conditional_escape(localize(value))
        return seen[key]

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
