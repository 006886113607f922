"""What monitoring and operators rely on: the probes (/healthz, /readyz), the Prometheus metrics,
request ids and JSON logs, and error reporting switched on by one variable."""

import datetime
import io
import json
import logging
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from unittest import mock

import django.test
import pytest
import time_machine
from celery import shared_task
from django.core import mail
from django.db import connection
from django.middleware.security import SecurityMiddleware
from django.test import RequestFactory, override_settings
from kombu import Connection
from prometheus_client import REGISTRY

from ccpl import notifications, observability
from ccpl.celery import app as celery_app
from ccpl.models import Notification
from ccpl.observability import ContextFilter, JSONFormatter, current_request_id

from .factories import AppointmentFactory, PersonFactory, PostFactory, UserFactory, with_totp

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "metrics-token-for-tests-only-0123456789"
D = datetime.date


def _sample(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0


# --- liveness and readiness ---------------------------------------------------------------------

def test_healthz_answers_without_touching_the_database(client):
    # No django_db mark: any query would fail the test.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_readyz_answers_200_naming_each_check(client, settings):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    # Redis is checked where there is one (CI's PostgreSQL run); tasks run eagerly in tests.
    redis = {"redis": "ok"} if settings.REDIS_URL else {}
    assert response.json() == {"status": "ok",
                               "checks": {"database": "ok", "migrations": "ok", **redis}}


@pytest.mark.django_db
def test_probes_answer_with_or_without_a_trailing_slash_and_only_to_get(client):
    assert client.get("/healthz/").status_code == 200
    assert client.head("/readyz").status_code == 200
    assert client.post("/healthz").status_code == 405
    assert client.post("/readyz/").status_code == 405


@pytest.mark.django_db(transaction=True)
def test_readyz_is_503_naming_the_database_when_it_cannot_be_reached(client, monkeypatch):
    database = connection.settings_dict
    connection.close()
    if connection.vendor == "sqlite":
        monkeypatch.setitem(database, "NAME", "/no/such/directory/db.sqlite3")
    else:
        monkeypatch.setitem(database, "HOST", "127.0.0.1")
        monkeypatch.setitem(database, "PORT", "1")  # nothing listens there
    try:
        response = client.get("/readyz")
    finally:
        connection.close()
        monkeypatch.undo()
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failing"
    assert body["checks"]["database"].startswith("failing: ")
    assert body["checks"]["migrations"] == "skipped: database failing"


@pytest.mark.django_db(transaction=True)
def test_readyz_gives_up_on_a_database_that_does_not_answer(client, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("a connection timeout is PostgreSQL's (SQLite is a file)")
    with socket.socket() as silent:  # accepts the connection, never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        connection.close()
        monkeypatch.setitem(connection.settings_dict, "HOST", "127.0.0.1")
        monkeypatch.setitem(connection.settings_dict, "PORT", str(silent.getsockname()[1]))
        started = time.monotonic()
        try:
            response = client.get("/readyz")
        finally:
            connection.close()
            monkeypatch.undo()
    assert time.monotonic() - started < 6
    assert response.status_code == 503
    assert response.json()["checks"]["database"].startswith("failing: ")


@pytest.mark.django_db
def test_readyz_is_503_naming_redis_when_it_does_not_answer(client):
    # A real Redis client against a closed port: refused at once, not mocked.
    with override_settings(REDIS_URL="redis://127.0.0.1:1/0"):
        response = client.get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"] == "ok"
    assert checks["redis"] == "failing: ConnectionError"


@pytest.mark.django_db
def test_readyz_names_unapplied_migrations(client):
    with mock.patch("ccpl.health.MigrationExecutor.migration_plan", return_value=[(1, 0)] * 2):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == "failing: 2 migrations not applied"


@pytest.mark.django_db
def test_readyz_asks_for_a_worker_only_when_tasks_go_to_one(client):
    with override_settings(CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL="memory://"):
        assert "celery" not in client.get("/readyz").json()["checks"]
    with override_settings(CELERY_TASK_ALWAYS_EAGER=False, REDIS_URL="redis://127.0.0.1:1/0",
                           CELERY_BROKER_URL="redis://127.0.0.1:1/0"):
        checks = client.get("/readyz").json()["checks"]
    assert checks["celery"] == "skipped: redis failing"


@pytest.mark.django_db
def test_readyz_waits_for_a_worker_only_while_readyz_require_worker_is_on(client, settings):
    """With tasks going to a worker through a broker that answers and no worker running, the
    web is not ready while READYZ_REQUIRE_WORKER is on, and is ready without the worker's check
    when it is off."""
    if not settings.REDIS_URL:
        pytest.skip("needs a Redis broker (the PostgreSQL run has one)")
    broker = {"CELERY_TASK_ALWAYS_EAGER": False, "CELERY_BROKER_URL": settings.REDIS_URL}
    with override_settings(**broker, READYZ_REQUIRE_WORKER=True):
        waiting = client.get("/readyz")
    assert waiting.status_code == 503
    assert waiting.json()["checks"]["celery"] == "failing: no worker answered within 1 s"
    with override_settings(**broker, READYZ_REQUIRE_WORKER=False):
        ready = client.get("/readyz")
    assert ready.status_code == 200, ready.content
    assert "celery" not in ready.json()["checks"]


@pytest.mark.parametrize(("value", "read"), [(None, "True"), ("0", "False"), ("1", "True")])
def test_readyz_require_worker_comes_from_the_environment(value, read):
    environment = _clean_env()
    environment.pop("READYZ_REQUIRE_WORKER", None)
    if value is not None:
        environment["READYZ_REQUIRE_WORKER"] = value
    result = _manage("shell", "--no-imports", "-c",
                     "from django.conf import settings; print(settings.READYZ_REQUIRE_WORKER)",
                     **environment, DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == read


@pytest.mark.django_db
def test_probes_neither_read_nor_write_a_session_nor_ask_for_a_second_factor(client):
    # A staff user signed in without the second factor is sent to it on any page...
    staff = with_totp(UserFactory(is_staff=True, is_superuser=True))
    django.test.Client.force_login(client, staff)
    assert client.get("/").status_code == 302
    # ...but not from a probe, which never looks at the session at all.
    for path in ("/healthz", "/readyz", "/metrics"):
        with override_settings(METRICS_TOKEN=TOKEN):
            response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert response.status_code == 200, path
        assert not response.cookies, path
        assert "Cookie" not in response.get("Vary", ""), path


@pytest.mark.django_db
def test_an_anonymous_probe_sets_no_cookie(client):
    for path in ("/healthz", "/readyz", "/metrics"):
        response = client.get(path)
        assert not response.cookies, path


@pytest.mark.django_db
def test_probes_answer_whatever_host_the_cluster_calls_them_by(client):
    # A kubelet calls the pod by its address, which is no allowed host.
    assert client.get("/readyz", HTTP_HOST="10.1.2.3:8000").status_code == 200
    assert client.get("/accessibility/", HTTP_HOST="10.1.2.3:8000").status_code == 400


def test_probes_are_exempt_from_the_https_redirect(settings):
    settings.SECURE_SSL_REDIRECT = True
    middleware = SecurityMiddleware(lambda request: None)
    for path in ("/healthz", "/readyz", "/metrics/"):
        assert middleware.process_request(RequestFactory().get(path)) is None, path
    assert middleware.process_request(RequestFactory().get("/posts/")).status_code == 301


# --- metrics ------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_metrics_are_not_there_without_a_token(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404
    settings.METRICS_TOKEN = TOKEN
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Basic {TOKEN}").status_code == 404


@pytest.mark.django_db
def test_metrics_count_requests_by_url_name_and_the_queue(client, settings, hr_north):
    settings.METRICS_TOKEN = TOKEN
    labels = {"view": "accessibility", "method": "GET", "status": "200"}
    before = _sample("ccpl_http_requests_total", **labels)
    client.get("/accessibility/")
    client.get("/calendar/not-a-real-token.ics")  # a path with a secret is counted by its name
    Notification.objects.create(kind="term_ending", milestone="90@x", object_type="x",
                                object_id=1, recipient_email="a@nhs.example", subject="s",
                                body_text="b")
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert _sample("ccpl_http_requests_total", **labels) == before + 1
    assert ('ccpl_http_requests_total{method="GET",status="200",view="accessibility"}'
            in text)
    assert 'view="appointments:calendar-feed"' in text
    assert "not-a-real-token" not in text
    assert 'ccpl_http_request_duration_seconds_bucket{le="0.005"' in text or \
        "ccpl_http_request_duration_seconds_bucket{" in text
    assert 'ccpl_notifications_unsent{status="queued"} 1.0' in text
    assert 'ccpl_notifications_unsent{status="retrying"} 0.0' in text


@pytest.mark.django_db
def test_an_unknown_path_and_method_do_not_grow_the_labels(client):
    client.get("/no/such/page/12345")
    client.generic("BREW", "/accessibility/")
    assert _sample("ccpl_http_requests_total", view="unresolved", method="GET",
                   status="404") >= 1
    assert _sample("ccpl_http_requests_total", view="accessibility", method="other",
                   status="200") >= 1


@pytest.fixture
def due_term(north_trust):
    post = PostFactory(host_organisation=north_trust)
    return AppointmentFactory(post=post, person=PersonFactory(work_email="lead@nhs.example"),
                              start_date=D(2024, 4, 1), end_date=D(2027, 3, 31))


@pytest.mark.django_db
def test_the_sweep_counts_what_it_recorded_and_sent(due_term, django_capture_on_commit_callbacks):
    recorded = _sample("ccpl_notifications_total", kind="term_ending", outcome="recorded")
    sent = _sample("ccpl_notifications_total", kind="term_ending", outcome="sent")
    sweeps = _sample("ccpl_reminder_sweeps_total")
    moment = datetime.datetime(2027, 1, 1, 6, 30)  # 89 days before the end of the term
    with time_machine.travel(moment, tick=False), \
            django_capture_on_commit_callbacks(execute=True):
        result, _ = notifications.sweep(today=D(2027, 1, 1))
    assert result.recorded >= 1
    rows = Notification.objects.filter(kind="term_ending")
    assert _sample("ccpl_notifications_total", kind="term_ending",
                   outcome="recorded") == recorded + rows.count()
    assert _sample("ccpl_notifications_total", kind="term_ending",
                   outcome="sent") == sent + rows.filter(status="sent").count()
    assert _sample("ccpl_reminder_sweeps_total") == sweeps + 1
    assert _sample("ccpl_reminder_sweep_last_success_timestamp_seconds") == pytest.approx(
        moment.astimezone(datetime.UTC).timestamp(), abs=1)
    assert _sample("ccpl_reminder_sweep_due", what="recorded") == result.recorded


@pytest.mark.django_db
def test_a_mail_server_failure_is_counted(due_term, django_capture_on_commit_callbacks):
    failures = _sample("ccpl_email_failures_total", kind="term_ending")
    with mock.patch("django.core.mail.EmailMultiAlternatives.send",
                    side_effect=ConnectionRefusedError("no mail server")), \
            time_machine.travel(datetime.datetime(2027, 1, 1, 6, 30), tick=False), \
            django_capture_on_commit_callbacks(execute=True):
        notifications.sweep(today=D(2027, 1, 1))
    attempts = Notification.objects.filter(kind="term_ending").count()
    assert attempts >= 1 and not mail.outbox
    assert _sample("ccpl_email_failures_total", kind="term_ending") == failures + attempts


def test_metrics_of_several_processes_are_added_up(tmp_path):
    """gunicorn's workers and Celery's processes share PROMETHEUS_MULTIPROC_DIR: what one
    process counted, another one's /metrics shows."""
    env = {**_clean_env(), "DEBUG": "1", "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prom")}
    count = ("from ccpl import metrics; metrics.observe_request(view='x', method='GET', "
             "status=200, seconds=0.1)")
    for _ in range(2):
        result = _manage("shell", "--no-imports", "-c", count, **env)
        assert result.returncode == 0, result.stderr
    scrape = "from ccpl.health import exposition; print(exposition().decode())"
    result = _manage("shell", "--no-imports", "-c", scrape, **env)
    assert result.returncode == 0, result.stderr
    assert 'ccpl_http_requests_total{method="GET",status="200",view="x"} 2.0' in result.stdout


# --- request ids and logs -----------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("sent, kept", [
    ("abc-123_X.y", True),
    ("a" * 64, True),
    ("a" * 65, False),
    ("has space", False),
    ("line\nbreak", False),
    ("<script>", False),
    ("", False),
])
def test_a_safe_request_id_is_kept_and_any_other_replaced(client, sent, kept):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=sent)
    answered = response["X-Request-ID"]
    if kept:
        assert answered == sent
    else:
        assert answered != sent and len(answered) == 32
        int(answered, 16)


@pytest.mark.django_db
def test_each_request_gets_a_new_id(client):
    first, second = (client.get("/accessibility/")["X-Request-ID"] for _ in range(2))
    assert first != second


@pytest.fixture
def json_log():
    """Records of the ``ccpl`` loggers as the production handler writes them (JSON)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JSONFormatter())
    loggers = [logging.getLogger("ccpl"), logging.getLogger("django.request")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(handler)
        logger.setLevel(level)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/r/{token}/", "/calendar/{token}.ics",
                                  "/appointments/bulk/{token}/confirm/",
                                  "/import/{token}/confirm/"])
def test_no_log_line_carries_a_private_link(client, hr_north, json_log, path):
    """Django's own "Not Found: <path>" line (or "Method Not Allowed"), and the request it passes
    along, would print the secret of a private link: every line is written without it."""
    token = secrets.token_urlsafe(32)
    client.force_login(hr_north)
    assert client.get(path.format(token=token)).status_code in (404, 405)  # 405: POST only
    written = json.dumps(json_log())
    assert "django.request" in written and "[private]" in written
    assert token not in written


@pytest.mark.django_db
def test_one_json_line_per_request_with_its_id_and_no_personal_data(client, hr_north, json_log):
    client.force_login(hr_north)
    response = client.get("/posts/", HTTP_X_REQUEST_ID="trace-42")
    assert response.status_code == 200
    lines = [line for line in json_log() if line["logger"] == "ccpl.requests"]
    assert len(lines) == 1
    line = lines[0]
    assert line["request_id"] == "trace-42"
    assert (line["method"], line["view"], line["status"]) == (
        "GET", "appointments:post-list", 200)
    assert line["user_id"] == hr_north.pk
    assert isinstance(line["duration_ms"], float)
    assert line["level"] == "INFO" and line["time"].endswith("+00:00")
    raw = json.dumps(line)
    assert hr_north.email not in raw and "/posts/" not in raw


@pytest.mark.django_db
def test_the_log_line_of_a_private_link_names_the_view_not_the_secret(client, json_log):
    client.get("/calendar/a-secret-token-value.ics")
    line = next(x for x in json_log() if x["logger"] == "ccpl.requests")
    assert line["view"] == "appointments:calendar-feed" and line["status"] == 404
    assert "a-secret-token-value" not in json.dumps(line)
    assert line["user_id"] is None


@shared_task(name="tests.log_inside_a_task")
def log_inside_a_task():
    logging.getLogger("ccpl.tests").warning("inside the task")


def test_a_task_logs_with_its_task_id(json_log):
    result = log_inside_a_task.apply()
    line = next(x for x in json_log() if x["message"] == "inside the task")
    assert line["task_id"] == result.id
    logging.getLogger("ccpl.tests").warning("after the task")
    assert json_log()[-1]["task_id"] is None


@pytest.mark.filterwarnings("ignore:task_always_eager has no effect on send_task")
def test_a_task_queued_during_a_request_carries_the_requests_id(json_log):
    token = current_request_id.set("trace-9")
    try:
        with Connection("memory://") as broker:
            celery_app.send_task("ccpl.tasks.send_notification", args=[1], connection=broker)
            message = broker.SimpleQueue("celery").get(timeout=1)
            message.ack()
    finally:
        current_request_id.reset(token)
    assert message.headers["ccpl_request_id"] == "trace-9"
    # The worker: the task's lines carry both ids, and nothing after it does.
    task = SimpleNamespace(request=SimpleNamespace(ccpl_request_id="trace-9"))
    observability._task_started(task_id="t-1", task=task)
    logging.getLogger("ccpl.tests").warning("sending")
    observability._task_finished(task_id="t-1", task=task)
    logging.getLogger("ccpl.tests").warning("idle")
    sending, idle = json_log()
    assert (sending["request_id"], sending["task_id"]) == ("trace-9", "t-1")
    assert (idle["request_id"], idle["task_id"]) == (None, None)


def test_a_traceback_and_extra_fields_stay_in_one_json_line(json_log):
    try:
        raise ValueError("bad\nvalue")
    except ValueError:
        logging.getLogger("ccpl.tests").exception("It failed", extra={"post_id": 7})
    (line,) = json_log()
    assert line["post_id"] == 7 and "ValueError: bad\nvalue" in line["exc_info"]


def _clean_env():
    return {k: v for k, v in os.environ.items()
            if k not in {"SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE", "SENTRY_DSN",
                         "LOG_FORMAT", "PROMETHEUS_MULTIPROC_DIR", "DJANGO_ALLOW_ASYNC_UNSAFE"}}


def _manage(*args, **env):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_log_format_json_writes_every_line_as_json():
    result = _manage("shell", "--no-imports", "-c",
                     "import logging; logging.getLogger('ccpl.x').warning('hi')",
                     **_clean_env(), DEBUG="1", LOG_FORMAT="json")
    assert result.returncode == 0, result.stderr
    line = json.loads(result.stderr.strip().splitlines()[-1])
    assert (line["logger"], line["message"], line["request_id"]) == ("ccpl.x", "hi", None)


def test_a_bad_log_format_fails_loudly():
    result = _manage("check", **_clean_env(), DEBUG="1", LOG_FORMAT="yaml")
    assert result.returncode != 0 and "LOG_FORMAT must be text or json" in result.stderr


def test_a_short_metrics_token_fails_loudly():
    result = _manage("check", **_clean_env(), DEBUG="1", METRICS_TOKEN="short")
    assert result.returncode != 0 and "METRICS_TOKEN must be at least" in result.stderr


# --- error reporting ----------------------------------------------------------------------------

SHOW_SENTRY = ("import sys; print('sentry_sdk' in sys.modules); import sentry_sdk; "
               "c = sentry_sdk.get_client(); print(c.is_active()); "
               "print(c.options['send_default_pii'], c.options['max_request_body_size'], "
               "c.options['include_local_variables']); "
               "print(sorted(c.integrations))")


def test_sentry_is_neither_imported_nor_started_without_a_dsn():
    result = _manage("shell", "--no-imports", "-c", SHOW_SENTRY, **_clean_env(), DEBUG="1")
    assert result.returncode == 0, result.stderr
    imported, active = result.stdout.splitlines()[:2]
    assert (imported, active) == ("False", "False")


def test_sentry_starts_with_a_dsn_and_sends_no_personal_data():
    # A DSN to a closed port: nothing is sent unless an error happens, and none does.
    result = _manage("shell", "--no-imports", "-c", SHOW_SENTRY, **_clean_env(), DEBUG="1",
                     SENTRY_DSN="http://public@127.0.0.1:1/1")
    assert result.returncode == 0, result.stderr
    imported, active, options, integrations = result.stdout.splitlines()[:4]
    assert (imported, active) == ("True", "True")
    assert options == "False never False"
    assert "'django'" in integrations and "'celery'" in integrations


def test_a_web_worker_keeps_what_it_loaded_at_start_out_of_the_garbage_collectors_sweeps():
    """gunicorn loads ``ccpl.wsgi`` in each worker: the objects loaded by then are frozen and
    young collections are rare, so a request does not pay for sweeping the whole process."""
    probe = ("import gc, ccpl.wsgi; "
             "print(gc.get_freeze_count(), gc.get_threshold()[0])")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "ccpl.settings"}
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True,
                         text=True, check=True, cwd=Path(__file__).resolve().parent.parent)
    frozen, young_threshold = map(int, out.stdout.split()[-2:])
    assert frozen > 50_000
    assert young_threshold == 50_000


def test_loading_every_url_leaves_weasyprint_unloaded_until_a_pdf_is_made():
    """WeasyPrint takes most of a second to import: a process that builds links (the reminder
    sweep, a worker, a web worker at start-up) loads every view, and pays it only when it makes
    a PDF."""
    probe = ("import sys, django; django.setup(); "
             "from django.urls import get_resolver; get_resolver().url_patterns; "
             "print('weasyprint' in sys.modules)")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "ccpl.settings", "DEBUG": "1"}
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True,
                         text=True, check=True, cwd=Path(__file__).resolve().parent.parent)
    assert out.stdout.split()[-1] == "False"
