"""The production files describe processes this project can actually run."""

import importlib
from pathlib import Path

import pytest
import yaml
from celery import Celery
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP_SERVICES = ["migrate", "web", "routing-worker", "worker", "hot-worker", "beat"]
WORKERS = ["routing-worker", "worker", "hot-worker"]


def test_compose_has_every_production_service_with_a_health_check_or_a_one_shot():
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(SERVICES)
    for name in ["postgres", "redis", "web", *WORKERS]:
        assert "healthcheck" in SERVICES[name], f"{name} has no health check"
    assert {"postgres-data", "redis-data"} <= set(COMPOSE["volumes"])


@pytest.mark.parametrize("service", APP_SERVICES)
def test_each_app_service_command_exists_in_the_project(service):
    command = SERVICES[service]["command"]
    program = command[0]
    if program == "gunicorn":
        module, _, attribute = command[1].partition(":")
        assert callable(getattr(importlib.import_module(module), attribute))
    elif program == "celery":
        assert command[1] == "-A"
        app = importlib.import_module(command[2]).celery_app
        assert isinstance(app, Celery)
        assert command[3] in {"worker", "beat"}
        if "-Q" in command:
            queues = set(command[command.index("-Q") + 1].split(","))
            from django.conf import settings

            routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
            assert queues <= routed | {settings.CELERY_TASK_DEFAULT_QUEUE}
    elif program == "python":
        assert command[1] == "manage.py"
        assert command[2] in get_commands()
    else:
        pytest.fail(f"{service}: unknown program {program}")


def test_the_workers_together_consume_every_queue_tasks_are_routed_to():
    from django.conf import settings

    consumed = set()
    for name in WORKERS:
        command = SERVICES[name]["command"]
        consumed |= set(command[command.index("-Q") + 1].split(","))
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    assert routed | {settings.CELERY_TASK_DEFAULT_QUEUE} <= consumed


def test_app_services_use_the_real_database_and_broker():
    for service in APP_SERVICES:
        env = SERVICES[service]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://")
        assert env["REDIS_URL"].startswith("redis://redis:")
        assert "?" in env["DJANGO_SECRET_KEY"], "the secret key must be required, not defaulted"


def test_beat_runs_once_and_schedules_the_routing_sweep():
    from django.conf import settings

    assert "deploy" not in SERVICES["beat"] or SERVICES["beat"]["deploy"].get("replicas", 1) == 1
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "coordination.dispatch.tasks.issues_route_stale" in tasks


def test_the_stack_trusts_its_one_proxy_and_only_the_proxy_reaches_gunicorn():
    """Behind the README's TLS proxy every client was the proxy's address: five wrong
    passwords locked a user city-wide and filing was capped city-wide."""
    for service in APP_SERVICES:
        assert SERVICES[service]["environment"]["TRUSTED_PROXIES"] == "${TRUSTED_PROXIES:-1}"
    assert all(port.startswith("127.0.0.1:") for port in SERVICES["web"]["ports"])


def test_every_source_map_a_static_file_names_is_there():
    """The image's ``collectstatic`` stops at a ``sourceMappingURL`` naming a missing file
    (the manifest storage rewrites the reference to the map's hashed name)."""
    import re

    missing = [
        f"{path.relative_to(ROOT)} → {name}"
        for path in (ROOT / "static").rglob("*")
        if path.suffix in {".js", ".css"}
        for name in re.findall(r"sourceMappingURL=([^\s*]+)", path.read_text(errors="replace"))
        if not name.startswith("data:") and not (path.parent / name).exists()
    ]
    assert not missing
