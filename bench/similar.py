"""Benchmark of duplicate search: ``python -m bench.similar`` from the project root.

Finds the possible duplicates of one issue among 100,000 open issues (the goal: under
50 ms), as the staff's case page, the dispatcher's page and ``GET /api/v1/issues/<id>/
similar/`` do (``coordination.learning.selectors.similar_issues``): the index of place and
time first (one range of the (cell, created_at) index per grid cell near the place), then
the texts' fingerprints of what it found.

The city, on a PostgreSQL database of its own (``--database-url``, default
``bench_similar``; names starting with ``test`` and the server's own are refused; created and
migrated when missing, seeded once per size, the size kept in the database's comment):
``--issues`` open issues over ``--days`` days in a 20 km square, two thirds of them
around 300 hot spots (a spread of 400 m: where complaints pile up), with the titles and
descriptions of real messages from ``../shared/data`` (read at run time) and an index entry
each; 2 % have no place. Then ``--queries`` issues picked at random, and the one in the
densest spot, are searched, each with the default distance (500 m), window (14 days) and
score (0.3).

Progress goes to stderr; the last line on stdout is one JSON object: ``issues``, ``p50_ms``,
``p95_ms``, ``max_ms``, ``densest_ms``, ``queries_per_search``, ``candidates_p50`` and
``candidates_max`` (issues whose fingerprint was compared), ``found_mean``, ``goal_ms``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import secrets
import statistics
import sys
import time
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench import worlds

GOAL_MS = 50
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench_similar"
DATA_VERSION = 1
PROTECTED_DATABASES = {"postgres", "root", "template0", "template1"}
CENTRE = (39.95, 116.40)
SIDE_M = 20_000
HOT_SPOTS = 300
SPREAD_M = 400


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(
        prog="python -m bench.similar", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--issues", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=12345)
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--data", type=Path, default=worlds.DATA_DIR)
    args = parser.parse_args(argv)
    wanted = {
        "bench": "similar",
        "version": DATA_VERSION,
        "issues": args.issues,
        "days": args.days,
        "seed": args.seed,
    }
    database = _database_name(args.database_url)
    marker = _prepare_database(args.database_url, wanted=wanted, reseed=args.reseed)

    os.environ["DATABASE_URL"] = args.database_url
    os.environ.pop("REDIS_URL", None)
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "platform_gov.settings")
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    if marker is None:
        started = time.perf_counter()
        source = seed(issues=args.issues, days=args.days, seed=args.seed, data_dir=args.data)
        seconds = round(time.perf_counter() - started, 1)
        log(f"seeded in {seconds} s ({source} texts)")
        _comment({**wanted, "state": "seeded", "seed_seconds": seconds, "text_source": source})
    else:
        log(f"{database}: already seeded at this size; reusing it")
    result = measure(queries=args.queries, seed=args.seed)
    print(json.dumps(result, ensure_ascii=False))
    return result


# ------------------------------------------------------------------------------ seeding


def _offset(lat: float, lon: float, north_m: float, east_m: float) -> tuple[float, float]:
    return (
        lat + north_m / 110_574,
        lon + east_m / (111_320 * math.cos(math.radians(lat))),
    )


def seed(*, issues: int, days: int, seed: int, data_dir: Path) -> str:
    from django.utils import timezone

    from bench.pgcopy import copy_rows, next_id, reset_sequence
    from bench.queue_city import tracking_number
    from coordination.learning.models import IssueTrace
    from coordination.learning.selectors import trace_values
    from issues.models import Issue

    rng = random.Random(seed)
    texts, source = worlds.load_texts(min(issues, 100_000), seed, data_dir)
    spots = [
        _offset(*CENTRE, rng.uniform(-SIDE_M / 2, SIDE_M / 2), rng.uniform(-SIDE_M / 2, SIDE_M / 2))
        for _ in range(HOT_SPOTS)
    ]
    now = timezone.now()
    first = next_id(Issue)
    rows, traces = [], []
    for n in range(issues):
        pk = first + n
        item = texts[n % len(texts)]
        title, _, body = item.text.partition("\n")
        title, body = title[:200], (body or title)[:5000]
        filed = now - timedelta(seconds=rng.uniform(0, days * 86_400))
        if rng.random() < 0.02:
            lat = lon = None
        elif rng.random() < 2 / 3:
            lat, lon = _offset(*rng.choice(spots), rng.gauss(0, SPREAD_M), rng.gauss(0, SPREAD_M))
        else:
            lat, lon = _offset(
                *CENTRE, rng.uniform(-SIDE_M / 2, SIDE_M / 2), rng.uniform(-SIDE_M / 2, SIDE_M / 2)
            )
        rows.append(
            (pk, title, body, lat, lon, Issue.Status.DISPATCHED, filed, tracking_number(pk, filed))
        )
        probe = Issue(title=title, description=body, lat=lat, lon=lon, created_at=filed)
        cell, created_at, shingles = trace_values(probe)
        traces.append((pk, cell, created_at, "\\x" + shingles.hex()))
    copy_rows(
        Issue,
        ["id", "title", "description", "lat", "lon", "status", "created_at", "tracking_number"],
        rows,
        total=len(rows),
        now=now,
        label="issues",
    )
    copy_rows(
        IssueTrace,
        ["issue_id", "cell", "created_at", "shingles"],
        traces,
        total=len(traces),
        now=now,
        label="duplicate index",
    )
    reset_sequence(Issue)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return source


# ---------------------------------------------------------------------------- measuring


def measure(*, queries: int, seed: int) -> dict[str, object]:
    from django.db import connection, reset_queries
    from django.db.models import Count
    from django.test.utils import CaptureQueriesContext

    from coordination.learning import duplicates as dup
    from coordination.learning import selectors
    from coordination.learning.models import IssueTrace
    from issues.models import Issue

    rng = random.Random(seed + 1)
    open_ids = list(
        Issue.objects.filter(status__in=Issue.OPEN_STATUSES).values_list("pk", flat=True)
    )
    total = len(open_ids)
    densest = (
        IssueTrace.objects.exclude(cell=dup.NO_PLACE)
        .values("cell")
        .annotate(n=Count("issue"))
        .order_by("-n")
        .first()
    )
    dense_issue = (
        IssueTrace.objects.filter(cell=densest["cell"]).values_list("issue_id", flat=True).first()
    )
    compared: list[int] = []
    original = selectors.dup.likeness_many

    def counting(mine, others):
        compared[-1] += len(others)
        return original(mine, others)

    def search(issue_id: int) -> tuple[float, int, int, int]:
        issue = Issue.objects.get(pk=issue_id)
        compared.append(0)
        reset_queries()
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            found = selectors.similar_issues(issue=issue)
            ms = (time.perf_counter() - started) * 1000
        return ms, len(captured.captured_queries), compared[-1], len(found)

    selectors.dup.likeness_many = counting
    try:
        for pk in rng.sample(open_ids, min(10, total)):
            search(pk)  # warm up
        timings, counts, found = [], [], []
        for pk in rng.sample(open_ids, min(queries, total)):
            ms, n_queries, n_compared, n_found = search(pk)
            timings.append(ms)
            counts.append(n_compared)
            found.append(n_found)
        dense_ms, _queries, dense_compared, _found = search(dense_issue)
    finally:
        selectors.dup.likeness_many = original
    timings.sort()
    result = {
        "issues": total,
        "p50_ms": round(statistics.median(timings), 2),
        "p95_ms": round(timings[int(0.95 * (len(timings) - 1))], 2),
        "max_ms": round(timings[-1], 2),
        "densest_ms": round(dense_ms, 2),
        "densest_candidates": dense_compared,
        "queries_per_search": n_queries,
        "candidates_p50": int(statistics.median(counts)),
        "candidates_max": max(counts),
        "found_mean": round(statistics.fmean(found), 2),
        "goal_ms": GOAL_MS,
    }
    log(
        f"{total:,} open issues; {len(timings)} searches: p50 {result['p50_ms']} ms, "
        f"p95 {result['p95_ms']} ms; densest spot ({dense_compared} compared) {dense_ms:.1f} ms"
    )
    return result


# --------------------------------------------------------------------------- the database


def _database_name(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        raise SystemExit(f"--database-url: a PostgreSQL URL is needed, not {parts.scheme}://")
    name = parts.path.lstrip("/")
    if not name or name.startswith("test") or name in PROTECTED_DATABASES:
        raise SystemExit(f"--database-url: refusing database {name!r}; name one of its own")
    return name


def _prepare_database(url: str, *, wanted: dict, reseed: bool) -> dict | None:
    """Create the database when missing; its marker when it holds this city already, else
    None (new and empty). A database this benchmark did not make is never dropped."""
    import psycopg2
    from psycopg2 import sql

    name = _database_name(url)
    admin = psycopg2.connect(urlunsplit(urlsplit(url)._replace(path="/postgres")))
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
                [name],
            )
            row = cursor.fetchone()
            ident = sql.Identifier(name)
            mark = sql.SQL("COMMENT ON DATABASE {} IS %s").format(ident)
            fresh = json.dumps({**wanted, "state": "seeding"})
            if row is None:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(ident))
                cursor.execute(mark, [fresh])
                return None
            try:
                marker = json.loads(row[0] or "")
            except ValueError:
                marker = None
            if not isinstance(marker, dict) or marker.get("bench") != "similar":
                raise SystemExit(f"{name} exists and was not made by this benchmark; left alone")
            same = all(marker.get(k) == v for k, v in wanted.items())
            if not reseed and marker.get("state") == "seeded" and same:
                return marker
            log(f"{name}: dropping it to seed again")
            cursor.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(ident))
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(ident))
            cursor.execute(mark, [fresh])
            return None
    finally:
        admin.close()


def _comment(marker: dict) -> None:
    from django.db import connection

    name = connection.ops.quote_name(connection.settings_dict["NAME"])
    marker = {**marker, "seeded_at": datetime.now(UTC).isoformat(timespec="seconds")}
    with connection.cursor() as cursor:
        cursor.execute(f"COMMENT ON DATABASE {name} IS %s", [json.dumps(marker)])


if __name__ == "__main__":
    main()
