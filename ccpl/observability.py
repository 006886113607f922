"""Request ids, the log line of each request, and logs as JSON for a log shipper.

Every request has an id: the one a proxy or load balancer sent in ``X-Request-ID`` when it is a
safe token, or a new one. It is returned in the response's ``X-Request-ID`` and is on every log
record written while the request runs, so one request's lines can be found together; a Celery
task's records carry its task id the same way. A log line names the view, never the path: paths
hold the secrets of private links (calendar feeds, rater questionnaires). It names a user by id,
never by e-mail address or name.
"""

import contextvars
import datetime
import json
import logging
import re
import time
import uuid

from celery import signals
from django.utils.functional import empty

from . import metrics

REQUEST_ID_HEADER = "X-Request-ID"
_SAFE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

current_request_id = contextvars.ContextVar("request_id", default=None)
current_task_id = contextvars.ContextVar("task_id", default=None)

log = logging.getLogger("ccpl.requests")


def safe_request_id(value):
    """The id to use for a request that sent ``value``: it if it is a safe token (at most 64
    letters, digits, dots, underscores or hyphens: nothing that could forge a log line or a
    header), else a new one."""
    if value and _SAFE_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


def view_name(request):
    """The name of the URL the request resolved to: a label of bounded number for logs and
    metrics, never the raw path."""
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match.view_name or "unnamed"
    return getattr(request, "ccpl_view", None) or "unresolved"


def _user_id(request):
    """The signed-in user's id if the request already looked the user up; never a query of its
    own (a page that did not need the user does not pay for the log line)."""
    user = getattr(request, "user", None)
    if user is None or getattr(user, "_wrapped", None) is empty:
        return None
    return user.pk if user.is_authenticated else None


class RequestIdMiddleware:
    """The outermost middleware: gives the request its id, times it, counts it for Prometheus
    and writes its one log line."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        rid = safe_request_id(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = rid
        token = current_request_id.set(rid)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = rid
            seconds = time.perf_counter() - started
            view = view_name(request)
            metrics.observe_request(view=view, method=request.method,
                                    status=response.status_code, seconds=seconds)
            log.info("%s %s %s %.1f ms", request.method, view, response.status_code,
                     seconds * 1000, extra={
                         "method": request.method, "view": view,
                         "status": response.status_code,
                         "duration_ms": round(seconds * 1000, 1),
                         "user_id": _user_id(request)})
            return response
        finally:
            current_request_id.reset(token)


class ContextFilter(logging.Filter):
    """Puts the current request id and task id on every record (``None`` outside either)."""

    def filter(self, record):
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id.get()
        if not hasattr(record, "task_id"):
            record.task_id = current_task_id.get()
        return True


# What every LogRecord has; anything else on a record was passed in ``extra``.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message", "asctime", "request_id", "task_id"}


class JSONFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, request_id and
    task_id, whatever was passed in ``extra``, and the traceback if there is one."""

    def format(self, record):
        entry = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC)
            .isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
            "task_id": getattr(record, "task_id", None),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


# --- Celery: the task id on every record written while a task runs ----------------------------
# (ccpl/celery.py has the worker log through LOGGING.) A task queued during a request carries the
# request's id in a message header, so its lines are found with the request's; an eager task run
# inside a request keeps the request's id anyway.

REQUEST_ID_TASK_HEADER = "ccpl_request_id"
_task_tokens = {}


@signals.before_task_publish.connect
def _task_queued(headers=None, **kwargs):
    rid = current_request_id.get()
    if rid and headers is not None:
        headers.setdefault(REQUEST_ID_TASK_HEADER, rid)


@signals.task_prerun.connect
def _task_started(task_id=None, task=None, **kwargs):
    tokens = [current_task_id.set(task_id)]
    rid = getattr(getattr(task, "request", None), REQUEST_ID_TASK_HEADER, None)
    if rid and current_request_id.get() is None:
        tokens.append(current_request_id.set(safe_request_id(rid)))
    _task_tokens[task_id] = tokens


@signals.task_postrun.connect
def _task_finished(task_id=None, **kwargs):
    for token in reversed(_task_tokens.pop(task_id, [])):
        try:
            token.var.reset(token)
        except ValueError:  # set in another context
            token.var.set(None)
