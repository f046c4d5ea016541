"""The case page's organisation pickers, rendered once per change of the organisations.

A lead's case page offers two lists of some two hundred organisations (transfer to, ask as
co-handlers; a street office's a third, whom to summon), grouped by kind, sorted as the
page's language reads them, each option carrying its pinyin for the search box. Building
them per request — two queries, sorting, and two hundred options of HTML each — cost more
than the rest of the page. Here each list is built once per process, language and change of
the organisations' table (``platform_gov.stamps.shown_table_stamp``: one aggregate query, at
most every ``DISPLAY_STAMP_SECONDS``, tells), as the options' HTML; a form then leaves out the
organisations it must not offer (its own, those already on the case) by dropping their options.

What a list holds is what the forms' querysets hold (the same selectors), so what is offered
is what validation accepts. A change made by ``QuerySet.update()`` leaves ``updated_at`` as it
was and is seen at the next other change (as for the routing rules' and areas' caches).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from agencies.models import Agency
from platform_gov.collation import search_text, sort_key
from platform_gov.stamps import shown_table_stamp
from platform_gov.widgets import optgroup_open, option_html

from .selectors import dispatchable_agencies, whistle_agencies

# The lists the case page offers, by name: each the selector its form validates against.
SOURCES: dict[str, Callable[[], QuerySet[Agency]]] = {
    "dispatchable": dispatchable_agencies,
    "whistle": whistle_agencies,
}


def agency_grouped_choices(
    agencies: Iterable[Agency], *, value: str = "pk", empty_label: str | None = None
) -> tuple[list, dict[str, str]]:
    """Organisations as grouped choices: one optgroup per kind (departments, street offices,
    …) in the order of ``Agency.Kind``, names sorted as the page's language reads them; and
    ``search``: value → both names, the pinyin and its initials, and the code."""
    language = get_language() or settings.LANGUAGE_CODE
    by_kind: dict[str, list[Agency]] = {}
    search: dict[str, str] = {}
    for agency in agencies:
        by_kind.setdefault(agency.kind, []).append(agency)
        search[str(getattr(agency, value))] = search_text(
            agency.name_zh, agency.name_en, agency.code
        )
    choices: list = [] if empty_label is None else [("", empty_label)]
    for kind, label in Agency.Kind.choices:
        members = sorted(by_kind.get(kind, []), key=lambda a: sort_key(a.name, language))
        if members:
            choices.append((label, [(getattr(a, value), a.name) for a in members]))
    return choices, search


@dataclass(frozen=True)
class AgencyPicker:
    """One list's options, grouped by kind: ``(label, ((agency id, <option> HTML), ...))``."""

    groups: tuple[tuple[str, tuple[tuple[int, str], ...]], ...]

    def options_html(self, *, left_out: Collection[int] = ()) -> SafeString:
        """The ``<optgroup>``s and ``<option>``s without the organisations ``left_out`` (and
        without a group left empty), as ``SearchableSelect`` would render them."""
        parts: list[str] = []
        for label, options in self.groups:
            shown = [html for pk, html in options if pk not in left_out]
            if shown:
                parts.append(optgroup_open(label))
                parts.extend(shown)
                parts.append("</optgroup>")
        return mark_safe("".join(parts))  # noqa: S308 (each part was escaped when built)


def _build(source: str, *, value: str) -> AgencyPicker:
    agencies = list(SOURCES[source]().order_by("kind", "code"))
    by_value = {str(getattr(agency, value)): agency.pk for agency in agencies}
    choices, search = agency_grouped_choices(agencies, value=value)
    groups = []
    for label, members in choices:
        options = []
        for member_value, name in members:
            key = str(member_value)
            attrs = {"data-search": search[key]} if search.get(key) else {}
            options.append((by_value[key], option_html(key, name, attrs)))
        groups.append((str(label), tuple(options)))
    return AgencyPicker(groups=tuple(groups))


class _Pickers:
    """Built lists by (stamp, list, value, language); a new stamp drops the older ones."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stamp: tuple | None = None
        self._built: dict[tuple[str, str, str], AgencyPicker] = {}

    def get(self, stamp: tuple, source: str, *, value: str) -> AgencyPicker:
        key = (source, value, get_language() or settings.LANGUAGE_CODE)
        with self._lock:
            if stamp == self._stamp and key in self._built:
                return self._built[key]
        picker = _build(source, value=value)
        with self._lock:
            if stamp != self._stamp:
                self._stamp, self._built = stamp, {}
            self._built[key] = picker
        return picker


_pickers = _Pickers()


@dataclass(frozen=True)
class AgencyPickers:
    """The lists as of one moment (a request): every form of the page reads the same ones."""

    stamp: tuple

    def picker(self, source: str, *, value: str = "code") -> AgencyPicker:
        return _pickers.get(self.stamp, source, value=value)


def agency_pickers() -> AgencyPickers:
    """The organisation pickers as they are now: one query (the organisations' stamp, asked at
    most every ``DISPLAY_STAMP_SECONDS``); a list is built only the first time it is asked for
    after a change. What a form accepts is still its queryset's, read when it is sent."""
    return AgencyPickers(stamp=shown_table_stamp("agencies", Agency.objects.all()))
