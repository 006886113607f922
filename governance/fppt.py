"""Reading the Fit and Proper Person Test (FPPT): who is in scope, when each year falls due,
who chairs the board that signs it off, and what the dashboard shows.

The rules, from NHS England's FPPT Framework (writes are in ``fppt_services``):
- in scope: the holders of posts whose role type is board level, and of posts a system marks
  as a significant role; joint and shared posts (co-leads) each have their own assessment, and
  so does interim cover of six weeks or more. Cover of under six weeks is recorded as not
  needing the test;
- a full assessment falls due on the first day of the appointment and again on every
  anniversary of it; it is opened a month ahead and overdue a month after;
- HR who keep the appointment record the ten checks; the holder attests from their own signed-in
  session (nobody can attest for another); the chair of a board the post sits on, or an
  administrator, signs off the year once every check is recorded and the holder has attested
  (a named chair, who holds no post, signs off once their seat is linked to their account).
  Nobody signs off their own year;
- only the holder, HR who keep the appointment, that chair and administrators read the records
  (``FPPTQuerySet.visible_to``); nothing of them reaches the public register."""

import datetime

from dateutil.relativedelta import relativedelta
from django.db.models import Case, Count, F, Prefetch, Q, Value, When, Window
from django.db.models.functions import RowNumber

from appointments.models import Appointment
from ccpl import access
from roles.models import Post

from .models import (
    FPPT_FULL_TEST_FROM,
    FPPT_NOTICE_DAYS,
    Body,
    FitAndProperAssessment,
    FitAndProperCheck,
    Seat,
    is_open,
    standing,
)

Kind = FitAndProperAssessment.Kind
ITEMS = FitAndProperCheck.Item


def in_scope(appointments):
    """Appointments on posts whose holders take the test."""
    return appointments.filter(post__in=Post.objects.fppt_in_scope().values("pk"))


def needs_full_test(appointment):
    """Interim cover (or any appointment) of under six weeks is recorded without the test."""
    if appointment.end_date is None:
        return True
    return appointment.end_date - appointment.start_date + datetime.timedelta(days=1) \
        >= FPPT_FULL_TEST_FROM


def year_due(appointment, today):
    """(kind, due on) of the assessment that is open on ``today`` for the appointment: on
    appointment until a month before its first anniversary, then the latest anniversary that is
    less than a month away; None before the month ahead of its start."""
    if today < appointment.start_date - datetime.timedelta(days=FPPT_NOTICE_DAYS):
        return None
    if not needs_full_test(appointment):
        return Kind.NOT_REQUIRED, appointment.start_date
    years = 0
    while (appointment.start_date + relativedelta(years=years + 1)
           - datetime.timedelta(days=FPPT_NOTICE_DAYS)) <= today:
        years += 1
    due = appointment.start_date + relativedelta(years=years)
    return (Kind.ON_APPOINTMENT if years == 0 else Kind.ANNUAL), due


def has_left(appointment, today):
    """The holder no longer holds the post: ended early, ceased, or past the last day."""
    return appointment.is_closed or (appointment.end_date is not None
                                     and appointment.end_date < today)


def to_open(today):
    """Appointments that may need an assessment opened on ``today``: live or in force (an
    offer starting within the month included), on a post in scope."""
    return in_scope(Appointment.objects.exclude(status__in=Appointment.CLOSED)
                    .filter(start_date__lte=today + datetime.timedelta(days=FPPT_NOTICE_DAYS))
                    .not_ended_before(today))


def chair_of(user, assessment, today):
    """The board that ``user`` chairs (or co-chairs) today and the assessed post sits on, or
    None: through a post they hold, or as its named chair (``SeatQuerySet.chaired_by``). The
    holder never chairs their own sign-off."""
    if not access.is_signed_in(user) or assessment.appointment.person.user_id == user.pk:
        return None
    return (Body.objects.filter(kind=Body.Kind.BOARD, seats__post=assessment.appointment.post_id)
            .filter(pk__in=Seat.objects.chaired_by(user, today).values("body"))
            .order_by("name", "pk").first())


def sign_off_authority(user, assessment, today):
    """In whose name ``user`` may sign off the assessment ("Chair, North board";
    "Administrator"), or None when they may not."""
    if not access.is_signed_in(user) or assessment.appointment.person.user_id == user.pk:
        return None
    board = chair_of(user, assessment, today)
    if board is not None:
        return f"Chair, {board}"
    return "Administrator" if user.is_superuser else None


def missing_items(assessment):
    """The checks not yet recorded, by label (reads prefetched ``checks``)."""
    recorded = {check.item for check in assessment.checks.all()}
    return [label for value, label in ITEMS.choices if value not in recorded]


def check_rows(assessment):
    """Every check of the framework, in its order, with what was recorded (or None)."""
    recorded = {check.item: check for check in assessment.checks.all()}
    return [(value, label, recorded.get(value)) for value, label in ITEMS.choices]


# --- the dashboard -----------------------------------------------------------------------------

DASHBOARD_ROWS = 100


def dashboard(user, today):
    """The open assessments ``user`` may see, in three lists — overdue, due, incomplete (opened
    ahead of the day they fall due) — each with its missing checks: the first ``DASHBOARD_ROWS``
    of each list, numbered in the query (an administrator's country-wide lists are cut there, not
    after reading every open assessment), in a constant number of queries."""
    order = [F("due_on").asc(), F("appointment__person__family_name").asc(), F("pk").asc()]
    which = Case(*(When(condition, then=Value(name))
                   for name, condition in standing(today).items()))
    assessments = (FitAndProperAssessment.objects.visible_to(user).open()
                   .annotate(list_name=which,
                             place=Window(RowNumber(), partition_by=which, order_by=order))
                   .filter(place__lte=DASHBOARD_ROWS)
                   .select_related("appointment__person", "appointment__post__system")
                   .prefetch_related(Prefetch("checks",
                                              queryset=FitAndProperCheck.objects.only(
                                                  "pk", "assessment_id", "item")))
                   .order_by(*order))
    lists = {name: [] for name in standing(today)}
    for assessment in assessments:
        assessment.recorded = len(assessment.checks.all())
        assessment.missing = missing_items(assessment)
        assessment.status_tag = assessment.status(today)
        lists[assessment.list_name].append(assessment)
    return lists


def counts(user, today):
    """{overdue, due, incomplete, signed off this year} for the summary, in one query."""
    return FitAndProperAssessment.objects.visible_to(user).aggregate(
        **{name: Count("pk", filter=is_open() & condition)
           for name, condition in standing(today).items()},
        signed_off=Count("pk", filter=Q(signed_off_at__year=today.year)))


# --- the annual return -------------------------------------------------------------------------

RETURN_HEADER = ["System", "Organisation", "Post", "Name", "Assessment", "Due on",
                 "Checks recorded", "Attested on", "Signed off on", "Signed off as",
                 "Fit and proper"]


def return_year(value, today):
    """The year asked for (``?year=``), or this year for anything that is not a plausible
    year."""
    text = str(value or "")
    if text.isascii() and text.isdigit() and 2000 <= int(text) <= today.year + 1:
        return int(text)
    return today.year


def annual_return(user, year):
    """The assessments falling due in ``year`` that ``user`` may see, one row per holder's
    year, in one query."""
    return (FitAndProperAssessment.objects.visible_to(user).filter(due_on__year=year)
            .select_related("appointment__person", "appointment__post__system",
                            "appointment__post__host_organisation")
            .annotate(recorded=Count("checks"))
            .order_by("appointment__post__system__name", "appointment__person__family_name",
                      "appointment__person__given_name", "due_on", "pk"))


def return_rows(assessments):
    """The rows of the annual return, the same in the CSV and the PDF."""
    total = len(ITEMS.choices)
    rows = []
    for a in assessments:
        post = a.appointment.post
        rows.append([post.system.name, post.host_organisation.name, post.title,
                     a.appointment.person.full_name, a.get_kind_display(), a.due_on,
                     f"{a.recorded} of {total}" if a.needs_test else "Not required",
                     a.attested_at.date() if a.attested_at else "",
                     a.signed_off_at.date() if a.signed_off_at else "", a.signed_off_as,
                     a.get_outcome_display() if a.needs_test else "Not required"])
    return rows
