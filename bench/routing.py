"""Benchmark of the pure routing engine: ``python -m bench.routing`` from the project root.

Builds a synthetic city (``bench.worlds``: 3,000 areas, 1,000 rules by default, fixed seed),
reads real issue texts from ``../shared/data`` at run time when present, and measures:

- ``compile_seconds``: ``compile_ruleset`` from rule specs and area shapes (validation,
  area index, rule index) — the cost of publishing a rule set;
- ``facts_per_second``: building ``IssueFacts`` from text (jieba segmentation included),
  measured apart, since the engine's figure should not hide it;
- ``decisions_per_second``, ``p50_us``, ``p99_us``: ``decide`` on prebuilt facts, one
  process, one thread. Every decision looks its point up in the area index; nothing is
  cached between decisions.

Progress goes to stderr; the last line on stdout is one JSON object with the results.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import platform
import pstats
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

from bench import worlds
from coordination.routing import text
from coordination.routing.compiler import CompiledRuleSet, compile_ruleset
from coordination.routing.conditions import Context
from coordination.routing.evaluate import decide
from coordination.routing.model import IssueFacts

GOAL_DECISIONS_PER_SECOND = 20_000
GOAL_COMPILE_SECONDS = 2.0


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(
        prog="python -m bench.routing", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--rules", type=int, default=1000)
    parser.add_argument("--areas", type=int, default=3000)
    parser.add_argument("--decisions", type=int, default=50_000)
    parser.add_argument("--texts", type=int, default=2000, help="distinct issue texts to segment")
    parser.add_argument("--seed", type=int, default=12345)
    parser.add_argument("--data", type=Path, default=worlds.DATA_DIR, help="folder of the CSV data")
    parser.add_argument("--profile", action="store_true", help="cProfile the decisions (stderr)")
    args = parser.parse_args(argv)

    rng = random.Random(args.seed)
    started = time.perf_counter()
    world = worlds.build_world(rules=args.rules, areas=args.areas, seed=args.seed)
    log(
        f"world: {len(world.areas)} areas, {len(world.agencies)} agencies, "
        f"{len(world.categories)} categories, {len(world.rules)} rules "
        f"({time.perf_counter() - started:.2f} s)"
    )

    # Rule specs go through JSON, as they come from the database.
    specs = [type(rule).from_json(json.loads(json.dumps(rule.to_json()))) for rule in world.rules]
    started = time.perf_counter()
    ruleset = compile_ruleset(specs, world.agencies, world.areas, version=1)
    compile_seconds = time.perf_counter() - started
    log(f"compile: {compile_seconds:.3f} s")

    texts, source = worlds.load_texts(args.texts, args.seed, args.data)
    log(f"texts: {len(texts)} from {source}; loading jieba ...")
    started = time.perf_counter()
    text.keywords("预热")  # loads jieba's dictionary once per process
    jieba_seconds = time.perf_counter() - started
    # What the shell does for each new issue: text to keywords, keywords into facts.
    started = time.perf_counter()
    pool = [
        IssueFacts(category_path=(item.top,) if item.top else (), keywords=text.keywords(item.text))
        for item in texts
    ]
    keyword_seconds = time.perf_counter() - started
    facts_per_second = len(texts) / keyword_seconds
    log(
        f"keywords: jieba loaded in {jieba_seconds:.2f} s; {facts_per_second:,.0f} texts/s, "
        f"{statistics.mean(len(f.keywords) for f in pool):.1f} keywords a text"
    )

    facts = []
    for n in range(args.decisions):
        item = n % len(texts)
        lon, lat = worlds.random_place(rng, world)
        facts.append(
            IssueFacts(
                category_path=worlds.random_category(rng, world, texts[item].top),
                lon=lon,
                lat=lat,
                keywords=pool[item].keywords,
                channel=worlds.weighted(rng, worlds.CHANNELS),
                priority=worlds.weighted(rng, worlds.ISSUE_PRIORITIES),
                submitted_at=worlds.random_time(rng),
            )
        )

    # Warm up, then time the whole run (throughput), then each decision (latency).
    for f in facts[:1000]:
        decide(f, ruleset)
    gc.collect()
    started = time.perf_counter()
    for f in facts:
        decide(f, ruleset)
    elapsed = time.perf_counter() - started
    decisions_per_second = len(facts) / elapsed
    log(f"decide: {decisions_per_second:,.0f} decisions/s over {len(facts):,}")

    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(lambda: [decide(f, ruleset) for f in facts])
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(25)

    timings = []
    outcomes: Counter[str] = Counter()
    matched_rules = 0
    clock = time.perf_counter_ns
    for f in facts:
        t0 = clock()
        decision = decide(f, ruleset)
        timings.append(clock() - t0)
        matched_rules += len(decision.matched)
        if decision.lead is not None:
            outcomes["routed"] += 1
        elif not decision.matched:
            outcomes["no rule matched"] += 1
        elif any(reason.startswith("conflict") for reason in decision.reasons):
            outcomes["conflict"] += 1
        else:
            outcomes["no lead resolved"] += 1
    timings.sort()

    def percentile(p: float) -> float:
        return round(timings[min(len(timings) - 1, int(p * len(timings)))] / 1000, 1)

    candidates = statistics.mean(
        len(ruleset.candidates(_context(f, ruleset))) for f in facts[:5000]
    )
    result: dict[str, object] = {
        "decisions_per_second": round(decisions_per_second),
        "decisions": len(facts),
        "p50_us": percentile(0.50),
        "p90_us": percentile(0.90),
        "p99_us": percentile(0.99),
        "max_us": round(timings[-1] / 1000, 1),
        "rules": len(ruleset.rules),
        "areas": len(world.areas),
        "agencies": len(world.agencies),
        "categories": len(world.categories),
        "compile_seconds": round(compile_seconds, 3),
        "facts_per_second": round(facts_per_second),
        "jieba_load_seconds": round(jieba_seconds, 2),
        "keywords_per_text": round(statistics.mean(len(f.keywords) for f in pool), 1),
        "texts": len(texts),
        "text_source": source,
        "routed_share": round(outcomes["routed"] / len(facts), 3),
        "triage_share": round(1 - outcomes["routed"] / len(facts), 3),
        "triage_reasons": {k: v for k, v in sorted(outcomes.items()) if k != "routed"},
        "mean_candidates": round(candidates, 1),
        "mean_matched_rules": round(matched_rules / len(facts), 2),
        "goal_met": decisions_per_second >= GOAL_DECISIONS_PER_SECOND
        and compile_seconds < GOAL_COMPILE_SECONDS,
        "seed": args.seed,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
    }
    print(json.dumps(result, ensure_ascii=False))
    return result


def _context(facts: IssueFacts, ruleset: CompiledRuleSet) -> Context:
    return Context(facts, ruleset.areas.containing(facts.lon, facts.lat))


if __name__ == "__main__":
    main()
