"""The demo city's own labelled history trains a classifier that routes in ``make run``."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from coordination.demo.history import CORPUS, VOICES, demo_reports
from coordination.dispatch.models import Handoff
from coordination.learning.models import ClassifierVersion, CorpusText
from issues.models import Category, Issue
from issues.services import issue_submit

pytestmark = pytest.mark.django_db


def test_the_demo_history_is_made_up_in_the_citys_leaf_categories():
    from coordination.demo.categories import CATEGORIES

    leaves = {c.code for c in CATEGORIES if c.parent is not None}
    assert set(VOICES) == leaves
    rows = demo_reports()
    assert rows == demo_reports()  # the same every time
    assert {r["label"] for r in rows} == leaves
    english = [r for r in rows if r["text"].isascii()]
    assert 0.2 < len(english) / len(rows) < 0.4


def test_seed_demo_trains_and_activates_the_first_version_once(
    settings, django_capture_on_commit_callbacks
):
    settings.DEMO_CLASSIFIER = True
    out = StringIO()
    call_command("seed_demo", "--quiet", "--no-history", stdout=out)
    version = ClassifierVersion.objects.get()
    assert version.status == ClassifierVersion.Status.ACTIVE
    assert version.source == ClassifierVersion.Source.DEMO
    assert version.threshold is not None
    assert CorpusText.objects.filter(corpus=CORPUS).count() == len(demo_reports())

    with django_capture_on_commit_callbacks(execute=True):
        issue = issue_submit(
            title="南门大街路灯不亮",
            description="南门大街的路灯坏了好几天，晚上走路很危险。",
            category=Category.objects.get(code="other"),
        )
    issue.refresh_from_db()
    assert issue.status == Issue.Status.DISPATCHED
    assert issue.category.code == "street-light"
    routed = issue.handoffs.get(kind=Handoff.Kind.ROUTED)
    assert routed.note.startswith("category predicted: street-light (")
    assert routed.to_agency.code == "urban"

    # Seeding again changes nothing: no second version, no repeated texts.
    call_command("seed_demo", "--quiet", "--no-history", stdout=StringIO())
    assert ClassifierVersion.objects.count() == 1
    assert CorpusText.objects.filter(corpus=CORPUS).count() == len(demo_reports())


def test_seed_demo_without_a_classifier_still_loads_the_history():
    call_command("seed_demo", "--quiet", "--no-history", "--no-classifier", stdout=StringIO())
    assert not ClassifierVersion.objects.exists()
    assert CorpusText.objects.filter(corpus=CORPUS).exists()
