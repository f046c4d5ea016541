"""The routing engine's vocabulary: plain, frozen data that the Django shell builds.

Everything here is hashable and comparable, so a decision depends on nothing but its inputs.
A rule set is stored as JSON (``RuleSpec.from_json`` / ``to_json``), validated, compiled once
per published version, and then asked for thousands of decisions a second.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

# --------------------------------------------------------------------------- the world


@dataclass(frozen=True, slots=True)
class AreaShape:
    """A piece of the city: district ⊃ street ⊃ community, with its GeoJSON boundary."""

    code: str
    level: str  # "district" | "street" | "community"
    geometry: dict[str, Any] = field(hash=False, compare=False)
    parent: str | None = None


@dataclass(frozen=True, slots=True)
class AgencyInfo:
    """What the engine knows of an organisation: its kind and the area it answers for."""

    code: str
    kind: str  # Agency.Kind values: "government_department", "street_office", ...
    area: str | None = None
    parent: str | None = None
    active: bool = True


# --------------------------------------------------------------------------- the issue


@dataclass(frozen=True, slots=True)
class IssueFacts:
    """What an issue is routed on.

    ``category_path`` is the issue's category code followed by its ancestors' codes.
    ``keywords`` come from the title and description (Chinese segmented with jieba, English
    by words; see ``routing.text.keywords``). ``submitted_at`` is a local, naive or aware
    datetime: the engine reads only its hour and weekday. ``predicted_category`` and its
    confidence leave room for a text classifier beside the resident's own choice.
    """

    category_path: tuple[str, ...] = ()
    lon: float | None = None
    lat: float | None = None
    keywords: frozenset[str] = frozenset()
    channel: str = "web"
    priority: str = "normal"
    submitted_at: datetime | None = None
    predicted_category: str | None = None
    predicted_confidence: float | None = None


# --------------------------------------------------------------------------- the rules

# A condition's field and the operators it accepts:
#   category  is | under     value: a category code ("under" also matches the code itself)
#   area      in             value: an area code; true when that area contains the place
#   keyword   any | all      value: list of words, compared with IssueFacts.keywords
#   channel   in             value: list of channels
#   priority  in             value: list of priorities
#   hour      between        value: [start, end) in 0..24; start > end wraps past midnight
#   weekday   in             value: list of 0 (Monday) .. 6 (Sunday)
ConditionField = Literal["category", "area", "keyword", "channel", "priority", "hour", "weekday"]
FIELD_OPERATORS: dict[str, frozenset[str]] = {
    "category": frozenset({"is", "under"}),
    "area": frozenset({"in"}),
    "keyword": frozenset({"any", "all"}),
    "channel": frozenset({"in"}),
    "priority": frozenset({"in"}),
    "hour": frozenset({"between"}),
    "weekday": frozenset({"in"}),
}
PRIORITIES = ("low", "normal", "high", "urgent")


@dataclass(frozen=True, slots=True)
class Condition:
    field: str
    op: str
    value: Any  # str, or a tuple (lists from JSON are turned into tuples)

    def describe(self) -> str:
        value = ", ".join(map(str, self.value)) if isinstance(self.value, tuple) else self.value
        return f"{self.field} {self.op} {value}"


@dataclass(frozen=True, slots=True)
class Conditions:
    """``all`` must each hold, at least one of ``any`` (when given), none of ``none``."""

    all: tuple[Condition, ...] = ()
    any: tuple[Condition, ...] = ()
    none: tuple[Condition, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.all or self.any or self.none)


# Who handles it:
#   {"type": "agency", "agency": "housing"}               a named organisation
#   {"type": "territorial", "level": "street"}            the street office (or community, with
#                                                          level "community") whose area
#                                                          contains the place (属地)
#   {"type": "serving", "kind": "enterprise_partner"}     organisations of that kind whose area
#                                                          contains the place (the power company
#                                                          of that district)
@dataclass(frozen=True, slots=True)
class Target:
    type: str  # "agency" | "territorial" | "serving"
    agency: str | None = None
    level: str | None = None
    kind: str | None = None

    def describe(self) -> str:
        if self.type == "agency":
            return str(self.agency)
        if self.type == "territorial":
            return f"territorial {self.level}"
        return f"{self.kind} serving the place"


@dataclass(frozen=True, slots=True)
class Actions:
    lead: Target | None = None
    co_handlers: tuple[Target, ...] = ()
    priority: str | None = None
    deadline_policy: str | None = None
    stop: bool = True


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """One rule: tried in ``(position, id)`` order; when its conditions hold, its actions apply."""

    id: int
    name: str
    conditions: Conditions
    actions: Actions
    position: int = 100

    @property
    def sort_key(self) -> tuple[int, int]:
        return (self.position, self.id)

    # JSON shape (what the database and the API store):
    # {"id": 1, "name": "...", "position": 10,
    #  "conditions": {"all": [{"field": "category", "op": "under", "value": "noise"}],
    #                 "any": [], "none": []},
    #  "actions": {"lead": {"type": "agency", "agency": "housing"},
    #              "co_handlers": [{"type": "territorial", "level": "street"}],
    #              "priority": null, "deadline_policy": null, "stop": true}}
    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RuleSpec:
        conditions = data.get("conditions") or {}
        actions = data.get("actions") or {}

        def condition(raw: dict[str, Any]) -> Condition:
            value = raw.get("value")
            if isinstance(value, list):
                value = tuple(value)
            return Condition(
                field=str(raw.get("field", "")), op=str(raw.get("op", "")), value=value
            )

        def target(raw: dict[str, Any] | None) -> Target | None:
            if not raw:
                return None
            return Target(
                type=str(raw.get("type", "")),
                agency=raw.get("agency"),
                level=raw.get("level"),
                kind=raw.get("kind"),
            )

        return cls(
            id=int(data["id"]),
            name=str(data.get("name", "")),
            position=int(data.get("position", 100)),
            conditions=Conditions(
                all=tuple(condition(c) for c in conditions.get("all", ())),
                any=tuple(condition(c) for c in conditions.get("any", ())),
                none=tuple(condition(c) for c in conditions.get("none", ())),
            ),
            actions=Actions(
                lead=target(actions.get("lead")),
                co_handlers=tuple(
                    t for t in (target(raw) for raw in actions.get("co_handlers", ())) if t
                ),
                priority=actions.get("priority"),
                deadline_policy=actions.get("deadline_policy"),
                stop=bool(actions.get("stop", True)),
            ),
        )

    def to_json(self) -> dict[str, Any]:
        def condition(c: Condition) -> dict[str, Any]:
            value = list(c.value) if isinstance(c.value, tuple) else c.value
            return {"field": c.field, "op": c.op, "value": value}

        def target(t: Target) -> dict[str, Any]:
            out: dict[str, Any] = {"type": t.type}
            for key in ("agency", "level", "kind"):
                if getattr(t, key) is not None:
                    out[key] = getattr(t, key)
            return out

        return {
            "id": self.id,
            "name": self.name,
            "position": self.position,
            "conditions": {
                "all": [condition(c) for c in self.conditions.all],
                "any": [condition(c) for c in self.conditions.any],
                "none": [condition(c) for c in self.conditions.none],
            },
            "actions": {
                "lead": target(self.actions.lead) if self.actions.lead else None,
                "co_handlers": [target(t) for t in self.actions.co_handlers],
                "priority": self.actions.priority,
                "deadline_policy": self.actions.deadline_policy,
                "stop": self.actions.stop,
            },
        }


# --------------------------------------------------------------------------- the outcome


@dataclass(frozen=True, slots=True)
class Problem:
    """A validation finding: which rule, which part (e.g. ``actions.lead``), what is wrong."""

    rule_id: int | None
    field: str
    message: str


@dataclass(frozen=True, slots=True)
class MatchedRule:
    id: int
    name: str
    conditions: tuple[str, ...]  # the conditions that held, described


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome: a lead (None: triage), co-handlers, and why.

    ``why`` maps each chosen agency code to the reason it was chosen; ``reasons`` is the
    story in order (rules matched, areas found, conflicts, fallbacks).
    """

    lead: str | None
    co_handlers: tuple[str, ...] = ()
    priority: str | None = None
    deadline_policy: str | None = None
    matched: tuple[MatchedRule, ...] = ()
    lead_rule: int | None = None  # the id of the rule that named the lead
    areas: tuple[str, ...] = ()  # area codes containing the place, district first
    why: tuple[tuple[str, str], ...] = ()
    reasons: tuple[str, ...] = ()

    @property
    def to_triage(self) -> bool:
        return self.lead is None

    @property
    def rule_id(self) -> int | None:
        """The rule that decided: the one that named the lead, else the first that matched."""
        if self.lead_rule is not None:
            return self.lead_rule
        return self.matched[0].id if self.matched else None

    def as_details(self) -> dict[str, Any]:
        """A JSON-ready record of the decision, for the Handoff and the simulator."""
        return {
            "lead": self.lead,
            "co_handlers": list(self.co_handlers),
            "priority": self.priority,
            "deadline_policy": self.deadline_policy,
            "rule": next(
                ({"id": m.id, "name": m.name} for m in self.matched if m.id == self.rule_id), None
            ),
            "rules": [
                {"id": m.id, "name": m.name, "conditions": list(m.conditions)} for m in self.matched
            ],
            "areas": list(self.areas),
            "why": dict(self.why),
            "reasons": list(self.reasons),
        }
