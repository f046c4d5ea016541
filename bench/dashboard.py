"""Benchmark of the managers' dashboard: ``python -m bench.dashboard`` from the project root.

The dashboard reads only the summaries of the rollup (``coordination.reporting.models``), so
the city is built straight as rollup rows, summarised as the refresh summarises them (a note,
not a shortcut of the measurement: the pages never read the issues for their figures, only for
the map's markers, at most 2,000 by an index, and the table by channel): a year
of ``--issues`` (1,000,000 by default) issues spread over 200 organisations, 60 categories
(Zipf-like), 300 areas and five channels, the organisation following from category and area as
routing would, each day's issues grouped into rows as ``rollup_refresh`` groups them, the
other counts drawn from the filings (signed for in time, resolved, rated, ...). The rows go in
with PostgreSQL ``COPY`` (``bench.pgcopy``), in a database of the benchmark's own
(``bench_dashboard``; created when missing, never one it did not make); then
``services.summaries_refresh`` writes the summaries from them (again on every later run).

Then, in-process with Django's test client (DEBUG off, after a warm-up), it times:
``/dashboard/`` for the dispatcher (the last 30 days, and a whole year by month), for a
manager of one district's organisations (30 days, and a year), and a CSV export; each twice:
**cold**, the figures' cache emptied before every request (the version they are cached under
bumped, as a refresh of the rollup does: the first reader after a refresh), and **warm**, from
the cache. Goal: p95 < 200 ms, both.

Progress goes to stderr; the last line on stdout is one JSON object with the results.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import statistics
import sys
import time
import warnings
from collections import Counter
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench_dashboard"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/12"
MARK = "bench_dashboard"
AGENCIES, CATEGORIES, AREAS = 200, 60, 300
CHANNELS = (("phone", 55), ("wechat", 25), ("web", 12), ("api", 5), ("open311", 3))
GOAL_P95_MS = 200


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def prepare_database(url: str, reseed: bool) -> bool:
    """Create the database when missing; True when it must be seeded."""
    import psycopg2
    from psycopg2 import sql

    name = urlsplit(url).path.lstrip("/")
    if not name or name.startswith("test") or name in ("postgres", "template0", "template1"):
        raise SystemExit(f"--database-url: refusing database {name!r}")
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
            if row is None:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(ident))
                cursor.execute(sql.SQL("COMMENT ON DATABASE {} IS %s").format(ident), [MARK])
                return True
            if not (row[0] or "").startswith(MARK):
                raise SystemExit(f"{name} exists and was not made by this benchmark; left alone")
            if reseed:
                cursor.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(ident))
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(ident))
                cursor.execute(sql.SQL("COMMENT ON DATABASE {} IS %s").format(ident), [MARK])
                return True
            return row[0] != f"{MARK}:seeded"
    finally:
        admin.close()


def mark_seeded(url: str, issues: int) -> None:
    import psycopg2
    from psycopg2 import sql

    name = urlsplit(url).path.lstrip("/")
    admin = psycopg2.connect(urlunsplit(urlsplit(url)._replace(path="/postgres")))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(
            sql.SQL("COMMENT ON DATABASE {} IS %s").format(sql.Identifier(name)),
            [f"{MARK}:seeded"],
        )
    admin.close()


def seed(issues: int, seed_value: int) -> int:
    """Organisations, categories, areas, and the rollup rows of ``issues`` issues."""
    from django.utils import timezone

    from agencies.models import Agency, Area
    from bench.pgcopy import copy_rows
    from coordination.reporting.models import Rollup
    from issues.models import Category

    rng = random.Random(seed_value)
    districts = [
        Agency.objects.create(code=f"d{i}", name_zh=f"区{i}", name_en=f"District {i}")
        for i in range(10)
    ]
    agencies = districts + [
        Agency.objects.create(
            code=f"o{i}",
            name_zh=f"单位{i}",
            name_en=f"Organisation {i}",
            parent=districts[i % 10],
            kind=Agency.Kind.STREET_OFFICE,
        )
        for i in range(AGENCIES - 10)
    ]
    categories = [
        Category.objects.create(
            code=f"c{i}", name_zh=f"类别{i}", name_en=f"Category {i}", service_code=f"C{i}"
        )
        for i in range(CATEGORIES)
    ]
    areas = []
    for i in range(AREAS):
        x, y = 116.0 + (i % 20) * 0.02, 39.8 + (i // 20) * 0.02
        ring = [[x, y], [x + 0.02, y], [x + 0.02, y + 0.02], [x, y + 0.02], [x, y]]
        areas.append(
            Area.objects.create(
                code=f"a{i}",
                name_zh=f"社区{i}",
                name_en=f"Community {i}",
                level=Area.Level.COMMUNITY,
                geometry={"type": "Polygon", "coordinates": [ring]},
            )
        )
    weights = [1 / (k + 1) for k in range(CATEGORIES)]
    channels = [c for c, _w in CHANNELS]
    channel_weights = [w for _c, w in CHANNELS]
    today = timezone.localdate()
    per_day = issues // 365
    now = timezone.now()

    ids = iter(range(1, 10**9))

    def rows():
        for d in range(365):
            day = today - timedelta(days=d)
            cats = rng.choices(range(CATEGORIES), weights, k=per_day)
            places = [rng.randrange(AREAS) for _i in range(per_day)]
            chans = rng.choices(channels, channel_weights, k=per_day)
            found = Counter(zip(cats, places, chans, strict=True))
            for (c, a, ch), n in found.items():
                agency = agencies[(c * 7 + a) % AGENCIES]
                due = n
                in_time = sum(rng.random() < 0.9 for _i in range(n))
                done = sum(rng.random() < (0.95 if d > 7 else 0.5) for _i in range(n))
                rated = sum(rng.random() < 0.6 for _i in range(done))
                yield (
                    next(ids), day, agency.pk, categories[c].pk, areas[a].pk, ch,
                    n, done, n - done, n, due, in_time, n, n * 3600, n, done,
                    max(done - (n // 20), 0), done, done * 40 * 3600, rated,
                    sum(rng.random() < 0.85 for _i in range(rated)),
                    n // 30, n // 40, (n - done) if d > 5 else 0,
                    in_time, n - in_time, 0, 0, done // 2, done - done // 2, 0, 0,
                )  # fmt: skip

    given = (
        "id", "day", "agency_id", "category_id", "area_id", "channel",
        "filed", "closed", "open", "assigned", "response_due", "responded_in_time",
        "responded", "response_seconds", "leads", "done", "resolved", "resolved_in_time",
        "resolution_seconds", "rated", "satisfied", "bounced", "redone", "overdue",
        "response_b0", "response_b1", "response_b2", "response_b3",
        "resolution_b0", "resolution_b1", "resolution_b2", "resolution_b3",
    )  # fmt: skip
    count = copy_rows(Rollup, given, rows(), total=per_day * 365 // 2, now=now, label="rollup")
    from django.db import connection

    from bench.pgcopy import reset_sequence

    reset_sequence(Rollup)
    with connection.cursor() as cursor:
        # As autovacuum would soon: the visibility map lets a manager's rows be read from the
        # covering index alone.
        cursor.execute("VACUUM ANALYZE reporting_rollup")
    summarise(today)
    return count


def summarise(today) -> float:
    """Write the summaries from the rollup's rows of the year; the seconds it took."""
    from django.db import connection

    from coordination.reporting.services import bump_rollup_version, summaries_refresh

    started = time.perf_counter()
    summaries_refresh(today - timedelta(days=364), today)
    bump_rollup_version()  # as the refresh does: figures cached before are not read again
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE reporting_agencysummary")
        cursor.execute("VACUUM ANALYZE reporting_facetsummary")
    seconds = round(time.perf_counter() - started, 1)
    log(f"summaries written from the rollup in {seconds} s")
    return seconds


def measure(requests: int, warmup: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from agencies.models import Agency, Membership

    User = get_user_model()
    centre, _c = Agency.objects.get_or_create(
        code="centre", defaults={"name_zh": "中心", "kind": Agency.Kind.DISPATCH_CENTRE}
    )
    dispatcher, _u = User.objects.get_or_create(username="bench_dispatcher")
    Membership.objects.get_or_create(user=dispatcher, agency=centre)
    manager, _u = User.objects.get_or_create(username="bench_manager")
    Membership.objects.get_or_create(
        user=manager, agency=Agency.objects.get(code="d3"), defaults={"role": "manager"}
    )
    today = timezone.localdate()
    year = f"?from={(today - timedelta(days=364)).isoformat()}&to={today.isoformat()}&step=month"
    cases = {
        "dashboard_dispatcher_30_days": (dispatcher, "/dashboard/"),
        "dashboard_dispatcher_year_by_month": (dispatcher, "/dashboard/" + year),
        "dashboard_manager_30_days": (manager, "/dashboard/"),
        "dashboard_manager_year_by_month": (manager, "/dashboard/" + year),
        "export_category_csv_dispatcher": (dispatcher, "/dashboard/export/category.csv"),
    }
    from django.conf import settings
    from django.test.utils import override_settings

    static = {**settings.STORAGES["staticfiles"]}
    # Collected static files are a deployment step; their manifest lookup is a dict lookup.
    static["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
    overrides = override_settings(
        DEBUG=False,
        ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "localhost"],
        STORAGES={**settings.STORAGES, "staticfiles": static},
    )
    with overrides:
        return _time(cases, requests, warmup)


def _time(cases: dict, requests: int, warmup: int) -> dict:
    from django.test import Client

    from coordination.reporting.services import bump_rollup_version

    results = {}
    for name, (user, url) in cases.items():
        client = Client(SERVER_NAME="localhost")
        client.force_login(user)
        for _i in range(warmup):
            if (status := client.get(url, secure=True).status_code) != 200:
                raise SystemExit(f"{url}: {status}")
        results[name] = {}
        # Cold: the figures computed from the summaries, their cache emptied before each
        # request (the first reader after each refresh); warm: read from the cache, as every
        # later reader until the next refresh.
        for state in ("cold", "warm"):
            times, cpu = [], []
            for _i in range(requests):
                if state == "cold":
                    bump_rollup_version()
                started, started_cpu = time.perf_counter(), time.process_time()
                response = client.get(url, secure=True)
                times.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - started_cpu) * 1000)
                if response.status_code != 200:
                    raise SystemExit(f"{url}: not 200")
            times.sort()
            cpu.sort()
            results[name][state] = {
                "p50_ms": round(statistics.median(times), 1),
                "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 1),
                "max_ms": round(times[-1], 1),
                # This process's CPU time (the web side, the database's not included): on a
                # shared machine, what the request costs apart from waiting for a core.
                "cpu_p95_ms": round(cpu[max(0, int(len(cpu) * 0.95) - 1)], 1),
            }
        log(f"{name}: {results[name]}")
    return results


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--issues", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--seed", type=int, default=12345)
    parser.add_argument("--reseed", action="store_true")
    args = parser.parse_args(argv)
    fresh = prepare_database(args.database_url, args.reseed)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ["REDIS_URL"] = args.redis_url
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "platform_gov.settings")
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from coordination.reporting.models import AgencySummary, FacetSummary, Rollup

    call_command("migrate", interactive=False, verbosity=0)
    seed_seconds = summarise_seconds = None
    if fresh:
        started = time.perf_counter()
        seed(args.issues, args.seed)
        seed_seconds = round(time.perf_counter() - started, 1)
        mark_seeded(args.database_url, args.issues)
    else:
        # Written again each run (seconds): a database seeded by an earlier version gets the
        # summaries as they are now, and the run reports what writing a year of them costs.
        summarise_seconds = summarise(timezone.localdate())
    from django.db.models import Sum

    load_before = os.getloadavg()[0]
    results = measure(args.requests, args.warmup)
    result = {
        "bench": "dashboard",
        "issues_in_rollup": Rollup.objects.aggregate(n=Sum("filed"))["n"],
        "rollup_rows": Rollup.objects.count(),
        "agency_summary_rows": AgencySummary.objects.count(),
        "facet_summary_rows": FacetSummary.objects.count(),
        "cold": "the figures' cache emptied before each request",
        "goal_p95_ms": GOAL_P95_MS,
        "results": results,
        "warm_within_goal": all(r["warm"]["p95_ms"] < GOAL_P95_MS for r in results.values()),
        "cold_within_goal": all(r["cold"]["p95_ms"] < GOAL_P95_MS for r in results.values()),
        "seed_seconds": seed_seconds,
        "summarise_seconds": summarise_seconds,
        "load_average": [round(load_before, 1), round(os.getloadavg()[0], 1)],
        "cpus": os.cpu_count(),
    }
    print(json.dumps(result, ensure_ascii=False))
    return result


if __name__ == "__main__":
    main()
