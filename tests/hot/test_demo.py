"""The demo city shows hot issues, an early warning and a topic from its first run."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from coordination.demo.hot import TOPIC_TITLE
from coordination.hot.models import HotIssue, HotWarning, Topic

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(settings):
    settings.DEMO_PASSWORD = "demo-pass-2026"
    call_command("seed_demo", "--quiet", "--no-history", stdout=StringIO())


def test_the_demo_has_hot_issues_a_warning_and_a_topic(seeded):
    hottest = HotIssue.objects.filter(size__gte=2).order_by("-heat")
    assert hottest.count() >= 4
    assert {"滨河小区", "新桥社区", "松林路"} <= {h.label.split()[0] for h in hottest}
    assert HotWarning.objects.filter(ended_at__isnull=True).exists()
    topic = Topic.objects.get(title=TOPIC_TITLE)
    assert topic.members.count() == 7 and topic.participants.count() == 4
    assert topic.milestones.count() == 2


def test_seeding_twice_files_nothing_twice(seeded):
    counts = (HotIssue.objects.count(), Topic.objects.count())
    call_command("seed_demo", "--quiet", "--no-history", stdout=StringIO())
    assert (HotIssue.objects.count(), Topic.objects.count()) == counts


def test_the_leader_and_the_dispatcher_open_the_board(seeded, client):
    for name in ("leader", "dispatcher", "manager_urban"):
        client.force_login(get_user_model().objects.get(username=name))
        page = client.get("/hot/")
        assert page.status_code == 200, name
        assert "滨河小区" in page.content.decode()
    client.force_login(get_user_model().objects.get(username="staff_youth-league"))
    queue = client.get("/staff/").content.decode()
    assert TOPIC_TITLE in queue  # a participant sees the topic in its queue
