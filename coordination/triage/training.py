"""Training: fit on most examples, calibrate and choose the threshold on the rest, refit.

``train`` holds back a stratified validation share of the examples (strata: label × which
fields the example has, so subjects and bodies are both represented), fits a linear model on
the remainder, and on the validation share alone

1. fits the softmax temperature that minimises the negative log-likelihood (one number, so
   the ranking of labels is unchanged and the calibration cannot overfit much), and
2. chooses the threshold: the lowest confidence such that the predictions at or above it are
   right at least ``target_precision`` of the time (``math.inf`` if none is).

The figures recorded on the model are those of this validation share. Then, unless
``refit=False``, the linear model is fitted again on all examples with the same settings,
keeping the temperature and the threshold: more data gives a better model, and calibration
measured on held-out text carries over (on the benchmark split, expected calibration error
stays about 0.02 on unseen text either way). The vocabulary is built from all example texts
(no labels are used for that).

The classifier is scikit-learn's ``SGDClassifier`` (hinge loss, averaged weights,
``alpha=3e-5``, 30 epochs, one vs rest), used only here: a trained ``Model`` needs numpy and
scipy alone. Same examples, same seed: same model, bit for bit.

What was measured on the benchmark's honest split (``python -m bench.triage``, held-out
subjects and bodies of the 12345 board, figures macro-F1 of subjects / bodies):

- char 1-3 TF-IDF + LinearSVC (the old baseline's recipe), C=0.5: 0.915 / 0.938;
- + jieba word 1-2-grams: 0.916 / 0.941; char 1-4, 2-4 or 1-2, word unigrams only, min_df 1:
  all within ±0.01 of that, no clear gain; C 0.2 / 1.0: 0.898 / 0.916, 0.918 / 0.940;
- logistic regression (C=20-30): 0.909-0.915 / 0.933-0.942, and ten times slower;
- complement naive Bayes: 0.907-0.919 / 0.875-0.917;
- NB-SVM (one vs rest, log-count ratios, alpha 0.1, C=1): 0.924 / 0.950;
- averaged SGD, hinge or modified Huber, alpha 3e-5: 0.921-0.927 / 0.944-0.953 (seed
  spread about ±0.006): kept, being as good as NB-SVM and simpler;
- weights averaged over 3 seeds, or over hinge and modified Huber: +0.001 macro-F1 on the
  test split, no change in auto share or precision: not kept;
- refitting on all data after calibration: +0.002 / +0.009, calibration unharmed: kept;
- class_weight="balanced": no change; separate subject and body weights (feature
  augmentation): 0.914 / 0.926, worse;
- self-training on the unlabelled board messages (hot + replies, pseudo-labels at confidence
  0 / 0.5 / 0.8, as whole messages or as separate fields): worse on both, 0.89-0.91 / 0.90-0.92;
- a message with subject and body: sum of the fields' unit vectors (kept) vs one
  concatenated text vs the average of per-field probabilities: equal accuracy on the 132
  real labelled pairs, the sum routing most automatically (0.87 vs 0.84 vs 0.74).

The threshold is the noisiest figure: over seeds 0-3 (validation shares 0.15 and 0.25) it
ranged 0.74-0.83, giving 0.86-0.91 of the held-out texts routed at precision 0.965-0.973.
Choosing it from the calibrated confidences instead (lowest c whose mean confidence above is
the target) routed more but at 0.962-0.969: the temperature is a little optimistic at the top.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize_scalar

from .features import Vectorizer, analyze
from .model import Model, softmax

__all__ = [
    "Example",
    "choose_threshold",
    "expected_calibration_error",
    "fit_temperature",
    "stratified_split",
    "train",
]

ALPHA = 3e-5
EPOCHS = 30
SPEC = f"char1-3+word1-2 tfidf, sgd-hinge-avg alpha={ALPHA:g}, temperature softmax"


@dataclass(frozen=True)
class Example:
    """One labelled text: a subject (title), a body (description), either may be empty."""

    title: str
    description: str
    label: str


def stratified_split(
    strata: Sequence[str], share: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Indices (kept, held back): ``share`` of each stratum held back, rounded, at least one
    from every stratum of two or more. Deterministic for a seed."""
    rng = np.random.default_rng(seed)
    groups: dict[str, list[int]] = {}
    for i, stratum in enumerate(strata):
        groups.setdefault(stratum, []).append(i)
    held: list[int] = []
    for stratum in sorted(groups):
        members = np.array(groups[stratum])
        rng.shuffle(members)
        n = len(members)
        take = min(n - 1, max(1, round(share * n))) if n > 1 and share > 0 else 0
        held += members[:take].tolist()
    held_mask = np.zeros(len(strata), bool)
    held_mask[held] = True
    return np.flatnonzero(~held_mask), np.flatnonzero(held_mask)


def fit_temperature(scores: np.ndarray, truth: np.ndarray) -> float:
    """The factor of the scores whose softmax minimises negative log-likelihood of truth."""
    rows = np.arange(len(truth))

    def nll(log_t: float) -> float:
        return float(-np.log(softmax(scores, math.exp(log_t))[rows, truth] + 1e-12).mean())

    result = minimize_scalar(nll, bounds=(-5.0, 8.0), method="bounded")
    return float(math.exp(result.x))


def choose_threshold(confidence: np.ndarray, correct: np.ndarray, target: float) -> float:
    """The lowest confidence c such that predictions with confidence >= c are right at
    least ``target`` of the time; ``math.inf`` when no such c exists."""
    order = np.argsort(-confidence, kind="stable")
    conf, hits = confidence[order], correct[order].astype(float)
    precision = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    # The cut must fall between distinct confidences: all equal ones are in or out together.
    last_of_value = np.append(conf[1:] < conf[:-1], True)
    ok = np.flatnonzero((precision >= target) & last_of_value)
    return float(conf[ok[-1]]) if len(ok) else math.inf


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, bins: int = 10):
    """Weighted mean gap between confidence and accuracy over equal-width confidence bins."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.searchsorted(edges, confidence, side="left") - 1, 0, bins - 1)
    total = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            total += mask.mean() * abs(confidence[mask].mean() - correct[mask].mean())
    return float(total)


def _macro_f1(truth: np.ndarray, predicted: np.ndarray, n_labels: int) -> float:
    scores = []
    for label in range(n_labels):
        tp = np.sum((predicted == label) & (truth == label))
        fp = np.sum((predicted == label) & (truth != label))
        fn = np.sum((predicted != label) & (truth == label))
        if tp + fp + fn:
            scores.append(2 * tp / (2 * tp + fp + fn))
    return float(np.mean(scores)) if scores else 0.0


def _fit_linear(x, y: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.linear_model import SGDClassifier  # training only

    clf = SGDClassifier(
        loss="hinge",
        alpha=ALPHA,
        max_iter=EPOCHS,
        tol=None,
        average=True,
        random_state=seed,
        n_jobs=1,
    )
    clf.fit(x, y)
    coef, intercept = clf.coef_, clf.intercept_
    if coef.shape[0] == 1:  # two labels: scikit-learn keeps one score, for the second label
        coef, intercept = np.vstack([-coef, coef]) / 2, np.concatenate([-intercept, intercept]) / 2
    return coef.T, intercept


def _kind(example: Example) -> str:
    return ("t" if example.title.strip() else "") + ("d" if example.description.strip() else "")


def train(
    examples: Sequence[Example],
    *,
    seed: int = 0,
    validation_share: float = 0.15,
    target_precision: float = 0.97,
    description: str = "",
    refit: bool = True,
) -> Model:
    """Fit, calibrate and choose a threshold on a held-back validation split; see module doc.

    Raises ``ValueError`` with fewer than two labels, when an example has no text, or when
    the split leaves no validation example.
    """
    examples = list(examples)
    if any(not _kind(e) for e in examples):
        raise ValueError("every example needs a title or a description")
    labels = sorted({str(e.label) for e in examples})
    if len(labels) < 2:
        raise ValueError("training needs examples of at least two labels")
    if not 0.0 < validation_share < 1.0:
        raise ValueError("validation_share must lie strictly between 0 and 1")
    y = np.searchsorted(labels, [e.label for e in examples])
    fit_idx, val_idx = stratified_split(
        [f"{e.label}\x00{_kind(e)}" for e in examples], validation_share, seed
    )
    if not len(val_idx):
        raise ValueError("too few examples to hold any back for validation")

    analyzed = [(analyze(e.title), analyze(e.description)) for e in examples]
    vectorizer = Vectorizer.fit(analyzed)
    x = vectorizer.transform_analyzed(analyzed)
    coef, intercept = _fit_linear(x[fit_idx], y[fit_idx], seed)

    scores = np.asarray(x[val_idx] @ coef) + intercept
    temperature = fit_temperature(scores, y[val_idx])
    probabilities = softmax(scores, temperature)
    predicted = probabilities.argmax(axis=1)
    confidence = probabilities.max(axis=1)
    correct = predicted == y[val_idx]
    threshold = choose_threshold(confidence, correct, target_precision)
    auto = confidence >= threshold
    validation = {
        "macro_f1": _macro_f1(y[val_idx], predicted, len(labels)),
        "accuracy": float(correct.mean()),
        "auto_share": float(auto.mean()),
        "auto_precision": float(correct[auto].mean()) if auto.any() else None,
        "ece": expected_calibration_error(confidence, correct),
        "target_precision": target_precision,
        "n_train": len(fit_idx),
        "n_validation": len(val_idx),
        "per_label": {
            str(label): {
                "train": int(np.sum(y[fit_idx] == i)),
                "validation": int(np.sum(y[val_idx] == i)),
            }
            for i, label in enumerate(labels)
        },
        "fields": dict(sorted(Counter(_kind(examples[i]) for i in val_idx).items())),
        "refit_on_all": refit,
        "seed": seed,
    }
    if refit:
        coef, intercept = _fit_linear(x, y, seed)
    return Model(
        vectorizer=vectorizer,
        labels=labels,
        coef=coef,
        intercept=intercept,
        temperature=temperature,
        threshold=threshold,
        validation=validation,
        description=description,
        spec=SPEC,
    )
