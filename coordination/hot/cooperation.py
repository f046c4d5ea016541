"""Cooperation made visible: which organisations worked together, how often, how fast, and
how satisfied residents were with joint cases against single-agency ones.

For a period [start, end):

- **cases** are the issues filed in the period; a case is **joint** when two or more
  organisations held work on it (an assignment pending, accepted or done: lead and
  co-handlers, by routing, by the dispatcher, or approved co-handling), **single** when one did;
- a **pair** of organisations worked together
  - by **co-handling** (协办): the lead and each co-handler of a joint case;
  - by **whistle** (吹哨报到): the street office and each department it summoned;
  - by **transfer** (转办): the organisation that gave a case up and the one that took it, for
    transfers approved in the period (through the dispatcher, as always);
  - by **topic** (专题): the lead of a topic under way in the period and each participant;
- **how fast**: the median hours from filing to resolution of the resolved cases;
- **satisfaction**: of the cases rated (the latest rating, appeals upheld left out), the share
  of 4 and 5 — for joint and single cases, and for each pair's joint cases.

The figures are computed from the records (assignments, handoffs, feedback, topics) at each
request and kept in the cache for ``RATES_CACHE_SECONDS``.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Q
from django.utils import translation

from agencies.models import Agency
from coordination.dispatch.models import Assignment, Handoff
from issues.models import Feedback, Issue

from .models import Topic

HANDLING = (Assignment.Status.PENDING, Assignment.Status.ACCEPTED, Assignment.Status.DONE)
KINDS = ("cohandle", "whistle", "transfer", "topic")


@dataclass
class Outcomes:
    """Cases and how they ended: resolved, median hours to resolve, rated, satisfied."""

    cases: int = 0
    resolved: int = 0
    median_hours: float | None = None
    rated: int = 0
    satisfaction: float | None = None

    @property
    def satisfaction_percent(self) -> int | None:
        return None if self.satisfaction is None else round(self.satisfaction * 100)


@dataclass
class Pair:
    """Two organisations that worked together, ``a`` < ``b`` by id, and how."""

    a: int
    b: int
    cohandle: int = 0
    whistle: int = 0
    transfer: int = 0
    topic: int = 0
    outcomes: Outcomes = field(default_factory=Outcomes)

    @property
    def total(self) -> int:
        return self.cohandle + self.whistle + self.transfer + self.topic


@dataclass
class Cooperation:
    start: datetime
    end: datetime
    agencies: dict[int, dict]
    pairs: list[Pair]
    joint: Outcomes
    single: Outcomes

    def as_dict(self) -> dict:
        """The figures as the API gives them: organisations by code."""
        codes = {pk: a["code"] for pk, a in self.agencies.items()}
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "organisations": sorted(self.agencies.values(), key=lambda a: a["code"]),
            "pairs": [
                {
                    "a": codes[p.a],
                    "b": codes[p.b],
                    "cohandle": p.cohandle,
                    "whistle": p.whistle,
                    "transfer": p.transfer,
                    "topic": p.topic,
                    "total": p.total,
                    **{f"joint_{k}": v for k, v in asdict(p.outcomes).items()},
                }
                for p in self.pairs
            ],
            "joint": asdict(self.joint),
            "single": asdict(self.single),
        }

    def graph(self) -> dict:
        """Nodes and links for the collaboration graph (ECharts ``series-graph``)."""
        kinds = [kind for kind, _label in Agency.Kind.choices]
        return {
            "categories": [{"name": str(label)} for _kind, label in Agency.Kind.choices],
            "nodes": [
                {
                    "id": str(pk),
                    "name": a["name"],
                    "value": a["joint"],
                    "category": kinds.index(a["kind"]) if a["kind"] in kinds else 0,
                }
                for pk, a in sorted(self.agencies.items())
            ],
            "links": [
                {
                    "source": str(p.a),
                    "target": str(p.b),
                    "value": p.total,
                    "counts": {kind: getattr(p, kind) for kind in KINDS},
                    "median_hours": p.outcomes.median_hours,
                    "satisfaction": p.outcomes.satisfaction,
                }
                for p in self.pairs
            ],
        }


def _outcomes(issue_ids: set[int], times: dict[int, tuple], ratings: dict[int, int]) -> Outcomes:
    hours = [
        (resolved - created).total_seconds() / 3600
        for pk in issue_ids
        if (t := times.get(pk)) and (created := t[0]) and (resolved := t[1])
    ]
    rated = [ratings[pk] for pk in issue_ids if pk in ratings]
    return Outcomes(
        cases=len(issue_ids),
        resolved=len(hours),
        median_hours=round(statistics.median(hours), 1) if hours else None,
        rated=len(rated),
        satisfaction=round(sum(r >= 4 for r in rated) / len(rated), 3) if rated else None,
    )


def _latest_ratings(issue_ids) -> dict[int, int]:
    ratings: dict[int, int] = {}
    for issue_id, rating in (
        Feedback.objects.filter(issue_id__in=issue_ids, excluded=False)
        .order_by("issue_id", "round", "at", "id")
        .values_list("issue_id", "rating")
    ):
        ratings[issue_id] = rating  # the latest wins
    return ratings


def cooperation(
    *, start: datetime, end: datetime, reach: frozenset[int] | None = None
) -> Cooperation:
    """The cooperation figures of [start, end); ``reach`` (the gate's ``cooperation_reach``)
    keeps the pairs and cases touching those organisations, None the whole city."""
    ttl = settings.RATES_CACHE_SECONDS
    key = (
        f"hot:cooperation:{start.isoformat()}:{end.isoformat()}:"
        f"{'all' if reach is None else ','.join(map(str, sorted(reach)))}:"
        f"{translation.get_language()}"
    )
    if ttl and (kept := cache.get(key)) is not None:
        return kept
    found = _cooperation(start=start, end=end, reach=reach)
    if ttl:
        cache.set(key, found, ttl)
    return found


def _cooperation(*, start: datetime, end: datetime, reach: frozenset[int] | None) -> Cooperation:
    filed = Q(issue__created_at__gte=start, issue__created_at__lt=end)
    handling = Assignment.objects.filter(filed, status__in=HANDLING)
    per_issue = handling.values("issue_id").annotate(n=Count("agency_id", distinct=True))
    joint_ids = per_issue.filter(n__gte=2).values("issue_id")
    single_rows = per_issue.filter(n=1).values_list("issue_id", flat=True)

    pairs: dict[tuple[int, int], Pair] = {}
    pair_cases: dict[tuple[int, int], set[int]] = defaultdict(set)

    def pair(x: int, y: int) -> Pair | None:
        if x == y or (reach is not None and x not in reach and y not in reach):
            return None
        a, b = min(x, y), max(x, y)
        return pairs.setdefault((a, b), Pair(a=a, b=b))

    by_issue: dict[int, list[tuple[int, str, bool]]] = defaultdict(list)
    for issue_id, agency_id, role, summoned in Assignment.objects.filter(
        issue_id__in=joint_ids, status__in=HANDLING
    ).values_list("issue_id", "agency_id", "role", "summoned"):
        by_issue[issue_id].append((agency_id, role, summoned))
    joint_cases: set[int] = set()
    for issue_id, held in by_issue.items():
        leads = [a for a, role, _s in held if role == Assignment.Role.LEAD]
        anchor = leads[0] if leads else min(a for a, _r, _s in held)
        seen = set()
        for agency_id, _role, summoned in held:
            if agency_id == anchor or agency_id in seen:
                continue
            seen.add(agency_id)
            found = pair(anchor, agency_id)
            if found is None:
                continue
            if summoned:
                found.whistle += 1
            else:
                found.cohandle += 1
            pair_cases[(found.a, found.b)].add(issue_id)
            joint_cases.add(issue_id)

    for from_id, to_id in Handoff.objects.filter(
        kind=Handoff.Kind.TRANSFERRED,
        at__gte=start,
        at__lt=end,
        from_agency__isnull=False,
        to_agency__isnull=False,
    ).values_list("from_agency_id", "to_agency_id"):
        if found := pair(from_id, to_id):
            found.transfer += 1

    topics = Topic.objects.filter(created_at__lt=end).filter(
        Q(completed_at__isnull=True) | Q(completed_at__gte=start)
    )
    for lead_id, participant_id in topics.filter(participants__isnull=False).values_list(
        "lead_id", "participants"
    ):
        if found := pair(lead_id, participant_id):
            found.topic += 1

    single_cases = set(single_rows)
    if reach is not None:
        single_cases = set(
            Assignment.objects.filter(
                issue_id__in=single_cases, status__in=HANDLING, agency_id__in=reach
            ).values_list("issue_id", flat=True)
        )
    cases = joint_cases | single_cases
    times = {
        pk: (created, resolved)
        for pk, created, resolved in Issue.objects.filter(pk__in=cases).values_list(
            "pk", "created_at", "resolved_at"
        )
    }
    ratings = _latest_ratings(cases)
    for key, issue_ids in pair_cases.items():
        pairs[key].outcomes = _outcomes(issue_ids, times, ratings)

    ids = {p.a for p in pairs.values()} | {p.b for p in pairs.values()}
    involvement: dict[int, int] = defaultdict(int)
    for p in pairs.values():
        involvement[p.a] += p.total
        involvement[p.b] += p.total
    agencies = {
        a.pk: {
            "code": a.code,
            "name": a.name,
            "kind": a.kind,
            "joint": involvement[a.pk],
        }
        for a in Agency.objects.filter(pk__in=ids)
    }
    ordered = sorted(pairs.values(), key=lambda p: (-p.total, p.a, p.b))
    return Cooperation(
        start=start,
        end=end,
        agencies=agencies,
        pairs=ordered,
        joint=_outcomes(joint_cases, times, ratings),
        single=_outcomes(single_cases, times, ratings),
    )
