"""The demo city's past: a year of made-up issues, so that every chart and map of the
dashboard (``coordination.reporting``) has something to show in ``make run``.

Deterministic (a fixed seed, days counted back from today): issues over the organisations,
categories, areas and channels, each assigned, signed for in time or late, resolved (some
redone, some bounced back), and rated; the recent ones still open. Written with
``bulk_create`` (a few seconds on SQLite), once: the issues carry tracking numbers ``HIST-…``
and a second run finds them and writes nothing. Then the rollup is rebuilt.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from django.utils import timezone

from agencies.models import Agency, Area
from coordination.dispatch.models import Assignment, CoordinationRequest
from coordination.reporting.services import rollup_rebuild
from issues.models import Category, Feedback, Issue

PREFIX = "HIST-"
DAYS = 365
PER_DAY = (6, 22)  # issues a day, at least and at most
SEED = 12345
H = timedelta(hours=1)
CHANNELS = (("phone", 50), ("wechat", 25), ("web", 15), ("api", 6), ("open311", 4))
TITLES = (
    "路灯不亮",
    "垃圾未清运",
    "噪音扰民",
    "道路坑洼",
    "占道经营",
    "供暖不热",
    "漏水",
    "违章停车",
)


def _centre(geometry: dict) -> tuple[float, float] | None:
    rings = geometry.get("coordinates") or []
    if geometry.get("type") == "MultiPolygon":
        rings = rings[0] if rings else []
    points = rings[0] if rings else []
    if not points:
        return None
    return (
        sum(p[1] for p in points) / len(points),
        sum(p[0] for p in points) / len(points),
    )


def seed_past(*, now: datetime | None = None) -> tuple[int, bool]:
    """Write the year of history once; (issues of the history, whether written now)."""
    existing = Issue.objects.filter(tracking_number__startswith=PREFIX).count()
    if existing:
        return existing, False
    now = now or timezone.now()
    rng = random.Random(SEED)  # noqa: S311 (made-up history, not secrets)
    agencies = list(
        Agency.objects.filter(active=True)
        .exclude(kind__in=[Agency.Kind.DISPATCH_CENTRE, Agency.Kind.ENTERPRISE_PARTNER])
        .order_by("code")
    )
    categories = list(Category.objects.filter(private=False, active=True).order_by("code"))
    areas = list(Area.objects.order_by("code"))
    if not agencies or not categories:
        return 0, False
    places = {a.pk: _centre(a.geometry) for a in areas}
    weights = [1 / (i + 1) for i in range(len(categories))]
    agency_weights = [1 / (1 + i % 7) for i in range(len(agencies))]
    channels = [c for c, _w in CHANNELS]
    channel_weights = [w for _c, w in CHANNELS]
    today = timezone.localdate(now)
    issues: list[Issue] = []
    plans: list[dict] = []
    n = 0
    for back in range(DAYS, 0, -1):
        day = today - timedelta(days=back)
        for _i in range(rng.randint(*PER_DAY)):
            n += 1
            filed = timezone.make_aware(
                datetime.combine(day, time(rng.randint(7, 21), rng.randint(0, 59)))
            )
            area = rng.choice(areas) if areas else None
            place = places.get(area.pk) if area else None
            age = (now - filed).days
            done = (age > 7 and rng.random() < 0.93) or (age > 2 and rng.random() < 0.5)
            issues.append(
                Issue(
                    tracking_number=f"{PREFIX}{n:06d}",
                    title=rng.choice(TITLES),
                    description="演示数据：往年的来件（虚构）。",
                    category=rng.choices(categories, weights)[0],
                    area=area,
                    lat=place[0] if place else None,
                    lon=place[1] if place else None,
                    channel=rng.choices(channels, channel_weights)[0],
                    status=Issue.Status.CLOSED if done else Issue.Status.IN_PROGRESS,
                    created_at=filed,
                    resolved_at=None,
                )
            )
            plans.append(
                {
                    "agency": rng.choices(agencies, agency_weights)[0],
                    "filed": filed,
                    "accept_after": rng.choice([0.2, 0.5, 1, 1.5, 3]) * H,
                    "done": done,
                    "took": rng.randint(4, 200) * H,
                    "redo": done and rng.random() < 0.05,
                    "bounce": rng.random() < 0.03,
                    "rating": rng.choices([5, 4, 3, 2, 1], [50, 25, 10, 8, 7])[0]
                    if done and rng.random() < 0.6
                    else None,
                }
            )
    Issue.objects.bulk_create(issues, batch_size=1000)
    saved = dict(
        Issue.objects.filter(tracking_number__startswith=PREFIX).values_list(
            "tracking_number", "pk"
        )
    )
    assignments: list[Assignment] = []
    bounced: list[tuple[int, Agency, datetime]] = []
    feedback: list[Feedback] = []
    for issue, plan in zip(issues, plans, strict=True):
        issue.pk = saved[issue.tracking_number]
        received = plan["filed"] + 10 * 60 * timedelta(seconds=1)
        if plan["bounce"]:
            bounced.append((issue.pk, plan["agency"], received))
            other = agencies[(agencies.index(plan["agency"]) + 1) % len(agencies)]
            assignments.append(_assignment(issue, plan["agency"], received, status="returned"))
            received += 2 * H
            plan["agency"] = other
        accepted = received + plan["accept_after"]
        done_at = accepted + plan["took"]
        if plan["redo"]:
            assignments.append(
                _assignment(issue, plan["agency"], received, accepted=accepted, done=done_at)
            )
            received = done_at + 24 * H
            accepted, done_at = received + H, received + 48 * H
        assignments.append(
            _assignment(
                issue,
                plan["agency"],
                received,
                accepted=accepted if accepted < timezone.now() else None,
                done=done_at if plan["done"] else None,
                redo=plan["redo"],
            )
        )
        if plan["rating"] and plan["done"]:
            feedback.append(
                Feedback(issue=issue, rating=plan["rating"], at=done_at + 6 * H, round=0)
            )
    Assignment.objects.bulk_create(assignments, batch_size=1000)
    Feedback.objects.bulk_create(feedback, batch_size=1000)
    returned = {
        (a.issue_id, a.agency_id): a.pk
        for a in Assignment.objects.filter(
            issue__tracking_number__startswith=PREFIX, status="returned"
        )
    }
    CoordinationRequest.objects.bulk_create(
        [
            CoordinationRequest(
                issue_id=issue_id,
                assignment_id=returned[(issue_id, agency.pk)],
                kind=CoordinationRequest.Kind.BOUNCE,
                status=CoordinationRequest.Status.APPROVED,
                reason="不属于本单位职责（演示）",
                requested_at=at + H,
                decided_at=at + 2 * H,
            )
            for issue_id, agency, at in bounced
        ],
        batch_size=1000,
    )
    rollup_rebuild(now=now)
    return len(issues), True


def _assignment(issue, agency, received, *, status=None, accepted=None, done=None, redo=False):
    if status is None:
        status = "done" if done else ("accepted" if accepted else "pending")
    return Assignment(
        issue_id=issue.pk,
        agency=agency,
        role=Assignment.Role.LEAD,
        status=status,
        created_at=received,
        response_due_at=received + 2 * H,
        due_at=received + 72 * H,
        accepted_at=accepted,
        done_at=done,
        redo=redo,
    )
