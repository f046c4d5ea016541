"""Tasks that survive the database and the broker: retried with backoff on a transient error,
sweeps on a queue of their own, a short visibility timeout, and a routing sweep that leaves an
issue whose message is still waiting in the queue alone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerOperationalError

from coordination.dispatch.tasks import issue_route, issues_route_stale
from issues.models import Issue
from issues.services import issue_submit
from platform_gov.celery import app as celery_app
from tests.factories import AgencyFactory, CategoryFactory, IssueFactory, routing_rule

HOT_TASKS = "coordination.hot.tasks."


def test_messages_of_a_killed_worker_come_back_within_minutes_not_an_hour():
    timeout = celery_app.conf.broker_transport_options["visibility_timeout"]
    assert 60 <= timeout <= 600
    assert celery_app.conf.task_acks_late is True
    assert celery_app.conf.task_reject_on_worker_lost is True


def test_every_periodic_sweep_but_the_hot_writers_runs_on_the_sweeps_queue():
    router = celery_app.amqp.router
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        task = entry["task"]
        route = router.route({}, task)
        queue = route["queue"].name
        if task.startswith(HOT_TASKS):
            assert queue == "hot", task
        elif task.endswith("classifier_retrain"):
            continue  # weekly and long: the default queue
        else:
            assert queue == "sweeps", task
    assert router.route({}, "coordination.dispatch.tasks.issue_route")["queue"].name == "routing"


@pytest.mark.parametrize(
    "error", [OperationalError, InterfaceError, BrokerOperationalError, ConnectionError]
)
def test_routing_is_retried_with_jittered_backoff_on_a_transient_error(error):
    assert issubclass(error, issue_route.autoretry_for)
    assert issue_route.retry_backoff is True
    assert issue_route.retry_jitter is True
    assert issue_route.max_retries >= 5
    assert issubclass(error, issues_route_stale.autoretry_for)


def test_a_bug_is_not_retried():
    assert not issubclass(ValueError, issue_route.autoretry_for)


@pytest.fixture
def noise(db):
    lead = AgencyFactory(code="env")
    category = CategoryFactory(code="noise")
    routing_rule(category=category, lead=lead)
    return category


@pytest.mark.django_db
def test_the_sweep_skips_issues_enqueued_recently_and_records_what_it_enqueues(noise, settings):
    settings.ROUTING_STALE_AFTER = timedelta(seconds=60)
    settings.ROUTING_REQUEUE_AFTER = timedelta(minutes=5)
    settings.ROUTING_BATCH = 1  # else a message takes the issue waiting in the queue along
    now = timezone.now()
    old = now - timedelta(minutes=30)
    waiting = IssueFactory(category=noise, created_at=old, routing_enqueued_at=now)
    lost = IssueFactory(category=noise, created_at=old, routing_enqueued_at=old)
    never = IssueFactory(category=noise, created_at=old, routing_enqueued_at=None)
    fresh = IssueFactory(category=noise, created_at=now, routing_enqueued_at=None)

    assert issues_route_stale() == 2

    statuses = dict(Issue.objects.values_list("pk", "status"))
    assert statuses[waiting.pk] == Issue.Status.SUBMITTED
    assert statuses[fresh.pk] == Issue.Status.SUBMITTED
    assert statuses[lost.pk] == Issue.Status.DISPATCHED
    assert statuses[never.pk] == Issue.Status.DISPATCHED
    assert issues_route_stale() == 0


@pytest.mark.services
@pytest.mark.django_db
def test_filing_records_when_the_broker_took_the_routing_message(
    noise, settings, django_capture_on_commit_callbacks
):
    """With a real broker and no worker: the message waits, and the sweep adds no other."""
    celery_app.conf.task_always_eager = False
    try:
        before = timezone.now()
        with django_capture_on_commit_callbacks(execute=True):
            issue = issue_submit(title="Noise", description="At night.", category=noise)
        issue.refresh_from_db()
        assert issue.status == Issue.Status.SUBMITTED
        assert issue.routing_enqueued_at is not None
        assert issue.routing_enqueued_at >= before
        settings.ROUTING_STALE_AFTER = timedelta(0)
        assert issues_route_stale() == 0
    finally:
        celery_app.control.purge()
