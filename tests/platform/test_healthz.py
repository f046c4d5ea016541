"""``/healthz``: what operators and load balancers poll (API.md, "Pages").

``200 {"status": "ok", "database": "ok", "broker": "ok" or "eager"}``, ``503`` when a required
part is down. Each test sets the Celery settings it depends on, so the answers are the same
whether or not the run has ``REDIS_URL`` set.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

# Nothing listens on port 1: connecting is refused at once.
CLOSED_PORT_BROKER = "redis://127.0.0.1:1/0"


def assert_not_cached(response) -> None:
    cache_control = response.get("Cache-Control", "")
    assert "no-cache" in cache_control or "max-age=0" in cache_control


def test_healthz_answers_ok_with_eager_tasks(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"status": "ok", "database": "ok", "broker": "eager"}
    assert_not_cached(response)


def test_healthz_answers_503_when_the_broker_is_down(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = CLOSED_PORT_BROKER

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"status": "down", "database": "ok", "broker": "down"}
    assert_not_cached(response)


@pytest.mark.services
def test_healthz_answers_ok_when_the_broker_answers(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = settings.REDIS_URL

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_healthz_refuses_post(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True

    response = client.post("/healthz")

    assert response.status_code == 405
    assert_not_cached(response)


def test_healthz_answers_head_probes(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True

    assert client.head("/healthz").status_code == 200


def test_healthz_reports_a_broker_that_is_not_redis_as_down_not_as_an_error(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "memory://localhost/"

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["broker"] == "down"
