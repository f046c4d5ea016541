"""A small classifier for the learning tests: trained once per session on four categories
of the demo city's made-up history (``coordination.demo.history``), about a second, with a
threshold set by hand."""

from __future__ import annotations

import pytest

from coordination.demo.history import demo_reports
from coordination.learning import loaded
from coordination.learning.models import ClassifierVersion
from coordination.learning.services import classifier_activate, classifier_store
from coordination.triage import Example, Model, train
from issues.models import Category
from tests.factories import CategoryFactory

LABELS = ("street-light", "power-cut", "unpaid-wages", "neighbourhood-noise")


# Two hundred examples cannot show 97 % precision with 99 % assurance (the trained threshold
# is infinite: the model would only suggest); the tests of routing need one that routes.
THRESHOLD = 0.8


@pytest.fixture(scope="session")
def small_model() -> Model:
    rows = [r for r in demo_reports() if r["label"] in LABELS]
    trained = train(
        [Example(r["title"], r["text"], r["label"]) for r in rows],
        seed=0,
        description="four demo categories",
    )
    return Model(
        vectorizer=trained.vectorizer,
        labels=trained.labels,
        coef=trained.coef,
        intercept=trained.intercept,
        temperature=trained.temperature,
        threshold=THRESHOLD,
        validation=trained.validation,
        description=trained.description,
        spec=trained.spec,
        combine=trained.combine,
    )


@pytest.fixture(autouse=True)
def _fresh_classifier_cache():
    """Each test sees the classifier its own database holds, not an earlier test's."""
    loaded.forget()
    yield
    loaded.forget()


@pytest.fixture
def categories(db) -> dict[str, Category]:
    """The four categories of the small model, and 其他 (other)."""
    found = {code: CategoryFactory(code=code) for code in LABELS}
    found["other"] = CategoryFactory(code="other", name_zh="其他", name_en="Other")
    return found


@pytest.fixture
def classifier(categories, small_model) -> ClassifierVersion:
    """The small model stored and activated as version 1."""
    version = classifier_store(model=small_model, source=ClassifierVersion.Source.CORPUS)
    return classifier_activate(version_id=version.pk, actor=None)
