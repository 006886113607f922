"""The real things: PostgreSQL, a Redis broker, a `celery worker` process and an SMTP server.
The sweep runs as the cron job would (`manage.py send_reminders`); the e-mails arrive exactly
once, even when two sweeps run at once and when the worker is killed while sending.

Needs DATABASE_URL (PostgreSQL) and REDIS_URL. Skipped on the embedded default; in CI
(CCPL_REQUIRE_SERVICES=1) a missing service fails the test instead."""

import datetime
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from ccpl import access
from ccpl.models import Notification
from governance.models import DeclarationReturn

from ..factories import (
    AppointmentFactory,
    OrganisationFactory,
    PersonFactory,
    PostFactory,
    SystemFactory,
    UserFactory,
    grant,
)
from .smtp import Sink

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
TODAY = "2027-03-01"
LEADS = 5


def _require_services():
    database = settings.DATABASES["default"]
    problems = []
    if database["ENGINE"] != "django.db.backends.postgresql":
        problems.append("DATABASE_URL is not PostgreSQL")
    if not os.environ.get("REDIS_URL"):
        problems.append("REDIS_URL is not set")
    else:
        import redis

        try:
            redis.Redis.from_url(os.environ["REDIS_URL"]).ping()
        except redis.exceptions.ConnectionError:
            problems.append("Redis does not answer")
    if problems:
        if os.environ.get("CCPL_REQUIRE_SERVICES"):
            pytest.fail("; ".join(problems))
        pytest.skip("; ".join(problems))


@pytest.fixture
def register(db):
    _require_services()
    system = SystemFactory()
    trust = OrganisationFactory(systems=[system])
    grant(UserFactory(email="hr.e2e@example.org"), access.EDIT, trust)
    for n in range(LEADS):
        person = PersonFactory(work_email=f"lead{n}@nhs.example")
        AppointmentFactory(post=PostFactory(host_organisation=trust, system=system),
                           person=person, start_date=datetime.date(2024, 4, 1),
                           end_date=datetime.date(2027, 3, 31))
        # Their declarations are up to date: the terms' reminders are the only ones due.
        DeclarationReturn.objects.create(person=person, made_on=datetime.date(2026, 11, 1),
                                         reason="annual", is_nil=True)
    # What should arrive: one reminder to each leader; HR hears about each of the five terms.
    return {**{f"lead{n}@nhs.example": 1 for n in range(LEADS)}, "hr.e2e@example.org": LEADS}


def _env(sink):
    database = settings.DATABASES["default"]
    url = (f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:"
           f"{database['PORT'] or 5432}/{database['NAME']}")
    return {**os.environ, "DEBUG": "1", "DATABASE_URL": url,
            "REDIS_URL": os.environ["REDIS_URL"].rsplit("/", 1)[0] + "/14",
            "EMAIL_URL": f"smtp://127.0.0.1:{sink.port}", "CELERY_TASK_ALWAYS_EAGER": "0",
            "CELERY_VISIBILITY_TIMEOUT": "8", "CELERY_RESTORE_INTERVAL": "2",
            "CELERY_RESTORE_THROTTLE": "1", "DJANGO_SETTINGS_MODULE": "ccpl.settings",
            "CONN_MAX_AGE": "0"}


def _flush_broker(env):
    import redis

    redis.Redis.from_url(env["REDIS_URL"]).flushdb()


def _worker(env):
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "ccpl", "worker", "--pool", "solo",
         "--loglevel", "warning", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _sweep(env):
    return subprocess.Popen([sys.executable, "manage.py", "send_reminders", "--today", TODAY],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _wait_for(condition, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def _stop(process):
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def test_the_sweep_sends_each_reminder_exactly_once(register):
    with Sink() as sink:
        env = _env(sink)
        _flush_broker(env)
        worker = _worker(env)
        try:
            assert _sweep(env).wait(timeout=120) == 0
            assert _wait_for(lambda: sink.has_all(register))
            time.sleep(2)  # anything extra would have arrived by now
        finally:
            _stop(worker)
        assert {a: sink.count(a) for a in register} == register
        assert Notification.objects.filter(status="sent").count() == sum(register.values())


def test_two_sweeps_at_once_still_send_once(register):
    with Sink() as sink:
        env = _env(sink)
        _flush_broker(env)
        worker = _worker(env)
        try:
            sweeps = [_sweep(env), _sweep(env)]
            assert [s.wait(timeout=120) for s in sweeps] == [0, 0]
            assert _wait_for(lambda: sink.has_all(register))
            time.sleep(3)
        finally:
            _stop(worker)
        assert {a: sink.count(a) for a in register} == register
        assert Notification.objects.count() == sum(register.values())


def test_a_worker_killed_while_sending_is_replaced_and_still_sends_once(register):
    victim = "lead0@nhs.example"
    with Sink(delay_for=victim, delay=6) as sink:
        env = _env(sink)
        _flush_broker(env)
        worker = _worker(env)
        try:
            assert _sweep(env).wait(timeout=120) == 0
            assert sink.started.wait(timeout=60), "the worker never started sending"
            _stop(worker)  # killed mid-send: the mail server never said 250
            worker = _worker(env)  # a new worker picks the task up again
            assert _wait_for(lambda: sink.has_all(register), timeout=90)
            time.sleep(3)
        finally:
            _stop(worker)
        assert {a: sink.count(a) for a in register} == register
        row = Notification.objects.get(recipient_email=victim)
        assert row.status == "sent"
