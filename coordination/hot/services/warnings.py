"""Early warning (预警): complaints far above their usual level, announced once per crossing.

Two kinds of level are watched, each a count of complaints over the last ``HOT_WARNING_HOURS``
(24 h) against a rolling baseline:

- **an area and a category**: the complaints of one street (or the finest area the place is
  in, when it is in no street) in one top-level category;
- **a hot issue**: the complaints that joined it.

The baseline is the mean daily count over the ``HOT_WARNING_BASELINE_DAYS`` (28) before those
24 hours (fewer when the records, or the hot issue, are younger; at least one day), never
below ``HOT_WARNING_FLOOR_PER_DAY`` (0.2), so a first burst somewhere quiet can be seen. The
count is judged as a Poisson variable with that mean: the level is **crossed** when at least
``HOT_WARNING_MIN_COUNT`` (5) complaints came and a count that high had a probability below
``HOT_WARNING_P`` (0.001) under the usual level; the crossing **ends** when the count is no
longer unusual even at ``HOT_WARNING_P_END`` (0.05). The gap between the two thresholds keeps
a level hovering at the edge from warning again and again.

A crossing opens one ``HotWarning`` (at most one open per key: a database constraint) with its
evidence — the counts, the baseline, the probability, the complaints by day, the issues and
hot issues behind it — and publishes ``hot.warning`` for the dispatcher and the responsible
managers to be told (``coordination.outbound``); nothing more is sent until it has ended.
Levels are checked as complaints arrive (the keys of each clustered batch) and every few
minutes for the open warnings, whose counts fall as time passes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Min, Q
from django.db.models.functions import TruncDate
from django.utils import timezone
from scipy.special import pdtrc

from coordination.dispatch.events import publish

from ..events import HotEvent
from ..models import HotIssue, HotMember, HotWarning

SCOPE = HotWarning.Scope


@dataclass(frozen=True)
class Thresholds:
    hours: int
    baseline_days: int
    min_count: int
    p_open: float
    p_end: float
    floor_per_day: float

    @classmethod
    def from_settings(cls) -> Thresholds:
        return cls(
            hours=getattr(settings, "HOT_WARNING_HOURS", 24),
            baseline_days=getattr(settings, "HOT_WARNING_BASELINE_DAYS", 28),
            min_count=getattr(settings, "HOT_WARNING_MIN_COUNT", 5),
            p_open=getattr(settings, "HOT_WARNING_P", 0.001),
            p_end=getattr(settings, "HOT_WARNING_P_END", 0.05),
            floor_per_day=getattr(settings, "HOT_WARNING_FLOOR_PER_DAY", 0.2),
        )


@dataclass(frozen=True)
class Level:
    """One key's count over the window, what was usual for it, and how unusual it is."""

    observed: int
    expected: float
    p_value: float
    baseline_days: float

    def crosses(self, t: Thresholds) -> bool:
        return self.observed >= t.min_count and self.p_value < t.p_open

    def has_ended(self, t: Thresholds) -> bool:
        return self.observed < t.min_count or self.p_value >= t.p_end


def poisson_tail(count: int, mean: float) -> float:
    """P(X >= count) for X ~ Poisson(mean)."""
    if count <= 0:
        return 1.0
    return float(pdtrc(count - 1, max(mean, 1e-12)))


def level(*, observed: int, before: int, days: float, t: Thresholds) -> Level:
    """The level of a count, given ``before`` complaints over the ``days`` of baseline."""
    days = max(1.0, min(float(t.baseline_days), days))
    per_day = max(t.floor_per_day, before / days)
    expected = per_day * t.hours / 24
    return Level(
        observed=observed,
        expected=round(expected, 4),
        p_value=poisson_tail(observed, expected),
        baseline_days=round(days, 2),
    )


def area_key(area_id: int, category_id: int) -> str:
    return f"area:{area_id}|category:{category_id}"


def hot_key(hot_issue_id: int) -> str:
    return f"hot:{hot_issue_id}"


# ---------------------------------------------------------------------------- measuring


def _records_since() -> datetime | None:
    return HotMember.objects.aggregate(first=Min("at"))["first"]


def _area_levels(
    keys: set[tuple[int, int]], *, now: datetime, t: Thresholds
) -> dict[tuple[int, int], Level]:
    if not keys:
        return {}
    window_start = now - timedelta(hours=t.hours)
    baseline_start = window_start - timedelta(days=t.baseline_days)
    wanted = Q()
    for area_id, category_id in keys:
        wanted |= Q(area_id=area_id, category_id=category_id)
    rows = (
        HotMember.objects.filter(wanted, at__gt=baseline_start, at__lte=now)
        .values("area_id", "category_id")
        .annotate(
            observed=Count("pk", filter=Q(at__gt=window_start)),
            before=Count("pk", filter=Q(at__lte=window_start)),
        )
    )
    first = _records_since()
    days = (window_start - first).total_seconds() / 86400 if first else 0.0
    found = {
        (r["area_id"], r["category_id"]): level(
            observed=r["observed"], before=r["before"], days=days, t=t
        )
        for r in rows
    }
    return {key: found.get(key, level(observed=0, before=0, days=days, t=t)) for key in keys}


def _hot_levels(ids: set[int], *, now: datetime, t: Thresholds) -> dict[int, Level]:
    if not ids:
        return {}
    window_start = now - timedelta(hours=t.hours)
    baseline_start = window_start - timedelta(days=t.baseline_days)
    rows = {
        r["hot_issue_id"]: r
        for r in HotMember.objects.filter(hot_issue_id__in=ids, at__gt=baseline_start, at__lte=now)
        .values("hot_issue_id")
        .annotate(
            observed=Count("pk", filter=Q(at__gt=window_start)),
            before=Count("pk", filter=Q(at__lte=window_start)),
        )
    }
    firsts = dict(HotIssue.objects.filter(pk__in=ids).values_list("pk", "first_at"))
    levels = {}
    for hot_id in ids:
        row = rows.get(hot_id, {"observed": 0, "before": 0})
        first = firsts.get(hot_id)
        days = (window_start - first).total_seconds() / 86400 if first else 0.0
        levels[hot_id] = level(observed=row["observed"], before=row["before"], days=days, t=t)
    return levels


# ---------------------------------------------------------------------------- evidence


def _evidence(
    members, *, key_filter: Q, now: datetime, t: Thresholds, lvl: Level, scope: str
) -> dict:
    window_start = now - timedelta(hours=t.hours)
    since = now - timedelta(days=14)
    daily = (
        members.filter(key_filter, at__gt=since, at__lte=now)
        .annotate(day=TruncDate("at"))
        .values("day")
        .annotate(n=Count("pk"))
        .order_by("day")
    )
    recent = members.filter(key_filter, at__gt=window_start, at__lte=now).order_by("-at")
    evidence = {
        "observed": lvl.observed,
        "expected": lvl.expected,
        "p_value": lvl.p_value,
        "window_hours": t.hours,
        "baseline_days": lvl.baseline_days,
        "thresholds": {"min_count": t.min_count, "p": t.p_open, "p_end": t.p_end},
        "daily": [[row["day"].isoformat(), row["n"]] for row in daily],
        "issues": list(recent.values_list("issue_id", flat=True)[:50]),
    }
    if scope == SCOPE.AREA_CATEGORY:
        evidence["hot_issues"] = [
            [row["hot_issue_id"], row["n"]]
            for row in recent.values("hot_issue_id")
            .annotate(n=Count("pk"))
            .order_by("-n", "hot_issue_id")[:10]
        ]
    return evidence


def _open(
    *,
    scope: str,
    key: str,
    lvl: Level,
    now: datetime,
    t: Thresholds,
    key_filter: Q,
    **target,
) -> HotWarning | None:
    """Open the warning of a crossing and announce it; None when one is open already."""
    evidence = _evidence(
        HotMember.objects.all(), key_filter=key_filter, now=now, t=t, lvl=lvl, scope=scope
    )
    try:
        with transaction.atomic():
            warning = HotWarning.objects.create(
                scope=scope,
                key=key,
                started_at=now,
                observed=lvl.observed,
                expected=lvl.expected,
                p_value=lvl.p_value,
                peak=lvl.observed,
                evidence=evidence,
                **target,
            )
    except IntegrityError:
        return None  # another writer opened it first: announced once
    publish(HotEvent.WARNING, warning_id=warning.pk)
    return warning


def warnings_evaluate(
    *, members: Iterable[HotMember] = (), now: datetime | None = None
) -> list[HotWarning]:
    """Check the levels the new ``members`` count in, and every open warning's level.

    Opens (and announces) a warning for each level that crossed and has none open; ends the
    open ones whose level fell back; raises an open one's ``peak``. Runs in the caller's
    transaction. Returns the warnings opened.
    """
    t = Thresholds.from_settings()
    now = now or timezone.now()
    members = list(members)
    areas = {(m.area_id, m.category_id) for m in members if m.area_id and m.category_id}
    hots = {m.hot_issue_id for m in members}
    open_warnings = list(HotWarning.objects.filter(ended_at__isnull=True))
    for warning in open_warnings:
        if warning.scope == SCOPE.AREA_CATEGORY and warning.area_id and warning.category_id:
            areas.add((warning.area_id, warning.category_id))
        elif warning.scope == SCOPE.HOT_ISSUE and warning.hot_issue_id:
            hots.add(warning.hot_issue_id)
    area_levels = _area_levels(areas, now=now, t=t)
    hot_levels = _hot_levels(hots, now=now, t=t)
    by_key = {w.key: w for w in open_warnings}
    opened: list[HotWarning] = []

    def follow(key: str, lvl: Level, **opening) -> None:
        current = by_key.get(key)
        if current is not None:
            if lvl.has_ended(t):
                current.ended_at = now
                current.save(update_fields=["ended_at"])
            elif lvl.observed > current.peak:
                current.peak = lvl.observed
                current.save(update_fields=["peak"])
            return
        if lvl.crosses(t):
            warning = _open(key=key, lvl=lvl, now=now, t=t, **opening)
            if warning is not None:
                opened.append(warning)

    for (area_id, category_id), lvl in sorted(area_levels.items()):
        follow(
            area_key(area_id, category_id),
            lvl,
            scope=SCOPE.AREA_CATEGORY,
            key_filter=Q(area_id=area_id, category_id=category_id),
            area_id=area_id,
            category_id=category_id,
        )
    for hot_id, lvl in sorted(hot_levels.items()):
        follow(
            hot_key(hot_id),
            lvl,
            scope=SCOPE.HOT_ISSUE,
            key_filter=Q(hot_issue_id=hot_id),
            hot_issue_id=hot_id,
        )
    # A warning of a hot issue merged into another follows nothing any more: it ends.
    for warning in open_warnings:
        if warning.scope == SCOPE.HOT_ISSUE and warning.hot_issue_id is None:
            warning.ended_at = now
            warning.save(update_fields=["ended_at"])
    return opened
