"""The notification ledger: reminders and invitations that are never missed and never sent twice.

The daily sweep works out what is due *today* — never scheduled weeks ahead — and writes one row
per object, kind, milestone and recipient to the Notification ledger. The ledger's unique
constraint makes a second sweep, a second beat or a re-run harmless. Each row is then sent by
``deliver``, which holds a lock on the row while it talks to the mail server and marks it sent in
the same transaction: a worker killed mid-send leaves the row unsent for the redelivered task, a
duplicate task finds it sent or locked and does nothing. A mail server that does not answer
never fails the change that made the e-mail due: the row waits, unsent, for the next try.

The ledger knows nothing of the apps above it. Each app registers in ``REGISTRY``, from its
``AppConfig.ready()``, what the sweep should find (its finders), what should happen each day
before finding (its daily steps), who may read the rows about its objects, and — for 360° raters
only — how to make a private link. A milestone is about a date (``90@2027-03-31``): when a term is
extended, its new end date brings new milestones, and the old ones are never sent again.

A row keeps its subject and the context its e-mail is written from (the records it names, by
type and id; see ``ccpl.email_context``); the e-mail itself is written when the row is sent, and
kept on the row as sent, so a sweep that records thousands of reminders renders none of them.
Private links are bound to a row by what it is about (its object type and kind), never by its
text: an e-mail that carries one is rendered when it is sent, from its template, with the link as
a context variable, and the row keeps the e-mail without it. No text that a user wrote is ever
treated as a template.
"""

import datetime
import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.dateparse import parse_date

from . import email_context, metrics
from .models import Notification, User
from .notification_registry import REGISTRY

__all__ = ["REGISTRY", "Due", "chunks", "deliver", "ledger_fields", "new_dues", "notify_now",
           "queue_unsent", "record", "record_and_send", "sweep", "write_bodies"]

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
CHUNK = 2000
RECORD_BATCH = 1000  # dues looked up and written together: one query to read, one to write
SEND_BATCH = 200  # rows per message on the queue when a sweep queues many
REQUEUE_AFTER = datetime.timedelta(hours=6)  # a row queued this long ago and still unsent...
REQUEUE_LIMIT = 500  # ...is queued again, this many at most per sweep


@dataclass
class Due:
    """One notification that is due: about what, which milestone, to whom, with what context.
    The context names the e-mail's ``subject`` and may name its ``template`` (the kind if not)."""

    kind: str
    milestone: str
    obj: object
    email: str
    user: User | None = None
    context: dict = field(default_factory=dict)

    @property
    def key(self):
        return (self.kind, self.obj._meta.label_lower, self.obj.pk, self.milestone,
                self.email.lower())


def chunks(queryset, size=CHUNK):
    """The queryset's rows in lists of ``size``, read with a server-side cursor, so a finder can
    look up what it needs for a whole chunk in one query."""
    chunk = []
    for obj in queryset.iterator(chunk_size=size):
        chunk.append(obj)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def digest_users():
    """Ids of the users who chose one weekly summary instead of single reminders."""
    return set(User.objects.filter(weekly_digest=True, is_active=True)
               .values_list("pk", flat=True))


def find_due(today):
    """Everything every app says is due today."""
    chose_digest = digest_users()
    for finder in REGISTRY.finders:
        yield from finder(today, chose_digest)


# --- Writing the ledger ----------------------------------------------------------------------

def ledger_fields(due):
    """The subject and the kept context of a notification as the ledger records it: its e-mail
    is written from them when it is sent (decision record 0015), so recording thousands of
    reminders renders nothing."""
    # One line, whatever a name or title holds: a line break in a header would fail every send.
    subject = " ".join(due.context["subject"].split())
    return subject[:200], email_context.freeze(
        {key: value for key, value in due.context.items() if key != "subject"})


def write_bodies(notification):
    """The plain text and HTML of a row's e-mail, from its kept context as its records stand
    now; None when a record it names has been deleted. A private link is never part of it: the
    templates say where the link will be."""
    context = email_context.thaw(notification.context)
    if context is None:
        return None
    return _bodies(context.get("template", notification.kind), {**context, "private_link": None})


def _bodies(template, context):
    """Plain text and HTML from templates/ccpl/email/<template>.*; user text is only ever a
    value in ``context``, escaped in the HTML. The same for every recipient of a context: a
    reminder to an appointee, their manager, HR and the CMO office is written once."""
    context = {**context, "site_url": settings.SITE_URL,
               "service_name": settings.CCPL_SERVICE_NAME}
    return (render_to_string(f"ccpl/email/{template}.txt", context),
            render_to_string(f"ccpl/email/{template}.html", context))


def record(dues, *, queue=False):
    """Write the ledger rows for ``dues`` that are not there yet; returns how many were new.
    Safe to run twice at once: the unique constraint lets only one row per key exist. A due
    already in the ledger costs a set lookup: its e-mail is not written again.

    With ``queue`` (the sweep), each batch's new rows are written marked as queued and put on
    the queue once the batch commits: a row is written once, not inserted and then rewritten,
    body and all, to say a message stands for it; and a sweep that fails half-way has queued
    what it recorded."""
    new = 0
    for batch in _batches(dues, RECORD_BATCH):
        existing = _in_ledger({d.key for d in batch})
        rows, seen, written = [], set(), {}
        for d in batch:
            if d.key in existing or d.key in seen:
                continue
            seen.add(d.key)
            # A finder gives every recipient of one reminder the same context: keep it once.
            # (Keyed by identity within the batch, which holds every context alive.)
            once = (d.kind, id(d.context))
            if once not in written:
                written[once] = ledger_fields(d)
            subject, context = written[once]
            rows.append(Notification(
                kind=d.kind, milestone=d.milestone, object_type=d.key[1], object_id=d.obj.pk,
                recipient_email=d.email, recipient=d.user, subject=subject, context=context,
            ))
        if rows:
            with transaction.atomic():
                queued_at = timezone.now() if queue else None
                for row in rows:
                    row.queued_at = queued_at
                Notification.objects.bulk_create(rows, ignore_conflicts=True)
                if queue:
                    # The rows this batch wrote: a sweep running at the same moment may have
                    # written some of these keys first, marked with its own time.
                    _queue_on_commit(sorted(_in_ledger({_row_key(row) for row in rows},
                                                       queued_at=queued_at).values()))
            _count_on_commit("recorded", [row.kind for row in rows])
        new += len(rows)
    return new


def new_dues(kind, objects, told, context_of):
    """The dues of ``kind`` in ``told`` ({object id: (milestone, [(email, user id)])}, worked out
    by a finder from the few columns that decide them) that are not in the ledger yet, asked in
    one query. Only for those are the objects read, from the queryset ``objects`` (with what the
    e-mail shows), each given its context by ``context_of(object)``, and the users they go to:
    what was recorded on an earlier day costs a key, not the objects and names of an e-mail that
    will not be written."""
    label = objects.model._meta.label_lower
    keys = {(kind, label, pk, milestone, email)
            for pk, (milestone, to) in told.items() for email, _ in to}
    recorded = _in_ledger(keys)
    new = {key[2] for key in keys if key not in recorded}
    if not new:
        return
    users = User.objects.in_bulk({user_id for pk in new for _, user_id in told[pk][1]
                                  if user_id is not None})
    for obj in objects.filter(pk__in=new):
        milestone, to = told[obj.pk]
        context = context_of(obj)
        for email, user_id in to:
            yield Due(kind, milestone, obj, email, users.get(user_id), context)


def _row_key(row):
    """The key of a ledger row, as ``Due.key`` gives it."""
    return (row.kind, row.object_type, row.object_id, row.milestone, row.recipient_email.lower())


def _in_ledger(keys, **also):
    """{key: row id} for those of ``keys`` in the ledger (and matching ``also``), in one query
    that reads the unique index for these milestones only, not every row ever written about
    these objects (which grows with each year of reminders)."""
    groups = defaultdict(lambda: (set(), set()))
    for kind, object_type, object_id, milestone, _ in keys:
        ids, milestones = groups[(kind, object_type)]
        ids.add(object_id)
        milestones.add(milestone)
    if not groups:
        return {}
    about = Q()
    for (kind, object_type), (ids, milestones) in groups.items():
        about |= Q(kind=kind, object_type=object_type, object_id__in=ids,
                   milestone__in=milestones)
    found = {}
    for pk, *key, email in (Notification.objects.filter(about, **also).order_by().values_list(
            "pk", "kind", "object_type", "object_id", "milestone", "recipient_email")):
        key = (*key, email.lower())
        if key in keys:
            found[key] = pk
    return found


def _batches(iterable, size):
    batch = []
    for item in iterable:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass
class SweepResult:
    due: int
    recorded: int
    queued: int


def sweep(*, today=None, dry_run=False, queue=True):
    """Run each app's daily steps, find what is due today, record it in the ledger and queue
    what is unsent (new, as each batch is recorded, or left over from a failed delivery) for
    sending."""
    today = today or timezone.localdate()
    if dry_run:
        dues = list(find_due(today))
        return SweepResult(due=len(dues), recorded=0, queued=0), dues
    for step in REGISTRY.daily_steps:
        step(today)
    counter = _Counter()
    recorded = record(counter.count(find_due(today)), queue=queue)
    queued = recorded + queue_unsent() if queue else 0
    metrics.observe_sweep(due=counter.n, recorded=recorded)
    return SweepResult(due=counter.n, recorded=recorded, queued=queued), None


class _Counter:
    def __init__(self):
        self.n = 0

    def count(self, iterable):
        for item in iterable:
            self.n += 1
            yield item


def record_and_send(dues):
    """Record ``dues`` in the caller's transaction (batched) and send the new rows once it
    commits. For changes that make many notifications due at once (invitations)."""
    dues = list(dues)
    record(dues)
    by_type = defaultdict(set)
    for due in dues:
        by_type[due.key[1]].add(due.obj.pk)
    ids = []
    for object_type, object_ids in by_type.items():
        ids += list(Notification.objects.filter(
            object_type=object_type, object_id__in=object_ids,
            status=Notification.Status.QUEUED).values_list("pk", flat=True))
    _send_on_commit(ids)
    return len(ids)


def notify_now(*, kind, milestone, obj, email, user=None, context):
    """Record a notification that a change makes due (a cycle opened, say) in the caller's
    transaction, and send it once that transaction commits."""
    due = Due(kind, milestone, obj, email, user, context)
    subject, kept = ledger_fields(due)
    notification, created = Notification.objects.get_or_create(
        kind=kind, object_type=due.key[1], object_id=obj.pk, milestone=milestone,
        recipient_email=email.lower(),
        defaults={"recipient": user, "subject": subject, "context": kept},
    )
    if created:
        _count_on_commit("recorded", [kind])
        _send_on_commit([notification.pk])
    return notification


def queue_unsent(now=None):
    """Queue each unsent row that no message on the queue stands for: new rows, and rows whose
    delivery failed in the web process (no worker to retry them). A row already queued is not
    queued again on every sweep, so a worker that is down does not grow the queue by a copy of
    everything per sweep; a message lost with the broker is made good after REQUEUE_AFTER, at most
    REQUEUE_LIMIT rows a sweep. A row queued twice is still sent once (see ``deliver``)."""
    now = now or timezone.now()
    unsent = Notification.objects.unsent()
    ids = list(unsent.filter(queued_at__isnull=True).values_list("pk", flat=True).order_by("pk"))
    ids += list(unsent.filter(queued_at__lt=now - REQUEUE_AFTER)
                .values_list("pk", flat=True).order_by("queued_at", "pk")[:REQUEUE_LIMIT])
    _send_on_commit(ids, now=now)
    return len(ids)


def _send_on_commit(ids, now=None):
    """Mark ``ids`` queued in the caller's transaction and, once it commits, queue them: one
    message for a single row (sent at once, as a user waits for it), one per SEND_BATCH rows for
    many (a sweep of 15,000 rows is 75 messages, not 15,000)."""
    if not ids:
        return
    now = now or timezone.now()
    for batch in _batches(ids, CHUNK):
        Notification.objects.filter(pk__in=batch).update(queued_at=now)
    _queue_on_commit(ids)


def _queue_on_commit(ids):
    """Once the caller's transaction commits, put ``ids`` (marked queued) on the queue."""
    if not ids:
        return
    if len(ids) == 1:
        send_notification.delay_on_commit(ids[0])
        return
    for batch in _batches(ids, SEND_BATCH):
        send_notifications.delay_on_commit(batch)


# --- Sending ---------------------------------------------------------------------------------

def deliver(notification_id, written=None):
    """Send one ledger row, at most once. Returns "sent", "skipped", "cancelled", "failed" or the
    number of seconds to wait before trying again. ``written`` (a dict), shared by the rows of one
    batch, keeps each e-mail written for the next row with the same kind and context: the
    appointee, their manager and HR of one reminder are sent one e-mail, written once."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True)
            .filter(pk=notification_id).unsent().first()
        )
        if notification is None:
            return "skipped"  # sent already, failed for good, or being sent right now
        notification.attempts += 1
        # Written now, and kept as sent; a row recorded before e-mails waited to be sent (or
        # tried once already) has its e-mail and is sent as it stands.
        body_fields = [] if notification.body_text else ["body_text", "body_html"]
        if body_fields:
            bodies = _written_once(notification, {} if written is None else written)
            if bodies is None:
                return _cancel(notification, "What it is about has been deleted.")
            notification.body_text, notification.body_html = bodies
        text, html = notification.body_text, notification.body_html
        with_link = REGISTRY.private_link_for(notification)
        if with_link is not None:
            context = with_link(notification.object_id, notification.kind)
            if context is None:
                return _cancel(notification, "The link is no longer needed: answered, declined, "
                                             "withdrawn, or the password already chosen.")
            text, html = _bodies(context.get("template", notification.kind), context)
        message = EmailMultiAlternatives(
            subject=notification.subject, body=text, to=[notification.recipient_email],
            headers={"X-CCPL-Notification": str(notification.pk)},
        )
        if html:
            message.attach_alternative(html, "text/html")
        try:
            message.send()
        except Exception as error:  # SMTP and socket errors alike: record, retry, show
            metrics.EMAIL_FAILURES.labels(notification.kind).inc()
            notification.last_error = f"{type(error).__name__}: {error}"[:1000]
            if notification.attempts >= MAX_ATTEMPTS:
                notification.status = Notification.Status.FAILED
                log.error("Notification %s failed for good: %s", notification.pk, error)
            else:
                notification.status = Notification.Status.RETRYING
            notification.save(update_fields=["attempts", "last_error", "status", *body_fields])
            if notification.status == Notification.Status.FAILED:
                _count_on_commit("failed", [notification.kind])
                return "failed"
            return 60 * 2 ** (notification.attempts - 1)
        notification.status = Notification.Status.SENT
        notification.sent_at = timezone.now()
        notification.last_error = ""
        notification.save(update_fields=["attempts", "status", "sent_at", "last_error",
                                        *body_fields])
        _count_on_commit("sent", [notification.kind])
        return "sent"


def _written_once(notification, written):
    key = (notification.kind, json.dumps(notification.context, sort_keys=True))
    if key not in written:
        written[key] = write_bodies(notification)
    return written[key]


def _cancel(notification, why):
    notification.status = Notification.Status.CANCELLED
    notification.last_error = why
    notification.save(update_fields=["attempts", "status", "last_error"])
    _count_on_commit("cancelled", [notification.kind])
    return "cancelled"


def _count_on_commit(outcome, kinds):
    """Count rows for Prometheus once what happened to them is committed: a rolled-back change
    recorded nothing."""
    transaction.on_commit(lambda: metrics.count_notifications(outcome, kinds))


# --- Celery tasks: take ids, call one function, safe to run twice ----------------------------
# They live beside what they run, so the ledger can queue them without an import cycle;
# ccpl/tasks.py names them for Celery's autodiscovery, and their names stay "ccpl.tasks.*" for
# the beat schedule and for messages already in the broker.

@shared_task(name="ccpl.tasks.sweep_reminders", acks_late=True, ignore_result=True)
def sweep_reminders(today=None):
    """The daily sweep (Celery beat). Finds what is due and queues it."""
    result, _ = sweep(today=parse_date(today) if today else None)
    return {"due": result.due, "recorded": result.recorded, "queued": result.queued}


@shared_task(name="ccpl.tasks.send_notification", bind=True, acks_late=True,
             ignore_result=True, max_retries=MAX_ATTEMPTS)
def send_notification(self, notification_id):
    """Send one row. When the mail server fails, a worker tries again after a wait; run in the
    web process (no broker, tasks eager) it does not, because a retry there would run at once
    and fail the user's request: the row is marked as on no queue, and the next sweep queues it
    again."""
    outcome = deliver(notification_id)
    if isinstance(outcome, int):
        if not self.request.is_eager:
            raise self.retry(countdown=outcome)
        _on_no_queue(notification_id)
    return outcome


@shared_task(name="ccpl.tasks.send_notifications", bind=True, acks_late=True,
             ignore_result=True)
def send_notifications(self, notification_ids):
    """Send many rows (a sweep's batch), each at most once; a row whose send failed is handed to
    ``send_notification`` to be tried again after its wait, on its own."""
    outcomes, written = {}, {}
    for pk in notification_ids:
        outcome = deliver(pk, written)
        if isinstance(outcome, int):
            if self.request.is_eager:
                _on_no_queue(pk)
            else:
                send_notification.apply_async((pk,), countdown=outcome)
        outcomes[pk] = outcome
    return outcomes


def _on_no_queue(notification_id):
    """A send that failed in the web process (tasks eager, no worker to try again) leaves its
    row marked as on no queue, so the next sweep queues it."""
    Notification.objects.filter(pk=notification_id).update(queued_at=None)
