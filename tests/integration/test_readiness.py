"""/readyz against the real things: PostgreSQL, Redis and a `celery worker` process (started the
way the reminder tests start theirs). Not ready while no worker answers; ready once one does.

Needs DATABASE_URL (PostgreSQL) and REDIS_URL. Skipped on the embedded default; in CI
(CCPL_REQUIRE_SERVICES=1) a missing service fails the test instead."""

import os
from types import SimpleNamespace

import pytest

from .test_reminders_end_to_end import _env, _require_services, _stop, _wait_for, _worker

pytestmark = [pytest.mark.services, pytest.mark.django_db]


def test_readyz_is_ready_only_once_a_worker_answers(client, settings):
    _require_services()
    broker = os.environ["REDIS_URL"]
    settings.REDIS_URL = broker
    settings.CELERY_BROKER_URL = broker
    settings.CELERY_TASK_ALWAYS_EAGER = False
    env = {**_env(SimpleNamespace(port=1)), "REDIS_URL": broker}

    response = client.get("/readyz")
    assert response.status_code == 503, "a worker already listens on this Redis database"
    assert response.json()["checks"]["celery"] == "failing: no worker answered within 1 s"

    worker = _worker(env)
    try:
        assert _wait_for(lambda: client.get("/readyz").status_code == 200, timeout=60)
        ready = client.get("/readyz").json()
    finally:
        _stop(worker)
    assert ready == {"status": "ok", "checks": {
        "database": "ok", "migrations": "ok", "redis": "ok", "celery": "ok"}}
