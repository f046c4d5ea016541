"""Shared fixtures: service requirements, eager Celery by default, a real worker on demand."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from platform_gov.celery import app as celery_app

BASE_DIR = Path(__file__).resolve().parent.parent
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def _missing_services() -> str | None:
    missing = []
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres", "psql", "pgsql")):
        missing.append("PostgreSQL (DATABASE_URL)")
    if not os.environ.get("REDIS_URL"):
        missing.append("Redis (REDIS_URL)")
    return ", ".join(missing) or None


def _skip_or_fail(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _required_services(request):
    """Skip (or, with REQUIRE_SERVICES=1, fail) tests whose services are not configured."""
    if request.node.get_closest_marker("services") or request.node.get_closest_marker("worker"):
        missing = _missing_services()
        if missing:
            _skip_or_fail(f"needs {missing}")
    if request.node.get_closest_marker("browser") and not Path("/usr/bin/chromium").exists():
        _skip_or_fail("needs Chromium at /usr/bin/chromium (apt-get install chromium)")


@pytest.fixture(autouse=True)
def _celery_eager(request):
    """Run tasks in-process unless the test starts a real worker.

    Without this, a test run with REDIS_URL set would leave messages on the broker that no
    worker of that test consumes.
    """
    eager = request.node.get_closest_marker("worker") is None
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = eager
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Real hashing costs ~0.3 s a user on purpose; tests need correctness, not cost."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path_factory):
    """Residents' photos go to a directory of each test's own, never into the checkout."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path_factory.mktemp("private_media")


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    from platform_gov.throttling import resilient_cache

    cache.clear()
    resilient_cache.clear_local()
    yield


def pytest_collection_modifyitems(config, items):
    """Screenshots are a tool (``make screenshots``), not a check: without SCREENSHOTS_DIR
    their test is deselected, so a run never reports it as skipped."""
    if os.environ.get("SCREENSHOTS_DIR"):
        return
    kept = [item for item in items if item.get_closest_marker("screenshots") is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in kept])
        items[:] = kept


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the site's language: a test (or a command it calls) that activates
    another must not change the names the next one reads (``name`` is bilingual)."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def dispatcher(db):
    """A member of the city's dispatch centre (code ``centre``): the one role that routes by
    hand, settles requests and supervises. Files with a centre of their own define theirs."""
    from agencies.models import Agency
    from tests.factories import AgencyFactory, member

    return member(AgencyFactory(code="centre", kind=Agency.Kind.DISPATCH_CENTRE))


CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="session")
def browser():
    """One Chromium per test session: starting it costs a second or two, a context nothing."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # from it are plain blocking calls, which Django would otherwise refuse.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _database_url() -> str:
    db = connection.settings_dict
    user = quote(db.get("USER") or "")
    password = quote(db.get("PASSWORD") or "")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    return f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


@pytest.fixture
def celery_worker_process(transactional_db, tmp_path):
    """A real ``celery worker`` process on the test database and the configured Redis.

    Yields the worker's node name once it answers a ping; the worker's log is printed when
    the test fails to help find out why.
    """
    name = f"testworker-{uuid.uuid4().hex[:8]}@localhost"
    env = {
        **{k: v for k, v in os.environ.items() if k != "PYTEST_XDIST_WORKER"},
        "DATABASE_URL": _database_url(),
        "REDIS_URL": settings.REDIS_URL,  # this test process's own, under pytest-xdist too
        # Beat runs inside this worker (-B) and sweeps often, so the sweep can be seen at work.
        "ROUTING_SWEEP_INTERVAL_SECONDS": "2",
        "ROUTING_STALE_AFTER_SECONDS": "5",
    }
    log_path = tmp_path / "worker.log"
    celery = shutil.which("celery", path=str(Path(sys.executable).parent)) or "celery"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                celery,
                "-A",
                "platform_gov",
                "worker",
                "-Q",
                "routing,notifications,webhooks,default,sweeps,hot",
                "-P",
                "solo",
                "-n",
                name,
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-B",
                "--schedule",
                str(tmp_path / "beat-schedule"),
                "--purge",
                "-l",
                "INFO",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"worker exited early:\n{log_path.read_text()}")
            if celery_app.control.ping(destination=[name], timeout=1.0):
                break
        else:
            pytest.fail(f"worker did not answer within 60 s:\n{log_path.read_text()}")
        yield name
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        _wait_for_other_sessions_to_end()
        print(log_path.read_text()[-4000:])


def _wait_for_other_sessions_to_end(timeout: float = 10.0) -> None:
    """Let the worker's database sessions close, so the test database can be dropped."""
    query = (
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(query)
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.1)


def wait_for(predicate, *, timeout: float = 30.0, interval: float = 0.2):
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"condition not met within {timeout} s")
