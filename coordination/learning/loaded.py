"""The active classifier, loaded once per process and refreshed when another is activated.

Like the compiled rule sets (``coordination.rules.compiled``): each use asks the database
which version is active (one small query, never the model's bytes), and the bytes are read
and parsed only when that answer changes, so every web process and worker predicts with a
newly activated or rolled-back version from its next issue on, without a restart.

A model file that fails its checks (``coordination.triage.ModelFormatError``: altered,
truncated, of an unknown format, or not matching its recorded digest) is never used: it is
logged once per process and the platform goes on without predictions (issues it cannot
route wait in triage, as before the classifier existed).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from coordination.triage import Model, ModelFormatError

from .models import ClassifierVersion

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadedClassifier:
    """A classifier version ready to predict: its row's id, version number and model."""

    pk: int
    version: int
    digest: str
    model: Model


_lock = threading.Lock()
_loaded: LoadedClassifier | None = None
_refused: set[tuple[int, int, str]] = set()


def load_version(*, pk: int, version: int, digest: str, data: bytes) -> LoadedClassifier:
    """Parse a version's bytes; ``ModelFormatError`` when they are not an intact model or do
    not match the digest recorded with them."""
    model = Model.from_bytes(data)
    if model.version != digest:
        raise ModelFormatError("the model file does not match the digest recorded with it")
    return LoadedClassifier(pk=pk, version=version, digest=digest, model=model)


def active_classifier() -> LoadedClassifier | None:
    """The active version, loaded (None when none is active or its file is refused)."""
    global _loaded
    row = (
        ClassifierVersion.objects.filter(status=ClassifierVersion.Status.ACTIVE)
        .values_list("pk", "version", "digest")
        .first()
    )
    if row is None:
        return None
    pk, version, digest = row
    loaded = _loaded
    if loaded is not None and (loaded.pk, loaded.version, loaded.digest) == row:
        return loaded
    if row in _refused:
        return None
    with _lock:
        if _loaded is not None and (_loaded.pk, _loaded.version, _loaded.digest) == row:
            return _loaded
        data = ClassifierVersion.objects.filter(pk=pk).values_list("model", flat=True).first()
        try:
            fresh = load_version(pk=pk, version=version, digest=digest, data=bytes(data or b""))
        except ModelFormatError as error:
            _refused.add(row)
            logger.error("classifier version id %s refused, predicting nothing: %s", pk, error)
            return None
        _loaded = fresh
        return fresh


def forget() -> None:
    """Drop what this process loaded (tests; after an administrator replaced a file)."""
    global _loaded
    with _lock:
        _loaded = None
        _refused.clear()
