"""Benchmark of the publication policy's scrubbing: ``python -m bench.publication``.

Reads real complaints at run time (default ``../shared/data/gov_messages_hot.csv`` beside the
checkout, column 留言详情; ``--file`` and ``--column`` choose others) and passes each body
through ``issues.publication.scrub``, which every public summary goes through (Open311's
``requests`` answers up to 1,000 of them at once). Prints how long one body takes (CPU time
of this process, which is what counts when other work shares the machine, and wall time),
how many bodies something was removed from, and how many still hold a run of seven digits.
The last line on stdout is one JSON object.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import sys
import time
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
DEFAULT_FILE = DATA / "gov_messages_hot.csv"
DIGIT_RUN = re.compile(r"\d{7,}")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--column", default="留言详情")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "platform_gov.settings")
    import django

    django.setup()
    from issues.publication import scrub

    with args.file.open(encoding="utf-8", newline="") as handle:
        texts = [row[args.column] for row in csv.DictReader(handle) if row.get(args.column)]
    best_cpu = best_wall = float("inf")
    scrubbed: list[str] = []
    for _ in range(args.rounds):
        cpu, wall = time.process_time(), time.perf_counter()
        scrubbed = [scrub(text) for text in texts]
        best_cpu = min(best_cpu, time.process_time() - cpu)
        best_wall = min(best_wall, time.perf_counter() - wall)
    result = {
        "bodies": len(texts),
        "mean_chars": round(sum(map(len, texts)) / len(texts)),
        "cpu_ms_per_body": round(best_cpu / len(texts) * 1000, 3),
        "wall_ms_per_body": round(best_wall / len(texts) * 1000, 3),
        "changed": sum(1 for a, b in zip(texts, scrubbed, strict=True) if a != b),
        "digit_runs_left": sum(1 for text in scrubbed if DIGIT_RUN.search(text)),
    }
    print(json.dumps(result, ensure_ascii=False))
    return result


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
