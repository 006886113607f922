"""What the daily sweep does and finds about appraisals: it opens cycles ahead of each
anniversary and closes those past their closing date, finds annual appraisals due or overdue and
raters to chase, and makes a rater's private link when their e-mail is sent. Registered with the
ledger in ``AppraisalsConfig.ready()``."""

import datetime
import functools

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db.models import Q
from django.urls import reverse

from appointments.models import Appointment
from appointments.reminders import people_holding, recipients
from ccpl.models import Notification
from ccpl.notifications import Due, chunks, new_dues

from .models import Cycle, Rater
from .services import open_cycles, rater_context

Kind = Notification.Kind
APPRAISAL_NOTICE_DAYS = 30
APPRAISAL_OVERDUE_WINDOW_DAYS = 60
OPEN_AHEAD_DAYS = 60
RATER_KINDS = (Kind.RATER_INVITATION, Kind.RATER_CHASER)


# --- Annual appraisals -----------------------------------------------------------------------

def appraisals_due(today, digest_users):
    """30 days before each anniversary of the start of a term, and overdue after it until an
    appraisal is recorded, to the leader and their appraiser. Who is told is worked out from a
    few columns and checked against the ledger before the appointments the e-mails show are read
    (as ``term_endings`` does)."""
    # Permanent appointments too: they have no end, and are reviewed every year.
    in_force = (Appointment.objects.filter(status=Appointment.Status.ACTIVE,
                                           start_date__lte=today - datetime.timedelta(days=300))
                .filter(_anniversary_near(today))
                .not_ended_before(today)
                .order_by("pk"))
    rows = in_force.values_list("pk", "start_date", "end_date", "post__responsible_to",
                                "person__work_email", "person__user", named=True)
    for chunk in chunks(rows):
        due = []
        for appointment in chunk:
            anniversary = _next_or_current_anniversary(appointment, today)
            if anniversary:
                due.append((appointment, anniversary))
        if not due:
            continue
        done = appraised_since({a.pk: d - relativedelta(months=3) for a, d in due})
        managers = people_holding({a.post__responsible_to for a, _ in due}, today)
        told = {Kind.APPRAISAL_DUE: {}, Kind.APPRAISAL_OVERDUE: {}}
        for appointment, anniversary in due:
            if appointment.pk in done:
                continue
            kind = Kind.APPRAISAL_DUE if today < anniversary else Kind.APPRAISAL_OVERDUE
            label = "due" if kind == Kind.APPRAISAL_DUE else "overdue"
            told[kind][appointment.pk] = (f"{label}@{anniversary}", recipients(
                (appointment.person__work_email, appointment.person__user),
                managers=managers.get(appointment.post__responsible_to, [])))
        for kind, told_of_kind in told.items():
            yield from new_dues(kind, in_force.select_related("person", "post"), told_of_kind,
                                functools.partial(_appraisal_context, today=today))


def _appraisal_context(appointment, *, today):
    anniversary = _next_or_current_anniversary(appointment, today)
    label = "due" if today < anniversary else "overdue"
    return {"appointment": appointment, "anniversary": anniversary,
            "subject": f"Annual appraisal {label}: {appointment.person} — {appointment.post}"}


def _anniversary_near(today):
    """The terms whose start's day of the year falls in the notice period ahead of today or the
    overdue window behind it: a quarter of the register, picked out by the database rather than
    read whole (``_next_or_current_anniversary`` then says exactly which)."""
    near = Q()
    for month, month_days in days_of_the_year_near(today).items():
        near |= Q(start_date__month=month, start_date__day__in=sorted(month_days))
    return near


def days_of_the_year_near(today):
    """{month: {days}} from the overdue window behind today to the notice period ahead."""
    days = {}
    for offset in range(-APPRAISAL_OVERDUE_WINDOW_DAYS, APPRAISAL_NOTICE_DAYS + 1):
        day = today + datetime.timedelta(days=offset)
        days.setdefault(day.month, set()).add(day.day)
    if 28 in days.get(2, ()):
        days[2].add(29)  # a term that started on 29 February has its anniversary on the 28th
    return days


def _next_or_current_anniversary(appointment, today):
    """The anniversary of the start that is within the notice period ahead of today or within
    the overdue window behind it, if any (the window is shorter than a year: it can only fall
    last year, this year or next)."""
    for year in (today.year - 1, today.year, today.year + 1):
        if year <= appointment.start_date.year:
            continue
        anniversary = _anniversary(appointment.start_date, year)
        if appointment.end_date and anniversary > appointment.end_date:
            continue
        days = (anniversary - today).days
        if -APPRAISAL_OVERDUE_WINDOW_DAYS <= days <= APPRAISAL_NOTICE_DAYS:
            return anniversary
    return None


def _anniversary(start, year):
    """The day in ``year`` of the start: 28 February for 29 February in a common year, as
    ``relativedelta`` gives it (which the sweep called thousands of times, a tenth of a second)."""
    try:
        return start.replace(year=year)
    except ValueError:
        return start.replace(year=year, day=28)


def appraised_since(since_by_appointment):
    """Ids of the appointments with an appraisal outcome recorded on or after the given date
    (one date per appointment id)."""
    if not since_by_appointment:
        return set()
    earliest = min(since_by_appointment.values())
    rows = (Cycle.objects.filter(appointment_id__in=list(since_by_appointment),
                                 meeting_on__gte=earliest)
            .exclude(outcome="").values_list("appointment_id", "meeting_on"))
    return {pk for pk, meeting_on in rows if meeting_on >= since_by_appointment[pk]}


# --- 360° cycles -----------------------------------------------------------------------------

def open_due_cycles(today):
    """Open a cycle automatically two months before the anniversary of a term's start, for
    leaders with an account who have not had one in the last ten months."""
    recent = Cycle.objects.filter(opened_on__gt=today - relativedelta(months=10)).values(
        "appointment")
    candidates = (Appointment.objects.filter(status=Appointment.Status.ACTIVE,
                                             person__user__isnull=False,
                                             start_date__lte=today - relativedelta(months=10))
                  .not_ended_before(today + datetime.timedelta(days=1))
                  .exclude(pk__in=recent).only("pk", "start_date", "end_date"))
    due = []
    for appointment in candidates.iterator(chunk_size=2000):
        years = relativedelta(today, appointment.start_date).years + 1
        anniversary = appointment.start_date + relativedelta(years=years)
        if (appointment.end_date is None or anniversary <= appointment.end_date) and \
                (anniversary - today).days <= OPEN_AHEAD_DAYS:
            due.append(appointment.pk)
    if not due:
        return 0
    opened, _ = open_cycles(appointments=Appointment.objects.filter(pk__in=due), by=None,
                            today=today, closes_on=today + Cycle.DEFAULT_LENGTH)
    return len(opened)


def rater_chasers(today, digest_users):
    """Every ``chase_every_days`` after the invitation, to raters who have not answered, until
    the cycle closes. Each chaser carries the rater's own link and nothing about anyone else."""
    raters = (Rater.objects.filter(status=Rater.Status.INVITED,
                                   cycle__stage=Cycle.Stage.COLLECTING,
                                   cycle__closes_on__gte=today)
              .filter(~Q(invited_at=None))
              .select_related("cycle__appointment__person", "cycle__appointment__post")
              .order_by("pk"))
    for rater in raters.iterator(chunk_size=2000):
        days = (today - rater.invited_at.date()).days
        every = rater.cycle.chase_every_days or 7
        if days >= every:
            yield Due(Kind.RATER_CHASER, f"chase-{days // every}", rater,
                      rater.email, None, rater_context(rater, chaser=True))


# --- Private links ---------------------------------------------------------------------------

def rater_email_with_link(rater_id, kind):
    """The context of a rater's invitation or chaser with a private link made now: only its hash
    is kept, and the rater's previous link stops working. None when no link may be made any
    more (answered, declined, withdrawn, or the cycle no longer takes answers). The ledger asks
    for it by the row's type (a rater, one of RATER_KINDS), never because of what the row says."""
    rater = (Rater.objects.select_for_update(of=("self", "cycle"))
             .select_related("cycle__appointment__person", "cycle__appointment__post")
             .filter(pk=rater_id, status=Rater.Status.INVITED).first())
    if rater is None or not rater.cycle.is_open_to_raters:
        return None
    token = rater.new_token()
    rater.save(update_fields=["token_hash"])
    return {**rater_context(rater, chaser=kind == Kind.RATER_CHASER),
            "private_link": settings.SITE_URL + reverse("appraisals:rater", args=[token])}
