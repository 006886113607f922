"""The state changes of governance: seats on bodies, the actions of a plan, and the dated
progress updates that move an action's status. Each checks that ``by`` keeps this system's
governance (HR or the CMO/CNO office), writes with ``by`` in the history, in one transaction.

Declarations of interest are made by the person themself, or recorded for them by HR who keep
their record (and say so): each change is a new return, so nothing declared is ever lost."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from appointments.models import Appointment, Person

from .models import (
    NO_OWNER,
    PUBLISHED_AFTER_END,
    Action,
    ActionUpdate,
    Attendance,
    Body,
    DeclarationReturn,
    Framework,
    Interest,
    Meeting,
    QuorumRule,
    Status,
    declarants,
)


def _must_keep(queryset, obj, by):
    if not queryset.editable_by(by).filter(pk=obj.pk).exists():
        raise PermissionDenied("You cannot change the governance of this system.")


@transaction.atomic
def add_seat(*, seat, by):
    """Give a post a seat on a body (validated by the form): whoever holds the post sits there."""
    _must_keep(Body.objects, seat.body, by)
    seat.full_clean()
    seat._history_user = by
    seat.save()
    return seat


@transaction.atomic
def remove_seat(*, seat, by):
    _must_keep(Body.objects, seat.body, by)
    seat._history_user = by
    seat.delete()


@transaction.atomic
def save_action(*, action, owner_posts, owner_bodies, by):
    """Save a new or changed action of a framework's plan (its fields validated by the form)
    with the posts and bodies that own it: at least one, all of the framework's system. An
    owner left out no longer owns it; the history keeps who did."""
    framework = action.priority.framework
    _must_keep(Framework.objects, framework, by)
    owner_posts, owner_bodies = list(owner_posts), list(owner_bodies)
    errors = {}
    try:
        action.full_clean()
    except ValidationError as error:
        errors.update(error.message_dict)
    if not owner_posts and not owner_bodies:
        errors["owner_posts"] = [NO_OWNER]
    elif any(owner.system_id != framework.system_id for owner in [*owner_posts, *owner_bodies]):
        errors["owner_posts"] = ["Every owner must be a post or body of this system."]
    if errors:
        raise ValidationError(errors)
    action._history_user = by
    action.save()
    action.owner_posts.set(owner_posts)
    action.owner_bodies.set(owner_bodies)
    return action


@transaction.atomic
def record_update(*, action, status, note, on=None, by):
    """Add a dated progress update; the action takes the status of the latest one."""
    _must_keep(Action.objects, action, by)
    on = on or timezone.localdate()
    errors = {}
    if not (note or "").strip():
        errors["note"] = "Enter what has happened since the last update."
    if on > timezone.localdate():
        errors["on"] = "The date of an update cannot be in the future."
    if status not in Status.values:
        errors["status"] = "Select the status."
    if errors:
        raise ValidationError(errors)
    action = Action.objects.select_for_update().get(pk=action.pk)
    update = ActionUpdate.objects.create(action=action, on=on, status=status, note=note.strip(),
                                         by=by)
    latest = action.updates.order_by("-on", "-recorded_at", "-pk").first()
    if latest.pk == update.pk and action.status != status:
        action.status = status
        action._history_user = by
        action.save(update_fields=["status"])
    return update


# --- declarations of interest ----------------------------------------------------------------

INTEREST_FIELDS = ("kind", "description", "organisation", "from_date", "to_date",
                   "action_taken", "publish")


def _declaring(person, by):
    """Lock the person's declarations and say whether ``by`` records for them (HR) rather than
    being them; refuse anyone else."""
    if not declarants(by).filter(pk=person.pk).exists():
        raise PermissionDenied("You cannot make declarations for this person.")
    person = Person.objects.select_for_update().get(pk=person.pk)
    return person, person.user_id != by.pk


def latest_return(person):
    return person.declaration_returns.order_by("-made_on", "-pk").first()


def reason_for(person, latest, *, change, on):
    """Why a return made today is made: on appointment while none has been made since the
    person's latest term started; otherwise a change, or the annual declaration."""
    started = (Appointment.objects.in_force(on).filter(person=person)
               .order_by("-start_date").values_list("start_date", flat=True).first())
    if started is not None and (latest is None or latest.made_on < started):
        return DeclarationReturn.Reason.APPOINTMENT
    return DeclarationReturn.Reason.CHANGE if change else DeclarationReturn.Reason.ANNUAL


def _carried(latest, on):
    """The interests of the latest return that a new one carries on: those still held, and
    those ended recently enough to stay on the published register."""
    if latest is None:
        return []
    return [i for i in latest.interests.all()
            if i.to_date is None or i.to_date >= on - PUBLISHED_AFTER_END]


def _validated(fields, *, first_declared_on=None):
    interest = Interest(**{name: fields.get(name) for name in INTEREST_FIELDS
                           if name in fields})
    interest.description = (interest.description or "").strip()
    interest.organisation = (interest.organisation or "").strip()
    interest.action_taken = (interest.action_taken or "").strip()
    interest.publish = bool(interest.publish)
    interest.first_declared_on = first_declared_on or timezone.localdate()
    errors = {}
    try:
        interest.full_clean(exclude=["declaration_return"])
    except ValidationError as error:
        errors.update(error.message_dict)
    for name, message in (("description", "Describe the interest."),
                          ("organisation", "Enter the organisation or party concerned.")):
        if not getattr(interest, name):
            errors[name] = [message]
    if errors:
        raise ValidationError(errors)
    return interest


def _new_return(person, latest, interests, *, change, on_behalf, by, nil=False):
    on = timezone.localdate()
    made = DeclarationReturn.objects.create(
        person=person, made_on=on, reason=reason_for(person, latest, change=change, on=on),
        is_nil=nil, recorded_by=by, on_behalf=on_behalf)
    for interest in interests:
        interest.pk = None
        interest.declaration_return = made
    Interest.objects.bulk_create(interests)
    return made


def _copy(interest):
    return Interest(**{name: getattr(interest, name) for name in INTEREST_FIELDS},
                    first_declared_on=interest.first_declared_on)


@transaction.atomic
def declare_interest(*, person, by, **fields):
    """Add an interest to the person's declaration: a new return with it and every interest
    still declared."""
    person, on_behalf = _declaring(person, by)
    interest = _validated(fields)
    latest = latest_return(person)
    kept = [_copy(i) for i in _carried(latest, timezone.localdate())]
    return _new_return(person, latest, [*kept, interest], change=True, on_behalf=on_behalf,
                       by=by)


def _latest_holding(interest, by):
    person, on_behalf = _declaring(interest.declaration_return.person, by)
    latest = latest_return(person)
    if latest is None or latest.pk != interest.declaration_return_id:
        raise ValidationError("This interest has been changed since: start from the latest "
                              "declaration.")
    return person, on_behalf, latest


@transaction.atomic
def change_interest(*, interest, by, **fields):
    """Change an interest of the latest declaration: a new return with the interest as it is
    now; the earlier return keeps it as it was."""
    person, on_behalf, latest = _latest_holding(interest, by)
    changed = _validated(fields, first_declared_on=interest.first_declared_on)
    interests = [changed if i.pk == interest.pk else _copy(i)
                 for i in _carried(latest, timezone.localdate()) or [interest]]
    if not any(i is changed for i in interests):
        interests.append(changed)
    return _new_return(person, latest, interests, change=True, on_behalf=on_behalf, by=by)


@transaction.atomic
def end_interest(*, interest, to_date, by):
    """Record the last day an interest was held (a new return)."""
    if to_date is None:
        raise ValidationError({"to_date": "Enter the last day the interest was held."})
    if to_date > timezone.localdate():
        raise ValidationError({"to_date": "The last day cannot be in the future: end the "
                                          "interest once it has ended."})
    fields = {name: getattr(interest, name) for name in INTEREST_FIELDS}
    return change_interest(interest=interest, by=by, **{**fields, "to_date": to_date})


@transaction.atomic
def confirm_declaration(*, person, by):
    """Confirm the declaration as it stands (on appointment or for the year): a return with the
    interests still declared, or a nil return when there are none."""
    person, on_behalf = _declaring(person, by)
    latest = latest_return(person)
    kept = [_copy(i) for i in _carried(latest, timezone.localdate())]
    today = timezone.localdate()
    return _new_return(person, latest, kept, change=False, on_behalf=on_behalf, by=by,
                       nil=not any(i.is_held(today) for i in kept))


# --- meetings, attendance and quorum ---------------------------------------------------------

RULE_FIELDS = ("fraction", "minimum", "executives", "clinicians", "lay_members",
               "deputies_count")


@transaction.atomic
def save_terms(*, body, terms_of_reference, tor_reviewed_on, rule, by):
    """Record the body's terms of reference, the day they were last reviewed and its quorum
    rule (``rule``: the rule's fields by name)."""
    _must_keep(Body.objects, body, by)
    body = Body.objects.select_for_update().get(pk=body.pk)
    errors = {}
    if tor_reviewed_on and tor_reviewed_on > timezone.localdate():
        errors["tor_reviewed_on"] = ["The review cannot be in the future."]
    quorum = QuorumRule.objects.filter(body=body).first() or QuorumRule(body=body)
    for name in RULE_FIELDS:
        setattr(quorum, name, rule[name])
    try:
        quorum.full_clean()
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    body.terms_of_reference = (terms_of_reference or "").strip()
    body.tor_reviewed_on = tor_reviewed_on
    body._history_user = quorum._history_user = by
    body.save(update_fields=["terms_of_reference", "tor_reviewed_on"])
    quorum.save()
    return body


def members_on(body, day):
    """[(seat, member's name, first holder or None)] for the seats of ``body`` held on ``day``:
    a post's holders in force that day (co-leads together), or the named holder of a seat not
    filled by a post. A vacant seat has no member to attend."""
    seats = list(body.seats.select_related("post").order_by("-voting", "role", "pk"))
    holders = body.holders_on(day)
    members = []
    for seat in seats:
        if not seat.post_id:
            members.append((seat, seat.holder_name, None))
        elif holders.get(seat.post_id):
            people = holders[seat.post_id]
            members.append((seat, " and ".join(p.full_name for p in people), people[0]))
    return members


@transaction.atomic
def record_meeting(*, body, held_on, title, attendance, by):
    """Record a meeting of the body with who attended from each seat held that day.
    ``attendance`` is {seat id: (status, deputy's name)} for every such seat; a deputy is
    named, and only a deputy. Nothing is written unless all of it is right."""
    _must_keep(Body.objects, body, by)
    body = Body.objects.select_for_update().get(pk=body.pk)
    errors = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = ["Enter the title of the meeting."]
    if held_on is None:
        errors["held_on"] = ["Enter the date of the meeting."]
    elif held_on > timezone.localdate():
        errors["held_on"] = ["Attendance is recorded after the meeting: the date cannot be in "
                             "the future."]
    rows = []
    for seat, member, person in members_on(body, held_on or timezone.localdate()):
        status, deputy = attendance.get(seat.pk, ("", ""))
        deputy = (deputy or "").strip()
        if status not in Attendance.Status.values:
            errors[f"seat_{seat.pk}"] = [f"Select whether {member} attended."]
        elif status == Attendance.Status.DEPUTY and not deputy:
            errors[f"seat_{seat.pk}_deputy"] = [f"Enter the name of the deputy {member} sent."]
        elif status != Attendance.Status.DEPUTY and deputy:
            errors[f"seat_{seat.pk}_deputy"] = [f"Name a deputy only if {member} sent one."]
        rows.append(Attendance(seat=seat, person=person, member=member, seat_title=seat.title,
                               voting=seat.voting, executive=seat.executive,
                               clinical=seat.clinical, lay=seat.lay, status=status,
                               deputy_name=deputy if status == Attendance.Status.DEPUTY
                               else ""))
    if not rows and not errors:
        errors["title"] = ["Nobody held a seat on the body that day: there is no attendance "
                           "to record."]
    if errors:
        raise ValidationError(errors)
    meeting = Meeting(body=body, held_on=held_on, title=title, recorded_by=by)
    meeting._history_user = by
    meeting.save()
    for row in rows:
        row.meeting = meeting
    bulk_create_with_history(rows, Attendance, default_user=by)
    return meeting


@transaction.atomic
def correct_attendance(*, meeting, title, attendance, reason, by):
    """Correct a recorded meeting: its title and whether each member recorded that day
    attended. ``attendance`` is {attendance id: (status, deputy's name)} for every row; the
    members themselves are what the record says they were that day and are not changed. Each
    changed row keeps its earlier state in the history, with who corrected it, when and
    ``reason``. Nothing is written unless all of it is right and something changed."""
    _must_keep(Body.objects, meeting.body, by)
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    rows = list(meeting.attendances.select_for_update().order_by("pk"))
    errors = {}
    title = (title or "").strip()
    reason = (reason or "").strip()
    if not title:
        errors["title"] = ["Enter the title of the meeting."]
    if not reason:
        errors["reason"] = ["Enter why the record is corrected."]
    elif len(reason) > 100:
        errors["reason"] = ["Say why the record is corrected in 100 characters or fewer."]
    changed = []
    for row in rows:
        status, deputy = attendance.get(row.pk, ("", ""))
        deputy = (deputy or "").strip()
        if status not in Attendance.Status.values:
            errors[f"attendance_{row.pk}"] = [f"Select whether {row.member} attended."]
        elif status == Attendance.Status.DEPUTY and not deputy:
            errors[f"attendance_{row.pk}_deputy"] = [
                f"Enter the name of the deputy {row.member} sent."]
        elif status != Attendance.Status.DEPUTY and deputy:
            errors[f"attendance_{row.pk}_deputy"] = [
                f"Name a deputy only if {row.member} sent one."]
        elif (status, deputy) != (row.status, row.deputy_name):
            row.status, row.deputy_name = status, deputy
            changed.append(row)
    if not errors and not changed and title == meeting.title:
        errors["reason"] = ["Nothing was changed: correct the title or someone's attendance, "
                            "or cancel."]
    if errors:
        raise ValidationError(errors)
    if title != meeting.title:
        meeting.title = title
        meeting._history_user = by
        meeting._change_reason = reason
        meeting.save(update_fields=["title"])
    if changed:
        bulk_update_with_history(changed, Attendance, ["status", "deputy_name"],
                                 default_user=by, default_change_reason=reason)
    return meeting
