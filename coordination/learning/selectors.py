"""Reads of the classifier's shell: versions, what a prediction means for an issue, the
dispatcher's suggestions, duplicate candidates, and the examples training reads.

Which issues a *user* may see is decided by the dispatch room's gate; the selectors that
list issues for a person take the queryset it allows (``among``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from django.conf import settings
from django.db.models import Max, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from agencies.models import Agency
from coordination.routing.compiler import CompiledRuleSet
from coordination.routing.evaluate import decide
from coordination.routing.model import Decision
from coordination.rules.compiled import (
    category_paths,
    decide_for,
    issue_facts,
    ruleset_compiled,
)
from coordination.rules.models import RuleSet
from coordination.rules.selectors import active_ruleset
from coordination.triage import Example
from issues.models import Category, Issue

from . import duplicates as dup
from .loaded import LoadedClassifier, active_classifier
from .models import (
    CategoryLabel,
    ClassifierVersion,
    CorpusText,
    DuplicateCandidate,
    IssuePrediction,
    IssueTrace,
)

# Ended cases whose category label may be learnt from (a case still open may yet bounce).
ENDED = (Issue.Status.RESOLVED, Issue.Status.CLOSED)


def active_version() -> ClassifierVersion | None:
    return (
        ClassifierVersion.objects.defer("model")
        .filter(status=ClassifierVersion.Status.ACTIVE)
        .first()
    )


def classifier_versions() -> QuerySet[ClassifierVersion]:
    """Every version, newest first, without the model files' bytes."""
    return ClassifierVersion.objects.defer("model").select_related("trained_by")


def is_other(category: Category | None) -> bool:
    """Whether a resident's category says nothing (none chosen, or 其他 / other)."""
    return category is None or category.code in settings.CLASSIFIER_OTHER_CATEGORIES


# ------------------------------------------------------------------ what a prediction means


@dataclass(frozen=True)
class CategoryGuess:
    """What the active classifier says of an issue's text and what routing makes of it.

    ``top``: up to three (category, probability) pairs, most likely first (labels the
    platform no longer has, or has retired, are left out). ``applies``: the resident chose
    no category (or "other") and the prediction is confident: the rules route on it.
    ``disagrees``: the resident chose a category, and a confident prediction names one that
    is neither it nor above nor below it: routing keeps the resident's choice and the
    dispatcher is shown this.
    """

    classifier_pk: int
    version: int
    top: tuple[tuple[Category, float], ...]
    confident: bool
    applies: bool
    disagrees: bool
    resident_category: Category | None

    @property
    def category(self) -> Category | None:
        return self.top[0][0] if self.top else None

    @property
    def confidence(self) -> float:
        return self.top[0][1] if self.top else 0.0

    @property
    def note(self) -> str:
        """For the record, in the routing engine's words: "category predicted: X (0.98, model
        v3)"."""
        if self.category is None:
            return ""
        verb = "category predicted" if self.applies else "model suggests"
        return f"{verb}: {self.category.code} ({self.confidence:.2f}, model v{self.version})"

    def as_details(self) -> dict[str, Any]:
        return {
            "model": self.version,
            "category": self.category.code if self.category else None,
            "confidence": round(self.confidence, 4),
            "top": [[c.code, round(p, 4)] for c, p in self.top],
            "confident": self.confident,
            "applied": self.applies,
            "disagrees": self.disagrees,
            "resident_category": self.resident_category.code if self.resident_category else None,
        }


def _related(a: Category, b: Category) -> bool:
    """One category is the other, or above or below it."""
    return a in b.ancestors() or b in a.ancestors()


def category_guess(
    *,
    issue: Issue,
    classifier: LoadedClassifier | None = None,
    categories: dict[str, Category] | None = None,
) -> CategoryGuess | None:
    """The active classifier's guess for ``issue`` (None without an active classifier).

    Reads the issue's title and description, and the predicted categories (one query, none
    when ``categories`` maps the active categories' codes to them already)."""
    classifier = classifier or active_classifier()
    if classifier is None:
        return None
    prediction = classifier.model.predict(issue.title, issue.description, k=3)
    if categories is None:
        categories = {
            c.code: c
            for c in Category.objects.select_related("parent").filter(
                code__in=[label for label, _p in prediction.top], active=True
            )
        }
    found = {label: categories[label] for label, _p in prediction.top if label in categories}
    top = tuple((found[label], p) for label, p in prediction.top if label in found)
    resident = issue.category
    best = top[0][0] if top and top[0][0].code == prediction.label else None
    confident = prediction.confident and best is not None and not is_other(best)
    applies = confident and is_other(resident)
    disagrees = confident and not is_other(resident) and not _related(best, resident)
    return CategoryGuess(
        classifier_pk=classifier.pk,
        version=classifier.version,
        top=top,
        confident=confident,
        applies=applies,
        disagrees=disagrees,
        resident_category=resident,
    )


def category_path(category: Category) -> tuple[str, ...]:
    return tuple(c.code for c in category.ancestors())


# -------------------------------------------------------------- the dispatcher's suggestions


@dataclass(frozen=True)
class Suggestion:
    """A category the dispatcher might dispatch a triage issue as, with the classifier's
    probability (None for one the dispatcher picked) and what the rules would do with it."""

    category: Category
    probability: float | None
    decision: Decision
    lead_name: str = ""
    co_handler_names: tuple[str, ...] = ()

    @property
    def dispatchable(self) -> bool:
        return self.decision.lead is not None

    @property
    def percent(self) -> str:
        """The probability for people: whole percents, never a flat 0 % or 100 %."""
        p = self.probability or 0.0
        return "<1%" if p < 0.005 else ">99%" if p > 0.995 else f"{p:.0%}"


@dataclass
class SuggestionContext:
    """What every suggestion on one page shares, read once: the active rule set, the
    categories' paths, and the active classifier."""

    ruleset: RuleSet | None
    classifier: LoadedClassifier | None
    compiled: CompiledRuleSet | None = None
    paths: dict[int, tuple[str, ...]] = field(default_factory=dict)
    agency_names: dict[str, str] = field(default_factory=dict)
    categories: dict[str, Category] = field(default_factory=dict)

    @classmethod
    def load(cls) -> SuggestionContext:
        ruleset = active_ruleset()
        return cls(
            ruleset=ruleset,
            compiled=ruleset_compiled(ruleset=ruleset) if ruleset is not None else None,
            classifier=active_classifier(),
            paths=category_paths(),
            agency_names={
                a.code: a.name for a in Agency.objects.only("code", "name_zh", "name_en")
            },
            categories={
                c.code: c
                for c in Category.objects.filter(active=True)
                .select_related("parent")
                .order_by("service_code")
            },
        )

    def name(self, code: str) -> str:
        return self.agency_names.get(code, code)


def decision_as(
    *, issue: Issue, category: Category, context: SuggestionContext | None = None
) -> Decision:
    """What the active rules decide for ``issue`` were its category ``category``."""
    context = context or SuggestionContext.load()
    path = context.paths.get(category.pk) or category_path(category)
    facts = replace(issue_facts(issue, paths=context.paths), category_path=path)
    if context.compiled is None:
        return decide_for(facts, None)
    return decide(facts, context.compiled)  # compiled once per page, not per suggestion


def triage_suggestions(
    *, issue: Issue, context: SuggestionContext | None = None, k: int = 3
) -> list[Suggestion]:
    """The classifier's top ``k`` categories for ``issue``, each with the organisations the
    active rules would choose for it; empty without an active classifier."""
    context = context or SuggestionContext.load()
    if context.classifier is None:
        return []
    guess = category_guess(
        issue=issue, classifier=context.classifier, categories=context.categories
    )
    if guess is None:
        return []
    suggestions = []
    for category, probability in guess.top[:k]:
        decision = decision_as(issue=issue, category=category, context=context)
        suggestions.append(
            Suggestion(
                category=category,
                probability=probability,
                decision=decision,
                lead_name=context.name(decision.lead) if decision.lead else "",
                co_handler_names=tuple(context.name(c) for c in decision.co_handlers),
            )
        )
    return suggestions


def disagreements(*, limit: int = 30) -> QuerySet[IssuePrediction]:
    """Open issues routed on the resident's category although a confident prediction named
    another, not yet settled by a label, newest first."""
    labelled = CategoryLabel.objects.filter(issue_id=OuterRef("issue_id"), at__gte=OuterRef("at"))
    return (
        IssuePrediction.objects.filter(disagrees=True, issue__status__in=Issue.OPEN_STATUSES)
        .exclude(issue_id__in=Subquery(labelled.values("issue_id")))
        .select_related("issue", "category", "resident_category")
        .order_by("-at")[:limit]
    )


# ----------------------------------------------------------------------------- duplicates


@dataclass(frozen=True)
class Similar:
    """An open issue that may be the same problem, with the text likeness and how far apart
    the two are in metres (None when either has no place) and in time."""

    issue: Issue
    score: float
    distance_m: float | None
    apart: timedelta


def trace_values(issue: Issue) -> tuple[int, datetime, bytes]:
    """An issue's index entry, as ``services.issue_trace_record`` writes it."""
    return (
        dup.cell_of(issue.lat, issue.lon),
        issue.created_at,
        dup.shingles(issue.title, issue.description),
    )


def similar_issues(
    *,
    issue: Issue,
    among: QuerySet[Issue] | None = None,
    limit: int = 10,
    meters: float | None = None,
    window: timedelta | None = None,
    min_score: float | None = None,
) -> list[Similar]:
    """Open issues filed within ``meters`` and ``window`` of ``issue`` whose text is at least
    ``min_score`` alike (defaults: the ``DUPLICATE_*`` settings), most alike first.

    ``among`` restricts the answer to the issues a user may see (the gate's queryset). The
    place and time come first, from the index (``IssueTrace``: one range of the
    (cell, created_at) index per nearby grid cell); only those issues' fingerprints are
    compared. Issues without a place are compared with others without one. Two queries: the
    index with the candidates' places, then the chosen issues among those ``among`` holds
    (none when no issue is alike enough, as on most case pages).
    """
    meters = settings.DUPLICATE_DISTANCE_METERS if meters is None else meters
    window = settings.DUPLICATE_WINDOW if window is None else window
    min_score = settings.DUPLICATE_MIN_SCORE if min_score is None else min_score
    _cell, created_at, raw = trace_values(issue)
    mine = dup.as_array(raw)
    placed = issue.lat is not None and issue.lon is not None
    cells = dup.cells_near(issue.lat, issue.lon, meters) if placed else [dup.NO_PLACE]
    rows = (
        IssueTrace.objects.filter(
            cell__in=cells,
            created_at__gte=created_at - window,
            created_at__lte=created_at + window,
            issue__status__in=Issue.OPEN_STATUSES,
        )
        .exclude(issue_id=issue.pk)
        .values_list("issue_id", "shingles", "issue__lat", "issue__lon", "created_at")
    )
    rows = list(rows)
    if placed and rows:
        far = dup.distances_m(
            issue.lat,
            issue.lon,
            # A place removed since the issue was indexed: NaN, never near.
            np.array([np.nan if r[2] is None else r[2] for r in rows], float),
            np.array([np.nan if r[3] is None else r[3] for r in rows], float),
        )
        near = [(row, d) for row, d in zip(rows, far.tolist(), strict=True) if d <= meters]
    else:
        near = [(row, None) for row in rows]
    scores = dup.likeness_many(mine, [dup.as_array(row[1]) for row, _d in near])
    scored = [
        (score, distance, row[0], row[4])
        for (row, distance), score in zip(near, scores.tolist(), strict=True)
        if score >= min_score
    ]
    scored.sort(key=lambda s: (-s[0], s[1] if s[1] is not None else math.inf, s[2]))
    if not scored:
        return []
    # Who may see which is asked of the alike ones only: the gate's condition, compiled into
    # the index query, cost more than the rest of the search.
    if among is not None and len(scored) > limit:
        visible = set(among.filter(pk__in=[s[2] for s in scored]).values_list("pk", flat=True))
        scored, among = [s for s in scored if s[2] in visible], None
    scored = scored[:limit]
    chosen = (Issue.objects if among is None else among).select_related("category")
    found = chosen.in_bulk([s[2] for s in scored])
    return [
        Similar(
            issue=found[pk], score=round(score, 3), distance_m=distance, apart=abs(at - created_at)
        )
        for score, distance, pk, at in scored
        if pk in found
    ]


def text_likeness(one: Issue, two: Issue) -> float:
    """How alike two issues' texts are (0-1), as the duplicate search scores them."""
    return round(
        dup.likeness(
            dup.as_array(dup.shingles(one.title, one.description)),
            dup.as_array(dup.shingles(two.title, two.description)),
        ),
        3,
    )


def duplicate_candidate_between(one: Issue, two: Issue) -> DuplicateCandidate | None:
    """The recorded pair of these two issues, either way round (None if there is none)."""
    return (
        DuplicateCandidate.objects.filter(Q(issue=one, other=two) | Q(issue=two, other=one))
        .select_related("proposed_by", "dismissed_by")
        .first()
    )


def candidates_of(issue_ids: list[int]) -> dict[int, list[Similar]]:
    """The duplicate candidates found for these issues as they arrived (either side of a
    pair), still open and not dismissed, most alike first: one query for all of them."""
    found: dict[int, list[Similar]] = {pk: [] for pk in issue_ids}
    pairs = (
        DuplicateCandidate.objects.filter(Q(issue_id__in=issue_ids) | Q(other_id__in=issue_ids))
        .filter(
            dismissed_at__isnull=True,
            issue__status__in=Issue.OPEN_STATUSES,
            other__status__in=Issue.OPEN_STATUSES,
        )
        .select_related("issue", "other")
        .order_by("-score", "id")
    )
    for pair in pairs:
        for mine, theirs in ((pair.issue, pair.other), (pair.other, pair.issue)):
            if mine.pk in found:
                found[mine.pk].append(
                    Similar(
                        issue=theirs,
                        score=round(pair.score, 3),
                        distance_m=pair.distance_m,
                        apart=abs(mine.created_at - theirs.created_at),
                    )
                )
    return found


def duplicate_candidates_open(*, limit: int = 30) -> QuerySet[DuplicateCandidate]:
    """Pairs of open issues that may be one problem, not yet merged or dismissed: those a
    handler proposed first, then the most alike."""
    return (
        DuplicateCandidate.objects.filter(
            dismissed_at__isnull=True,
            issue__status__in=Issue.OPEN_STATUSES,
            other__status__in=Issue.OPEN_STATUSES,
        )
        .select_related("issue", "other", "proposed_by")
        .order_by("proposed_at", "-score", "-found_at")[:limit]
    )


# ------------------------------------------------------------------------------- training


@dataclass(frozen=True)
class TrainingSet:
    """What a training run reads: examples, where they came from, and how many of each."""

    examples: list[Example]
    from_history: int
    from_corpus: int

    @property
    def source(self) -> str:
        if self.from_history and self.from_corpus:
            return ClassifierVersion.Source.BOTH
        return (
            ClassifierVersion.Source.HISTORY
            if self.from_history
            else (ClassifierVersion.Source.CORPUS)
        )

    def describe(self, corpora: list[str]) -> str:
        parts = []
        if self.from_history:
            parts.append(f"{self.from_history} dispatcher labels of ended cases")
        if self.from_corpus:
            parts.append(f"{self.from_corpus} imported texts ({', '.join(corpora)})")
        return "; ".join(parts) or "nothing"


def history_labels() -> QuerySet[CategoryLabel]:
    """The latest label of each issue whose case ended (resolved or closed) without a
    bounce-back after it was labelled: the platform's own lessons."""
    latest = CategoryLabel.objects.values("issue_id").annotate(last=Max("at"))
    return (
        CategoryLabel.objects.filter(
            bounced=False,
            issue__status__in=ENDED,
            category__active=True,
            at__in=Subquery(latest.filter(issue_id=OuterRef("issue_id")).values("last")[:1]),
        )
        .select_related("issue", "category")
        .order_by("issue_id")
    )


def training_set(*, corpora: list[str] | None = None, history: bool = True) -> TrainingSet:
    """The examples a training run reads: the history's labels (``history``) and the texts
    of the given imported corpora (all of them when ``corpora`` is None). A history label and
    an imported text of one issue's text both count: the history is the fresher word."""
    examples: list[Example] = []
    from_history = 0
    if history:
        seen: set[int] = set()
        for label in history_labels().iterator(chunk_size=2000):
            if label.issue_id in seen:
                continue  # two labels at the very same moment: the first
            seen.add(label.issue_id)
            examples.append(
                Example(label.issue.title, label.issue.description, label.category.code)
            )
            from_history += 1
    texts = CorpusText.objects.filter(category__active=True).select_related("category")
    if corpora is not None:
        texts = texts.filter(corpus__in=corpora)
    from_corpus = 0
    for text in texts.order_by("id").iterator(chunk_size=5000):
        if text.title.strip() or text.description.strip():
            examples.append(Example(text.title, text.description, text.category.code))
            from_corpus += 1
    return TrainingSet(examples=examples, from_history=from_history, from_corpus=from_corpus)


def corpora() -> list[str]:
    return sorted(CorpusText.objects.values_list("corpus", flat=True).distinct())


def labels_since(at: datetime | None) -> int:
    """Labels written since ``at`` (all of them when None)."""
    labels = CategoryLabel.objects.all()
    return labels.filter(at__gt=at).count() if at else labels.count()


def latest_label(*, issue: Issue) -> CategoryLabel | None:
    return CategoryLabel.objects.filter(issue=issue).select_related("category").first()


def issue_prediction(*, issue: Issue) -> IssuePrediction | None:
    return (
        IssuePrediction.objects.select_related("category", "resident_category")
        .filter(issue=issue)
        .first()
    )


def now() -> datetime:
    return timezone.now()


def issues_unpaired(*, since: datetime, limit: int = 500) -> list[int]:
    """Ids of issues routed since ``since`` that were never indexed for duplicate search
    (their pairing message was lost), oldest first."""
    return list(
        Issue.objects.filter(created_at__gte=since)
        .exclude(status=Issue.Status.SUBMITTED)
        .exclude(pk__in=IssueTrace.objects.values("issue_id"))
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
