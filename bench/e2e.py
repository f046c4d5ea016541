"""End to end over HTTP: ``python -m bench.e2e`` from the project root.

Starts a production-like stack on a database of its own (gunicorn, a Celery worker on the
routing queue, one on the notification, webhook, default and sweeps queues with beat inside,
a hot-issue worker), or targets a running one (``--base URL`` with that stack's
``--database-url``), files ``--issues`` reports through ``POST /api/v1/issues/`` from
``--concurrency`` client threads, and waits until every one is routed (its ``routed``
Handoff row). It checks that none is lost and none routed twice, and prints the figures.

The database (default ``bench_e2e``) is created, migrated and given a small city when
missing: a dispatch centre, one organisation, a category with a routing rule and a member
with an e-mail address (so each routing owes two e-mails through the outbox). It never
touches a database whose name starts with ``test`` or another benchmark's. The rate limit of
filing is lifted for the stack it starts (one client address files everything).

``--rate R`` files at R issues a second (the latency goal is p95 < 1 s at 20/s); ``--backlog``
files everything before the workers start, so ``routed_per_s`` is the rate at which they
drain a backlog (from the first routing to the last): the sustained routing throughput.

Progress goes to stderr; the last line on stdout is one JSON object: ``issues``/``filed``,
``routed``, ``lost``, ``duplicated``, ``submit_rps``, ``routed_per_s``/``rate_per_s``,
``p50_ms``, ``p95_ms``/``p95_submit_to_routed_ms`` (from sending the request to the routing's
Handoff row), and ``outbox`` (the outbox rows by status when the run ends).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.serving import wait_until_healthy

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench_e2e"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
CATEGORY = "bench-e2e"
SEED = f"""
from agencies.models import Agency, Membership
from django.contrib.auth import get_user_model
from issues.models import Category
from coordination.rules.models import RuleSet
from tests.factories import routing_rule
if not Category.objects.filter(code="{CATEGORY}").exists():
    Agency.objects.get_or_create(code="dispatch", defaults=dict(name_zh="调度中心",
        kind=Agency.Kind.DISPATCH_CENTRE))
    lead, _ = Agency.objects.get_or_create(code="bench-lead", defaults=dict(name_zh="测试单位"))
    user = get_user_model().objects.create_user("bench-clerk", "clerk@bench.example", "x")
    Membership.objects.create(user=user, agency=lead)
    category = Category.objects.create(code="{CATEGORY}", name_zh="测试", name_en="Bench")
    routing_rule(category=category, lead=lead)
"""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _refuse(url: str) -> str:
    name = urlsplit(url).path.lstrip("/")
    if not name or name.startswith("test") or name in {"postgres", "bench_queue"}:
        raise SystemExit(f"refusing the database {name!r}: name one of this benchmark's own")
    return name


def _ensure_database(url: str) -> None:
    import psycopg2
    from psycopg2 import sql

    name = _refuse(url)
    parts = urlsplit(url)
    admin = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                log(f"{name}: created")
    finally:
        admin.close()


def _env(database_url: str, redis_url: str) -> dict:
    return {
        **{k: v for k, v in os.environ.items() if k != "PYTEST_VERSION"},
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-e2e-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "RATE_LIMIT_SUBMIT": "100000000/hour",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "DEMO_CLASSIFIER": "0",
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Stack:
    def __init__(self, args) -> None:
        self.args = args
        self.env = _env(args.database_url, args.redis_url)
        self.processes: list[subprocess.Popen] = []
        self.tmp = Path(tempfile.mkdtemp(prefix="bench-e2e-"))
        self.port = _free_port()

    def _bin(self, name: str) -> str:
        return shutil.which(name, path=str(Path(sys.executable).parent)) or name

    def _spawn(self, name: str, command: list[str]) -> None:
        out = (self.tmp / f"{name}.log").open("wb")
        self.processes.append(
            subprocess.Popen(
                command,
                cwd=BASE_DIR,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )

    def start(self) -> str:
        _ensure_database(self.args.database_url)
        manage = [sys.executable, "manage.py"]
        subprocess.run(
            [*manage, "migrate", "--noinput", "-v", "0"], cwd=BASE_DIR, env=self.env, check=True
        )
        subprocess.run([*manage, "shell", "-c", SEED], cwd=BASE_DIR, env=self.env, check=True)
        subprocess.run(
            [self._bin("celery"), "-A", "platform_gov", "purge", "-f"],
            cwd=BASE_DIR,
            env=self.env,
            check=False,
            capture_output=True,
        )
        if not self.args.backlog:
            self.start_workers()
        self._spawn(
            "web",
            [
                self._bin("gunicorn"), "platform_gov.wsgi:application",
                "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.args.web_workers),
                "--log-level", "warning",
            ],
        )  # fmt: skip
        base = f"http://127.0.0.1:{self.port}"
        if not wait_until_healthy(base):
            raise SystemExit(f"gunicorn did not answer: see {self.tmp}/web.log")
        if not self.args.backlog:
            time.sleep(3)  # the worker connects to the broker
        return base

    def start_workers(self) -> None:
        """The Celery workers: routing and the rest, beat inside; the hot-issue worker."""
        celery = self._bin("celery")
        # Routing on workers of its own, as in production: e-mails and webhooks (several per
        # routing, and slower to send) never hold an issue's way to its organisation.
        self._spawn(
            "routing",
            [
                celery, "-A", "platform_gov", "worker", "-Q", "routing",
                "-c", str(self.args.routing_concurrency), "-n", "bench-e2e-routing@%h",
                "-l", "WARNING",
            ],
        )  # fmt: skip
        self._spawn(
            "worker",
            [
                celery, "-A", "platform_gov", "worker", "-Q",
                "notifications,webhooks,default,sweeps",
                "-c", str(self.args.worker_concurrency), "-n", "bench-e2e@%h",
                "-B", "--schedule", str(self.tmp / "beat"), "-l", "WARNING",
            ],
        )  # fmt: skip
        if not self.args.no_hot:
            self._spawn(
                "hot",
                [celery, "-A", "platform_gov", "worker", "-Q", "hot", "-c", "1",
                 "-n", "bench-e2e-hot@%h", "-l", "WARNING"],
            )  # fmt: skip

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def _file(base: str, n: int, start: float | None = None, rate: float | None = None):
    """File report ``n``; with ``rate``, not before its turn (``n / rate`` s after ``start``)."""
    if rate:
        time.sleep(max(0.0, start + n / rate - time.time()))
    body = json.dumps(
        {
            "title": f"Bench report {n}: street light out",
            "description": "Dark for three nights.",
            "category": CATEGORY,
        }
    ).encode()
    request = urllib.request.Request(  # noqa: S310 -- our own stack
        f"{base}/api/v1/issues/",
        data=body,
        headers={"Content-Type": "application/json", "X-Forwarded-Proto": "https"},
        method="POST",
    )
    sent = time.time()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return sent, json.loads(response.read())["id"]
    except OSError as exc:
        log(f"filing {n} failed: {exc}")
        return sent, None


def _percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--issues", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--base", help="a running stack's URL (else one is started)")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--routing-concurrency", type=int, default=1)
    parser.add_argument("--worker-concurrency", type=int, default=2)
    parser.add_argument("--web-workers", type=int, default=3)
    parser.add_argument("--no-hot", action="store_true", help="start no hot-issue worker")
    parser.add_argument("--timeout", type=float, default=300, help="seconds to wait for routing")
    parser.add_argument(
        "--rate", type=float, help="file at this many issues a second (else as fast as it can)"
    )
    parser.add_argument(
        "--backlog",
        action="store_true",
        help="file everything first, then start the workers: routed_per_s is the drain rate",
    )
    args = parser.parse_args(argv)
    _refuse(args.database_url)
    if args.backlog and args.base:
        parser.error("--backlog starts the workers itself: it cannot target --base")

    import psycopg2

    stack = None if args.base else Stack(args)
    try:
        base = args.base or stack.start()
        log(f"filing {args.issues} issues at {base} from {args.concurrency} threads")
        started = time.time()
        with ThreadPoolExecutor(args.concurrency) as pool:
            results = list(
                pool.map(lambda n: _file(base, n, started, args.rate), range(args.issues))
            )
        filed_done = time.time()
        drain_started = None
        if args.backlog:
            log(f"filed {len(results)} issues; starting the workers on the backlog")
            drain_started = time.time()
            stack.start_workers()
        sent_at = {pk: sent for sent, pk in results if pk is not None}
        ids = list(sent_at)
        connection = psycopg2.connect(args.database_url)
        connection.autocommit = True
        routed_at: dict[int, float] = {}
        duplicated = 0
        deadline = time.monotonic() + args.timeout
        while True:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT issue_id, min(at), count(*) FROM coordination_handoff "
                    "WHERE kind = 'routed' AND issue_id = ANY(%s) GROUP BY issue_id",
                    [ids],
                )
                rows = cursor.fetchall()
            routed_at = {pk: at.timestamp() for pk, at, _ in rows}
            duplicated = sum(1 for _, _, count in rows if count > 1)
            if len(routed_at) == len(ids) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT status, count(*) FROM outbound_outboxmessage GROUP BY status ORDER BY 1"
            )
            outbox = dict(cursor.fetchall())
        connection.close()
    finally:
        if stack:
            stack.stop()

    latencies = [(routed_at[pk] - sent_at[pk]) * 1000 for pk in routed_at]
    last_routed = max(routed_at.values(), default=started)
    # On a backlog, the drain's rate from the first routing to the last (the workers' start
    # is not routing); otherwise from the first request sent to the last routing.
    first = min(routed_at.values(), default=started) if drain_started else started
    span = max(last_routed - first, 1e-9)
    result = {
        "issues": args.issues,
        "filed": len(ids),
        "routed": len(routed_at),
        "lost": len(ids) - len(routed_at),
        "duplicated": duplicated,
        "failed_submissions": args.issues - len(ids),
        "submit_rps": round(len(ids) / max(filed_done - started, 1e-9), 1),
        "routed_per_s": round(len(routed_at) / span, 1),
        "rate_per_s": round(len(routed_at) / span, 1),
        "p50_ms": round(_percentile(latencies, 0.5) or 0),
        "p95_ms": round(_percentile(latencies, 0.95) or 0),
        "p95_submit_to_routed_ms": round(_percentile(latencies, 0.95) or 0),
        "mode": "backlog" if args.backlog else (f"rate {args.rate}/s" if args.rate else "flood"),
        "concurrency": args.concurrency,
        "routing_concurrency": args.routing_concurrency,
        "worker_concurrency": args.worker_concurrency,
        "outbox": outbox,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
