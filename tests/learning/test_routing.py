"""Routing uses the classifier, on the record: a confident prediction routes an issue without
a category (or with "other"), an unconfident one leaves it to the dispatcher, and a confident
disagreement with the resident's choice is shown to the dispatcher, routing unchanged."""

from __future__ import annotations

import pytest

from coordination.dispatch.models import Handoff
from coordination.learning.models import IssuePrediction
from issues.models import Issue
from issues.services import issue_submit
from tests.factories import AgencyFactory, member, routing_rule

pytestmark = pytest.mark.django_db

CLEAR_LIGHT = ("清河路的路灯坏了", "清河路的路灯已经一个星期不亮了，晚上走路很危险，请尽快维修。")
VAGUE = ("你好", "请问一下这个问题")


@pytest.fixture
def city(categories):
    """Rules: street lights to the city administration, power cuts to the utility."""
    urban, power = AgencyFactory(code="urban"), AgencyFactory(code="power")
    routing_rule(category=categories["street-light"], lead=urban)
    routing_rule(category=categories["power-cut"], lead=power)
    return {"urban": urban, "power": power}


def file(django_capture_on_commit_callbacks, title, description, category=None) -> Issue:
    with django_capture_on_commit_callbacks(execute=True):
        issue = issue_submit(title=title, description=description, category=category)
    issue.refresh_from_db()
    return issue


def route_record(issue: Issue) -> Handoff:
    return issue.handoffs.get(kind__in=[Handoff.Kind.ROUTED, Handoff.Kind.TRIAGED])


@pytest.mark.parametrize("resident_category", [None, "other"])
def test_a_confident_prediction_routes_an_issue_without_a_category(
    classifier, city, categories, django_capture_on_commit_callbacks, resident_category
):
    chosen = categories[resident_category] if resident_category else None
    issue = file(django_capture_on_commit_callbacks, *CLEAR_LIGHT, category=chosen)

    assert issue.status == Issue.Status.DISPATCHED
    assert issue.category == categories["street-light"]
    assert issue.assignments.get().agency == city["urban"]
    record = route_record(issue)
    assert record.kind == Handoff.Kind.ROUTED
    confidence = record.details["prediction"]["confidence"]
    assert record.note.startswith(f"category predicted: street-light ({confidence:.2f}, model v1)")
    assert record.details["prediction"]["applied"] is True
    assert record.details["prediction"]["resident_category"] == resident_category
    assert record.details["facts"]["category_path"] == ["street-light"]
    prediction = IssuePrediction.objects.get(issue=issue)
    assert prediction.applied and prediction.category == categories["street-light"]
    assert prediction.classifier_version == classifier.version


def test_an_unconfident_prediction_leaves_the_issue_to_the_dispatcher(
    classifier, city, django_capture_on_commit_callbacks
):
    issue = file(django_capture_on_commit_callbacks, *VAGUE)

    assert issue.status == Issue.Status.TRIAGE
    assert issue.category is None
    record = route_record(issue)
    assert record.kind == Handoff.Kind.TRIAGED
    assert record.details["prediction"]["applied"] is False
    assert record.details["prediction"]["confident"] is False
    assert "category predicted" not in record.note
    assert record.details["prediction"]["confidence"] < classifier.threshold


def test_without_an_active_classifier_routing_is_as_before(
    categories, city, django_capture_on_commit_callbacks
):
    issue = file(django_capture_on_commit_callbacks, *CLEAR_LIGHT)
    assert issue.status == Issue.Status.TRIAGE
    assert route_record(issue).details["prediction"] is None


def test_a_confident_disagreement_keeps_the_residents_choice_and_tells_the_dispatcher(
    classifier, city, categories, django_capture_on_commit_callbacks, client
):
    issue = file(django_capture_on_commit_callbacks, *CLEAR_LIGHT, category=categories["power-cut"])

    assert issue.category == categories["power-cut"]
    assert issue.assignments.get().agency == city["power"]  # the resident's choice routes
    record = route_record(issue)
    assert record.details["prediction"]["disagrees"] is True
    assert record.details["prediction"]["applied"] is False
    assert "model suggests: street-light" in record.note
    prediction = IssuePrediction.objects.get(issue=issue)
    assert prediction.disagrees and prediction.resident_category == categories["power-cut"]

    dispatcher = member(AgencyFactory(kind="dispatch_centre"))
    client.force_login(dispatcher)
    page = client.get("/dispatch/").content.decode()
    assert f'data-testid="doubt-{issue.pk}"' in page

    response = client.post(f"/dispatch/issues/{issue.pk}/category-doubt/", {"keep": "predicted"})
    assert response.status_code == 302
    issue.refresh_from_db()
    assert issue.category == categories["street-light"]
    assert f'data-testid="doubt-{issue.pk}"' not in client.get("/dispatch/").content.decode()
