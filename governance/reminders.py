"""What the daily sweep finds due about declarations of interest and the yearly review of
bodies' terms of reference. Registered with the ledger in
``GovernanceConfig.ready()``.

A leader declares on appointment (when no return has been made since their term started) and
then every year (a year after their last return). The leader is reminded on the day it falls
due; a month later, with still no return, the reminder goes again to the leader and escalates
to HR of the post's system and host organisation. Each is one milestone of the ledger, so it is
sent exactly once to each recipient however often the sweep runs; a sweep missed for up to
``WINDOW_DAYS`` still sends the milestone passed (only the latest)."""

import datetime
from collections import defaultdict

from dateutil.relativedelta import relativedelta

from appointments.models import Appointment
from ccpl import access
from ccpl.models import Notification
from ccpl.notifications import Due, chunks

from .models import DECLARATION_GRACE_DAYS, Body, DeclarationReturn

Kind = Notification.Kind
WINDOW_DAYS = 14


def returns_visible_to(user):
    """The returns whose reminders the user may read: those they may see."""
    return DeclarationReturn.objects.visible_to(user).values("pk")


def _milestone(due, today):
    """(kind, label) of the latest milestone passed on ``today`` for a declaration due on
    ``due``, or None outside the windows."""
    overdue = due + datetime.timedelta(days=DECLARATION_GRACE_DAYS)
    if overdue <= today <= overdue + datetime.timedelta(days=WINDOW_DAYS):
        return Kind.DECLARATION_OVERDUE, "overdue"
    if due <= today <= due + datetime.timedelta(days=WINDOW_DAYS):
        return Kind.DECLARATION_DUE, "due"
    return None


def _hr(appointments, digest_users):
    """{appointment id: [HR users]}: HR of the post's host organisation and of its system, less
    those who chose the weekly summary."""
    by_org = access.grant_holders("Organisation", access.EDIT,
                                  {a.post.host_organisation_id for a in appointments})
    by_system = access.grant_holders("System", access.EDIT,
                                     {a.post.system_id for a in appointments})
    return {a.pk: [u for u in [*by_org[a.post.host_organisation_id],
                               *by_system[a.post.system_id]] if u.pk not in digest_users]
            for a in appointments}


def _recipients(person, hr, *, escalate):
    found = {}
    if person.work_email:
        found[person.work_email.lower()] = person.user
    if escalate:
        for user in hr:
            found.setdefault(user.email.lower(), user)
    return found.items()


def declarations_on_appointment(today, digest_users):
    """A term started and no return made since: due to the leader on the first day, overdue to
    the leader and HR a month later."""
    earliest = today - datetime.timedelta(days=DECLARATION_GRACE_DAYS + WINDOW_DAYS)
    started = (Appointment.objects.in_force(today).filter(start_date__gte=earliest)
               .select_related("person__user", "post").order_by("pk"))
    for chunk in chunks(started):
        made = defaultdict(list)
        for person_id, made_on in DeclarationReturn.objects.filter(
                person__in={a.person_id for a in chunk},
                made_on__gte=earliest).values_list("person_id", "made_on"):
            made[person_id].append(made_on)
        waiting = [a for a in chunk
                   if not any(day >= a.start_date for day in made[a.person_id])
                   and _milestone(a.start_date, today)]
        if not waiting:
            continue
        hr = _hr(waiting, digest_users)
        for appointment in waiting:
            kind, label = _milestone(appointment.start_date, today)
            context = {"person": appointment.person, "due_on": appointment.start_date,
                       "on_appointment": True, "post": appointment.post,
                       "template": kind, "subject": f"Declaration of interests {label}: "
                       f"{appointment.person} — {appointment.post}"}
            for email, user in _recipients(appointment.person, hr[appointment.pk],
                                           escalate=kind == Kind.DECLARATION_OVERDUE):
                yield Due(kind, f"appointment-{label}@{appointment.start_date}", appointment,
                          email, user, context)


def annual_declarations(today, digest_users):
    """A year after a leader's last return (while they hold a post, and have made a return
    since their latest term started): due to the leader, overdue to the leader and HR a month
    later."""
    year_ago = today - relativedelta(years=1)
    latest = (DeclarationReturn.objects.latest_per_person()
              .filter(made_on__lte=year_ago,
                      made_on__gte=year_ago - datetime.timedelta(
                          days=DECLARATION_GRACE_DAYS + WINDOW_DAYS + 1))
              .select_related("person__user").order_by("pk"))
    for chunk in chunks(latest):
        holding = defaultdict(list)
        for appointment in (Appointment.objects.in_force(today)
                            .filter(person__in={r.person_id for r in chunk})
                            .select_related("post").order_by("pk")):
            holding[appointment.person_id].append(appointment)
        waiting = [r for r in chunk if holding[r.person_id]
                   and all(a.start_date <= r.made_on for a in holding[r.person_id])
                   and _milestone(r.next_due_on, today)]
        if not waiting:
            continue
        hr = _hr([a for r in waiting for a in holding[r.person_id]], digest_users)
        for last in waiting:
            kind, label = _milestone(last.next_due_on, today)
            staff = [u for a in holding[last.person_id] for u in hr[a.pk]]
            context = {"person": last.person, "due_on": last.next_due_on, "last": last,
                       "on_appointment": False, "template": kind,
                       "subject": f"Annual declaration of interests {label}: {last.person}"}
            for email, user in _recipients(last.person, staff,
                                           escalate=kind == Kind.DECLARATION_OVERDUE):
                yield Due(kind, f"annual-{label}@{last.next_due_on}", last, email, user,
                          context)


# --- terms of reference -------------------------------------------------------------------------

TOR_NOTICE_DAYS = 30


def bodies_visible_to(user):
    """The bodies whose reminders the user may read: those they may see."""
    return Body.objects.visible_to(user).values("pk")


def terms_of_reference_reviews(today, digest_users):
    """A month before a body's terms of reference fall due for their yearly review (and until a
    month after), to HR of the body's system, once per review."""
    year_ago = today - relativedelta(years=1)
    bodies = (Body.objects.filter(
        tor_reviewed_on__lte=year_ago + datetime.timedelta(days=TOR_NOTICE_DAYS),
        tor_reviewed_on__gte=year_ago - datetime.timedelta(days=TOR_NOTICE_DAYS))
        .select_related("system").order_by("pk"))
    for chunk in chunks(bodies):
        hr = access.grant_holders("System", access.EDIT, {b.system_id for b in chunk})
        for body in chunk:
            context = {"body": body, "subject": f"Terms of reference review due: {body}"}
            for user in hr[body.system_id]:
                if user.pk not in digest_users:
                    yield Due(Kind.TOR_REVIEW, f"review@{body.tor_review_due_on}", body,
                              user.email.lower(), user, context)
