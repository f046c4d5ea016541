"""The rollup equals a direct count of the record, over random histories (hypothesis).

Each example writes a random history (issues over organisations, categories, areas, channels
and days; assignments signed for or not, in time or late, done, redone, cancelled; ratings,
some left out on appeal; approved and rejected bounce-backs), recounts it into the rollup, and
checks the rollup's sums against :func:`selectors.agency_rates` (the rates counted from the
assignments themselves) and against plain counts of the issues; and the same of the summaries
the dashboard reads (day × organisation, day × category, area or channel, and their months).
The example is rolled back.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from agencies.models import Agency
from coordination.dispatch.models import Assignment, CoordinationRequest
from coordination.reporting.figures import (
    facets_for,
    rollup_agency_rates,
    rollup_rows,
    summary_rows,
)
from coordination.reporting.models import (
    FACET_COUNTS,
    AgencySummary,
    FacetSummary,
    Rollup,
    Span,
)
from coordination.reporting.selectors import agency_rates
from coordination.reporting.services import FIELDS, rollup_refresh, summaries_refresh
from issues.models import Feedback, Issue
from tests.factories import AgencyFactory, AreaFactory, CategoryFactory, IssueFactory

pytestmark = pytest.mark.django_db

H = timedelta(hours=1)
DAYS = 12
CHANNELS = [c for c, _label in Issue.Channel.choices]

assignment_st = st.fixed_dictionaries(
    {
        "agency": st.integers(0, 2),
        "lead": st.booleans(),
        "after_hours": st.integers(0, 60),
        "status": st.sampled_from(["pending", "accepted", "done", "returned", "cancelled"]),
        "accept_hours": st.one_of(st.none(), st.integers(0, 6)),
        "done_hours": st.integers(1, 200),
        "redo": st.booleans(),
        "bounce": st.sampled_from([None, "approved", "rejected"]),
    }
)
issue_st = st.fixed_dictionaries(
    {
        "day": st.integers(0, DAYS - 2),
        "hour": st.integers(0, 23),
        "category": st.integers(0, 1),
        "area": st.integers(0, 2),  # 2: no area
        "channel": st.sampled_from(CHANNELS),
        "status": st.sampled_from([s for s, _label in Issue.Status.choices]),
        "answered": st.booleans(),  # at first contact (a routed one too: counted all the same)
        "assignments": st.lists(assignment_st, max_size=3),
        "ratings": st.lists(
            st.tuples(st.integers(1, 5), st.integers(0, 300), st.booleans()), max_size=2
        ),
    }
)


@pytest.fixture
def world():
    return {
        "agencies": [AgencyFactory(code=f"org{i}") for i in range(3)],
        "categories": [CategoryFactory(code=f"kind{i}") for i in range(2)],
        "areas": [AreaFactory(code=f"area{i}") for i in range(2)] + [None],
    }


def write(world, issues: list[dict], now: datetime) -> None:
    first_day = timezone.localdate(now) - timedelta(days=DAYS - 1)
    for spec in issues:
        filed = timezone.make_aware(
            datetime.combine(first_day + timedelta(days=spec["day"]), time(spec["hour"]))
        )
        issue = IssueFactory(
            created_at=filed,
            status=spec["status"],
            channel=spec["channel"],
            category=world["categories"][spec["category"]],
            area=world["areas"][spec["area"]],
            answered_at_first_contact=spec.get("answered", False),
        )
        n = len(spec["assignments"])
        for i, a in enumerate(spec["assignments"]):
            # Received by now: the rollup counts the days up to today.
            created = min(filed + a["after_hours"] * H * (i + 1), now - H)
            status = a["status"]
            if i < n - 1 and status in ("pending", "accepted"):
                status = "returned"  # only the last may be active
            accepted = None if a["accept_hours"] is None else created + a["accept_hours"] * H
            if status in ("accepted", "done") and accepted is None:
                accepted = created + 5 * H
            if status == "pending":
                accepted = None
            assignment = Assignment.objects.create(
                issue=issue,
                agency=world["agencies"][a["agency"]],
                role="lead" if a["lead"] or i == 0 else "co_handler",
                status=status,
                created_at=created,
                response_due_at=created + 2 * H,
                due_at=created + 72 * H,
                accepted_at=accepted,
                done_at=created + a["done_hours"] * H if status == "done" else None,
                redo=a["redo"] and i > 0,
            )
            if a["bounce"]:
                CoordinationRequest.objects.create(
                    issue=issue,
                    assignment=assignment,
                    kind=CoordinationRequest.Kind.BOUNCE,
                    status=a["bounce"],
                    reason="Not ours.",
                )
        for round_, (rating, hours, excluded) in enumerate(spec["ratings"]):
            Feedback.objects.create(
                issue=issue, rating=rating, at=filed + hours * H, excluded=excluded, round=round_
            )


@settings(
    max_examples=25,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # shrinking a database: too slow
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(issues=st.lists(issue_st, max_size=8), split=st.integers(1, DAYS - 1))
def test_the_rollup_equals_a_direct_count(world, issues, split):
    now = timezone.now()
    today = timezone.localdate(now)
    first = today - timedelta(days=DAYS - 1)
    with transaction.atomic():
        write(world, issues, now)
        # Recounted in two ranges split anywhere: the same rows as one recount of all.
        rollup_refresh(first, first + timedelta(days=split - 1), now=now)
        rollup_refresh(first + timedelta(days=split), today, now=now)
        in_parts = sorted(
            Rollup.objects.values_list(
                "day", "agency_id", "category_id", "area_id", "channel", "filed", "assigned",
                "resolved", "rated", "satisfied", "bounced", "overdue",
            ),
            key=repr,
        )  # fmt: skip
        summaries_in_parts = summaries()
        rollup_refresh(first, today, now=now)
        assert sorted(
            Rollup.objects.values_list(
                "day", "agency_id", "category_id", "area_id", "channel", "filed", "assigned",
                "resolved", "rated", "satisfied", "bounced", "overdue",
            ),
            key=repr,
        ) == in_parts  # fmt: skip
        assert summaries() == summaries_in_parts

        agencies = list(Agency.objects.filter(code__startswith="org").order_by("code"))
        rows = rollup_rows(first=first, last=today, agency_ids=None)
        assert rollup_agency_rates(rows, agencies) == agency_rates(
            now=now, agency_ids=[a.pk for a in agencies]
        )

        by_key = {
            (r["category_id"], r["channel"]): (r["filed"], r["closed"], r["open"])
            for r in rows.values("category_id", "channel").annotate(
                filed=Sum("filed"), closed=Sum("closed"), open=Sum("open")
            )
        }
        direct = {
            (r["category_id"], r["channel"]): (r["filed"], r["closed"], r["open"])
            for r in Issue.objects.filter(category__code__startswith="kind")
            .values("category_id", "channel")
            .annotate(
                filed=Count("pk"),
                closed=Count("pk", filter=Q(status__in=["resolved", "closed"])),
                open=Count("pk", filter=Q(status__in=Issue.OPEN_STATUSES)),
            )
        }
        assert by_key == direct
        assert (rows.aggregate(n=Sum("assigned"))["n"] or 0) == Assignment.objects.count()

        # The summaries: read by days, and from the first's month on (whole months as month
        # rows when the period holds one), they give the same rates and counts.
        expected = agency_rates(now=now, agency_ids=[a.pk for a in agencies])
        for since, months in ((first, False), (first.replace(day=1), True)):
            summary = summary_rows(first=since, last=today, agency_ids=None, months=months)
            assert rollup_agency_rates(summary, agencies) == expected
            facets = facets_for(first=since, last=today, agency_ids=None)
            by_category = {r["category"]: (r["filed"], r["closed"], r["open"])
                           for r in facets.grouped("category")}  # fmt: skip
            assert by_category == {
                r["category_id"]: (r["filed"], r["closed"], r["open"])
                for r in Issue.objects.filter(category__code__startswith="kind")
                .values("category_id")
                .annotate(
                    filed=Count("pk"),
                    closed=Count("pk", filter=Q(status__in=["resolved", "closed"])),
                    open=Count("pk", filter=Q(status__in=Issue.OPEN_STATUSES)),
                )
            }
            by_channel = {
                r["channel"]: (r["filed"], r["answered"]) for r in facets.grouped("channel")
            }
            assert by_channel == {
                channel: (n, answered)
                for channel, n, answered in Issue.objects.values_list("channel")
                .annotate(
                    n=Count("pk"), answered=Count("pk", filter=Q(answered_at_first_contact=True))
                )
                .order_by()
            }
            # The channel table's parts and wholes: the same assignment facts as the rates'.
            work = ("response_due", "responded_in_time", "done", "resolved", "rated", "satisfied")
            totals = summary.aggregate(**{name: Sum(name) for name in work})
            assert {name: sum(r[name] for r in facets.grouped("channel")) for name in work} == {
                name: n or 0 for name, n in totals.items()
            }
            # Every organisation's rows add up to the whole city's.
            ids = {a.pk for a in agencies}
            mine = facets_for(first=since, last=today, agency_ids=ids)
            unassigned = Issue.objects.filter(assignments__isnull=True).count()
            assert sum(r["filed"] for r in mine.grouped("area")) + unassigned == sum(
                r["filed"] for r in facets.grouped("area")
            )
        # A month's row is the sum of its days' rows; an organisation's breakdown by month,
        # the sum of its rollup rows of the month.
        for month in AgencySummary.objects.filter(span=Span.MONTH):
            assert_month(month, AgencySummary.objects.filter(agency_id=month.agency_id), FIELDS)
        for month in FacetSummary.objects.filter(span=Span.MONTH):
            if month.agency_id is None:
                days = FacetSummary.objects.filter(
                    agency__isnull=True, facet=month.facet, value=month.value
                )
            else:
                column = {"category": "category_id", "area": "area_id"}.get(month.facet)
                key = {column: int(month.value) if month.value else None} if column else {}
                days = Rollup.objects.filter(
                    agency_id=month.agency_id, **(key or {"channel": month.value})
                )
            assert_month(month, days, FACET_COUNTS)
        transaction.set_rollback(True)


def assert_month(month, rows, names) -> None:
    of_month = rows.filter(day__year=month.day.year, day__month=month.day.month)
    if hasattr(rows.model, "span"):
        of_month = of_month.filter(span=Span.DAY)
    sums = of_month.aggregate(**{name: Sum(name) for name in names})
    assert sums == {name: getattr(month, name) for name in names}


def summaries() -> list[tuple]:
    return sorted(
        [
            *AgencySummary.objects.values_list("span", "day", "agency_id", *FIELDS),
            *FacetSummary.objects.values_list(
                "span", "day", "agency_id", "facet", "value", *FACET_COUNTS
            ),
        ],
        key=repr,
    )


def test_rebuild_rollup_recounts_every_day_and_drops_stale_rows(world, capsys):
    now = timezone.now()
    pending = {
        "agency": 1, "lead": True, "after_hours": 1, "status": "pending", "accept_hours": None,
        "done_hours": 1, "redo": False, "bounce": None,
    }  # fmt: skip
    one = {
        "day": 0, "hour": 9, "category": 0, "area": 0, "channel": "phone",
        "status": "dispatched", "ratings": [], "assignments": [pending],
    }  # fmt: skip
    write(world, [one], now)
    stale = Rollup.objects.create(day=timezone.localdate() - timedelta(days=400), channel="web")
    call_command("rebuild_rollup")
    assert not Rollup.objects.filter(pk=stale.pk).exists()
    row = Rollup.objects.get()
    assert (row.filed, row.assigned, row.agency.code, row.channel) == (1, 1, "org1", "phone")
    assert "Rollup rebuilt: 1 rows." in capsys.readouterr().out
    day, month = (
        AgencySummary.objects.get(span=span, agency__code="org1") for span in (Span.DAY, Span.MONTH)
    )
    assert (day.assigned, month.assigned, month.day) == (1, 1, day.day.replace(day=1))
    assert FacetSummary.objects.get(span=Span.DAY, facet="channel").value == "phone"


def test_rebuild_drops_summaries_of_days_before_the_first_issue(world):
    old = timezone.localdate() - timedelta(days=400)
    AgencySummary.objects.create(span=Span.DAY, day=old)
    AgencySummary.objects.create(span=Span.MONTH, day=old.replace(day=1))
    FacetSummary.objects.create(span=Span.DAY, day=old, facet="channel", value="web")
    write(world, [], timezone.now())
    IssueFactory()
    call_command("rebuild_rollup")
    assert not AgencySummary.objects.filter(day__lte=old).exists()
    assert not FacetSummary.objects.filter(day__lte=old).exists()


def test_a_period_reads_its_whole_months_as_month_rows_and_the_days_either_side(world):
    first, last = date(2026, 1, 1), date(2026, 4, 30)
    day = first
    while day <= last:
        Rollup.objects.create(
            day=day, agency=world["agencies"][0], channel="phone", filed=1, assigned=2
        )
        day += timedelta(days=1)
    summaries_refresh(first, last)
    rows = summary_rows(first=date(2026, 1, 15), last=date(2026, 4, 10), agency_ids=None)
    # 17 days of January, February and March as two month rows, 10 days of April.
    assert sorted(rows.values_list("span", flat=True)) == ["day"] * 27 + ["month"] * 2
    assert rows.aggregate(n=Sum("filed"), a=Sum("assigned")) == {"n": 86, "a": 172}
    days_only = summary_rows(
        first=date(2026, 1, 15), last=date(2026, 4, 10), agency_ids=None, months=False
    )
    assert days_only.count() == 86
    (phone,) = facets_for(first=date(2026, 2, 1), last=date(2026, 3, 31), agency_ids=None).grouped(
        "channel"
    )
    assert (phone["channel"], phone["filed"], phone["closed"]) == ("phone", 59, 0)
    # An organisation's: its months from the summary, the days either side from the rollup.
    mine = {world["agencies"][0].pk}
    for first_day, last_day, filed in (
        (date(2026, 1, 15), date(2026, 4, 10), 86),
        (date(2026, 2, 1), date(2026, 3, 31), 59),
        (date(2026, 2, 3), date(2026, 2, 9), 7),
    ):
        facets = facets_for(first=first_day, last=last_day, agency_ids=mine)
        assert [r["filed"] for r in facets.grouped("channel")] == [filed]
    assert facets_for(first=first, last=last, agency_ids=set()).grouped("channel") == []
    assert FacetSummary.objects.filter(agency__isnull=False, span=Span.DAY).count() == 0
