"""What monitoring asks of the register: is the process alive (/healthz), can it serve
(/readyz), and what has it done (/metrics, for Prometheus).

They are answered by a middleware just inside Django's SecurityMiddleware, before sessions,
sign-in, the second-factor rule and the check of the Host header: a probe from inside a cluster
comes over plain HTTP (SECURE_REDIRECT_EXEMPT lets it), to an address that is no allowed host,
without a session, and must never start one. /healthz touches nothing outside the process.
/readyz checks what a request needs and answers 503 naming what failed (the details go to the
log, not to the anonymous caller); a Celery worker's answer is among them unless
READYZ_REQUIRE_WORKER is off. /metrics answers only to ``Authorization: Bearer
<METRICS_TOKEN>``, and is not there at all (404) while METRICS_TOKEN is unset.
"""

import hmac
import logging
from dataclasses import dataclass

import redis
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Count
from django.http import (
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseNotFound,
    JsonResponse,
)
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from . import metrics
from .celery import app as celery_app
from .models import Notification

log = logging.getLogger(__name__)

REDIS_TIMEOUT = 0.5  # seconds to connect to Redis, and to wait for its answer
WORKER_TIMEOUT = 1.0  # seconds to wait for a Celery worker to answer a ping


# --- the checks ------------------------------------------------------------------------------

class CheckFailed(Exception):
    """A check's short, public reason for failing."""


def check_database():
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_migrations():
    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    unapplied = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if unapplied:
        raise CheckFailed(f"{len(unapplied)} migrations not applied")


def check_redis():
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=REDIS_TIMEOUT,
                                  socket_timeout=REDIS_TIMEOUT)
    try:
        client.ping()
    finally:
        client.close()


def check_worker():
    """At least one Celery worker answers a ping through the broker the settings name. Returns
    at the first answer; waits WORKER_TIMEOUT when none comes."""
    with celery_app.connection_for_write(settings.CELERY_BROKER_URL) as connection:
        answers = celery_app.control.ping(timeout=WORKER_TIMEOUT, limit=1,
                                          connection=connection)
    if not answers:
        raise CheckFailed(f"no worker answered within {WORKER_TIMEOUT:g} s")


@dataclass
class Check:
    name: str
    run: object
    needs: tuple = ()  # checks that must pass first; if one failed this one is "skipped"


def checks():
    """The checks that apply to this configuration, in the order they run."""
    found = [Check("database", check_database),
             Check("migrations", check_migrations, needs=("database",))]
    if settings.REDIS_URL:
        found.append(Check("redis", check_redis))
    uses_worker = (not settings.CELERY_TASK_ALWAYS_EAGER
                   and not settings.CELERY_BROKER_URL.startswith("memory://"))
    if uses_worker and settings.READYZ_REQUIRE_WORKER:
        found.append(Check("celery", check_worker,
                           needs=("redis",) if settings.REDIS_URL else ()))
    return found


def readiness():
    """(ready, {check name: "ok" | "failing: why" | "skipped: why"})."""
    results = {}
    for check in checks():
        failed_first = [n for n in check.needs if results.get(n, "ok") != "ok"]
        if failed_first:
            results[check.name] = f"skipped: {', '.join(failed_first)} failing"
            continue
        try:
            check.run()
        except CheckFailed as failure:
            results[check.name] = f"failing: {failure}"
            log.warning("Readiness check %s failed: %s", check.name, failure)
        except Exception as error:  # whatever a driver raises is the check failing
            results[check.name] = f"failing: {type(error).__name__}"
            log.warning("Readiness check %s failed", check.name, exc_info=True)
        else:
            results[check.name] = "ok"
    return all(r == "ok" for r in results.values()), results


# --- /metrics --------------------------------------------------------------------------------

class UnsentNotifications:
    """The queue depth, counted when Prometheus scrapes: ledger rows not yet sent, by status
    (an index-only count on Notification's (status, created_at) index)."""

    def describe(self):
        """What it collects, without a query (the registry asks when it is registered)."""
        yield self._family()

    def _family(self):
        return GaugeMetricFamily("ccpl_notifications_unsent",
                                 "Ledger rows waiting to be sent, by status.", labels=["status"])

    def collect(self):
        family = self._family()
        try:
            counts = dict(Notification.objects.unsent().order_by().values_list("status")
                          .annotate(n=Count("pk")))
        except Exception:
            log.warning("Could not count unsent notifications", exc_info=True)
            return
        for status in (Notification.Status.QUEUED, Notification.Status.RETRYING):
            family.add_metric([status.value], counts.get(status.value, 0))
        yield family


_UNSENT = UnsentNotifications()
if not metrics.MULTIPROC_DIR:
    REGISTRY.register(_UNSENT)


def exposition():
    """The metrics in Prometheus's text format: every process's (multiprocess mode) or this
    one's, and the queue depth."""
    if metrics.MULTIPROC_DIR:
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        registry.register(_UNSENT)
    else:
        registry = REGISTRY
    return generate_latest(registry)


def metrics_allowed(request):
    token = settings.METRICS_TOKEN
    if not token:
        return False
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(),
                                                              token.encode())


# --- the middleware --------------------------------------------------------------------------

def _healthz(request):
    return JsonResponse({"status": "ok"})


def _readyz(request):
    ready, results = readiness()
    return JsonResponse({"status": "ok" if ready else "failing", "checks": results},
                        status=200 if ready else 503)


def _metrics(request):
    if not metrics_allowed(request):
        return HttpResponseNotFound("Not found", content_type="text/plain")
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)


PROBES = {"/healthz": ("healthz", _healthz), "/readyz": ("readyz", _readyz),
          "/metrics": ("metrics", _metrics)}


class ProbeMiddleware:
    """Answers /healthz, /readyz and /metrics (with or without a trailing slash) before any
    session, sign-in or host check; every other request passes on."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        probe = PROBES.get(request.path_info.rstrip("/") or "/")
        if probe is None:
            return self.get_response(request)
        name, answer = probe
        request.ccpl_view = name
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        response = answer(request)
        response["Cache-Control"] = "no-store"
        return response
