"""Reminders that are never missed and never sent twice.

The daily sweep works out what is due *today* — never scheduled weeks ahead — and writes one row
per object, kind, milestone and recipient to the Notification ledger. The ledger's unique
constraint makes a second sweep, a second beat or a re-run harmless. Each row is then sent by
``deliver``, which holds a lock on the row while it talks to the mail server and marks it sent in
the same transaction: a worker killed mid-send leaves the row unsent for the redelivered task, a
duplicate task finds it sent or locked and does nothing.

A milestone is about a date (``90@2027-03-31``): when a term is extended, its new end date brings
new milestones, and the old ones are never sent again.
"""

import datetime
import logging
from collections import defaultdict
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.utils import timezone

from appointments.models import Appointment
from roles.models import JobDescription, RoleType

from . import access
from .models import Notification, User

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
ESCALATION_WINDOW_DAYS = 14  # a missed sweep still escalates a term that ended this recently
APPRAISAL_NOTICE_DAYS = 30
APPRAISAL_OVERDUE_WINDOW_DAYS = 60
JD_NOTICE_DAYS = 30
DIGEST_WEEKDAY = 0  # Monday
CHUNK = 2000

Kind = Notification.Kind


@dataclass
class Due:
    """One notification that is due: about what, which milestone, to whom, with what context."""

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


# --- Finding what is due -------------------------------------------------------------------

def _people_holding(post_ids, on):
    """{post id: [people in force on the day]} for the "responsible to" posts."""
    holders = defaultdict(list)
    rows = (Appointment.objects.in_force(on).filter(post_id__in=post_ids)
            .select_related("person__user"))
    for appointment in rows:
        holders[appointment.post_id].append(appointment.person)
    return holders


def _person_recipient(person):
    if not person.work_email:
        return None
    return (person.work_email.lower(), person.user)


def _recipients(appointment, *, appointee=True, manager_of=None, staff=()):
    """Unique (email, user) pairs for an appointment: the appointee, the holders of the post
    it is responsible to, and staff users (HR or CMO office)."""
    found = {}
    people = ([appointment.person] if appointee else []) + (manager_of or [])
    for person in people:
        recipient = _person_recipient(person)
        if recipient:
            found.setdefault(recipient[0], recipient[1])
    for user in staff:
        found.setdefault(user.email.lower(), user)
    return found.items()


def _digest_users():
    return set(User.objects.filter(weekly_digest=True, is_active=True)
               .values_list("pk", flat=True))


def term_endings(today, digest_users):
    """180, 90 and 30 days (per role type) before the end of a term that has no decision yet,
    to the appointee, their "responsible to" and the HR contacts of the host organisation.
    Only the latest milestone passed is sent, so a late sweep sends it once, not a backlog."""
    longest = max([d for rt in RoleType.objects.all() for d in rt.reminder_days] or [180])
    candidates = (
        Appointment.objects.filter(status=Appointment.Status.ACTIVE, start_date__lte=today,
                                   end_date__gte=today,
                                   end_date__lte=today + datetime.timedelta(days=longest))
        .undecided()
        .select_related("person__user", "post__role_type", "post__host_organisation",
                        "post__system")
        .order_by("pk")
    )
    for chunk in _chunks(candidates):
        managers = _people_holding({a.post.responsible_to_id for a in chunk}, today)
        hr = access.grant_holders("Organisation", access.EDIT,
                                  {a.post.host_organisation_id for a in chunk})
        for appointment in chunk:
            days_left = (appointment.end_date - today).days
            passed = [d for d in appointment.post.role_type.reminder_days if days_left <= d]
            if not passed:
                continue
            milestone = min(passed)
            staff = [u for u in hr[appointment.post.host_organisation_id]
                     if u.pk not in digest_users]
            for email, user in _recipients(
                appointment, manager_of=managers.get(appointment.post.responsible_to_id, []),
                staff=staff,
            ):
                yield Due(Kind.TERM_ENDING, f"{milestone}@{appointment.end_date}", appointment,
                          email, user, {"appointment": appointment, "days_left": days_left})


def terms_ended_without_decision(today):
    """On the end date (or soon after, if a sweep was missed) of a term with no decision, no
    extension and no successor: escalate to the CMO/CNO office of the system."""
    successor = Appointment.objects.filter(post=OuterRef("post"),
                                           start_date__gt=OuterRef("start_date"))
    candidates = (
        Appointment.objects.filter(
            status=Appointment.Status.ACTIVE, end_date__lte=today,
            end_date__gte=today - datetime.timedelta(days=ESCALATION_WINDOW_DAYS),
            post__disestablished_on__isnull=True,
        )
        .undecided().exclude(Exists(successor))
        .select_related("person", "post__system", "post__host_organisation").order_by("pk")
    )
    for chunk in _chunks(candidates):
        offices = access.grant_holders("System", access.APPROVE, {a.post.system_id for a in chunk})
        for appointment in chunk:
            for user in offices[appointment.post.system_id]:
                yield Due(Kind.TERM_ENDED, f"end@{appointment.end_date}", appointment,
                          user.email.lower(), user, {"appointment": appointment})


def appraisals(today):
    """30 days before each anniversary of the start of a term, and overdue after it until an
    appraisal is recorded, to the leader and their appraiser."""
    from appraisals.reminders import appraised_since

    in_force = (Appointment.objects.filter(status=Appointment.Status.ACTIVE,
                                           start_date__lte=today - datetime.timedelta(days=300),
                                           end_date__gte=today)
                .select_related("person__user", "post").order_by("pk"))
    for chunk in _chunks(in_force):
        due = []
        for appointment in chunk:
            anniversary = _next_or_current_anniversary(appointment, today)
            if anniversary:
                due.append((appointment, anniversary))
        if not due:
            continue
        done = appraised_since({a.pk: d - relativedelta(months=3) for a, d in due})
        managers = _people_holding({a.post.responsible_to_id for a, _ in due}, today)
        for appointment, anniversary in due:
            if appointment.pk in done:
                continue
            kind = Kind.APPRAISAL_DUE if today < anniversary else Kind.APPRAISAL_OVERDUE
            label = "due" if kind == Kind.APPRAISAL_DUE else "overdue"
            for email, user in _recipients(
                appointment, manager_of=managers.get(appointment.post.responsible_to_id, [])
            ):
                yield Due(kind, f"{label}@{anniversary}", appointment, email, user,
                          {"appointment": appointment, "anniversary": anniversary})


def _next_or_current_anniversary(appointment, today):
    """The anniversary of the start that is within the notice period ahead of today or within
    the overdue window behind it, if any."""
    years = relativedelta(today, appointment.start_date).years
    for n in (years, years + 1):
        if n < 1:
            continue
        anniversary = appointment.start_date + relativedelta(years=n)
        if anniversary > appointment.end_date:
            continue
        days = (anniversary - today).days
        if -APPRAISAL_OVERDUE_WINDOW_DAYS <= days <= APPRAISAL_NOTICE_DAYS:
            return anniversary
    return None


def job_description_reviews(today, digest_users):
    """A month before a job description's annual review falls due, to the host's HR."""
    current = JobDescription.objects.current().filter(
        reviewed_on__lte=today - relativedelta(years=1) + datetime.timedelta(days=JD_NOTICE_DAYS),
        reviewed_on__gte=today - relativedelta(years=1) - datetime.timedelta(days=JD_NOTICE_DAYS),
        post__disestablished_on__isnull=True,
    ).select_related("post__host_organisation").order_by("pk")
    for chunk in _chunks(current):
        hr = access.grant_holders("Organisation", access.EDIT,
                                  {jd.post.host_organisation_id for jd in chunk})
        for jd in chunk:
            for user in hr[jd.post.host_organisation_id]:
                if user.pk not in digest_users:
                    yield Due(Kind.JD_REVIEW, f"review@{jd.review_due_on}", jd,
                              user.email.lower(), user, {"job_description": jd})


def weekly_digests(today):
    """On Mondays, one e-mail per user who chose it: everything ending or overdue in their
    scope, from the same permission-filtered QuerySets as the pages."""
    if today.weekday() != DIGEST_WEEKDAY:
        return
    year, week, _ = today.isocalendar()
    for user in User.objects.filter(weekly_digest=True, is_active=True).order_by("pk"):
        visible = Appointment.objects.visible_to(user).filter(status=Appointment.Status.ACTIVE)
        ending = list(visible.ending_within(90, on=today).undecided()
                      .select_related("person", "post").order_by("end_date")[:200])
        ended = list(visible.filter(end_date__lt=today,
                                    end_date__gte=today - datetime.timedelta(days=30))
                     .undecided().select_related("person", "post").order_by("end_date")[:200])
        if ending or ended:
            yield Due(Kind.WEEKLY_DIGEST, f"week@{year}-W{week:02d}", user, user.email.lower(),
                      user, {"ending": ending, "ended": ended, "week": week})


def _chunks(queryset):
    chunk = []
    for obj in queryset.iterator(chunk_size=CHUNK):
        chunk.append(obj)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def find_due(today):
    digest_users = _digest_users()
    from appraisals.reminders import rater_chasers

    yield from term_endings(today, digest_users)
    yield from terms_ended_without_decision(today)
    yield from appraisals(today)
    yield from job_description_reviews(today, digest_users)
    yield from weekly_digests(today)
    yield from rater_chasers(today)


# --- Writing the ledger ----------------------------------------------------------------------

SUBJECTS = {
    Kind.TERM_ENDING: "Term ending in {days_left} days: {appointment.person} — {appointment.post}",
    Kind.TERM_ENDED: "Term ended with no decision: {appointment.person} — {appointment.post}",
    Kind.APPRAISAL_DUE: "Annual appraisal due: {appointment.person} — {appointment.post}",
    Kind.APPRAISAL_OVERDUE: "Annual appraisal overdue: {appointment.person} — {appointment.post}",
    Kind.JD_REVIEW: "Job description review due: {job_description.post}",
    Kind.WEEKLY_DIGEST: "Your weekly summary of leadership terms (week {week})",
}


def render(due):
    """Subject, plain text and HTML of a notification, from templates/ccpl/email/<kind>.*"""
    context = {**due.context, "site_url": settings.SITE_URL, "recipient": due.user,
               "service_name": settings.CCPL_SERVICE_NAME, "private_link": PRIVATE_LINK}
    subject = due.context.get("subject") or SUBJECTS[due.kind].format(**due.context)
    name = due.context.get("template", due.kind)
    text = render_to_string(f"ccpl/email/{name}.txt", context)
    html = render_to_string(f"ccpl/email/{name}.html", context)
    return subject[:200], text, html


def record(dues):
    """Write the ledger rows for ``dues`` that are not there yet; returns how many were new.
    Safe to run twice at once: the unique constraint lets only one row per key exist."""
    new = 0
    for batch in _batches(dues, 1000):
        by_type = defaultdict(set)
        for d in batch:
            by_type[d.key[1]].add(d.obj.pk)
        existing = set()
        for object_type, ids in by_type.items():
            existing |= {
                (kind, object_type, object_id, milestone, email.lower())
                for kind, object_id, milestone, email in Notification.objects.filter(
                    object_type=object_type, object_id__in=ids
                ).values_list("kind", "object_id", "milestone", "recipient_email")
            }
        rows, seen = [], set()
        for d in batch:
            if d.key in existing or d.key in seen:
                continue
            seen.add(d.key)
            subject, text, html = render(d)
            rows.append(Notification(
                kind=d.kind, milestone=d.milestone, object_type=d.key[1], object_id=d.obj.pk,
                recipient_email=d.email, recipient=d.user, subject=subject, body_text=text,
                body_html=html,
            ))
        with transaction.atomic():
            Notification.objects.bulk_create(rows, ignore_conflicts=True)
        new += len(rows)
    return new


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
    """Find what is due today, record it in the ledger and queue what is unsent for delivery."""
    today = today or timezone.localdate()
    if dry_run:
        dues = list(find_due(today))
        return SweepResult(due=len(dues), recorded=0, queued=0), dues
    from appraisals.reminders import close_due_cycles, open_due_cycles

    close_due_cycles(today)
    open_due_cycles(today)
    counter = _Counter()
    recorded = record(counter.count(find_due(today)))
    queued = queue_unsent() if queue else 0
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
    from .tasks import send_notification

    for pk in ids:
        transaction.on_commit(lambda pk=pk: send_notification.delay(pk))
    return len(ids)


def queue_unsent():
    """Queue every unsent row, new or left over from a failed or interrupted delivery. A row
    queued twice is still sent once (see ``deliver``)."""
    from .tasks import send_notification

    ids = list(Notification.objects.unsent().values_list("pk", flat=True).order_by("pk"))
    for pk in ids:
        transaction.on_commit(lambda pk=pk: send_notification.delay(pk))
    return len(ids)


# --- Sending ---------------------------------------------------------------------------------

def deliver(notification_id):
    """Send one ledger row, at most once. Returns "sent", "skipped" or the number of seconds to
    wait before trying again ("retry in")."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True)
            .filter(pk=notification_id).unsent().first()
        )
        if notification is None:
            return "skipped"  # sent already, failed for good, or being sent right now
        notification.attempts += 1
        text, html = notification.body_text, notification.body_html
        if PRIVATE_LINK in text:
            link = _private_link(notification)
            if link is None:
                notification.status = Notification.Status.CANCELLED
                notification.last_error = "The rater has answered, declined or lost the link."
                notification.save(update_fields=["attempts", "status", "last_error"])
                return "cancelled"
            text, html = text.replace(PRIVATE_LINK, link), html.replace(PRIVATE_LINK, link)
        message = EmailMultiAlternatives(
            subject=notification.subject, body=text, to=[notification.recipient_email],
            headers={"X-CCPL-Notification": str(notification.pk)},
        )
        if html:
            message.attach_alternative(html, "text/html")
        try:
            message.send()
        except Exception as error:  # SMTP and socket errors alike: record, retry, show
            notification.last_error = f"{type(error).__name__}: {error}"[:1000]
            if notification.attempts >= MAX_ATTEMPTS:
                notification.status = Notification.Status.FAILED
                log.error("Notification %s failed for good: %s", notification.pk, error)
            else:
                notification.status = Notification.Status.RETRYING
            notification.save(update_fields=["attempts", "last_error", "status"])
            if notification.status == Notification.Status.FAILED:
                return "failed"
            return 60 * 2 ** (notification.attempts - 1)
        notification.status = Notification.Status.SENT
        notification.sent_at = timezone.now()
        notification.last_error = ""
        notification.save(update_fields=["attempts", "status", "sent_at", "last_error"])
        return "sent"


# 360° links are made as the e-mail goes out, so no usable link is ever stored: the ledger keeps
# this placeholder, and the rater keeps only the hash of the newest token.
PRIVATE_LINK = "[private-link]"


def _private_link(notification):
    from appraisals.models import Rater

    rater = Rater.objects.select_for_update().select_related("cycle").filter(
        pk=notification.object_id, status=Rater.Status.INVITED).first()
    if rater is None or not rater.cycle.is_open_to_raters:
        return None
    token = rater.new_token()
    rater.save(update_fields=["token_hash"])
    return f"{settings.SITE_URL}/r/{token}/"


def notify_now(*, kind, milestone, obj, email, user=None, context):
    """Record a notification that a change makes due (a 360° invitation, say) in the caller's
    transaction, and send it once that transaction commits."""
    due = Due(kind, milestone, obj, email, user, context)
    subject, text, html = render(due)
    notification, created = Notification.objects.get_or_create(
        kind=kind, object_type=due.key[1], object_id=obj.pk, milestone=milestone,
        recipient_email=email.lower(),
        defaults={"recipient": user, "subject": subject, "body_text": text, "body_html": html},
    )
    if created:
        from .tasks import send_notification

        transaction.on_commit(lambda: send_notification.delay(notification.pk))
    return notification

