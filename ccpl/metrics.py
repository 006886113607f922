"""What the register counts for Prometheus (served at /metrics, see ccpl/health.py).

Labels are bounded: a view is named by its URL name, never by its path; a method outside the
usual few is "other". With PROMETHEUS_MULTIPROC_DIR set (gunicorn's workers, Celery's worker
and beat each write there) the values of every process are added up at scrape time; without it
each process counts in its own memory. The directory must exist before prometheus_client is
imported, so it is made here.
"""

import os
import time
from collections import Counter as Tally

MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
if MULTIPROC_DIR:
    os.makedirs(MULTIPROC_DIR, exist_ok=True)

from prometheus_client import Counter, Gauge, Histogram  # noqa: E402

METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

REQUESTS = Counter(
    "ccpl_http_requests", "Requests answered, by URL name, method and status.",
    ["view", "method", "status"])
LATENCY = Histogram(
    "ccpl_http_request_duration_seconds", "Time to answer a request, by URL name, method and "
    "status.", ["view", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))

NOTIFICATIONS = Counter(
    "ccpl_notifications", "Ledger rows by kind and outcome: recorded (due and written), sent, "
    "failed (for good, after every attempt) or cancelled (no longer needed).",
    ["kind", "outcome"])
EMAIL_FAILURES = Counter(
    "ccpl_email_failures", "Attempts to send an e-mail that the mail server refused or did not "
    "answer, by kind (each attempt; the row is tried again until it fails for good).", ["kind"])
SWEEPS = Counter("ccpl_reminder_sweeps", "Reminder sweeps that finished.")
LAST_SWEEP = Gauge(
    "ccpl_reminder_sweep_last_success_timestamp_seconds",
    "When the last reminder sweep finished (Unix time).", multiprocess_mode="max")
SWEEP_DUE = Gauge(
    "ccpl_reminder_sweep_due", "Notifications the last sweep found due (less what the ledger "
    "holds already, for the finders that ask it first: term endings, appraisals, declarations), "
    "and how many of them were new to the ledger.", ["what"], multiprocess_mode="mostrecent")


def observe_request(*, view, method, status, seconds):
    method = method if method in METHODS else "other"
    labels = (view, method, str(status))
    REQUESTS.labels(*labels).inc()
    LATENCY.labels(*labels).observe(seconds)


def observe_sweep(*, due, recorded):
    SWEEPS.inc()
    LAST_SWEEP.set(time.time())
    SWEEP_DUE.labels("due").set(due)
    SWEEP_DUE.labels("recorded").set(recorded)


def count_notifications(outcome, kinds):
    """Count ``kinds`` (one per row) as ``outcome``."""
    for kind, n in Tally(kinds).items():
        NOTIFICATIONS.labels(kind, outcome).inc(n)
