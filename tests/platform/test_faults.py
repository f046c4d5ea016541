"""A fault test on the real stack: the worker is SIGKILLed while it routes and sends, its
database connections are cut, Redis (a Redis of this test's own, without persistence) is
stopped while residents file and started again empty. Afterwards every issue is routed exactly
once, and every e-mail and webhook owed was sent (a repeat only with the same Message-ID or
X-Platform-Delivery, so a receiver drops it) or given up with a reason."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection

from agencies.models import Agency
from coordination.dispatch.models import Assignment, Handoff
from coordination.outbound.models import OutboxMessage, WebhookDelivery
from coordination.outbound.webhooks.services import webhook_endpoint_register
from issues.models import Issue
from issues.services import issue_submit
from platform_gov.celery import app as celery_app
from tests.conftest import BASE_DIR, _database_url
from tests.factories import AgencyFactory, CategoryFactory, member, routing_rule
from tests.outbound.test_webhooks import Receiver
from tests.own_redis import OwnRedis, wait

pytestmark = [
    pytest.mark.services,
    pytest.mark.worker,
    pytest.mark.faults,
    pytest.mark.django_db(transaction=True),
]

FIRST, DURING_OUTAGE, AFTER = 12, 8, 6
QUEUES = "routing,notifications,webhooks,default,sweeps"
Status = OutboxMessage.Status


class Worker:
    """A real ``celery worker -B`` in a process group of its own (SIGKILL takes beat too)."""

    def __init__(self, tmp: Path, env: dict) -> None:
        self.tmp, self.env = tmp, env
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        log = self.tmp / f"worker-{self.starts}.log"
        celery = shutil.which("celery", path=str(Path(sys.executable).parent)) or "celery"
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [
                    celery,
                    "-A",
                    "platform_gov",
                    "worker",
                    "-Q",
                    QUEUES,
                    "-P",
                    "solo",
                    "-n",
                    f"faults-{uuid.uuid4().hex[:6]}@localhost",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "-B",
                    "--schedule",
                    str(self.tmp / f"beat-{self.starts}"),
                    "-l",
                    "INFO",
                ],
                cwd=BASE_DIR,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait(lambda: b" ready." in log.read_bytes(), 60, "the worker is ready")

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.tmp.glob("worker-*")))


def _use_broker(url: str) -> tuple:
    """Point this process's Celery at ``url``; returns what to pass to ``_restore_broker``."""
    saved = (celery_app.conf.broker_url, celery_app._pool, celery_app.amqp._producer_pool)
    celery_app.conf.broker_url = url
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    return saved


def _restore_broker(saved: tuple) -> None:
    celery_app.conf.broker_url, celery_app._pool, celery_app.amqp._producer_pool = saved


def _file(category, n: int, tag: str) -> list[int]:
    return [
        issue_submit(
            title=f"{tag} {i}: water main burst",
            description="Water everywhere.",
            category=category,
            address="1 Example Road",
            contact_email=f"resident-{tag}-{i}@example.org",
        ).pk
        for i in range(n)
    ]


def _cut_database_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def _settled() -> bool:
    routed = not Issue.objects.filter(status=Issue.Status.SUBMITTED).exists()
    return routed and not OutboxMessage.objects.filter(status=Status.PENDING).exists()


def test_nothing_is_lost_and_nothing_happens_twice_through_kills_and_outages(tmp_path, settings):
    settings.WEBHOOK_ALLOW_INSECURE_LOCALHOST = True
    started = time.monotonic()
    AgencyFactory(code="dispatch", kind=Agency.Kind.DISPATCH_CENTRE)
    water = AgencyFactory(code="water-co")
    member(water, username="water-clerk")
    category = CategoryFactory(code="water-leak")
    routing_rule(category=category, lead=water)
    receiver = Receiver([200])
    webhook_endpoint_register(agency=water, url=receiver.url, secret="s" * 32)
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    redis = OwnRedis(tmp_path)
    redis.start()
    previous_broker = _use_broker(redis.url)
    worker = Worker(
        tmp_path,
        {
            **{k: v for k, v in os.environ.items() if k != "PYTEST_XDIST_WORKER"},
            "DATABASE_URL": _database_url(),
            "REDIS_URL": redis.url,
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(mail_dir),
            "WEBHOOK_ALLOW_INSECURE_LOCALHOST": "1",
            "ROUTING_SWEEP_INTERVAL_SECONDS": "2",
            "ROUTING_STALE_AFTER_SECONDS": "3",
            "ROUTING_REQUEUE_AFTER_SECONDS": "6",
            "OUTBOX_SWEEP_INTERVAL_SECONDS": "2",
            "OUTBOX_LEASE_SECONDS": "4",
            "CELERY_VISIBILITY_TIMEOUT_SECONDS": "10",
            "DEADLINE_SWEEP_INTERVAL_SECONDS": "3600",
        },
    )
    try:
        worker.start()
        ids = _file(category, FIRST, "first")
        # Mid-way: some routed and sent, the rest still queued or in hand.
        wait(
            lambda: Handoff.objects.filter(kind=Handoff.Kind.ROUTED).count() >= 3,
            30,
            "the worker routes",
        )
        _cut_database_connections()
        worker.kill()

        # Redis goes down while residents file; it comes back empty (no persistence).
        redis.stop()
        ids += _file(category, DURING_OUTAGE, "outage")
        assert Issue.objects.filter(pk__in=ids).count() == FIRST + DURING_OUTAGE
        redis.start()
        worker.start()
        ids += _file(category, AFTER, "after")
        wait(_settled, 60, "every issue routed and every message settled")
    finally:
        worker.kill()
        redis.stop()
        receiver.stop()
        _restore_broker(previous_broker)
    logs = worker.logs()

    # Every issue routed exactly once.
    total = FIRST + DURING_OUTAGE + AFTER
    assert len(ids) == total
    routed = Counter(
        Handoff.objects.filter(kind=Handoff.Kind.ROUTED).values_list("issue_id", flat=True)
    )
    assert routed == dict.fromkeys(ids, 1), logs[-3000:]
    leads = Counter(
        Assignment.objects.filter(role=Assignment.Role.LEAD).values_list("issue_id", flat=True)
    )
    assert leads == dict.fromkeys(ids, 1)

    # Every message owed exists once and was sent (none given up: every receiver worked).
    messages = list(OutboxMessage.objects.all())
    kinds = Counter(m.kind for m in messages)
    assert kinds == {"mail": 2 * total, "webhook": total}  # resident + staff mail, one webhook
    assert {m.status for m in messages} == {Status.SENT}, [
        (m.pk, m.status, m.last_error) for m in messages if m.status != Status.SENT
    ]

    # E-mails: each row's Message-ID arrived; a repeat (a sender killed between sending and
    # recording) carries the same id, and there is at most one per kill.
    sent_ids = Counter(
        found
        for path in mail_dir.iterdir()
        for found in re.findall(r"^Message-ID: (<[^>]+>)", path.read_text(), re.MULTILINE)
    )
    expected = {m.pk for m in messages if m.kind == OutboxMessage.Kind.MAIL}
    arrived = {int(re.match(r"<outbox-(\d+)", key).group(1)) for key in sent_ids}
    assert arrived == expected
    assert sum(sent_ids.values()) - len(sent_ids) <= 1

    # Webhooks: every delivery arrived, repeats only under the same X-Platform-Delivery, and
    # the delivery log holds at least every POST the partner saw (recorded before sending).
    deliveries = {str(d.event_id): d for d in WebhookDelivery.objects.all()}
    assert len(deliveries) == total
    posts = Counter(headers["X-Platform-Delivery"] for headers, _ in receiver.requests)
    assert set(posts) == set(deliveries)
    assert sum(posts.values()) - len(posts) <= 1
    for event_id, count in posts.items():
        delivery = deliveries[event_id]
        assert delivery.status == WebhookDelivery.Status.DELIVERED
        assert delivery.attempt_log.count() >= count
    assert time.monotonic() - started < 90
