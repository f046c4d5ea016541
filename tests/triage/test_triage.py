"""Triage: training, calibration, the threshold, persistence and determinism.

The calibration test trains on the real messages of ``../shared/data`` (read at run time,
never copied here) and is skipped, saying why, when that directory is missing. The other
tests use a small English set written for them.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import struct
from pathlib import Path

import numpy as np
import pytest

from coordination.triage import Example, Model, ModelFormatError, Prediction, train
from coordination.triage.features import Vectorizer, analyze, normalize_text
from coordination.triage.model import MAGIC
from coordination.triage.training import (
    MAX_TEMPERATURE,
    choose_threshold,
    expected_calibration_error,
    fit_temperature,
    grouped_folds,
    stratified_split,
    wilson_lower_bound,
)

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"

ENGLISH = {
    "roads": [
        ("Pothole on Main Street", "A deep pothole damaged my tyre near the bus stop"),
        ("Broken street light", "The street light on Elm road has been dark for a week"),
        ("Road surface cracked", "Asphalt is cracking across the whole road after winter"),
        ("Traffic signal stuck", "The traffic light at the junction stays red"),
        ("Pothole again", "Another pothole opened on the road by the school"),
        ("Sidewalk broken", "The pavement slabs are broken and people trip on the road"),
        ("Road blocked", "Roadworks block the road with no detour signs"),
        ("Street light flickering", "Street light flickers all night on Oak road"),
        ("Speed bumps needed", "Cars speed on our road, please add speed bumps"),
        ("Pothole near bridge", "Big pothole on the road before the bridge"),
        ("Road markings faded", "Lane markings on the road are faded and unsafe"),
        ("Traffic light broken", "Traffic light dark at the crossing on the main road"),
    ],
    "waste": [
        ("Garbage not collected", "Our bins were not emptied this week, garbage everywhere"),
        ("Illegal dumping", "Someone dumped old furniture and garbage in the park"),
        ("Overflowing bins", "The public bins overflow with rubbish and smell"),
        ("Recycling missed", "The recycling truck skipped our street again"),
        ("Rubbish in alley", "Bags of rubbish piled in the alley attract rats"),
        ("Garbage smell", "Rotting garbage smell from the collection point"),
        ("Missed collection", "Garbage collection missed for two weeks"),
        ("Dumped mattress", "A mattress has been dumped on the sidewalk with rubbish"),
        ("Litter in park", "Litter and rubbish all over the playground"),
        ("Bins damaged", "The garbage bins are broken and rubbish spills out"),
        ("Recycling bin full", "Recycling bin overflowing with bottles and rubbish"),
        ("Waste burning", "Neighbours burn garbage in their yard"),
    ],
    "noise": [
        ("Loud music at night", "The bar plays loud music until 3 am every night"),
        ("Construction noise", "Drilling and construction noise starts at 5 am"),
        ("Barking dog", "A dog barks all night and nobody can sleep"),
        ("Noisy neighbours", "Neighbours shout and play loud music at night"),
        ("Party noise", "Loud party noise every weekend until morning"),
        ("Car alarm", "A car alarm goes off all night, the noise is unbearable"),
        ("Club noise", "Bass noise from the club shakes our windows at night"),
        ("Generator noise", "A generator runs loud all night next to our building"),
        ("Noise from works", "Night works make loud noise near the hospital"),
        ("Fireworks noise", "Fireworks noise every night scares the children"),
        ("Loud karaoke", "Karaoke music is loud late at night"),
        ("Noise complaint", "Constant loud noise from the workshop at night"),
    ],
}


def english_examples() -> list[Example]:
    return [Example(t, d, label) for label, rows in ENGLISH.items() for t, d in rows]


@pytest.fixture(scope="module")
def english_model() -> Model:
    return train(english_examples(), seed=0, description="English set")


def test_english_text_is_classified(english_model):
    assert english_model.labels == ("noise", "roads", "waste")
    assert english_model.predict("Pothole", "huge pothole on the road").label == "roads"
    assert english_model.predict("Rubbish", "garbage bins not emptied").label == "waste"
    assert english_model.predict("", "loud music all night").label == "noise"


def test_prediction_lists_the_top_labels_most_likely_first(english_model):
    prediction = english_model.predict("Street light", "dark street light on our road", k=2)
    assert isinstance(prediction, Prediction)
    assert len(prediction.top) == 2
    assert prediction.top[0] == (prediction.label, prediction.confidence)
    assert prediction.top[0][1] >= prediction.top[1][1]
    full = english_model.predict("Street light", "dark street light on our road", k=10).top
    assert len(full) == 3 and math.isclose(sum(p for _, p in full), 1.0, rel_tol=1e-5)
    assert prediction.confident == (prediction.confidence >= english_model.threshold)


def test_batch_and_single_predictions_agree(english_model):
    texts = [("Loud bar", "music at night"), ("", "pothole"), ("Bins", ""), ("", "")]
    assert english_model.predict_many(texts) == [english_model.predict(*t) for t in texts]


def test_model_records_its_validation_figures(english_model):
    v = english_model.validation
    # Cross-validated: every example was scored once by a model that had not seen it.
    assert v["folds"] == 5
    assert v["n_validation"] == v["n_train"] == len(english_examples())
    assert {label: n["validation"] for label, n in v["per_label"].items()} == {
        "noise": 12,
        "roads": 12,
        "waste": 12,
    }
    assert {"macro_f1", "accuracy", "auto_share", "auto_precision", "ece"} <= set(v)
    assert v["by_fields"]["td"]["n"] == len(english_examples())
    assert v["assurance"] == 0.99
    assert english_model.description == "English set"
    assert english_model.combine == "mean"


def test_a_small_set_earns_no_threshold_at_99_percent_assurance(english_model):
    # 36 examples, even all right, cannot show 97 % precision with 99 % assurance: the
    # model suggests, and routes nothing by itself.
    assert english_model.validation["accuracy"] > 0.9
    assert english_model.threshold == math.inf
    assert not any(p.confident for p in english_model.predict_many([("Pothole", "road")]))


def test_training_with_a_seed_is_deterministic():
    first = train(english_examples(), seed=3, validation_share=0.25)
    second = train(list(reversed(english_examples()))[::-1], seed=3, validation_share=0.25)
    assert first.version == second.version
    assert first.to_bytes() == second.to_bytes()


def test_white_space_counts_between_latin_words_only():
    assert (
        normalize_text("  路灯\n\t 不亮 ，Ｓｔｒｅｅｔ   Light  out ")
        == "路灯不亮,street light out"
    )


def test_features_ignore_words_taught_to_the_process_wide_jieba():
    import jieba

    vectorizer = Vectorizer.fit(
        [(analyze("路灯不亮了请尽快维修"),), (analyze("路灯不亮"),)], min_df=1
    )
    before = vectorizer.transform([("路灯不亮了请尽快维修",)]).toarray()
    jieba.add_word("灯不亮了请")
    try:
        after = vectorizer.transform([("路灯不亮了请尽快维修",)]).toarray()
    finally:
        jieba.del_word("灯不亮了请")
    np.testing.assert_array_equal(before, after)


# The threshold


def test_threshold_is_the_lowest_confidence_reaching_the_target_precision():
    confidence = np.array([0.99, 0.95, 0.9, 0.8, 0.7, 0.6])
    correct = np.array([1, 1, 1, 0, 1, 0], bool)
    assert choose_threshold(confidence, correct, 1.0) == 0.9
    assert choose_threshold(confidence, correct, 0.8) == 0.7  # 4 of 5 at or above 0.7
    assert choose_threshold(confidence, np.zeros(6, bool), 0.5) == math.inf


def test_threshold_never_splits_equal_confidences():
    confidence = np.array([0.9, 0.8, 0.8, 0.8])
    correct = np.array([1, 1, 0, 0], bool)
    assert choose_threshold(confidence, correct, 0.6) == 0.9


def test_threshold_is_chosen_on_the_validation_split_alone():
    examples = english_examples()
    model = train(
        examples,
        seed=1,
        folds=0,
        validation_share=0.25,
        refit=False,
        target_precision=0.9,
        assurance=0.0,
    )
    # Strata as train() makes them: label and which fields are there (here both, "td").
    _, held = stratified_split([f"{e.label}\x00td" for e in examples], 0.25, 1)
    validation = [examples[i] for i in held]
    predictions = model.predict_many((e.title, e.description) for e in validation)
    confidence = np.array([p.confidence for p in predictions])
    correct = np.array([p.label == e.label for p, e in zip(predictions, validation, strict=True)])
    assert model.threshold == pytest.approx(choose_threshold(confidence, correct, 0.9))
    assert model.validation["accuracy"] == pytest.approx(correct.mean())
    assert model.validation["n_validation"] == len(validation)


def test_the_threshold_needs_the_lower_bound_of_precision_to_reach_the_target():
    confidence = np.linspace(1.0, 0.5, 1000)
    correct = np.ones(1000, bool)
    correct[::40] = False  # 97.5 % right all the way down
    observed = choose_threshold(confidence, correct, 0.97)
    assured = choose_threshold(confidence, correct, 0.97, assurance=0.99)
    assert observed == confidence[-1]  # observed precision reaches 0.97 over all of them
    assert assured > observed  # the lower bound only over fewer, surer ones… or none
    bound = wilson_lower_bound(np.array([975]), np.array([1000]), 2.3263)[0]
    assert 0.96 < bound < 0.975
    with pytest.raises(ValueError):
        choose_threshold(confidence, correct, 0.97, assurance=0.42)


def test_folds_keep_repeated_texts_together_and_every_stratum_spread():
    strata = ["a"] * 20 + ["b"] * 10
    keys = [f"k{i // 2}" for i in range(20)] + [f"b{i}" for i in range(10)]  # pairs of repeats
    fold = grouped_folds(strata, keys, 5, seed=0)
    for i in range(0, 20, 2):
        assert fold[i] == fold[i + 1]
    assert sorted(np.bincount(fold[20:], minlength=5).tolist()) == [2, 2, 2, 2, 2]
    assert grouped_folds(strata, keys, 5, seed=0).tolist() == fold.tolist()


def test_exact_repeats_are_scored_by_a_model_that_has_not_seen_them():
    examples = english_examples()
    twice = examples + examples[:6]  # six texts filed twice
    model = train(twice, seed=0)
    assert model.validation["n_validation"] == len(twice)


def test_a_message_scores_the_mean_of_its_fields(english_model):
    title, description = "Loud music", "pothole on the road"
    both = english_model._mean_scores([(title, description)])[0] - english_model.intercept
    alone = [
        english_model._mean_scores([(t, "")])[0] - english_model.intercept
        for t in (title, description)
    ]
    np.testing.assert_allclose(both, (alone[0] + alone[1]) / 2, rtol=1e-5, atol=1e-6)
    # A field the vocabulary does not know does not dilute the other.
    np.testing.assert_allclose(
        english_model._mean_scores([("鑫龘", description)]),
        english_model._mean_scores([("", description)]),
        rtol=1e-6,
    )


def test_a_model_file_of_the_first_version_still_sums_its_fields(english_model):
    old = Model(
        vectorizer=english_model.vectorizer,
        labels=english_model.labels,
        coef=english_model.coef,
        intercept=english_model.intercept,
        temperature=english_model.temperature,
        threshold=0.9,
        validation={},
    )
    assert old.combine == "sum"
    restored = Model.from_bytes(old.to_bytes())
    assert restored.combine == "sum" and restored.version == old.version
    texts = [("Pothole", "garbage smell")]
    np.testing.assert_array_equal(restored.probabilities(texts), old.probabilities(texts))
    x = english_model.vectorizer.transform(texts)
    expected = np.asarray(x @ old.coef) + old.intercept
    assert restored.predict(*texts[0]).label == old.labels[int(expected.argmax())]


def test_temperature_stays_finite_when_every_example_is_told_apart():
    scores = np.array([[5.0, -5.0], [-5.0, 5.0]] * 10)
    truth = np.array([0, 1] * 10)
    assert fit_temperature(scores, truth) <= MAX_TEMPERATURE


def test_stratified_split_holds_back_a_share_of_every_stratum():
    strata = ["a"] * 20 + ["b"] * 10 + ["c"] * 2 + ["d"]
    kept, held = stratified_split(strata, 0.2, seed=0)
    assert sorted([*kept, *held]) == list(range(len(strata)))
    assert [sum(strata[i] == s for i in held) for s in "abcd"] == [4, 2, 1, 0]
    assert stratified_split(strata, 0.2, seed=0)[1].tolist() == held.tolist()


# Persistence


def test_round_trip_gives_identical_predictions(english_model, tmp_path):
    texts = [("Pothole", "road is broken"), ("", "garbage smell"), ("Loud", "")]
    restored = Model.from_bytes(english_model.to_bytes())
    np.testing.assert_array_equal(restored.probabilities(texts), english_model.probabilities(texts))
    assert restored.predict_many(texts) == english_model.predict_many(texts)
    assert (restored.version, restored.threshold, restored.temperature) == (
        english_model.version,
        english_model.threshold,
        english_model.temperature,
    )
    assert restored.validation == english_model.validation
    assert restored.description == english_model.description
    english_model.dump(tmp_path / "model.triage")
    assert Model.load(tmp_path / "model.triage").predict_many(texts) == restored.predict_many(texts)


def _resign(data: bytes, edit) -> bytes:
    """Rewrite the header with ``edit`` and a valid digest: only the content check is left."""
    (length,) = struct.unpack_from("<I", data, len(MAGIC))
    start = len(MAGIC) + 4
    header = json.loads(data[start : start + length])
    edit(header)
    head = json.dumps(header).encode()
    body = MAGIC + struct.pack("<I", len(head)) + head + data[start + length : -32]
    return body + hashlib.sha256(body).digest()


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda b: b[: len(b) // 2], id="truncated"),
        pytest.param(lambda b: b[:-1], id="last-byte-missing"),
        pytest.param(lambda b: b[:100] + bytes([b[100] ^ 1]) + b[101:], id="header-bit"),
        pytest.param(lambda b: b[:-40] + bytes([b[-40] ^ 1]) + b[-39:], id="payload-bit"),
        pytest.param(lambda b: b"PK\x03\x04" + b[4:], id="other-magic"),
        pytest.param(lambda b: MAGIC[:6] + b"\x00\x09" + b[8:], id="future-format"),
        pytest.param(lambda b: b"", id="empty"),
        pytest.param(
            lambda b: _resign(b, lambda h: h["arrays"]["coef"].update(dtype="|O")),
            id="object-dtype",
        ),
        pytest.param(
            lambda b: _resign(b, lambda h: h.update(threshold=0.0)),
            id="threshold-edited",
        ),
        pytest.param(
            lambda b: _resign(b, lambda h: h["arrays"]["coef"].update(shape=[1, 1])),
            id="shape-edited",
        ),
    ],
)
def test_damaged_model_file_raises_model_format_error(english_model, damage):
    with pytest.raises(ModelFormatError):
        Model.from_bytes(damage(english_model.to_bytes()))


# Calibration on real messages


def _read(name: str, column: str) -> list[tuple[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as f:
        return [(row[column], row["一级标签"]) for row in csv.DictReader(f)]


@pytest.fixture(scope="module")
def real_split():
    if not (DATA / "gov_train_subjects.csv").exists():
        pytest.skip(f"real data not found at {DATA} (the shared data beside the checkout)")
    examples = [Example(t, "", label) for t, label in _read("gov_train_subjects.csv", "留言主题")]
    bodies = _read("gov_train_bodies.csv", "留言详情")
    # Every third body keeps the test within its CPU budget; subjects are cheap.
    examples += [Example("", t, label) for t, label in bodies[::3]]
    kinds = [f"{e.label}\x00{bool(e.title)}" for e in examples]
    kept, held = stratified_split(kinds, 0.25, seed=7)
    model = train([examples[i] for i in kept], seed=0)
    return model, [examples[i] for i in held]


def test_confidence_is_calibrated_on_held_back_real_messages(real_split):
    model, held = real_split
    predictions = model.predict_many((e.title, e.description) for e in held)
    confidence = np.array([p.confidence for p in predictions])
    correct = np.array([p.label == e.label for p, e in zip(predictions, held, strict=True)])
    assert len(held) > 2000
    assert expected_calibration_error(confidence, correct) < 0.05
    assert abs(confidence.mean() - correct.mean()) < 0.03
    auto = np.array([p.confident for p in predictions])
    assert correct.mean() > 0.88
    assert auto.mean() > 0.7
    # The target is 0.97, with 99 % assurance out of fold; allow for the noise of this split.
    assert correct[auto].mean() > 0.96


def test_a_label_too_rare_for_every_fold_still_trains():
    examples = [*english_examples(), Example("Tree fell on the path", "", "trees")]
    model = train(examples, seed=0)
    assert "trees" in model.labels
    assert model.validation["per_label"]["trees"]["validation"] == 1
    assert model.predict("Loud music", "all night").label == "noise"
