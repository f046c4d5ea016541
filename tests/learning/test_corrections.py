"""The correction loop: the dispatcher's one-click dispatch by a category is a training
label (a confirmation or a correction), a bounce-back unmakes it, and retraining reads the
labels of ended cases."""

from __future__ import annotations

import pytest

from coordination.demo.history import demo_reports
from coordination.dispatch.models import Assignment, Handoff
from coordination.dispatch.services import assignments, requests
from coordination.learning.models import CategoryLabel, ClassifierVersion
from coordination.learning.selectors import decision_as, training_set, triage_suggestions
from coordination.learning.services import classifier_train, corpus_import
from coordination.learning.tasks import classifier_retrain
from issues.models import Issue
from issues.services import issue_submit
from tests.factories import AgencyFactory, member, routing_rule

pytestmark = pytest.mark.django_db

# Too vague for the small model to route by itself: it waits for the dispatcher.
TEXT = ("求助", "这个事情拖了很久了，希望有人来看看")


@pytest.fixture
def city(categories):
    urban, power = AgencyFactory(code="urban"), AgencyFactory(code="power")
    routing_rule(category=categories["street-light"], lead=urban)
    routing_rule(category=categories["power-cut"], lead=power)
    centre = AgencyFactory(code="centre", kind="dispatch_centre")
    return {"urban": urban, "power": power, "dispatcher": member(centre)}


def triage_issue(django_capture_on_commit_callbacks, title="你好", description="请问一下"):
    with django_capture_on_commit_callbacks(execute=True):
        issue = issue_submit(title=title, description=description)
    issue.refresh_from_db()
    assert issue.status == Issue.Status.TRIAGE
    return issue


def test_the_dispatch_page_suggests_categories_with_their_organisations(
    classifier, city, categories, django_capture_on_commit_callbacks, client
):
    issue = triage_issue(django_capture_on_commit_callbacks)
    suggestions = triage_suggestions(issue=issue)
    assert len(suggestions) == 3
    assert [s.probability for s in suggestions] == sorted(
        (s.probability for s in suggestions), reverse=True
    )
    by_code = {s.category.code: s for s in suggestions}
    if "street-light" in by_code:
        assert by_code["street-light"].lead_name == city["urban"].name

    client.force_login(city["dispatcher"])
    page = client.get("/dispatch/").content.decode()
    help_ = page[page.index(f'data-testid="triage-help-{issue.pk}"') :]
    assert help_.count('data-testid="suggestion"') == 3
    for s in suggestions:
        assert s.category.name in help_
        if s.dispatchable:
            assert s.lead_name in help_
    assert f'action="/dispatch/issues/{issue.pk}/dispatch-as/"' in help_
    # The rules' organisations for a category, as the suggestions compute them.
    light = decision_as(issue=issue, category=categories["street-light"])
    assert light.lead == "urban"


def test_a_dispatch_by_category_follows_the_rules_and_is_kept_as_a_label(
    classifier, city, categories, django_capture_on_commit_callbacks, client
):
    issue = triage_issue(django_capture_on_commit_callbacks)
    client.force_login(city["dispatcher"])

    response = client.post(
        f"/dispatch/issues/{issue.pk}/dispatch-as/", {"category": "power-cut", "note": ""}
    )

    assert response.status_code == 302
    issue.refresh_from_db()
    assert issue.status == Issue.Status.DISPATCHED
    assert issue.category == categories["power-cut"]
    assert issue.assignments.get().agency == city["power"]
    handoff = issue.handoffs.get(kind=Handoff.Kind.DISPATCHED)
    assert handoff.details["by"] == "category" and handoff.details["category"] == "power-cut"
    assert handoff.actor == city["dispatcher"]
    label = CategoryLabel.objects.get(issue=issue)
    assert label.category == categories["power-cut"] and label.actor == city["dispatcher"]
    # The model's first suggestion for this text was something else: a correction.
    assert label.suggested is not None and label.suggested != categories["power-cut"]
    assert label.kind == CategoryLabel.Kind.CORRECTED


def test_a_category_the_rules_cannot_place_is_refused_with_a_reason(
    classifier, city, categories, django_capture_on_commit_callbacks, client
):
    issue = triage_issue(django_capture_on_commit_callbacks)
    client.force_login(city["dispatcher"])
    response = client.post(
        f"/dispatch/issues/{issue.pk}/dispatch-as/",
        {"category": "unpaid-wages"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    issue.refresh_from_db()
    assert issue.status == Issue.Status.TRIAGE
    assert not CategoryLabel.objects.exists()
    assert "dispatch it by hand" in response.content.decode()


def _resolve(issue: Issue, actor) -> None:
    lead = issue.assignments.get(role=Assignment.Role.LEAD, status__in=["pending", "accepted"])
    assignments.assignment_accept(assignment_id=lead.pk, actor=actor)
    assignments.assignment_resolve(assignment_id=lead.pk, actor=actor, resolution="Fixed.")


def test_a_correction_becomes_a_label_and_retraining_uses_it(
    classifier, city, categories, django_capture_on_commit_callbacks, client, settings
):
    settings.CLASSIFIER_RETRAIN_MIN_LABELS = 1
    issue = triage_issue(django_capture_on_commit_callbacks, *TEXT)
    client.force_login(city["dispatcher"])
    client.post(f"/dispatch/issues/{issue.pk}/dispatch-as/", {"category": "street-light"})
    issue.refresh_from_db()

    # Still open: not yet a lesson (a bounce-back may follow).
    assert all(e.title != TEXT[0] for e in training_set().examples)

    _resolve(issue, member(city["urban"]))
    examples = training_set().examples
    assert [(e.title, e.description, e.label) for e in examples] == [(*TEXT, "street-light")]

    # The city's old records give the other categories.
    rows = [r for r in demo_reports() if r["label"] in ("power-cut", "unpaid-wages")]
    corpus_import(
        rows=rows,
        corpus="old",
        mapping={"power-cut": "power-cut", "unpaid-wages": "unpaid-wages"},
        label_column="label",
        text_column="text",
        title_column="title",
    )
    outcome = classifier_retrain.delay().get()
    assert outcome["trained"] is True and outcome["new_labels"] == 1
    newest = ClassifierVersion.objects.get(version=outcome["version"])
    assert newest.source == ClassifierVersion.Source.BOTH
    assert newest.description.startswith("1 dispatcher labels of ended cases; ")
    assert newest.n_examples == len(rows) + 1
    assert newest.validation["per_label"]["street-light"]["validation"] == 1
    # Run again: no new label since the version just stored, so nothing is trained.
    assert classifier_retrain.delay().get() == {"trained": False, "new_labels": 0}


def test_a_bounced_back_category_is_not_a_lesson(
    classifier, city, categories, django_capture_on_commit_callbacks, client
):
    issue = triage_issue(django_capture_on_commit_callbacks, *TEXT)
    client.force_login(city["dispatcher"])
    client.post(f"/dispatch/issues/{issue.pk}/dispatch-as/", {"category": "power-cut"})
    lead = issue.assignments.get(role=Assignment.Role.LEAD)
    power_staff = member(city["power"])
    bounce = requests.assignment_request_bounce(
        assignment_id=lead.pk, actor=power_staff, reason="Street lights are not ours."
    )
    requests.request_approve(request_id=bounce.pk, actor=city["dispatcher"], reassign_to="urban")

    assert CategoryLabel.objects.get(issue=issue).bounced is True
    issue.refresh_from_db()
    _resolve(issue, member(city["urban"]))
    assert training_set().examples == []


def test_training_needs_two_categories(db, categories):
    from platform_gov.errors import WorkflowError

    with pytest.raises(WorkflowError) as refused:
        classifier_train()
    assert refused.value.code == "no_examples"
