"""Benchmark of the hot-issue engine: ``python -m bench.hot`` from the project root.

Reads the message board's complaints (default ``../shared/data/gov_messages_hot.csv``
beside the checkout: 留言编号, 留言主题, 留言时间, 留言详情, 点赞数, 反对数, and 留言用户 when
the file has it) at run time, feeds them in order of time to
``coordination.hot.engine.Clusterer`` (what ``cluster()`` does), and prints the ten hottest
issues, each with a few of its members' subjects so that a person can judge whether it is
one problem in one place. 点赞数 is the messages' support and 反对数 their dislikes.

It runs the platform's own code: the engine the clusterer task feeds issue by issue
(``coordination.hot.services.clustering``), with the platform's parameters — ``Config``'s
defaults, overridden as the platform overrides them by the ``HOT_CONFIG`` environment
variable (JSON) — except that heat does not decay here unless ``--half-life`` says so.

The file is a year of history, so heat is counted over the whole file by default (no
decay); ``--half-life 14`` ranks as the platform would on the file's last day.

``seconds`` (wall clock) and ``cpu_seconds`` (this process's CPU time, what counts when
other work shares the machine) cover building the messages and clustering them, jieba's
dictionary load included (about half a second), not reading the CSV. The last line on
stdout is one JSON object with the results.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import json
import os
import pstats
import sys
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

from coordination.hot.engine import Clusterer, Config, Message

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
DEFAULT_FILE = DATA / "gov_messages_hot.csv"
CHINA = timezone(timedelta(hours=8))
GOAL_SECONDS = 10.0


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def to_message(row: dict[str, str]) -> Message:
    return Message(
        id=int(row["留言编号"]),
        title=row["留言主题"],
        text=row["留言详情"],
        at=datetime.fromisoformat(row["留言时间"]).replace(tzinfo=CHINA),
        support=int(row["点赞数"] or 0),
        against=int(row["反对数"] or 0),
        author=row.get("留言用户") or None,
    )


def _half_life(value: str) -> float | None:
    return None if value.lower() in {"none", "0", "off"} else float(value)


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(prog="python -m bench.hot", description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=Path, default=DEFAULT_FILE, help="CSV of messages")
    parser.add_argument("--top", type=int, default=10, help="hot issues to print")
    parser.add_argument("--samples", type=int, default=3, help="member subjects to print")
    parser.add_argument(
        "--half-life",
        type=_half_life,
        default=None,
        help="days; default none: heat over the whole file",
    )
    parser.add_argument("--threshold", type=float, default=None, help="override Config")
    parser.add_argument("--profile", action="store_true", help="cProfile the clustering (stderr)")
    args = parser.parse_args(argv)

    if not args.messages.exists():
        parser.error(f"{args.messages} not found (the data lives in ../shared/data)")
    rows = read_rows(args.messages)
    subjects = {int(row["留言编号"]): row["留言主题"] for row in rows}
    platform = Config.from_dict(
        {**Config().to_dict(), **json.loads(os.environ.get("HOT_CONFIG") or "{}")}
    )
    config = replace(platform, half_life_days=args.half_life)
    if args.threshold is not None:
        config = replace(config, threshold=args.threshold)
    log(f"{len(rows)} messages from {args.messages}")

    profiler = cProfile.Profile() if args.profile else None
    started = time.perf_counter()
    cpu_started = time.process_time()
    if profiler:
        profiler.enable()
    messages = sorted((to_message(row) for row in rows), key=lambda m: (m.at, m.id))
    clusterer = Clusterer(config)
    for message in messages:
        clusterer.add(message)
    clusters = clusterer.clusters()
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    if profiler:
        profiler.disable()
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(25)

    for rank, hot in enumerate(clusters[: args.top], 1):
        print(
            f"{rank:2}. {hot.label}  |  {hot.size} messages from {hot.people} people, "
            f"{hot.first:%Y-%m-%d} .. {hot.last:%Y-%m-%d}, heat {hot.heat:.1f}, "
            f"likes {hot.support} / dislikes {hot.against}"
        )
        members = hot.members
        picks = sorted({0, len(members) // 2, len(members) - 1})[: args.samples]
        for index in picks:
            print(f"      - {subjects[members[index]]}")
    sizes = sorted((c.size for c in clusters), reverse=True)
    result: dict[str, object] = {
        "messages": len(messages),
        "clusters": len(clusters),
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu_seconds, 3),
        "largest": sizes[:10],
        "top": [[hot.label, hot.size, round(hot.heat, 1)] for hot in clusters[: args.top]],
        "clusters_of_5_or_more": sum(1 for s in sizes if s >= 5),
        "singletons": sum(1 for s in sizes if s == 1),
        "half_life_days": config.half_life_days,
        "threshold": config.threshold,
        "goal_seconds": GOAL_SECONDS,
    }
    print(json.dumps(result, ensure_ascii=False))
    return result


if __name__ == "__main__":
    main()
