"""What the daily sweep finds due about declarations of interest and the yearly review of
bodies' terms of reference. Registered with the ledger in ``GovernanceConfig.ready()``.

Every leader in post owes a return, as ``declaration_status`` says: on appointment (when no
return has been made since their latest term started — including leaders already in post when
declarations began, who have never made one) and then every year (a year after their last
return). The sweep looks at every person in post whose return is due, however long ago it fell
due:

- the leader is reminded once ("due"), on the day it falls due, or on the first sweep after it
  if that day has passed (a leader in post before the register asked for declarations hears
  of it then, not at their next appointment);
- a month after that reminder, with still no return, the reminder goes again to the leader and
  escalates to HR of the system and host organisation of every post they hold ("overdue"). A
  leader without a work e-mail cannot be told, so HR hear a month after the due date.

Each is one milestone of the ledger (``appointment-due@<start>``, ``annual-overdue@<due>``), so
it is sent exactly once to each recipient however often the sweep runs, and a new return moves
the due date on, to new milestones."""

import datetime
from collections import defaultdict

from dateutil.relativedelta import relativedelta
from django.db.models import Max, Min, Q
from django.utils import timezone

from appointments.models import Appointment, Person
from ccpl import access
from ccpl.models import Notification
from ccpl.notifications import CHUNK, Due, chunks

from .models import DECLARATION_GRACE_DAYS, Body, DeclarationReturn

Kind = Notification.Kind
GRACE = datetime.timedelta(days=DECLARATION_GRACE_DAYS)
APPOINTMENT = Appointment._meta.label_lower
RETURN = DeclarationReturn._meta.label_lower


def returns_visible_to(user):
    """The returns whose reminders the user may read: those they may see."""
    return DeclarationReturn.objects.visible_to(user).values("pk")


def hr_of_appointments(appointments, digest_users):
    """{appointment id: [HR users]}: HR of the post's host organisation and of its system, less
    those who chose the weekly summary."""
    hr = access.hr_of_posts({a.post_id: a.post for a in appointments}.values())
    return {a.pk: [u for u in hr[a.post_id] if u.pk not in digest_users] for a in appointments}


def _recipients(person, hr, *, escalate):
    found = {}
    if person.work_email:
        found[person.work_email.lower()] = person.user
    if escalate:
        for user in hr:
            found.setdefault(user.email.lower(), user)
    return found.items()


def people_owing(today, size=CHUNK):
    """The people in post today whose declaration has fallen due, in lists of ``size``: no
    return since their latest term started, or none for a year. Each with the start and id of
    that latest term and the date and id of their last return.

    Who owes is worked out from each person's latest start and last return date (two grouped
    queries over the people in post); the ids behind those dates are read only for those who
    owe. (Correlated subqueries per person in post took most of a second on the national
    register, on every sweep.)"""
    in_force = Appointment.objects.in_force(today).order_by()
    latest_start = dict(in_force.values("person").annotate(latest=Max("start_date"))
                        .values_list("person", "latest"))
    last_made_on = dict(DeclarationReturn.objects.filter(person__in=in_force.values("person"))
                        .order_by().values("person").annotate(last=Max("made_on"))
                        .values_list("person", "last"))
    year_ago = today - relativedelta(years=1)
    owing = sorted(
        person_id for person_id, started in latest_start.items()
        if (made := last_made_on.get(person_id)) is None or made < started or made <= year_ago)
    for start in range(0, len(owing), size):
        ids = owing[start:start + size]
        latest_appointment, last_return = {}, {}
        for person_id, pk in (in_force.filter(person__in=ids)
                              .order_by("person", "-start_date", "-pk")
                              .values_list("person", "pk")):
            latest_appointment.setdefault(person_id, pk)
        for person_id, pk in (DeclarationReturn.objects.filter(person__in=ids)
                              .order_by("person", "-made_on", "-pk")
                              .values_list("person", "pk")):
            last_return.setdefault(person_id, pk)
        people = list(Person.objects.filter(pk__in=ids).select_related("user").order_by("pk"))
        for person in people:
            person.latest_start = latest_start[person.pk]
            person.latest_appointment_id = latest_appointment[person.pk]
            person.last_made_on = last_made_on.get(person.pk)
            person.last_return_id = last_return.get(person.pk)
        yield people


def _owed(person):
    """(reason, due date, ledger object type, object id): on appointment, about the latest
    term; otherwise annual, about the last return."""
    if person.last_made_on is None or person.last_made_on < person.latest_start:
        return "appointment", person.latest_start, APPOINTMENT, person.latest_appointment_id
    return ("annual", person.last_made_on + relativedelta(years=1), RETURN,
            person.last_return_id)


def _recorded(owed):
    """{(object type, id, milestone): the day it was first recorded} for the declaration
    reminders already in the ledger about these objects (one query)."""
    ids = defaultdict(set)
    for _, _, object_type, object_id in owed:
        ids[object_type].add(object_id)
    about = Q(pk__in=[])
    for object_type, object_ids in ids.items():
        about |= Q(object_type=object_type, object_id__in=object_ids)
    rows = (Notification.objects.filter(about, kind__in=[Kind.DECLARATION_DUE,
                                                         Kind.DECLARATION_OVERDUE])
            .values("object_type", "object_id", "milestone").annotate(first=Min("created_at")))
    return {(r["object_type"], r["object_id"], r["milestone"]): timezone.localdate(r["first"])
            for r in rows}


def declarations_due(today, digest_users):
    """Due to the leader once; overdue to the leader and HR a month after they were told."""
    for chunk in people_owing(today):
        owed = {person.pk: _owed(person) for person in chunk}
        recorded = _recorded(owed.values())
        due, overdue = [], []
        for person in chunk:
            reason, due_on, object_type, object_id = owed[person.pk]
            if (object_type, object_id, f"{reason}-overdue@{due_on}") in recorded:
                continue
            told_on = recorded.get((object_type, object_id, f"{reason}-due@{due_on}"))
            if told_on is None and person.work_email:
                due.append(person)
            elif today >= max(told_on or due_on, due_on) + GRACE:
                overdue.append(person)
        if not due and not overdue:
            continue
        held = defaultdict(list)
        for appointment in (Appointment.objects.in_force(today)
                            .filter(person__in=[p.pk for p in due + overdue])
                            .select_related("post").order_by("pk")):
            held[appointment.person_id].append(appointment)
        returns = DeclarationReturn.objects.in_bulk(
            [owed[p.pk][3] for p in due + overdue if owed[p.pk][2] == RETURN])
        hr = hr_of_appointments([a for p in overdue for a in held[p.pk]], digest_users)
        for person, kind in [*((p, Kind.DECLARATION_DUE) for p in due),
                             *((p, Kind.DECLARATION_OVERDUE) for p in overdue)]:
            reason, due_on, object_type, object_id = owed[person.pk]
            label = "due" if kind == Kind.DECLARATION_DUE else "overdue"
            context = {"person": person, "due_on": due_on, "template": kind,
                       "on_appointment": reason == "appointment"}
            if reason == "appointment":
                about = next(a for a in held[person.pk] if a.pk == object_id)
                context.update(post=about.post, subject=f"Declaration of interests {label}: "
                                                        f"{person} — {about.post}")
            else:
                about = returns[object_id]
                context.update(last=about, subject=f"Annual declaration of interests {label}: "
                                                   f"{person}")
            staff = [u for a in held[person.pk] for u in hr.get(a.pk, [])]
            for email, user in _recipients(person, staff,
                                           escalate=kind == Kind.DECLARATION_OVERDUE):
                yield Due(kind, f"{reason}-{label}@{due_on}", about, email, user, context)


# --- terms of reference -------------------------------------------------------------------------

TOR_NOTICE_DAYS = 30


def bodies_visible_to(user):
    """The bodies whose reminders the user may read: those they may see."""
    return Body.objects.visible_to(user).values("pk")


def terms_of_reference_reviews(today, digest_users):
    """From a month before a body's terms of reference fall due for their yearly review, to HR
    of the body's system, once per review. A review already overdue (terms last reviewed long
    before, or a sweep missed) is reminded on the next sweep, once; a new review moves the due
    date on, to a new milestone."""
    year_ago = today - relativedelta(years=1)
    bodies = (Body.objects.filter(
        tor_reviewed_on__lte=year_ago + datetime.timedelta(days=TOR_NOTICE_DAYS))
        .select_related("system").order_by("pk"))
    for chunk in chunks(bodies):
        hr = access.grant_holders("System", access.EDIT, {b.system_id for b in chunk})
        for body in chunk:
            context = {"body": body, "subject": f"Terms of reference review due: {body}"}
            for user in hr[body.system_id]:
                if user.pk not in digest_users:
                    yield Due(Kind.TOR_REVIEW, f"review@{body.tor_review_due_on}", body,
                              user.email.lower(), user, context)
