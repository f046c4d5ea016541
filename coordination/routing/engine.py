"""Decide which agencies handle an issue, and say why.

Rules are tried in ``(position, id)`` order; the first whose category covers the issue's
category decides the lead and the co-handlers. An issue that no rule covers goes to triage,
and the decision says so. The same facts and rules always give the same decision.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class IssueFacts:
    """What an issue is routed on. ``category_path`` is its category code, then its ancestors'."""

    category_path: tuple[str, ...] = ()
    priority: str = "normal"
    channel: str = "web"


@dataclass(frozen=True, slots=True)
class Rule:
    """One routing rule, as plain data compiled from the database."""

    id: int
    name: str
    category: str
    lead: str
    co_handlers: tuple[str, ...] = ()
    include_subcategories: bool = True
    position: int = 100


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome: a lead (or None for triage), co-handlers and the reasons for both."""

    lead: str | None
    co_handlers: tuple[str, ...] = ()
    rule_id: int | None = None
    rule_name: str = ""
    reasons: tuple[str, ...] = field(default_factory=tuple)

    @property
    def to_triage(self) -> bool:
        return self.lead is None

    def as_details(self) -> dict:
        """A JSON-ready record of the decision, for the Handoff."""
        return {
            "lead": self.lead,
            "co_handlers": list(self.co_handlers),
            "rule": {"id": self.rule_id, "name": self.rule_name} if self.rule_id else None,
            "reasons": list(self.reasons),
        }


def _covers(rule: Rule, path: tuple[str, ...]) -> str | None:
    """Why the rule covers the category path, or None when it does not."""
    if not path:
        return None
    if path[0] == rule.category:
        return f"category {rule.category} matches rule {rule.name!r}"
    if rule.include_subcategories and rule.category in path[1:]:
        return f"category {path[0]} is under {rule.category}, covered by rule {rule.name!r}"
    return None


def decide(facts: IssueFacts, rules: Iterable[Rule]) -> Decision:
    """Route ``facts`` by the first covering rule in (position, id) order, else triage."""
    for rule in sorted(rules, key=lambda r: (r.position, r.id)):
        reason = _covers(rule, facts.category_path)
        if reason is None:
            continue
        co_handlers = tuple(dict.fromkeys(c for c in rule.co_handlers if c != rule.lead))
        return Decision(
            lead=rule.lead,
            co_handlers=co_handlers,
            rule_id=rule.id,
            rule_name=rule.name,
            reasons=(reason, f"lead {rule.lead} named by the rule"),
        )
    if not facts.category_path:
        return Decision(lead=None, reasons=("no category given: the dispatch centre triages",))
    return Decision(
        lead=None,
        reasons=(f"no rule covers category {facts.category_path[0]}: the dispatch centre triages",),
    )
