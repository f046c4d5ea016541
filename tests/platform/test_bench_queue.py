"""The queue benchmark seeds what the services would have written and reports every scenario.

Run at a tiny size on the test database: the figures are not checked, their shape is, and the
seeded rows are checked against what was asked and against each other.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Permission

from agencies.models import Agency
from bench.pgcopy import CopyPlan
from bench.queue import GOAL_SCENARIOS, _database_name, measure
from bench.queue_city import seed_city
from coordination.dispatch.models import Assignment
from coordination.dispatch.permissions import issues_visible_to
from coordination.dispatch.selectors import agency_queue
from issues.models import Issue, IssueGroupObjectPermission

HOLDING = [Assignment.Status.PENDING, Assignment.Status.ACCEPTED, Assignment.Status.DONE]
FIGURES = {"p50_ms", "p95_ms", "p99_ms", "max_ms", "queries"}


@pytest.mark.services
@pytest.mark.django_db
def test_the_benchmark_seeds_the_city_it_was_asked_for_and_times_every_scenario():
    progress = io.StringIO()
    seeded = seed_city(issues=300, agencies=5, stream=progress)

    assert Issue.objects.count() == seeded.issues == 300
    assert Agency.objects.count() == seeded.agencies == 5
    assert Assignment.objects.count() == seeded.assignments > 300
    # A progress bar for each table it loaded.
    for table in ("auth_group", "agencies_agency", "issues", "coordination_assignment"):
        assert table in progress.getvalue()

    # Each organisation has its permission group, named as agency_group names it.
    for agency in Agency.objects.select_related("group"):
        assert agency.group.name == f"agency:{agency.code}"
    assert Agency.objects.filter(kind=Agency.Kind.DISPATCH_CENTRE).count() == 1
    assert Agency.objects.filter(kind=Agency.Kind.COMMUNITY, parent__isnull=False).exists()

    # Guardian's rows are exactly those the services leave: one per organisation holding an
    # issue (pending, accepted or done), none for returned or cancelled work.
    view = Permission.objects.get(codename="view_issue", content_type__app_label="issues")
    held = set(
        Assignment.objects.filter(status__in=HOLDING).values_list("issue_id", "agency__group_id")
    )
    granted = list(
        IssueGroupObjectPermission.objects.values_list(
            "content_object_id", "group_id", "permission_id"
        )
    )
    assert len(granted) == seeded.permission_rows == len(held)
    assert {(issue, group) for issue, group, _perm in granted} == held
    assert {perm for _issue, _group, perm in granted} == {view.pk}

    # The statuses fit together as the workflow leaves them.
    active = Assignment.objects.filter(status__in=Assignment.ACTIVE_STATUSES)
    assert set(active.values_list("issue__status", flat=True)) <= {"dispatched", "in_progress"}
    assert not Issue.objects.filter(status__in=["resolved", "closed"], resolved_at=None).exists()
    assert not Issue.objects.filter(status="closed", closed_at=None).exists()
    assert not Issue.objects.filter(status="merged", merged_into=None).exists()
    assert Issue.objects.exclude(title="").count() == 300

    result = measure(requests=5, warmup=1)
    result = json.loads(json.dumps(result))  # what the benchmark prints is plain JSON

    assert result["issues"] == 300
    assert result["assignments"] == seeded.assignments
    assert result["permission_rows"] == seeded.permission_rows
    assert result["goal_p95_ms"] == 100
    assert isinstance(result["met"], bool)
    assert result["met"] == all(result["scenarios"][name]["met"] for name in GOAL_SCENARIOS)
    assert set(result["scenarios"]) == {
        "staff_queue_busiest",
        "staff_queue_median",
        "api_issues_busiest",
        "api_issues_median",
        "api_assignments_busiest",
        "api_assignments_median",
        "dispatch_page",
        "api_issues_dispatcher",
        "workbench",
        "workbench_triage",
        "workbench_busiest_organisation",
        "workbench_area",
        "workbench_overdue",
        "workbench_text",
        "workbench_tracking_number",
        "workbench_issue",
    }
    # The workbench's area filter has areas to filter by: the benchmark placed the issues.
    assert Issue.objects.filter(area__isnull=False).exists()
    for name, figures in result["scenarios"].items():
        assert set(figures) >= FIGURES, name
        assert 0 < figures["p50_ms"] <= figures["p95_ms"] <= figures["p99_ms"] <= figures["max_ms"]
        assert figures["queries"] > 0, name

    # The busiest organisation is the one with the longest queue, and its staff see what
    # the permission rows give its group.
    busiest = result["scenarios"]["staff_queue_busiest"]
    agency = Agency.objects.get(code=busiest["agency"])
    longest = max(
        active.exclude(agency__kind=Agency.Kind.DISPATCH_CENTRE)
        .values_list("agency_id", flat=True)
        .distinct(),
        key=lambda pk: (active.filter(agency_id=pk).count(), -pk),
    )
    assert agency.pk == longest
    assert busiest["queue"] == active.filter(agency=agency).count()
    user = agency.memberships.get().user
    assert agency_queue(user=user).count() == busiest["queue"]
    assert set(issues_visible_to(user).values_list("pk", flat=True)) == set(
        IssueGroupObjectPermission.objects.filter(group=agency.group).values_list(
            "content_object_id", flat=True
        )
    )


def test_the_benchmark_fills_the_columns_it_is_not_given_as_save_would():
    plan = CopyPlan(Issue, ["id", "tracking_number", "title", "description"], now=datetime.now(UTC))
    row = dict(zip(plan.columns, plan.encode([7, "20260101-ABCDEF", "标题", "详情"]), strict=True))

    assert row["id"] == "7"
    assert row["title"] == "标题"
    assert row["status"] == "submitted"  # a default
    assert row["answers"] == "{}"  # a callable default
    assert row["anonymous"] == "f"
    assert row["category_id"] == r"\N"  # nullable
    assert row["address"] == ""  # blank text
    assert len(row["access_token"]) >= 40  # unique: a fresh token for every row
    assert (
        plan.encode([8, "x", "t", "d"])[plan.columns.index("access_token")] != (row["access_token"])
    )


def test_the_benchmark_names_a_required_column_it_cannot_fill():
    with pytest.raises(ValueError, match=r"Issue\.title"):
        CopyPlan(Issue, ["id", "tracking_number", "description"], now=datetime.now(UTC))


@pytest.mark.parametrize(
    "url",
    [
        "postgres://postgres@127.0.0.1:5432/test_helper_bench",
        "postgres://postgres@127.0.0.1:5432/root",
        "postgres://postgres@127.0.0.1:5432/postgres",
        "sqlite:///db.sqlite3",
    ],
)
def test_the_benchmark_refuses_databases_that_are_not_its_own(url):
    with pytest.raises(SystemExit):
        _database_name(url)
