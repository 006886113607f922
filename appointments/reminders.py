"""What the daily sweep finds due about appointments: terms ending, terms that ended with no
decision, and the weekly summary. Registered with the ledger in ``AppointmentsConfig.ready()``."""

import datetime
from collections import defaultdict

from ccpl import access
from ccpl.models import Notification, User
from ccpl.notifications import Due, chunks
from roles.models import RoleType

from .models import Appointment

Kind = Notification.Kind
ESCALATION_WINDOW_DAYS = 14  # a missed sweep still escalates a term that ended this recently
DIGEST_WEEKDAY = 0  # Monday


def ids_visible_to(user):
    """The appointments whose reminders the user may read: those they may see."""
    return Appointment.objects.visible_to(user).values("pk")


def people_holding(post_ids, on):
    """{post id: [people in force on the day]} for the "responsible to" posts."""
    holders = defaultdict(list)
    rows = (Appointment.objects.in_force(on).filter(post_id__in=post_ids)
            .select_related("person__user"))
    for appointment in rows:
        holders[appointment.post_id].append(appointment.person)
    return holders


def recipients(appointment, *, appointee=True, managers=(), staff=()):
    """Unique (email, user) pairs for an appointment: the appointee, the holders of the post
    it is responsible to, and staff users (HR or CMO office)."""
    found = {}
    people = ([appointment.person] if appointee else []) + list(managers)
    for person in people:
        if person.work_email:
            found.setdefault(person.work_email.lower(), person.user)
    for user in staff:
        found.setdefault(user.email.lower(), user)
    return found.items()


def term_endings(today, digest_users):
    """180, 90 and 30 days (per role type) before the end of a term that has no decision yet,
    to the appointee, their "responsible to", the HR contacts of the host organisation and the
    CMO/CNO office of the system.
    Only the latest milestone passed is sent, so a late sweep sends it once, not a backlog."""
    longest = max([d for rt in RoleType.objects.all() for d in rt.reminder_days] or [180])
    candidates = (
        Appointment.objects.filter(status=Appointment.Status.ACTIVE, start_date__lte=today,
                                   end_date__gte=today,
                                   end_date__lte=today + datetime.timedelta(days=longest))
        .undecided()
        # The host organisation and system are looked up by id (their staff): not read here.
        .select_related("person__user", "post__role_type")
        .order_by("pk")
    )
    for chunk in chunks(candidates):
        managers = people_holding({a.post.responsible_to_id for a in chunk}, today)
        hr = access.grant_holders("Organisation", access.EDIT,
                                  {a.post.host_organisation_id for a in chunk})
        offices = access.grant_holders("System", access.APPROVE, {a.post.system_id for a in chunk})
        for appointment in chunk:
            days_left = (appointment.end_date - today).days
            passed = [d for d in appointment.post.role_type.reminder_days if days_left <= d]
            if not passed:
                continue
            milestone = min(passed)
            staff = [u for u in [*hr[appointment.post.host_organisation_id],
                                 *offices[appointment.post.system_id]]
                     if u.pk not in digest_users]
            context = {"appointment": appointment, "days_left": days_left,
                       "subject": f"Term ending in {days_left} days: {appointment.person} — "
                                  f"{appointment.post}"}
            for email, user in recipients(
                appointment, managers=managers.get(appointment.post.responsible_to_id, []),
                staff=staff,
            ):
                yield Due(Kind.TERM_ENDING, f"{milestone}@{appointment.end_date}", appointment,
                          email, user, context)


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
