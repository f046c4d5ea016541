"""Every change to the classifier's shell: storing, activating and rolling back versions,
training, importing labelled records, the labels dispatchers give, and what routing
records of each issue (its prediction, its index entry, its duplicate candidates).

Refusals raise ``WorkflowError`` (codes ``not_activatable``, ``no_examples``,
``not_related``); bad input a ``ValidationError`` naming the field.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from coordination.triage import Model, ModelFormatError, train
from issues.models import Category, Issue
from platform_gov.errors import WorkflowError

from .loaded import load_version
from .models import (
    CategoryLabel,
    ClassifierActivation,
    ClassifierVersion,
    CorpusText,
    DuplicateCandidate,
    IssuePrediction,
    IssueTrace,
)
from .selectors import CategoryGuess, is_other, similar_issues, trace_values, training_set

logger = logging.getLogger(__name__)


def _person(actor: AbstractBaseUser | None) -> AbstractBaseUser | None:
    return actor if actor is not None and actor.is_authenticated else None


# ------------------------------------------------------------------------------ versions


def classifier_store(
    *,
    model: Model,
    source: str,
    actor: AbstractBaseUser | None = None,
    train_seconds: float | None = None,
    note: str = "",
) -> ClassifierVersion:
    """Store a trained model as a new candidate version (the next number); not active.

    The model's labels must be codes of the platform's categories (ValidationError naming
    ``labels`` otherwise).
    """
    known = set(Category.objects.filter(code__in=model.labels).values_list("code", flat=True))
    if unknown := [label for label in model.labels if label not in known]:
        raise ValidationError(
            {
                "labels": _("Not categories of this platform: %(codes)s")
                % {"codes": ", ".join(unknown)}
            }
        )
    data = model.to_bytes()
    for _attempt in range(5):
        number = (ClassifierVersion.objects.aggregate(top=Max("version"))["top"] or 0) + 1
        try:
            with transaction.atomic():
                return ClassifierVersion.objects.create(
                    version=number,
                    source=source,
                    model=data,
                    digest=model.version,
                    spec=model.spec[:400],
                    description=model.description,
                    labels=list(model.labels),
                    threshold=None if model.threshold == float("inf") else model.threshold,
                    validation=model.validation,
                    n_examples=int(
                        model.validation.get("n_validation", 0)
                        if model.validation.get("folds")
                        else model.validation.get("n_train", 0)
                        + model.validation.get("n_validation", 0)
                    ),
                    size=len(data),
                    train_seconds=train_seconds,
                    trained_by=_person(actor),
                    note=note,
                )
        except IntegrityError:
            continue  # another version took this number: take the next
    raise RuntimeError("could not allocate a classifier version")  # pragma: no cover


def classifier_import_file(
    *, data: bytes, actor: AbstractBaseUser | None = None, note: str = ""
) -> ClassifierVersion:
    """Store a model file (``coordination.triage`` format) made elsewhere, as a candidate.

    Raises WorkflowError (code ``bad_model_file``) when the bytes are not an intact model:
    the file's own digest and format are checked before anything is stored.
    """
    try:
        model = Model.from_bytes(data)
    except ModelFormatError as error:
        raise WorkflowError(
            _("This is not an intact model file: %(error)s") % {"error": error},
            code="bad_model_file",
        ) from error
    return classifier_store(
        model=model, source=ClassifierVersion.Source.FILE, actor=actor, note=note
    )


def classifier_activate(
    *, version_id: int, actor: AbstractBaseUser | None, note: str = ""
) -> ClassifierVersion:
    """Make a candidate (or, to roll back, a retired version) the one active version.

    Its model file is read and checked first: a file that does not load is refused
    (WorkflowError ``not_activatable``), so the version routing uses is always readable.
    The version active before is retired; the activation is recorded. Every process
    predicts with it from its next issue on.
    """
    try:
        with transaction.atomic():
            version = ClassifierVersion.objects.select_for_update().get(pk=version_id)
            if version.status == ClassifierVersion.Status.ACTIVE:
                raise WorkflowError(_("This version is already active."), code="not_activatable")
            try:
                load_version(
                    pk=version.pk,
                    version=version.version,
                    digest=version.digest,
                    data=bytes(version.model),
                )
            except ModelFormatError as error:
                raise WorkflowError(
                    _("This version's model file is damaged and cannot be used: %(error)s")
                    % {"error": error},
                    code="not_activatable",
                ) from error
            previous = (
                ClassifierVersion.objects.select_for_update()
                .filter(status=ClassifierVersion.Status.ACTIVE)
                .first()
            )
            action = (
                ClassifierActivation.Action.ROLLBACK
                if version.status == ClassifierVersion.Status.RETIRED
                else ClassifierActivation.Action.ACTIVATE
            )
            now = timezone.now()
            if previous is not None:
                previous.status = ClassifierVersion.Status.RETIRED
                previous.save(update_fields=["status"])
            version.status = ClassifierVersion.Status.ACTIVE
            version.activated_at = now
            version.save(update_fields=["status", "activated_at"])
            ClassifierActivation.objects.create(
                classifier=version,
                previous=previous,
                action=action,
                actor=_person(actor),
                at=now,
                note=note,
            )
            return version
    except IntegrityError as error:
        raise WorkflowError(
            _("Another version was activated at the same moment; reload and try again."),
            code="not_activatable",
        ) from error


def classifier_rollback(*, actor: AbstractBaseUser | None, note: str = "") -> ClassifierVersion:
    """Make the version that was active before the current one active again."""
    current = ClassifierVersion.objects.filter(status=ClassifierVersion.Status.ACTIVE).first()
    last = (
        ClassifierActivation.objects.filter(classifier=current, previous__isnull=False).first()
        if current
        else None
    )
    if last is None:
        raise WorkflowError(
            _("There is no earlier version to roll back to."), code="not_activatable"
        )
    return classifier_activate(version_id=last.previous_id, actor=actor, note=note)


# ------------------------------------------------------------------------------- training


@dataclass(frozen=True)
class TrainingOutcome:
    version: ClassifierVersion
    activated: bool
    reason: str


def classifier_train(
    *,
    actor: AbstractBaseUser | None = None,
    corpora: list[str] | None = None,
    history: bool = True,
    activate: str = "never",
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
    source: str | None = None,
    note: str = "",
) -> TrainingOutcome:
    """Train a new version on the platform's history and imported corpora, and store it.

    The examples: ``selectors.training_set`` (dispatcher labels of ended cases without a
    bounce-back, and the imported texts). The threshold is chosen on text each fold's model
    did not see, for ``CLASSIFIER_TARGET_PRECISION`` (``coordination.triage.train``).
    ``activate``: ``"never"`` (a candidate for an administrator to activate), ``"always"``,
    or ``"better"``: when its out-of-fold precision reaches the target, it routes some share
    automatically, and its macro-F1 is no more than 0.01 below the active version's.
    Raises WorkflowError (``no_examples``) with fewer than two categories to learn.
    """
    found = training_set(corpora=corpora, history=history)
    by_label = Counter(e.label for e in found.examples)
    if len(by_label) < 2:
        raise WorkflowError(
            _("Too few labelled examples to train on: at least two categories are needed."),
            code="no_examples",
        )
    from .selectors import corpora as all_corpora

    started = time.perf_counter()
    try:
        model = train(
            found.examples,
            seed=seed,
            target_precision=settings.CLASSIFIER_TARGET_PRECISION,
            description=found.describe(corpora if corpora is not None else all_corpora()),
            progress=progress,
        )
    except ValueError as error:
        raise WorkflowError(str(error), code="no_examples") from error
    seconds = time.perf_counter() - started
    version = classifier_store(
        model=model, source=source or found.source, actor=actor, train_seconds=seconds, note=note
    )
    activated, reason = False, _("stored as a candidate")
    if activate == "always":
        activated, reason = True, _("activated")
    elif activate == "better":
        activated, reason = _better_than_active(version)
    if activated:
        classifier_activate(version_id=version.pk, actor=actor, note=note or reason)
        version.refresh_from_db(fields=["status", "activated_at"])
    return TrainingOutcome(version=version, activated=activated, reason=reason)


def _better_than_active(version: ClassifierVersion) -> tuple[bool, str]:
    figures = version.validation
    precision = figures.get("auto_precision")
    if version.threshold is None or precision is None:
        return False, _("kept as a candidate: it reaches the target precision nowhere")
    active = (
        ClassifierVersion.objects.defer("model")
        .filter(status=ClassifierVersion.Status.ACTIVE)
        .first()
    )
    if (
        active is not None
        and figures.get("macro_f1", 0) < active.validation.get("macro_f1", 0) - 0.01
    ):
        return False, _("kept as a candidate: its macro-F1 is below the active version's")
    return True, _("activated: its figures hold up")


def corpus_import(
    *,
    rows: Iterable[Mapping[str, str]],
    corpus: str,
    mapping: Mapping[str, str],
    label_column: str,
    text_column: str,
    title_column: str = "",
    progress: Callable[[], None] | None = None,
) -> dict[str, int]:
    """Import labelled texts: each row's label, mapped to a category code by ``mapping``,
    with its text (and title, if a title column is named).

    Rows with an empty text, or a label the map does not name, are skipped and counted;
    texts already in the corpus are not added twice. A map naming a category the platform
    does not have raises ValidationError (``map``). Returns the counts
    (``imported``, ``repeated``, ``unmapped``, ``empty``).
    """
    corpus = corpus.strip()
    if not corpus:
        raise ValidationError({"corpus": _("Name the corpus.")})
    categories = {c.code: c for c in Category.objects.filter(code__in=set(mapping.values()))}
    if unknown := sorted(set(mapping.values()) - set(categories)):
        raise ValidationError(
            {"map": _("Not categories of this platform: %(codes)s") % {"codes": ", ".join(unknown)}}
        )
    counts = Counter({"imported": 0, "repeated": 0, "unmapped": 0, "empty": 0})
    existing = set(CorpusText.objects.filter(corpus=corpus).values_list("digest", flat=True))
    batch: list[CorpusText] = []
    for row in rows:
        if progress:
            progress()
        label = (row.get(label_column) or "").strip()
        text = (row.get(text_column) or "").strip()
        title = (row.get(title_column) or "").strip() if title_column else ""
        if not (text or title):
            counts["empty"] += 1
            continue
        code = mapping.get(label)
        if code is None:
            counts["unmapped"] += 1
            continue
        digest = hashlib.sha256(json.dumps([title, text, label]).encode()).hexdigest()
        if digest in existing:
            counts["repeated"] += 1
            continue
        existing.add(digest)
        batch.append(
            CorpusText(
                corpus=corpus,
                title=title[:500],
                description=text,
                label=label[:200],
                category=categories[code],
                digest=digest,
            )
        )
        counts["imported"] += 1
        if len(batch) >= 1000:
            CorpusText.objects.bulk_create(batch)
            batch = []
    CorpusText.objects.bulk_create(batch)
    return dict(counts)


def read_label_map(data: str) -> dict[str, str]:
    """A label → category map from a file's text: JSON (``{"label": "code"}``) or CSV with
    two columns (label, category code; a header row is allowed)."""
    text = data.strip()
    if text.startswith("{"):
        try:
            mapping = json.loads(text)
        except ValueError as error:
            raise ValidationError({"map": str(error)}) from error
        if not isinstance(mapping, dict):
            raise ValidationError({"map": _("The map must be an object of label: category.")})
        return {str(k).strip(): str(v).strip() for k, v in mapping.items()}
    mapping = {}
    for row in csv.reader(io.StringIO(text)):
        if len(row) < 2 or not row[0].strip():
            continue
        label, code = row[0].strip(), row[1].strip()
        if label.lower() in ("label", "标签") and code.lower() in ("category", "code", "类别"):
            continue  # the header
        mapping[label] = code
    if not mapping:
        raise ValidationError({"map": _("The map names no label.")})
    return mapping


# --------------------------------------------------------------------------------- labels


def category_label_record(
    *,
    issue: Issue,
    category: Category,
    actor: AbstractBaseUser | None,
    suggested: Category | None = None,
    confidence: float | None = None,
    classifier_version: int | None = None,
) -> CategoryLabel:
    """Record a dispatcher's word on an issue's category: a training label.

    ``suggested`` is what the dispatcher was shown first (the classifier's top category,
    else the resident's): the same category is a confirmation, another a correction.
    """
    suggested = (
        suggested
        if suggested is not None
        else (None if is_other(issue.category) else issue.category)
    )
    kind = (
        CategoryLabel.Kind.CONFIRMED
        if suggested is not None and suggested.pk == category.pk
        else CategoryLabel.Kind.CORRECTED
    )
    label = CategoryLabel(
        issue=issue,
        category=category,
        kind=kind,
        suggested=suggested,
        confidence=confidence,
        classifier_version=classifier_version,
        actor=_person(actor),
    )
    label.full_clean()
    label.save()
    return label


def category_labels_bounced(*, issue_id: int) -> int:
    """A bounce-back of the issue was approved: its labels so far are not lessons."""
    return CategoryLabel.objects.filter(issue_id=issue_id, bounced=False).update(bounced=True)


def disagreement_settle(
    *, issue: Issue, keep_resident: bool, actor: AbstractBaseUser
) -> CategoryLabel:
    """The dispatcher settles a disagreement between the resident's category and a
    confident prediction: a label for the one that is right. Choosing the prediction also
    makes it the issue's category (the handlers keep the case; they may ask for a transfer).
    Raises WorkflowError (``not_related``) when the issue has no such disagreement."""
    prediction = IssuePrediction.objects.filter(issue=issue, disagrees=True).first()
    if prediction is None or prediction.category is None or prediction.resident_category is None:
        raise WorkflowError(
            _("The classifier raised no doubt about this issue's category."), code="not_related"
        )
    chosen = prediction.resident_category if keep_resident else prediction.category
    with transaction.atomic():
        if not keep_resident:
            Issue.objects.filter(pk=issue.pk).update(category=chosen, updated_at=timezone.now())
        return category_label_record(
            issue=issue,
            category=chosen,
            actor=actor,
            suggested=prediction.category,
            confidence=prediction.confidence,
            classifier_version=prediction.classifier_version,
        )


# ----------------------------------------------------------------- what routing records


def issue_prediction_record(*, issue: Issue, guess: CategoryGuess) -> IssuePrediction:
    """Keep what the classifier said of an issue as it was routed (once per issue)."""
    prediction, _created = IssuePrediction.objects.update_or_create(
        issue=issue,
        defaults={
            "classifier_id": guess.classifier_pk,
            "classifier_version": guess.version,
            "category": guess.category,
            "confidence": guess.confidence,
            "top": [[c.code, round(p, 4)] for c, p in guess.top],
            "confident": guess.confident,
            "applied": guess.applies,
            "resident_category": guess.resident_category,
            "disagrees": guess.disagrees,
            "at": timezone.now(),
        },
    )
    return prediction


def issue_predictions_record(pairs: Sequence[tuple[Issue, CategoryGuess]]) -> None:
    """:func:`issue_prediction_record` for a batch of routings, in one upsert."""
    if not pairs:
        return
    now = timezone.now()
    fields = [
        "classifier",
        "classifier_version",
        "category",
        "confidence",
        "top",
        "confident",
        "applied",
        "resident_category",
        "disagrees",
        "at",
    ]
    IssuePrediction.objects.bulk_create(
        [
            IssuePrediction(
                issue=issue,
                classifier_id=guess.classifier_pk,
                classifier_version=guess.version,
                category=guess.category,
                confidence=guess.confidence,
                top=[[c.code, round(p, 4)] for c, p in guess.top],
                confident=guess.confident,
                applied=guess.applies,
                resident_category=guess.resident_category,
                disagrees=guess.disagrees,
                at=now,
            )
            for issue, guess in pairs
        ],
        update_conflicts=True,
        unique_fields=["issue"],
        update_fields=fields,
    )


def issue_trace_record(*, issue: Issue) -> IssueTrace:
    """Index an issue for duplicate search (its place's cell, its time, its fingerprint)."""
    cell, created_at, shingles = trace_values(issue)
    trace, _created = IssueTrace.objects.update_or_create(
        issue=issue, defaults={"cell": cell, "created_at": created_at, "shingles": shingles}
    )
    return trace


def duplicates_find(*, issue: Issue, limit: int = 5) -> list[DuplicateCandidate]:
    """Index a new issue and pair it with the open issues it may duplicate (those filed
    before it: the newer of two is the duplicate), keeping pairs already known; returns the
    new pairs."""
    issue_trace_record(issue=issue)
    found = [
        s
        for s in similar_issues(issue=issue, limit=limit * 2)
        if s.issue.created_at <= issue.created_at
    ][:limit]
    if not found:
        return []
    existing = set(
        DuplicateCandidate.objects.filter(issue=issue).values_list("other_id", flat=True)
    )
    fresh = [
        DuplicateCandidate(issue=issue, other=s.issue, score=s.score, distance_m=s.distance_m)
        for s in found
        if s.issue.pk not in existing
    ]
    if fresh:
        DuplicateCandidate.objects.bulk_create(fresh, ignore_conflicts=True)
    return fresh


def duplicates_find_many(*, issue_ids: Sequence[int]) -> list[DuplicateCandidate]:
    """:func:`duplicates_find` for each of the issues (those still there), in one
    transaction; returns the new pairs."""
    with transaction.atomic():
        found: list[DuplicateCandidate] = []
        for issue in Issue.objects.filter(pk__in=list(issue_ids)).order_by("pk"):
            found += duplicates_find(issue=issue)
    return found


def duplicate_propose(
    *,
    issue: Issue,
    other: Issue,
    actor: AbstractBaseUser,
    score: float | None = None,
    distance_m: float | None = None,
) -> DuplicateCandidate:
    """A handler proposes that two open issues are one problem: the dispatcher decides.

    The newer of the two is the proposed duplicate. Raises WorkflowError (``not_related``)
    for one issue twice or an issue that has ended."""
    if issue.pk == other.pk:
        raise WorkflowError(_("An issue is not its own duplicate."), code="not_related")
    if not (issue.is_open and other.is_open):
        raise WorkflowError(_("Only open issues can be merged."), code="not_related")
    newer, older = sorted([issue, other], key=lambda i: (i.created_at, i.pk), reverse=True)
    now = timezone.now()
    candidate, created = DuplicateCandidate.objects.get_or_create(
        issue=newer,
        other=older,
        defaults={
            "score": score or 0.0,
            "distance_m": distance_m,
            "proposed_by": _person(actor),
            "proposed_at": now,
        },
    )
    if not created:
        candidate.proposed_by, candidate.proposed_at = _person(actor), now
        candidate.dismissed_by = candidate.dismissed_at = None
        candidate.save(update_fields=["proposed_by", "proposed_at", "dismissed_by", "dismissed_at"])
    return candidate


def duplicate_dismiss(*, candidate: DuplicateCandidate, actor: AbstractBaseUser) -> None:
    """The dispatcher says the two issues are different problems."""
    candidate.dismissed_by, candidate.dismissed_at = _person(actor), timezone.now()
    candidate.save(update_fields=["dismissed_by", "dismissed_at"])
