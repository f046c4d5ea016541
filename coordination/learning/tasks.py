"""The learning dispatcher's Celery tasks: retrain the classifier weekly when enough new
decisions came in; pair newly routed issues with their possible duplicates."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from platform_gov.errors import WorkflowError

from .selectors import classifier_versions, issues_unpaired, labels_since
from .services import classifier_train, duplicates_find_many

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def classifier_retrain() -> dict:
    """Train a new version when ``CLASSIFIER_RETRAIN_MIN_LABELS`` labels were given since the
    newest version was trained (since ever, when there is none); activate it as
    ``CLASSIFIER_RETRAIN_ACTIVATE`` says. Safe to run twice: the second run finds no new
    labels since the version the first one stored."""
    newest = classifier_versions().order_by("-trained_at").first()
    new = labels_since(newest.trained_at if newest else None)
    if new < settings.CLASSIFIER_RETRAIN_MIN_LABELS:
        return {"trained": False, "new_labels": new}
    try:
        outcome = classifier_train(
            activate=settings.CLASSIFIER_RETRAIN_ACTIVATE, note="weekly retraining"
        )
    except WorkflowError as error:
        logger.warning("weekly retraining skipped: %s", error.message)
        return {"trained": False, "new_labels": new, "reason": error.message}
    return {
        "trained": True,
        "new_labels": new,
        "version": outcome.version.version,
        "activated": outcome.activated,
    }


@shared_task(acks_late=True, reject_on_worker_lost=True)
def issues_duplicates_find(issue_ids: list[int]) -> int:
    """Index newly routed issues for duplicate search and pair each with the open issues it
    may duplicate (run after their routing, off its path). Safe to run twice: known pairs
    are kept. Returns how many new pairs were found."""
    return len(duplicates_find_many(issue_ids=issue_ids))


@shared_task(acks_late=True, reject_on_worker_lost=True)
def duplicates_sweep() -> int:
    """Pair the issues of the duplicate window whose pairing after routing never ran (its
    message was lost with the broker). Returns how many issues it indexed."""
    ids = issues_unpaired(since=timezone.now() - settings.DUPLICATE_WINDOW)
    if ids:
        duplicates_find_many(issue_ids=ids)
    return len(ids)
