"""Issues into hot issues as they are filed: the Django shell of the engine.

Issues are filed through ``issues.services.issue_submit``; the clustering task runs after the
commit, as in production (eagerly here). The texts are the engine tests' invented complaints.
"""

from __future__ import annotations

import pytest

from coordination.hot.engine import cluster
from coordination.hot.models import HotIssue, HotMember, HotState, HotTerm
from coordination.hot.places import city_places
from coordination.hot.services import clustering
from issues.models import Issue

from .conftest import EAST, EAST_NEAR, WEST
from .fixtures import (
    BUS,
    LIFT_QINGSONG,
    ROAD_NOISE,
    RUBBISH_HONGFENG,
    RUBBISH_QINGSONG,
    SCHOOL_FEES,
)


def hot_of(issue: Issue) -> int:
    return HotMember.objects.get(issue=issue).hot_issue_id


def partition(issues) -> set[frozenset[int]]:
    groups: dict[int, set[int]] = {}
    for member in HotMember.objects.filter(issue__in=issues):
        groups.setdefault(member.hot_issue_id, set()).add(member.issue_id)
    return {frozenset(g) for g in groups.values()}


def test_near_duplicates_filed_one_by_one_join_one_hot_issue(city, file):
    issues = [file(pair, day=i * 0.5) for i, pair in enumerate(RUBBISH_QINGSONG)]

    assert len({hot_of(i) for i in issues}) == 1
    hot = HotIssue.objects.get(pk=hot_of(issues[0]))
    assert hot.size == 3 and hot.people == 3
    assert hot.label.startswith("青松苑小区")
    assert hot.is_open
    assert hot.areas == ["hx-east"]
    assert hot.categories == ["hx-environment"]  # the top-level category
    member = HotMember.objects.get(issue=issues[1])
    assert member.area == city.east and member.category == city.environment
    assert member.similarity > 0.3 and member.reasons


def test_different_problems_and_far_places_stay_apart(city, file):
    rubbish = [file(pair, day=i * 0.5) for i, pair in enumerate(RUBBISH_QINGSONG)]
    elsewhere = file(RUBBISH_HONGFENG, day=1.6)  # the same complaint about another compound
    lift = file(LIFT_QINGSONG, day=1.7)  # another problem of the same compound
    far = file(RUBBISH_QINGSONG[0], day=1.8, place=WEST)  # the same text 40 km away
    bus = file(BUS, day=1.9, category=city.transport, place=None)

    home = hot_of(rubbish[0])
    for other in (elsewhere, lift, far, bus):
        assert hot_of(other) != home
    assert len({hot_of(i) for i in (elsewhere, lift, far, bus)}) == 4


def test_a_weaker_text_joins_when_its_place_is_the_same_site(city, file):
    first = file(RUBBISH_QINGSONG[0], day=0)
    close = file(("北门垃圾站太臭", "垃圾站的味道很大。"), day=0.2, place=EAST_NEAR)
    assert hot_of(close) == hot_of(first)


def test_incremental_clustering_is_the_batch_run_on_the_same_data(city, file):
    pairs = [*RUBBISH_QINGSONG, RUBBISH_HONGFENG, LIFT_QINGSONG, ROAD_NOISE, SCHOOL_FEES]
    issues = []
    for i in range(18):
        pair = pairs[(i * 5) % len(pairs)]
        if i % 3 == 0:
            clustering.forget_memory()  # another worker process takes over now and then
        issues.append(file(pair, day=i * 1.3, place=EAST if i % 4 else EAST_NEAR))
    incremental = partition(issues)

    places = city_places()
    roots = clustering.category_roots()
    messages = [clustering.issue_message(i, places=places, roots=roots) for i in issues]
    batch = {frozenset(c.members) for c in cluster(messages, clustering.platform_config())}
    assert incremental == batch

    run = clustering.hot_rebuild()
    assert run.clustered == len(issues)
    assert partition(issues) == batch


def test_a_task_delivered_twice_clusters_nothing_twice(city, file):
    issue = file(RUBBISH_QINGSONG[0])
    state = HotState.objects.get()
    assert clustering.hot_assign_pending().clustered == 0
    assert HotMember.objects.filter(issue=issue).count() == 1
    assert HotState.objects.get().documents == state.documents == 1


def test_the_state_is_written_as_it_goes_and_reloads_identically(city, file):
    for i, pair in enumerate(RUBBISH_QINGSONG):
        file(pair, day=i)
    kept = clustering._memory.clusterer
    clustering.forget_memory()
    state = HotState.objects.get()
    loaded = clustering._load(state)
    assert loaded.snapshot()["df"] == kept.snapshot()["df"]
    assert [c.members for c in loaded.clusters()] == [c.members for c in kept.clusters()]
    assert HotTerm.objects.count() == len(kept.snapshot()["df"])


def test_an_issue_filed_while_the_task_was_lost_is_clustered_by_the_sweep(city, file, settings):
    from django.utils import timezone

    from issues.services import issue_submit

    # Filed without the on-commit task running (the broker was down).
    issue = issue_submit(
        title=RUBBISH_QINGSONG[0][0],
        description=RUBBISH_QINGSONG[0][1],
        category=city.rubbish,
        lat=EAST[0],
        lon=EAST[1],
    )
    assert not HotMember.objects.filter(issue=issue).exists()
    run = clustering.hot_sweep(now=timezone.now())
    assert run.clustered == 1
    assert HotMember.objects.filter(issue=issue).exists()


def test_refresh_measures_heat_as_time_passes(city, file):
    issues = [file(pair, day=i * 0.5) for i, pair in enumerate(RUBBISH_QINGSONG)]
    hot = HotIssue.objects.get(pk=hot_of(issues[0]))
    later = hot.measured_at + __import__("datetime").timedelta(days=14)
    assert clustering.hot_refresh(now=later) == 1
    cooled = HotIssue.objects.get(pk=hot.pk)
    assert cooled.heat == pytest.approx(hot.heat / 2, rel=0.01)  # a half-life of 14 days
    assert cooled.measured_at == later
