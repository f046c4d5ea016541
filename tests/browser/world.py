"""The browser tests' world: the demo city (``seed_demo``) and one issue in each state the
resident's and the staff's pages can show, made through the services as in production."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from agencies.models import Agency
from coordination.demo.history import VOICES, demo_reports
from coordination.dispatch.models import Assignment
from coordination.dispatch.services import assignments, merge, requests, supervision
from coordination.learning.models import ClassifierVersion
from coordination.learning.services import classifier_train, corpus_import
from coordination.rules.models import RuleSet
from coordination.rules.services import ruleset_draft_create
from issues import services
from issues.models import Category, Issue

# A place inside the demo city (柳荫社区, Hexi), and the resident's phone there.
LAT, LON = 39.88, 116.33
PHONE = "13800001234"


@dataclass
class World:
    users: dict = field(default_factory=dict)
    issues: dict[str, Issue] = field(default_factory=dict)
    draft: RuleSet | None = None

    def user(self, name: str):
        return self.users[name]

    def lead(self, key: str) -> Assignment:
        return self.issues[key].assignments.get(role="lead", status__in=["pending", "accepted"])


def _file(key: str, category: str, *, reporter=None, **extra) -> Issue:
    return services.issue_submit(
        title=f"Browser test issue: {key}",
        description=f"What the resident wrote about {key}.",
        category=Category.objects.get(code=category),
        lat=extra.pop("lat", LAT),
        lon=extra.pop("lon", LON),
        address="12 Willow Lane",
        contact_name="Resident Example",
        contact_phone=PHONE,
        contact_email="resident@example.org",
        reporter=reporter,
        **extra,
    )


def _small_classifier() -> None:
    """A classifier trained on an eighth of the demo history (2 s, not seed_demo's 16 s, which
    the test settings skip), so the pages show its suggestions and its versions."""
    corpus_import(
        rows=demo_reports()[::8],
        corpus="browser-world",
        mapping={code: code for code in VOICES},
        label_column="label",
        text_column="text",
        title_column="title",
    )
    classifier_train(
        corpora=["browser-world"],
        history=False,
        activate="always",
        source=ClassifierVersion.Source.DEMO,
        note="tests/browser/world.py",
    )


def build() -> World:
    call_command("seed_demo", "--quiet")
    _small_classifier()
    users = {u.username: u for u in get_user_model().objects.all()}
    world = World(users=users)
    staff = users["staff_urban"]
    resident = users["resident"]
    issues = world.issues
    issues["triage"] = _file("triage", "other", reporter=resident)
    issues["pending"] = _file("pending", "street-light", reporter=resident)
    issues["accepted"] = _file("accepted", "street-light")
    issues["resolved"] = _file("resolved", "street-light", reporter=resident)
    issues["closed"] = _file("closed", "street-light")
    issues["request"] = _file("request", "street-light")
    issues["supervised"] = _file("supervised", "street-light")
    issues["merged"] = _file("merged", "street-light")
    for key in ("accepted", "resolved", "closed", "request", "supervised"):
        assignments.assignment_accept(assignment_id=world.lead(key).pk, actor=staff)
    for key in ("resolved", "closed"):
        assignments.assignment_resolve(
            assignment_id=world.lead(key).pk, actor=staff, resolution="The lamp was replaced."
        )
    services.issue_feedback(issue_id=issues["closed"].pk, rating=5, comment="Quick, thanks.")
    requests.assignment_request_transfer(
        assignment_id=world.lead("request").pk,
        actor=staff,
        reason="The power company owns this lamp.",
        suggested_agency="power",
    )
    supervision.issue_escalate(
        issue_id=issues["supervised"].pk,
        actor=users["dispatcher"],
        note="Fix it before the weekend market.",
    )
    # Late: its deadline passed an hour ago.
    Assignment.objects.filter(pk=world.lead("supervised").pk).update(
        due_at=timezone.now() - timedelta(hours=1)
    )
    merge.issue_merge(
        issue_id=issues["merged"].pk, into_id=issues["accepted"].pk, actor=users["dispatcher"]
    )
    for key in issues:
        issues[key].refresh_from_db()
    active = RuleSet.objects.filter(status=RuleSet.Status.ACTIVE).first()
    world.draft = ruleset_draft_create(actor=users["admin"], based_on=active)
    assert Agency.objects.filter(code="power").exists()
    return world
