"""What the daily sweep finds due about the Fit and Proper Person Test. Registered with the
ledger in ``GovernanceConfig.ready()``, with the daily step that opens each year's assessment a
month ahead (``fppt_services.open_due_assessments``).

On the day an assessment falls due and is not signed off, the holder and HR who keep the
appointment (of the post's system and host organisation) are reminded; a month later, still not
signed off, it is overdue: the reminder goes again to the holder and HR and escalates to the
chair of every board the post sits on (never the holder themself). Each is one milestone of the
ledger, sent exactly once to each recipient however often the sweep runs; a sweep missed for up
to ``WINDOW_DAYS`` still sends the milestone passed (only the latest)."""

import datetime
from collections import defaultdict

from ccpl.models import Notification
from ccpl.notifications import Due, chunks

from .models import FPPT_GRACE_DAYS, Body, FitAndProperAssessment, Seat
from .reminders import hr_of_appointments

Kind = Notification.Kind
WINDOW_DAYS = 14


def assessments_visible_to(user):
    """The assessments whose reminders the user may read: those they may see."""
    return FitAndProperAssessment.objects.visible_to(user).values("pk")


def _milestone(assessment, today):
    """(kind, label) of the latest milestone passed on ``today``, or None outside the
    windows."""
    window = datetime.timedelta(days=WINDOW_DAYS)
    if assessment.overdue_from <= today <= assessment.overdue_from + window:
        return Kind.FPPT_OVERDUE, "overdue"
    if assessment.due_on <= today <= assessment.due_on + window:
        return Kind.FPPT_DUE, "due"
    return None


def _chairs(post_ids, today):
    """{post id: [users who chair, today, a board the post sits on]} in three queries: the
    holders of the chairs' posts and the named chairs linked to their accounts
    (``SeatQuerySet.chairs_by_body``)."""
    boards = defaultdict(set)
    for post_id, body_id in Seat.objects.filter(
            post__in=post_ids, body__kind=Body.Kind.BOARD).values_list("post_id", "body_id"):
        boards[post_id].add(body_id)
    chairs = Seat.objects.filter(
        body__in={b for bodies in boards.values() for b in bodies}).chairs_by_body(today)
    return {post_id: [user for body in boards[post_id] for user in chairs[body]]
            for post_id in post_ids}


def fppt_assessments(today, digest_users):
    """Open assessments at their due or overdue milestone."""
    earliest = today - datetime.timedelta(days=FPPT_GRACE_DAYS + WINDOW_DAYS)
    waiting = (FitAndProperAssessment.objects.open().filter(due_on__gte=earliest,
                                                            due_on__lte=today)
               .select_related("appointment__person__user", "appointment__post")
               .order_by("pk"))
    for chunk in chunks(waiting):
        chunk = [a for a in chunk if _milestone(a, today)]
        if not chunk:
            continue
        hr = hr_of_appointments([a.appointment for a in chunk], digest_users)
        chairs = _chairs({a.appointment.post_id for a in chunk}, today)
        for assessment in chunk:
            kind, label = _milestone(assessment, today)
            appointment = assessment.appointment
            person = appointment.person
            recipients = {}
            if person.work_email:
                recipients[person.work_email.lower()] = person.user
            staff = list(hr[appointment.pk])
            if kind == Kind.FPPT_OVERDUE:
                staff += [u for u in chairs[appointment.post_id]
                          if u.pk != person.user_id and u.pk not in digest_users]
            for user in staff:
                recipients.setdefault(user.email.lower(), user)
            context = {"assessment": assessment, "person": person, "post": appointment.post,
                       "due_on": assessment.due_on, "template": kind,
                       "subject": f"Fit and proper person test {label}: {person} — "
                                  f"{appointment.post}"}
            for email, user in recipients.items():
                yield Due(kind, f"{label}@{assessment.due_on}", assessment, email, user,
                          context)
