"""The simulator: how a rule set would route one issue, or the last N, beside the active one."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from coordination.routing.evaluate import decide
from coordination.routing.model import Decision, IssueFacts
from issues.models import Issue

from .compiled import category_paths, decide_for, facts_as_json, issue_facts, ruleset_compiled
from .models import RuleSet
from .selectors import active_ruleset


def _lead_label(decision: Decision) -> str:
    return decision.lead or "triage"


@dataclass(frozen=True)
class Comparison:
    facts: IssueFacts
    candidate: Decision
    active: Decision

    @property
    def changed(self) -> bool:
        return (self.candidate.lead, self.candidate.co_handlers) != (
            self.active.lead,
            self.active.co_handlers,
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "facts": facts_as_json(self.facts),
            "decision": self.candidate.as_details(),
            "active_decision": self.active.as_details(),
            "changed": self.changed,
        }


def simulate_facts(*, ruleset: RuleSet, facts: IssueFacts) -> Comparison:
    """How ``ruleset`` and the active version would route one issue."""
    return Comparison(
        facts=facts,
        candidate=decide_for(facts, ruleset),
        active=decide_for(facts, active_ruleset()),
    )


def replay_issues(*, last: int) -> list[Issue]:
    """The last ``last`` issues filed (newest first), without the heavy columns' joins."""
    return list(
        Issue.objects.only(
            "pk",
            "tracking_number",
            "title",
            "description",
            "category_id",
            "lat",
            "lon",
            "channel",
            "priority",
            "created_at",
        ).order_by("-created_at", "-pk")[:last]
    )


def simulate_replay(
    *, ruleset: RuleSet, last: int, issues: Iterable[Issue] | None = None
) -> dict[str, Any]:
    """Replay the last ``last`` issues against ``ruleset`` and the active version.

    Answers how many would go elsewhere and where: moves are counted by (active lead →
    candidate lead), triage included, most common first, with a sample of changed issues.
    """
    issues = list(issues) if issues is not None else replay_issues(last=last)
    paths = category_paths()
    candidate = ruleset_compiled(ruleset=ruleset)
    current = active_ruleset()
    active = ruleset_compiled(ruleset=current) if current else None
    moves: Counter[tuple[str, str]] = Counter()
    sample: list[dict[str, Any]] = []
    changed = 0
    for issue in issues:
        facts = issue_facts(issue, paths=paths)
        new = decide(facts, candidate)
        old = decide(facts, active) if active else decide_for(facts, None)
        if (new.lead, new.co_handlers) != (old.lead, old.co_handlers):
            changed += 1
            moves[(_lead_label(old), _lead_label(new))] += 1
            if len(sample) < 20:
                sample.append(
                    {
                        "id": issue.pk,
                        "tracking_number": issue.tracking_number,
                        "title": issue.title,
                        "from": _lead_label(old),
                        "to": _lead_label(new),
                    }
                )
    return {
        "ruleset": ruleset.version,
        "active": current.version if current else None,
        "replayed": len(issues),
        "changed": changed,
        "moves": [
            {"from": source, "to": target, "count": count}
            for (source, target), count in sorted(moves.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
        "sample": sample,
    }
