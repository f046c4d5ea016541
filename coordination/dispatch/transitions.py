"""Which states an issue and an assignment may move between, and which service moves them.

The table below is the one statement of the workflow's states: every service that changes
a status asks it (``ISSUE.move`` / ``ASSIGNMENT.move``) before writing, and the tests read it
to check that each service makes exactly the moves listed and refuses the rest. A move the
table does not list raises ``WorkflowError`` with the service's own message for people.

The issue's life, as the table below allows it (services in brackets)::

    submitted ─[route]──────────────> dispatched ─[accept]─> in_progress ─[resolve]─> resolved
        └─[route]─> triage ─[dispatch]─┘   ▲  │                   │                   │   │
                      ▲                    │  └─[approve bounce or transfer]──────────┘   │
                      └────────────────────┴── (to a new lead, or back to triage)         │
    resolved ─[feedback 3–5, close unrated]─> closed ─[reopen]─> dispatched (redo)        │
    resolved ─[feedback 1–2, reopen]──────────────────────────> dispatched (redo) <───────┘
    any issue still being handled ─[merge]─> merged
    submitted ─[answer on the spot]─> closed (直接办结: a consultation the call-taker answered)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from coordination.dispatch.models import Assignment
from issues.models import Issue
from platform_gov.errors import WorkflowError

IS = Issue.Status
AS = Assignment.Status


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str
    services: frozenset[str]


@dataclass(frozen=True)
class StateMachine:
    """A table of transitions: from which states to which, by which services."""

    name: str
    transitions: tuple[Transition, ...]

    def allows(self, source: str, target: str, service: str) -> bool:
        return any(
            source in t.sources and target == t.target and service in t.services
            for t in self.transitions
        )

    def move(self, source: str, target: str, *, by: str, refused: str) -> str:
        """``target`` if ``by`` may move from ``source`` to it; else WorkflowError(``refused``)."""
        if not self.allows(source, target, by):
            raise WorkflowError(refused, code=f"{self.name}_{source}_to_{target}_not_allowed")
        return target

    def sources(self, target: str, *, by: str) -> frozenset[str]:
        """The states ``by`` may move to ``target`` from (for the queries that pick rows)."""
        found: set[str] = set()
        for t in self.transitions:
            if t.target == target and by in t.services:
                found |= t.sources
        return frozenset(found)

    def services(self) -> frozenset[str]:
        return frozenset(s for t in self.transitions for s in t.services)

    def moves_of(self, service: str) -> set[tuple[str, str]]:
        return {(s, t.target) for t in self.transitions if service in t.services for s in t.sources}


def _t(sources: Iterable[str], target: str, *services: str) -> Transition:
    return Transition(frozenset(sources), target, frozenset(services))


# An issue still being handled (not ended): what a merge may take away.
_HANDLED = (IS.SUBMITTED, IS.TRIAGE, IS.DISPATCHED, IS.IN_PROGRESS, IS.RESOLVED)

ISSUE = StateMachine(
    "issue",
    (
        _t([IS.SUBMITTED], IS.TRIAGE, "issue_route"),
        _t([IS.SUBMITTED], IS.DISPATCHED, "issue_route", "issue_dispatch"),
        _t([IS.TRIAGE], IS.DISPATCHED, "issue_dispatch"),
        _t([IS.DISPATCHED], IS.IN_PROGRESS, "assignment_accept"),
        # An accepted lead resolves; after a transfer the issue waits (dispatched) for the new
        # lead, whose earlier acceptance may still stand.
        _t([IS.IN_PROGRESS, IS.DISPATCHED], IS.RESOLVED, "assignment_resolve"),
        # The dispatcher approves a bounce-back or transfer of the lead: to a new lead, or back.
        _t([IS.DISPATCHED, IS.IN_PROGRESS], IS.DISPATCHED, "request_approve"),
        _t([IS.DISPATCHED, IS.IN_PROGRESS], IS.TRIAGE, "request_approve"),
        # The resident's follow-up (回访): satisfied closes, unsatisfied goes back to the lead.
        _t([IS.RESOLVED], IS.CLOSED, "issue_feedback", "issues_close_unrated"),
        _t([IS.RESOLVED], IS.DISPATCHED, "issue_feedback", "issue_reopen"),
        _t([IS.CLOSED], IS.DISPATCHED, "issue_reopen"),
        _t(_HANDLED, IS.MERGED, "issue_merge"),
        # A consultation the call-taker answered on the spot (直接办结) closes as it is filed.
        _t([IS.SUBMITTED], IS.CLOSED, "issue_answer_on_the_spot"),
    ),
)

_ACTIVE = (AS.PENDING, AS.ACCEPTED)

ASSIGNMENT = StateMachine(
    "assignment",
    (
        _t([AS.PENDING], AS.ACCEPTED, "assignment_accept"),
        _t([AS.ACCEPTED], AS.DONE, "assignment_resolve"),
        # An approved bounce-back or transfer takes the work back.
        _t(_ACTIVE, AS.RETURNED, "request_approve"),
        # Work the issue no longer needs: a co-handler promoted to lead, an issue closed or
        # merged while others were still on it.
        _t(_ACTIVE, AS.CANCELLED, "request_approve", "issue_feedback", "issues_close_unrated"),
        _t(_ACTIVE, AS.CANCELLED, "issue_merge"),
    ),
)
