"""End to end on the real stack: PostgreSQL, Redis and a separate Celery worker process."""

from datetime import timedelta

import pytest
from django.utils import timezone

from coordination.dispatch.models import Assignment, Handoff
from issues.models import Issue
from issues.services import issue_submit
from tests.conftest import wait_for
from tests.factories import AgencyFactory, CategoryFactory, IssueFactory, RoutingRuleFactory

pytestmark = [pytest.mark.services, pytest.mark.worker]


def test_submitted_issue_is_routed_by_the_worker_process_not_eagerly(celery_worker_process):
    category = CategoryFactory(code="street-light")
    lead, helper = AgencyFactory(code="urban"), AgencyFactory(code="power")
    rule = RoutingRuleFactory(category=category, lead=lead, co_handlers=[helper])

    issue = issue_submit(
        title="Street light out",
        description="Dark for three nights.",
        category=category,
        address="12 Willow Lane",
    )

    routed = wait_for(lambda: Handoff.objects.filter(issue=issue, kind="routed").first())
    assert routed.details["routed_by"] == celery_worker_process
    assert routed.details["rule"] == {"id": rule.pk, "name": rule.name}
    issue.refresh_from_db()
    assert issue.status == Issue.Status.DISPATCHED
    roles = dict(issue.assignments.values_list("agency__code", "role"))
    assert roles == {"urban": Assignment.Role.LEAD, "power": Assignment.Role.CO_HANDLER}


def test_issue_never_enqueued_is_routed_by_the_beat_sweep(celery_worker_process):
    """An issue saved while the broker was down has no message; the periodic sweep finds it."""
    category = CategoryFactory(code="noise")
    RoutingRuleFactory(category=category, lead=AgencyFactory(code="police"))
    stranded = IssueFactory(
        category=category,
        status=Issue.Status.SUBMITTED,
        created_at=timezone.now() - timedelta(minutes=5),
    )
    fresh = IssueFactory(category=category, status=Issue.Status.SUBMITTED)

    routed = wait_for(
        lambda: Handoff.objects.filter(issue=stranded, kind="routed").first(), timeout=45
    )
    assert routed.details["routed_by"] == celery_worker_process
    assert Assignment.objects.filter(issue=stranded, agency__code="police").count() == 1
    # Younger than the stale threshold (5 s here): left alone until it is stale too.
    fresh.refresh_from_db()
    assert Handoff.objects.filter(issue=fresh, kind="routed").count() <= 1


def test_publishing_a_new_version_changes_what_the_running_worker_decides(
    celery_worker_process,
):
    from coordination.rules.services import rule_save, ruleset_draft_create, ruleset_publish
    from tests.factories import UserFactory

    noise = CategoryFactory(code="noise")
    AgencyFactory(code="housing")
    AgencyFactory(code="police")
    admin = UserFactory(is_superuser=True)

    def publish(lead: str) -> None:
        draft = ruleset_draft_create(actor=admin)
        rule_save(
            ruleset=draft,
            name=f"noise → {lead}",
            conditions={"all": [{"field": "category", "op": "under", "value": "noise"}]},
            actions={"lead": {"type": "agency", "agency": lead}},
        )
        ruleset_publish(ruleset_id=draft.pk, actor=admin)

    def routed_lead(title: str) -> tuple[str, dict]:
        issue = issue_submit(title=title, description="night noise", category=noise, address="x")
        handoff = wait_for(lambda: Handoff.objects.filter(issue=issue, kind="routed").first())
        assert handoff.details["routed_by"] == celery_worker_process
        return handoff.to_agency.code, handoff.details["ruleset"]

    publish("housing")
    assert routed_lead("first")[0] == "housing"

    publish("police")  # the worker keeps running: no restart
    lead, ruleset = routed_lead("second")

    assert lead == "police"
    assert ruleset["version"] == 2
