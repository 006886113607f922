"""What the daily sweep finds due about appointments: terms ending, terms that ended with no
decision, and the weekly summary. Registered with the ledger in ``AppointmentsConfig.ready()``."""

import datetime
import functools
from collections import defaultdict

from ccpl import access
from ccpl.models import Notification, User
from ccpl.notifications import Due, chunks, new_dues
from roles.models import RoleType

from .models import Appointment

Kind = Notification.Kind
ESCALATION_WINDOW_DAYS = 14  # a missed sweep still escalates a term that ended this recently
DIGEST_WEEKDAY = 0  # Monday


def ids_visible_to(user):
    """The appointments whose reminders the user may read: those they may see."""
    return Appointment.objects.visible_to(user).values("pk")


def people_holding(post_ids, on):
    """{post id: [(work e-mail, user id) of each person in force on the day]} for the
    "responsible to" posts: what it takes to tell them, not the people."""
    holders = defaultdict(list)
    rows = (Appointment.objects.in_force(on).filter(post_id__in=post_ids)
            .values_list("post_id", "person__work_email", "person__user"))
    for post_id, email, user_id in rows:
        holders[post_id].append((email, user_id))
    return holders


def recipients(appointee, *, managers=(), staff=()):
    """Unique (email, user id) pairs to tell about an appointment: the appointee and the holders
    of the post it is responsible to (each a (work e-mail, user id) pair, the e-mail perhaps
    blank), and staff users (HR or CMO office)."""
    found = {}
    for email, user_id in [appointee, *managers]:
        if email:
            found.setdefault(email.lower(), user_id)
    for user in staff:
        found.setdefault(user.email.lower(), user.pk)
    return list(found.items())


def term_endings(today, digest_users):
    """180, 90 and 30 days (per role type) before the end of a term that has no decision yet,
    to the appointee, their "responsible to", the HR contacts of the host organisation and the
    CMO/CNO office of the system.
    Only the latest milestone passed is sent, so a late sweep sends it once, not a backlog.

    Who is told is worked out from the few columns that decide it and checked against the
    ledger; the appointments, people and posts the e-mail shows are read only for those with
    someone still to tell. On most days that is none: each term in its reminder window was
    reminded on an earlier day (building them all took a second of a sweep with nothing new)."""
    reminder_days = {rt.pk: rt.reminder_days for rt in RoleType.objects.all()}
    longest = max([d for days in reminder_days.values() for d in days] or [180])
    candidates = (
        Appointment.objects.filter(status=Appointment.Status.ACTIVE, start_date__lte=today,
                                   end_date__gte=today,
                                   end_date__lte=today + datetime.timedelta(days=longest))
        .undecided()
        .order_by("pk")
    )
    rows = candidates.values_list(
        "pk", "end_date", "post__role_type", "post__responsible_to", "post__host_organisation",
        "post__system", "person__work_email", "person__user", named=True)
    for chunk in chunks(rows):
        managers = people_holding({a.post__responsible_to for a in chunk}, today)
        hr = access.grant_holders("Organisation", access.EDIT,
                                  {a.post__host_organisation for a in chunk})
        offices = access.grant_holders("System", access.APPROVE,
                                       {a.post__system for a in chunk})
        told = {}
        for a in chunk:
            days_left = (a.end_date - today).days
            passed = [d for d in reminder_days[a.post__role_type] if days_left <= d]
            if not passed:
                continue
            staff = [u for u in [*hr[a.post__host_organisation], *offices[a.post__system]]
                     if u.pk not in digest_users]
            told[a.pk] = (f"{min(passed)}@{a.end_date}", recipients(
                (a.person__work_email, a.person__user),
                managers=managers.get(a.post__responsible_to, []), staff=staff))
        yield from new_dues(Kind.TERM_ENDING, candidates.select_related("person", "post"),
                            told, functools.partial(_term_ending_context, today=today))


def _term_ending_context(appointment, *, today):
    days_left = (appointment.end_date - today).days
    return {"appointment": appointment, "days_left": days_left,
            "subject": f"Term ending in {days_left} days: {appointment.person} — "
                       f"{appointment.post}"}


def terms_ended_without_decision(today, digest_users):
    """When a term has ended (the sweep moved it to "term ended" the day after its last day, or
    soon after if a sweep was missed) with no decision, no extension and no successor: escalate
    to the CMO/CNO office of the system."""
    candidates = (
        Appointment.objects.lapsed(today, within_days=ESCALATION_WINDOW_DAYS)
        .select_related("person", "post__system", "post__host_organisation").order_by("pk")
    )
    for chunk in chunks(candidates):
        offices = access.grant_holders("System", access.APPROVE, {a.post.system_id for a in chunk})
        for appointment in chunk:
            context = {"appointment": appointment,
                       "subject": "Term ended with no decision: "
                                  f"{appointment.person} — {appointment.post}"}
            for user in offices[appointment.post.system_id]:
                yield Due(Kind.TERM_ENDED, f"end@{appointment.end_date}", appointment,
                          user.email.lower(), user, context)


def weekly_digests(today, digest_users):
    """On Mondays, one e-mail per user who chose it: everything ending or overdue in their
    scope, from the same permission-filtered QuerySets as the pages."""
    if today.weekday() != DIGEST_WEEKDAY:
        return
    year, week, _ = today.isocalendar()
    for user in User.objects.filter(weekly_digest=True, is_active=True).order_by("pk"):
        visible = Appointment.objects.visible_to(user)
        ending = list(visible.ending_within(90, on=today).undecided()
                      .select_related("person", "post").order_by("end_date")[:200])
        ended = list(visible.term_ended()
                     .filter(end_date__gte=today - datetime.timedelta(days=30))
                     .undecided().select_related("person", "post").order_by("end_date")[:200])
        if ending or ended:
            yield Due(Kind.WEEKLY_DIGEST, f"week@{year}-W{week:02d}", user, user.email.lower(),
                      user, {"ending": ending, "ended": ended, "week": week,
                             "subject": "Your weekly summary of leadership terms "
                                        f"(week {week})"})
