"""Classifier versions: stored with their figures, one active, activated and rolled back like
rule sets, loaded once per process and refreshed when another is activated; a tampered model
fails safely; ``manage.py train_classifier`` imports a labelled corpus and trains."""

from __future__ import annotations

import json
import logging
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from coordination.learning import loaded
from coordination.learning.models import (
    ClassifierActivation,
    ClassifierVersion,
    CorpusText,
    IssuePrediction,
)
from coordination.learning.services import (
    classifier_activate,
    classifier_import_file,
    classifier_rollback,
    classifier_store,
)
from coordination.triage import train
from issues.models import Issue
from platform_gov.errors import WorkflowError
from tests.factories import AgencyFactory, IssueFactory, UserFactory, member

pytestmark = pytest.mark.django_db


def test_a_stored_version_keeps_its_figures_and_the_file_loads_back(classifier, small_model):
    assert classifier.version == 1 and classifier.status == ClassifierVersion.Status.ACTIVE
    assert classifier.digest == small_model.version
    assert classifier.labels == list(small_model.labels)
    assert classifier.validation["macro_f1"] == small_model.validation["macro_f1"]
    assert classifier.threshold == pytest.approx(small_model.threshold)
    assert classifier.n_examples == small_model.validation["n_validation"]
    active = loaded.active_classifier()
    assert active.version == 1 and active.model.version == small_model.version


def test_activating_another_version_retires_the_first_and_every_process_follows(
    classifier, small_model, django_assert_max_num_queries
):
    first = loaded.active_classifier()
    with django_assert_max_num_queries(1):  # loaded once: later uses ask one small query
        assert loaded.active_classifier() is first
    retrained = train([*_examples(small_model)], seed=1, description="seed 1")
    second = classifier_store(model=retrained, source=ClassifierVersion.Source.CORPUS)
    assert second.version == 2 and second.status == ClassifierVersion.Status.CANDIDATE
    classifier_activate(version_id=second.pk, actor=None, note="better")
    classifier.refresh_from_db()
    assert classifier.status == ClassifierVersion.Status.RETIRED
    assert loaded.active_classifier().version == 2  # no restart: the next use sees it

    back = classifier_rollback(actor=None, note="worse than it looked")
    assert back.pk == classifier.pk
    assert loaded.active_classifier().version == 1
    actions = list(ClassifierActivation.objects.values_list("action", flat=True))
    assert actions == ["rollback", "activate", "activate"]
    with pytest.raises(WorkflowError):
        classifier_activate(version_id=classifier.pk, actor=None)  # active already


def _examples(model):
    from coordination.demo.history import demo_reports
    from coordination.triage import Example

    return [
        Example(r["title"], r["text"], r["label"])
        for r in demo_reports()
        if r["label"] in model.labels
    ]


def test_a_tampered_model_in_the_database_fails_safely(
    classifier, categories, django_capture_on_commit_callbacks, caplog
):
    data = bytearray(classifier.model)
    data[len(data) // 2] ^= 0xFF
    ClassifierVersion.objects.filter(pk=classifier.pk).update(model=bytes(data))
    loaded.forget()

    with caplog.at_level(logging.ERROR, logger="coordination.learning.loaded"):
        assert loaded.active_classifier() is None
        assert loaded.active_classifier() is None  # refused once, not re-read every time
    assert len([r for r in caplog.records if "refused" in r.getMessage()]) == 1

    # Routing goes on without predictions: the issue waits in triage, nothing crashes.
    from issues.services import issue_submit

    with django_capture_on_commit_callbacks(execute=True):
        issue = issue_submit(title="清河路的路灯坏了", description="晚上很黑", category=None)
    issue.refresh_from_db()
    assert issue.status == Issue.Status.TRIAGE
    assert not IssuePrediction.objects.exists()


def test_a_tampered_version_cannot_be_activated(classifier, small_model):
    candidate = classifier_store(model=small_model, source=ClassifierVersion.Source.CORPUS)
    data = bytes(candidate.model)
    ClassifierVersion.objects.filter(pk=candidate.pk).update(model=data[:-1] + b"\x00")
    with pytest.raises(WorkflowError) as refused:
        classifier_activate(version_id=candidate.pk, actor=None)
    assert refused.value.code == "not_activatable"
    assert loaded.active_classifier().version == classifier.version


def test_a_version_whose_digest_was_swapped_is_refused(classifier, small_model):
    other = train(_examples(small_model), seed=2)
    # A valid file, but not the one this row was stored with.
    ClassifierVersion.objects.filter(pk=classifier.pk).update(model=other.to_bytes())
    loaded.forget()
    assert loaded.active_classifier() is None


def test_importing_a_tampered_model_file_is_refused(categories, small_model, tmp_path):
    data = small_model.to_bytes()
    with pytest.raises(WorkflowError):
        classifier_import_file(data=data[:100] + b"X" + data[101:])
    path = tmp_path / "model.triage"
    path.write_bytes(data[:-40])
    with translation.override("en"), pytest.raises(CommandError, match="not an intact model"):
        call_command("train_classifier", "--import-model", str(path), stdout=StringIO())
    assert not ClassifierVersion.objects.exists()
    path.write_bytes(data)
    call_command("train_classifier", "--import-model", str(path), stdout=StringIO())
    assert ClassifierVersion.objects.get().source == ClassifierVersion.Source.FILE
    exported = tmp_path / "exported.triage"
    call_command(
        "train_classifier", "--export", str(exported), "--export-version", "1", stdout=StringIO()
    )
    assert exported.read_bytes() == data


def test_the_command_imports_a_labelled_csv_and_trains(categories, tmp_path, capsys):
    from coordination.demo.history import demo_reports

    rows = [r for r in demo_reports() if r["label"] in ("street-light", "power-cut")]
    corpus = tmp_path / "old.csv"
    with corpus.open("w", encoding="utf-8", newline="") as f:
        import csv

        writer = csv.writer(f)
        writer.writerow(["主题", "详情", "类别"])
        for row in rows:
            label = "路灯" if row["label"] == "street-light" else "停电"
            writer.writerow([row["title"], row["text"], label])
        writer.writerow(["", "", "路灯"])  # no text
        writer.writerow(["车库漏水", "地下车库漏水", "其他"])  # a label the map does not name
    mapping = tmp_path / "map.json"
    mapping.write_text(json.dumps({"路灯": "street-light", "停电": "power-cut"}), "utf-8")
    out = StringIO()
    args = [
        "--import-csv",
        str(corpus),
        "--map",
        str(mapping),
        "--corpus",
        "2019",
        "--title-column",
        "主题",
        "--text-column",
        "详情",
        "--label-column",
        "类别",
    ]

    call_command("train_classifier", *args, "--activate", stdout=out)

    assert CorpusText.objects.filter(corpus="2019").count() == len(rows)
    text = out.getvalue()
    assert f"corpus 2019: {len(rows)} imported" in text and "1 with a label the map" in text
    version = ClassifierVersion.objects.get()
    assert version.status == ClassifierVersion.Status.ACTIVE
    assert version.source == ClassifierVersion.Source.CORPUS
    assert set(version.labels) == {"street-light", "power-cut"}
    assert "classifier v1" in text and "out of fold: macro-F1" in text
    assert "training [" in capsys.readouterr().err  # the progress bar

    # Importing the same file again adds nothing.
    call_command("train_classifier", *args, "--import-only", stdout=out)
    assert CorpusText.objects.filter(corpus="2019").count() == len(rows)


def test_a_map_naming_an_unknown_category_is_refused(categories, tmp_path):
    corpus = tmp_path / "old.csv"
    corpus.write_text("text,label\n路灯坏了,路灯\n", "utf-8")
    mapping = tmp_path / "map.csv"
    mapping.write_text("label,category\n路灯,no-such-category\n", "utf-8")
    with pytest.raises(CommandError, match="no-such-category"):
        call_command(
            "train_classifier",
            "--import-csv",
            str(corpus),
            "--map",
            str(mapping),
            stdout=StringIO(),
        )


def test_the_versions_page_is_for_administrators(classifier, client):
    admin = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(admin)
    page = client.get("/coordination/classifier/")
    assert page.status_code == 200
    body = page.content.decode()
    assert body.count('data-testid="classifier-row"') == 1
    assert f"{classifier.validation['macro_f1']:.3f}" in body
    detail = client.get(f"/coordination/classifier/{classifier.pk}/")
    assert detail.status_code == 200 and 'data-testid="figures"' in detail.content.decode()

    client.force_login(member(AgencyFactory(kind="dispatch_centre")))
    assert client.get("/coordination/classifier/").status_code == 403
    assert client.post("/coordination/classifier/rollback/").status_code == 403
    client.logout()
    assert client.get("/coordination/classifier/").status_code == 302


def test_an_administrator_activates_and_rolls_back_on_the_page(classifier, small_model, client):
    second = classifier_store(model=small_model, source=ClassifierVersion.Source.CORPUS)
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    client.post(f"/coordination/classifier/{second.pk}/activate/", {"note": "try it"})
    assert loaded.active_classifier().version == second.version
    client.post("/coordination/classifier/rollback/", {"note": ""})
    assert loaded.active_classifier().version == classifier.version


def test_predictions_are_not_kept_for_unrouted_issues(classifier):
    IssueFactory()
    assert not IssuePrediction.objects.exists()
