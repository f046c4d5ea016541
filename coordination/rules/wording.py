"""Routing decisions and rules in words, in the page's language, with names instead of codes.

The routing engine is pure and speaks codes and plain English (``"rule 'x' (#3) matched:
category under noise"``), and its reasons are stored as such in every issue's record. This
module reads those sentences back, pattern by pattern, and says them again in the active
language with the organisations, areas, categories and deadline policies named as people
know them. A sentence it does not know is shown as it is, never dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from agencies.models import Agency, Area
from coordination.deadlines.models import SLAPolicy
from issues.models import Category, Issue

NAMES_SECONDS = 30


@dataclass(frozen=True)
class Names:
    agencies: dict[str, str]
    areas: dict[str, str]
    categories: dict[str, str]
    policies: dict[str, str]

    def agency(self, code: str) -> str:
        return self.agencies.get(code, code)

    def area(self, code: str) -> str:
        return self.areas.get(code, code)

    def category(self, code: str) -> str:
        return self.categories.get(code, code)

    def policy(self, code: str) -> str:
        return self.policies.get(code, code)


def names() -> Names:
    """Code → name of everything a rule may name, in the active language. Kept in the cache
    for ``NAMES_SECONDS`` (a page shows many reasons; a renamed organisation shows its new
    name within that time)."""
    key = f"rules:names:{get_language() or ''}"
    held = cache.get(key)
    if held is not None:
        return held
    found = Names(
        agencies={a.code: a.name for a in Agency.objects.only("code", "name_zh", "name_en")},
        areas={a.code: a.name for a in Area.objects.only("code", "name_zh", "name_en")},
        categories={c.code: c.name for c in Category.objects.only("code", "name_zh", "name_en")},
        policies={
            p.code: f"{p.code} ({p})"
            for p in SLAPolicy.objects.exclude(code="").select_related("category")
        },
    )
    cache.set(key, found, NAMES_SECONDS)
    return found


def _list(items: str, name: Callable[[str], str]) -> str:
    return _("、").join(name(item.strip()) for item in items.split(",") if item.strip())


WEEKDAYS = {
    "0": lambda: _("Monday"),
    "1": lambda: _("Tuesday"),
    "2": lambda: _("Wednesday"),
    "3": lambda: _("Thursday"),
    "4": lambda: _("Friday"),
    "5": lambda: _("Saturday"),
    "6": lambda: _("Sunday"),
}


def _channel(code: str) -> str:
    return str(dict(Issue.Channel.choices).get(code, code))


def _priority(code: str) -> str:
    return str(dict(Issue.Priority.choices).get(code, code))


def describe_condition(text: str, found: Names | None = None) -> str:
    """``category under noise`` → ``类别属于“噪声扰民”（含其子类）`` (or its English)."""
    n = found or names()
    negated = text.startswith("not ")
    body = text[4:] if negated else text
    field, _sep, rest = body.partition(" ")
    op, _sep, value = rest.partition(" ")
    said = None
    if field == "category" and op == "is":
        said = _("category is “%(name)s”") % {"name": n.category(value)}
    elif field == "category" and op == "under":
        said = _("category is “%(name)s” or one under it") % {"name": n.category(value)}
    elif field == "area" and op == "in":
        said = _("the place is in %(name)s") % {"name": n.area(value)}
    elif field == "keyword" and op == "any":
        said = _("words include any of: %(words)s") % {"words": _list(value, str)}
    elif field == "keyword" and op == "all":
        said = _("words include all of: %(words)s") % {"words": _list(value, str)}
    elif field == "channel" and op == "in":
        said = _("filed by %(channels)s") % {"channels": _list(value, _channel)}
    elif field == "priority" and op == "in":
        said = _("priority is %(priorities)s") % {"priorities": _list(value, _priority)}
    elif field == "hour" and op == "between":
        start, _sep, end = value.partition(",")
        said = _("filed between %(start)s:00 and %(end)s:00") % {
            "start": start.strip(),
            "end": end.strip(),
        }
    elif field == "weekday" and op == "in":
        said = _("filed on %(days)s") % {
            "days": _list(value, lambda d: str(WEEKDAYS.get(d, lambda: d)()))
        }
    if said is None:
        return text
    return _("not: %(condition)s") % {"condition": said} if negated else said


def _label(label: str) -> str:
    """``'路灯损坏：城管主办' (#12)`` → ``“路灯损坏：城管主办”``."""
    match = re.fullmatch(r"'(.*)' \(#(\d+)\)", label.strip())
    return f"“{match.group(1)}”" if match else label


def _how(text: str, n: Names) -> str:
    if text == "named":
        return _("named by the rule")
    match = re.fullmatch(r"(.+?) whose area (\S+) contains the place", text)
    if match:
        return _("its area %(area)s contains the place") % {"area": n.area(match.group(2))}
    match = re.fullmatch(r"(.+?) serving (\S+), which contains the place", text)
    if match:
        return _("it serves %(area)s, which contains the place") % {"area": n.area(match.group(2))}
    return text


TRIAGE = "triage at the dispatch centre"


def describe_reason(text: str, found: Names | None = None) -> str:
    """One reason of a routing decision in the page's language, with names for codes."""
    n = found or names()
    text = text.strip()
    to_triage = _("to triage at the dispatch centre")
    if text == "no place given":
        return _("no place was given")
    if text == "the place is in no known area":
        return _("the place is in none of the city's areas")
    if match := re.fullmatch(r"the place is in (.+)", text):
        return _("the place is in %(areas)s") % {"areas": _list(match.group(1), n.area)}
    if match := re.fullmatch(r"rule (.+?) matched: (.*)", text, flags=re.S):
        held = [describe_condition(c, n) for c in match.group(2).split("; ") if c]
        return _("rule %(rule)s matched: %(conditions)s") % {
            "rule": _label(match.group(1)),
            "conditions": _("; ").join(held),
        }
    if match := re.fullmatch(r"lead by rule (.+?): (.+)", text):
        return _("lead by rule %(rule)s: %(how)s") % {
            "rule": _label(match.group(1)),
            "how": _how(match.group(2), n),
        }
    if match := re.fullmatch(r"co-handler by rule (.+?): (.+)", text):
        return _("co-handler by rule %(rule)s: %(how)s") % {
            "rule": _label(match.group(1)),
            "how": _how(match.group(2), n),
        }
    conflict = r"conflict: rule (.+?) names (\S+) as lead, rule (.+?) names (\S+)"
    if match := re.fullmatch(conflict, text):
        return _("conflict: rule %(a)s names %(x)s as lead, rule %(b)s names %(y)s") % {
            "a": _label(match.group(1)),
            "x": n.agency(match.group(2)),
            "b": _label(match.group(3)),
            "y": n.agency(match.group(4)),
        }
    if match := re.fullmatch(r"rule (.+?) also names (\S+) as lead", text):
        return _("rule %(rule)s also names %(agency)s as lead") % {
            "rule": _label(match.group(1)),
            "agency": n.agency(match.group(2)),
        }
    if match := re.fullmatch(r"co-handlers (.+) dropped with the lead", text):
        return _("co-handlers %(agencies)s dropped with the lead") % {
            "agencies": _list(match.group(1), n.agency)
        }
    if text == f"rules disagree on the lead: {TRIAGE}":
        return _("the rules disagree on the lead: %(then)s") % {"then": to_triage}
    if text == f"no rule matched: {TRIAGE}":
        return _("no rule matched: %(then)s") % {"then": to_triage}
    if text == f"no lead resolved: {TRIAGE}":
        return _("no lead organisation could be found: %(then)s") % {"then": to_triage}
    return text


def describe_problem(text: str, found: Names | None = None) -> str:
    """A validation problem of the routing engine in the page's language, with names."""
    n = found or names()
    text = str(text).strip()
    if match := re.fullmatch(
        r"unreachable: rule (.+?) comes first, stops, and matches whenever this rule does", text
    ):
        return _(
            "never used: rule %(rule)s comes first, stops there, and matches whenever this "
            "rule would"
        ) % {"rule": _label(match.group(1))}
    if text == "no conditions: the rule would match every issue":
        return _("no conditions: the rule would match every issue")
    if match := re.fullmatch(r"unknown agency '(.+)'", text):
        return _("unknown organisation %(code)s") % {"code": match.group(1)}
    if match := re.fullmatch(r"agency '(.+)' is inactive", text):
        return _("the organisation %(name)s is inactive") % {"name": n.agency(match.group(1))}
    return text


def describe_reasons(joined: str) -> list[str]:
    """A handoff's note of reasons (``; ``-joined) as sentences in the page's language.

    The conditions of a matched rule are joined with ``; `` too: they stay with their rule."""
    n = names()
    parts: list[str] = []
    for piece in (joined or "").split("; "):
        if parts and not _starts_reason(piece):
            parts[-1] = f"{parts[-1]}; {piece}"
        else:
            parts.append(piece)
    return [describe_reason(part, n) for part in parts if part]


REASON_STARTS = (
    "no place",
    "the place is in",
    "rule ",
    "lead by rule",
    "co-handler by rule",
    "conflict:",
    "co-handlers ",
    "rules disagree",
    "no rule matched",
    "no lead resolved",
)


def _starts_reason(piece: str) -> bool:
    return piece.startswith(REASON_STARTS)


def describe_target(target: dict[str, Any] | None, found: Names | None = None) -> str:
    """A rule's lead or co-handler (its JSON) in words."""
    n = found or names()
    if not target:
        return "—"
    kind = target.get("type")
    if kind == "agency":
        return n.agency(str(target.get("agency", "")))
    if kind == "territorial":
        level = target.get("level")
        if level == "community":
            return _("the community of the place (属地)")
        return _("the street office of the place (属地)")
    if kind == "serving":
        label = dict(Agency.Kind.choices).get(target.get("kind"), target.get("kind"))
        return _("the %(kind)s serving the place") % {"kind": label}
    return str(target)


def describe_decision(decision: dict[str, Any]) -> dict[str, Any]:
    """A decision (``Decision.as_details()``) for a page: names for codes, sentences for
    reasons, in the page's language."""
    n = names()
    return {
        "lead": n.agency(decision["lead"]) if decision.get("lead") else None,
        "co_handlers": [n.agency(code) for code in decision.get("co_handlers") or []],
        "priority": _priority(decision["priority"]) if decision.get("priority") else None,
        "deadline_policy": n.policy(decision["deadline_policy"])
        if decision.get("deadline_policy")
        else None,
        "areas": [n.area(code) for code in decision.get("areas") or []],
        "rules": [
            {
                "name": rule.get("name") or f"#{rule.get('id')}",
                "conditions": [describe_condition(c, n) for c in rule.get("conditions") or []],
            }
            for rule in decision.get("rules") or []
        ],
        "why": [
            (n.agency(code), describe_reason(why, n))
            for code, why in (decision.get("why") or {}).items()
        ],
        "reasons": [describe_reason(reason, n) for reason in decision.get("reasons") or []],
    }
