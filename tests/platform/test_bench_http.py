"""The HTTP benchmark's own parts, on a tiny city in the test database: what it asks for,
the queries it reports, the wrk script it writes, and that it leaves the city as it found it.
(Serving and wrk themselves are the benchmark's run, not a test's.)"""

from __future__ import annotations

import io
import json

import pytest

from bench import http
from bench.queue_city import seed_city
from coordination.dispatch.models import Handoff
from issues.models import Issue, Update

pytestmark = [pytest.mark.services, pytest.mark.django_db]


@pytest.fixture
def plan():
    seed_city(issues=200, agencies=5, stream=io.StringIO())
    return http.prepare(list(http.SCENARIOS))


def test_every_scenario_is_planned_and_counts_its_queries(plan):
    assert set(plan) == set(http.SCENARIOS)
    assert plan["case_page"]["paths"] and plan["tracking"]["paths"]
    assert plan["staff_queue"]["session"] and plan["tracking"]["session"] is None
    for spec in plan.values():
        assert http.count_queries(spec) > 0


def test_the_wrk_script_carries_paths_headers_and_body_as_lua_strings(plan):
    spec = plan["filing"]
    script = http.lua_script(spec)

    assert "[ [==[X-Forwarded-Proto]==] ] = [==[https]==]" in script
    assert "[==[/api/v1/issues/]==]" in script
    body = json.loads(spec["body"].replace("%d", "1"))
    assert body["title"].startswith(http.MARKER)
    assert 'method = "POST"' in script


def test_the_issues_it_filed_are_taken_out_again(plan):
    before = Issue.objects.count(), Handoff.objects.count(), Update.objects.count()
    http.count_queries(plan["filing"])  # files two
    assert Issue.objects.count() == before[0] + 2

    assert http._forget_filed() == 2
    assert (Issue.objects.count(), Handoff.objects.count(), Update.objects.count()) == before


def test_a_goal_is_met_only_without_errors():
    fast = {"rps": 500.0, "p95_ms": 10.0, "errors": 0}
    assert http._judge("case_page", fast)["met"]
    assert not http._judge("case_page", {**fast, "errors": 1})["met"]
    assert not http._judge("case_page", {**fast, "p95_ms": 100.0})["met"]
    assert not http._judge("filing", {**fast, "rps": 149.9})["met"]


def test_the_yardstick_times_the_same_work_each_time():
    first = http.cpu_yardstick_ms(rounds=2)
    assert first > 0
    # The same loop: the same order of magnitude, whatever the machine is doing.
    assert 0.2 < http.cpu_yardstick_ms(rounds=2) / first < 5
