"""On the real stack (PostgreSQL, Redis, a Celery worker process): issues are clustered by the
worker as they are filed, in order, once each, and the clustering the worker keeps in memory is
the one a fresh load from the rows gives; a support reaches the heat through the worker too."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from coordination.hot.engine import Clusterer
from coordination.hot.models import HotIssue, HotMember, HotState, Support
from coordination.hot.places import city_places
from coordination.hot.services import clustering
from coordination.hot.services.supports import support_add
from issues.services import issue_submit
from tests.conftest import wait_for

from .conftest import EAST, City
from .fixtures import LIFT_QINGSONG, ROAD_NOISE, RUBBISH_HONGFENG, RUBBISH_QINGSONG

pytestmark = [pytest.mark.services, pytest.mark.worker]


def test_the_worker_clusters_issues_as_they_are_filed(celery_worker_process):
    city = City()
    pairs = [*RUBBISH_QINGSONG, RUBBISH_HONGFENG, LIFT_QINGSONG, ROAD_NOISE, *RUBBISH_QINGSONG]
    issues = []

    def file(pair):
        title, text = pair
        return issue_submit(
            title=title, description=text, category=city.rubbish, lat=EAST[0], lon=EAST[1]
        )

    # Filed from two threads at once, as two web processes would.
    half = len(pairs) // 2
    lock = threading.Lock()

    def file_all(part):
        for pair in part:
            issue = file(pair)
            with lock:
                issues.append(issue)
        connection.close()

    threads = [threading.Thread(target=file_all, args=(p,)) for p in (pairs[:half], pairs[half:])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    wait_for(lambda: HotMember.objects.count() == len(pairs), timeout=60)
    assert HotState.objects.get().documents == len(pairs)  # each once

    # The worker's clustering is the batch one, over the issues in the order it took them
    # (the order of filing, but for two filings committed in the other order).
    position = dict(HotMember.objects.values_list("issue_id", "position"))
    assert sorted(position.values()) == list(range(1, len(pairs) + 1))
    issues.sort(key=lambda i: position[i.pk])
    places, roots = city_places(), clustering.category_roots()
    messages = [clustering.issue_message(i, places=places, roots=roots) for i in issues]
    replay = Clusterer(clustering.platform_config())
    for message in messages:
        replay.add(message)
    batch = {frozenset(c.members) for c in replay.clusters()}
    groups: dict[int, set[int]] = {}
    for member in HotMember.objects.all():
        groups.setdefault(member.hot_issue_id, set()).add(member.issue_id)
    assert {frozenset(g) for g in groups.values()} == batch

    # A support goes through the worker into the heat.
    rubbish = HotMember.objects.get(issue=issues[0]).hot_issue
    support_add(issue_id=issues[0].pk, phone="13911112222")
    assert Support.objects.count() == 1
    wait_for(lambda: HotIssue.objects.get(pk=rubbish.pk).supports == 1, timeout=30)
