"""Benchmark of issue triage: ``python -m bench.triage [--train DIR] --test FILE``.

Trains ``coordination.triage`` on the labelled files of DIR (``gov_train_subjects.csv``:
留言主题, 一级标签; ``gov_train_bodies.csv``: 留言详情, 一级标签; default ``../shared/data``
beside the checkout), which chooses its threshold on a validation split of DIR alone, then
scores FILE (留言主题, 留言详情, 一级标签; either text may be empty) and reports:

- ``macro_f1``, ``accuracy`` of the top label on FILE;
- ``auto_share``: the fraction of FILE whose confidence reaches the threshold, and
  ``auto_precision``: how often those are right;
- ``train_s``: training time; ``ms_per_item``: ``Model.predict`` one message at a time, one
  process;
- ``model``: the model's version and recipe.

Progress and details go to stderr; the last line on stdout is one JSON object with exactly
those keys.

An honest test of one's own: ``python -m bench.triage --make-test-split /tmp/triage-split``
writes a training directory and a ``test.csv`` built from the data, then
``python -m bench.triage --train /tmp/triage-split --test /tmp/triage-split/test.csv``.
The two training files cannot be joined, so most held-out rows have one field empty:

- a stratified share (``--test-share``, 0.2) of the subjects and of the bodies is held out,
  whole groups of near-duplicates at a time (character 2-3-gram TF-IDF cosine >= 0.8), so
  no held-out text has a twin left in training;
- real pairs: messages of ``gov_messages_hot.csv`` / ``gov_messages_replies.csv`` whose
  subject is a training subject and whose body is a training body of the same label (about
  130 after removing repeats). Both halves are held out, with their near-duplicates, and
  the pair is a test row with subject and body, as in production.

Pairs are never made up from a subject and a body of different messages: two fields of
one label whose errors are independent would be easier than a real message. A held-out
subject may still have its own body in training (and the other way round): nothing tells
which body belongs to which subject, so single-field rows can be a little optimistic.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from coordination.triage import Example, Model, train
from coordination.triage.features import normalize_text

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data"
SUBJECTS = "gov_train_subjects.csv"
BODIES = "gov_train_bodies.csv"
UNLABELLED = ("gov_messages_hot.csv", "gov_messages_replies.csv")
SUBJECT, BODY, LABEL = "留言主题", "留言详情", "一级标签"
NEAR_DUPLICATE = 0.8


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def write_csv(path: Path, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        writer.writerows(rows)


def read_training(directory: Path) -> list[Example]:
    examples = [Example(row[SUBJECT], "", row[LABEL]) for row in read_csv(directory / SUBJECTS)]
    examples += [Example("", row[BODY], row[LABEL]) for row in read_csv(directory / BODIES)]
    return [e for e in examples if (e.title.strip() or e.description.strip()) and e.label]


def _key(text: str) -> str:
    return "".join(normalize_text(text).split())


def near_duplicate_groups(texts: Sequence[str]) -> np.ndarray:
    """A group id per text; texts whose char 2-3-gram TF-IDF cosine is >= 0.8 share one."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    x = TfidfVectorizer(analyzer="char", ngram_range=(2, 3)).fit_transform(texts)
    similar = (x @ x.T).tocoo()
    keep = (similar.row < similar.col) & (similar.data >= NEAR_DUPLICATE)
    parent = list(range(len(texts)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in zip(similar.row[keep], similar.col[keep], strict=True):
        parent[find(int(a))] = find(int(b))
    return np.array([find(i) for i in range(len(texts))])


def make_test_split(data: Path, out: Path, *, share: float = 0.2, seed: int = 0) -> dict:
    """Write ``out/{SUBJECTS, BODIES}`` (training) and ``out/test.csv`` (held out)."""
    rng = np.random.default_rng(seed)
    tables = {SUBJECT: read_csv(data / SUBJECTS), BODY: read_csv(data / BODIES)}
    where = {
        column: {_key(row[column]): i for i, row in enumerate(rows)}
        for column, rows in tables.items()
    }
    forced: dict[str, set[int]] = {SUBJECT: set(), BODY: set()}
    pairs, seen = [], set()
    for name in UNLABELLED:
        if not (data / name).exists():
            continue
        for row in read_csv(data / name):
            s = where[SUBJECT].get(_key(row[SUBJECT]))
            b = where[BODY].get(_key(row[BODY]))
            if s is None or b is None:
                continue
            label = tables[SUBJECT][s][LABEL]
            if label != tables[BODY][b][LABEL] or (s, b) in seen:
                continue
            seen.add((s, b))
            forced[SUBJECT].add(s)
            forced[BODY].add(b)
            pairs.append((row[SUBJECT], row[BODY], label))
    test_rows, kept = [], {}
    for column, rows in tables.items():
        groups = near_duplicate_groups([row[column] for row in rows])
        labels = np.array([row[LABEL] for row in rows])
        held = {int(groups[i]) for i in forced[column]}
        for label in sorted(set(labels)):
            candidates = np.array(sorted(set(groups[labels == label].tolist()) - held))
            rng.shuffle(candidates)
            held |= set(candidates[: round(share * len(candidates))].tolist())
        out_mask = np.isin(groups, sorted(held))
        kept[column] = [rows[i] for i in np.flatnonzero(~out_mask)]
        for i in np.flatnonzero(out_mask):
            if int(i) in forced[column]:
                continue  # tested as half of a real pair
            text = rows[i][column]
            test_rows.append((text, "", labels[i]) if column == SUBJECT else ("", text, labels[i]))
    test_rows += pairs
    out.mkdir(parents=True, exist_ok=True)
    write_csv(out / SUBJECTS, [SUBJECT, LABEL], [(r[SUBJECT], r[LABEL]) for r in kept[SUBJECT]])
    write_csv(out / BODIES, [BODY, LABEL], [(r[BODY], r[LABEL]) for r in kept[BODY]])
    write_csv(out / "test.csv", [SUBJECT, BODY, LABEL], test_rows)
    summary = {
        "train_subjects": len(kept[SUBJECT]),
        "train_bodies": len(kept[BODY]),
        "test_subject_only": sum(1 for r in test_rows if r[0] and not r[1]),
        "test_body_only": sum(1 for r in test_rows if r[1] and not r[0]),
        "test_pairs": len(pairs),
    }
    (out / "split.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1))
    return summary


def _macro_f1(truth: Sequence[str], predicted: Sequence[str]) -> float:
    scores = []
    for label in sorted(set(truth) | set(predicted)):
        tp = sum(t == label == p for t, p in zip(truth, predicted, strict=True))
        fp = sum(p == label != t for t, p in zip(truth, predicted, strict=True))
        fn = sum(t == label != p for t, p in zip(truth, predicted, strict=True))
        scores.append(2 * tp / (2 * tp + fp + fn))
    return float(np.mean(scores)) if scores else 0.0


def score(model: Model, rows: Sequence[dict[str, str]]) -> dict[str, float]:
    truth = [row[LABEL] for row in rows]
    documents = [(row.get(SUBJECT) or "", row.get(BODY) or "") for row in rows]
    model.predict_many(documents[:50])  # warm up jieba and the caches
    started, cpu = time.perf_counter(), time.process_time()
    predictions = [model.predict(title, body) for title, body in documents]
    ms_per_item = (time.perf_counter() - started) * 1000 / max(1, len(rows))
    log(
        f"  one at a time: {ms_per_item:.2f} ms/item wall, "
        f"{(time.process_time() - cpu) * 1000 / max(1, len(rows)):.2f} ms/item CPU"
    )
    started = time.perf_counter()
    model.predict_many(documents)
    batch_ms = (time.perf_counter() - started) * 1000 / max(1, len(rows))
    log(f"  batch prediction: {batch_ms:.2f} ms/item")
    predicted = [p.label for p in predictions]
    correct = np.array([p == t for p, t in zip(predicted, truth, strict=True)])
    auto = np.array([p.confident for p in predictions])
    kinds = ["subject+body" if s and b else "subject" if s else "body" for s, b in documents]
    for kind in ("subject", "body", "subject+body"):
        mask = np.array([k == kind for k in kinds])
        if mask.any():
            sub = [i for i in range(len(rows)) if mask[i]]
            log(
                f"  {kind:>12}: n={mask.sum():5d}  macro-F1 "
                f"{_macro_f1([truth[i] for i in sub], [predicted[i] for i in sub]):.3f}"
                f"  accuracy {correct[mask].mean():.3f}  auto {auto[mask].mean():.3f}"
                f"  precision {correct[mask & auto].mean() if (mask & auto).any() else 0:.3f}"
            )
    return {
        "macro_f1": round(_macro_f1(truth, predicted), 4),
        "accuracy": round(float(correct.mean()), 4),
        "auto_share": round(float(auto.mean()), 4),
        "auto_precision": round(float(correct[auto].mean()), 4) if auto.any() else 0.0,
        "ms_per_item": round(ms_per_item, 3),
    }


def main(argv: list[str] | None = None) -> dict[str, object] | None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.triage", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--train", type=Path, default=DEFAULT_DATA, help="labelled data dir")
    parser.add_argument("--test", type=Path, help="CSV with 留言主题, 留言详情, 一级标签")
    parser.add_argument(
        "--make-test-split",
        type=Path,
        metavar="OUT_DIR",
        help="write a held-out split of --train to OUT_DIR and stop",
    )
    parser.add_argument("--test-share", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--target-precision", type=float, default=0.97)
    parser.add_argument("--save", type=Path, help="also write the trained model here")
    args = parser.parse_args(argv)

    if args.make_test_split:
        if args.make_test_split.resolve().is_relative_to(ROOT):
            parser.error("write the split outside the repository (e.g. under /tmp)")
        summary = make_test_split(
            args.train, args.make_test_split, share=args.test_share, seed=args.seed
        )
        log(f"wrote {args.make_test_split}: {summary}")
        return None
    if not args.test:
        parser.error("--test FILE is required (or --make-test-split OUT_DIR)")

    examples = read_training(args.train)
    counts = Counter(e.label for e in examples)
    log(f"training on {len(examples)} texts from {args.train}: {dict(counts.most_common())}")
    started, cpu = time.perf_counter(), time.process_time()
    model = train(
        examples,
        seed=args.seed,
        target_precision=args.target_precision,
        description=f"{args.train.name}: {SUBJECTS} + {BODIES}, {len(examples)} texts",
    )
    train_s = time.perf_counter() - started
    # Wall time is the figure; on a shared machine the CPU time says what the code costs.
    log(f"training took {train_s:.1f} s wall, {time.process_time() - cpu:.1f} s CPU")
    v = model.validation
    log(
        f"trained {model.version} in {train_s:.1f} s; validation n={v['n_validation']}: "
        f"macro-F1 {v['macro_f1']:.3f}, accuracy {v['accuracy']:.3f}, ECE {v['ece']:.3f}, "
        f"temperature {model.temperature:.2f}, threshold {model.threshold:.3f} "
        f"(auto {v['auto_share']:.3f} at precision {v['auto_precision'] or 0:.3f})"
    )
    if args.save:
        model.dump(args.save)
        log(f"saved to {args.save} ({args.save.stat().st_size / 1e6:.1f} MB)")

    rows = read_csv(args.test)
    log(f"scoring {len(rows)} rows of {args.test}")
    result = score(model, rows)
    ordered = {
        "macro_f1": result["macro_f1"],
        "accuracy": result["accuracy"],
        "auto_share": result["auto_share"],
        "auto_precision": result["auto_precision"],
        "train_s": round(train_s, 2),
        "ms_per_item": result["ms_per_item"],
        "model": f"{model.version} ({model.spec})",
    }
    log(
        f"test: macro-F1 {ordered['macro_f1']:.3f}, accuracy {ordered['accuracy']:.3f}, "
        f"auto {ordered['auto_share']:.3f} at precision {ordered['auto_precision']:.3f}, "
        f"{ordered['ms_per_item']:.2f} ms/item"
    )
    print(json.dumps(ordered, ensure_ascii=False), flush=True)
    return ordered


if __name__ == "__main__":
    main()
