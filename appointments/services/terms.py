"""The terms of appointments: appoint, extend, end early, cease, bulk extension and cessation,
and the decision at the end of a term.

``appoint`` and ``extend`` record what has been authorised: the browser's pages reach them only
through approvals.py (the route's parties agreed, an outside agreement was recorded, or an
administrator overrode), the recruitment flow (an approved vacancy), or the import and demo of
an existing register.

Each one validates, writes and records history in one transaction, so the admin, the browser app
and the API all go through the same rules. The acting user is always passed as ``by``.
"""

import datetime
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from roles.models import Post

from .. import duties, hooks
from ..models import Appointment, BulkChange, Extension, TermEndDecision, Vacancy

# approvals makes what is agreed through these services, and a term-end decision opens its
# request there: the two modules name each other, and neither uses the other while loading.
from . import approvals, contracts


def default_end_date(post, start_date):
    """The last day of a default term starting on ``start_date``."""
    return start_date + relativedelta(months=post.default_term_months) - datetime.timedelta(days=1)


def _lock_post(post_id):
    # Serialises every change to the terms of one post, so two HR officers appointing to the same
    # post at once cannot both pass the WTE check.
    return Post.objects.select_for_update().get(pk=post_id)


def _save(instance, by):
    instance._history_user = by
    instance.save()
    return instance


@transaction.atomic
def appoint(*, post, person, start_date, end_date=None, wte=None, honorarium_share=None,
            status=Appointment.Status.ACTIVE, agreement_parties="",
            contract_type=Appointment.ContractType.FIXED_TERM, covers=None,
            home_organisation=None, consent=None, by):
    """Appoint ``person`` to ``post``. The term, WTE and honorarium share default from the post
    (cover: from the appointment it covers). A permanent appointment has no end date. Above the
    commitment ceiling of the post's system the appointment needs ``consent``
    (``contracts.Consent``)."""
    post = _lock_post(post.pk)
    Type = Appointment.ContractType
    if contract_type != Type.PERMANENT and not end_date and start_date:
        end_date = covers.end_date if covers is not None and contract_type == Type.COVER \
            else default_end_date(post, start_date)
    appointment = Appointment(
        post=post,
        person=person,
        contract_type=contract_type,
        covers=covers if contract_type == Type.COVER else None,
        home_organisation=home_organisation if contract_type == Type.SECONDMENT else None,
        start_date=start_date,
        end_date=end_date,
        wte=post.wte if wte is None else wte,
        honorarium_share=(
            honorarium_share if honorarium_share is not None
            else (post.honorarium or 0) if not post.job_share_allowed
            and contract_type != Type.COVER else 0
        ),
        status=status,
        agreement_parties=agreement_parties,
    )
    if contract_type == Type.COVER and covers is not None and wte is None:
        appointment.wte = covers.wte
    appointment.status = contracts.status_for(appointment)
    appointment.full_clean()
    refused = duties.refusals(person, post)
    if refused:
        raise ValidationError({"person": refused})
    _save(appointment, by)
    contracts.check_commitments(appointment, start=start_date, end=appointment.end_date,
                                consent=consent, field="wte", by=by)
    return appointment


@transaction.atomic
def extend(*, appointment, new_end_date, reason, agreed_by, agreed_on=None, by, bulk_change=None,
           consent=None):
    """Move the end of the term later, keeping the old end on record as a numbered extension.
    An ended term extended to a day still to come is active again. Above the commitment ceiling
    of the post's system the extension needs ``consent`` (``contracts.Consent``)."""
    _lock_post(appointment.post_id)
    appointment = (Appointment.objects.select_for_update(of=("self",))
                   .select_related("post__role_type", "post__system").get(pk=appointment.pk))
    errors = extension_errors(appointment, new_end_date)
    if not reason.strip():
        errors["reason"] = "Enter the reason for the extension."
    if not agreed_by.strip():
        errors["agreed_by"] = "Enter who agreed the extension."
    if errors:
        raise ValidationError(errors)
    old_end = appointment.end_date
    appointment.end_date = new_end_date
    appointment.status = contracts.status_for(appointment)
    appointment.full_clean()  # the longer term must still fit the post
    _save(appointment, by)
    extension = Extension(
        appointment=appointment,
        number=appointment.extensions.count() + 1,
        old_end_date=old_end,
        new_end_date=new_end_date,
        reason=reason.strip(),
        agreed_by=agreed_by.strip(),
        agreed_on=agreed_on or timezone.localdate(),
        recorded_by=by,
        bulk_change=bulk_change,
    )
    extension.full_clean()
    _save(extension, by)
    contracts.check_commitments(appointment, start=old_end + datetime.timedelta(days=1),
                                end=new_end_date, consent=consent, field="new_end_date", by=by,
                                extension=extension)
    return extension


def extension_errors(appointment, new_end_date):
    """Why ``appointment`` cannot be extended to ``new_end_date``, as field → message."""
    if appointment.is_closed:
        return {"new_end_date": "This appointment has been ended; it cannot be extended."}
    if appointment.is_permanent:
        return {"new_end_date": "A permanent appointment has no end date to extend."}
    if appointment.status == Appointment.Status.OFFERED:
        return {"new_end_date": "This appointment has only been offered; it can be extended "
                                "once the offer is accepted."}
    if new_end_date is None:
        return {"new_end_date": "Enter the new end date."}
    if new_end_date <= appointment.end_date:
        return {"new_end_date": (
            f"The new end date must be after the current end of the term "
            f"({appointment.end_date:%-d %B %Y})."
        )}
    role_type = appointment.post.role_type
    latest = role_type.latest_extension_to(appointment.end_date)
    if new_end_date > latest:
        return {"new_end_date": (
            f"{role_type} terms are extended by at most {role_type.max_extension_months} months "
            f"at a time: the new end date can be {latest:%-d %B %Y} at the latest."
        )}
    return {}


@transaction.atomic
def end_early(*, appointment, on, reason, by):
    """End the appointment before its term is up (resignation, change of role...)."""
    return _close(appointment, on=on, reason=reason, status=Appointment.Status.ENDED, by=by)


@transaction.atomic
def cease(*, appointment, on, reason, by):
    """Cease the appointment on a date, typically when the role itself is not continued."""
    return _close(appointment, on=on, reason=reason, status=Appointment.Status.CEASED, by=by)


def closure_errors(appointment, on):
    if appointment.is_closed:
        return {"on": "This appointment has already been ended."}
    if on is None:
        return {"on": "Enter the last day of the appointment."}
    if on <= appointment.start_date:
        return {"on": (
            f"The last day must be after the appointment starts "
            f"({appointment.start_date:%-d %B %Y})."
        )}
    if appointment.end_date is not None and on > appointment.end_date:
        return {"on": (
            f"The last day must be on or before the current end of the term "
            f"({appointment.end_date:%-d %B %Y}); to move it later, extend the appointment."
        )}
    cover = (appointment.covered_by.exclude(status__in=Appointment.CLOSED)
             .filter(end_date__gt=on).select_related("person").first())
    if cover is not None:
        return {"on": (
            f"{cover.person} covers this appointment until {cover.end_date:%-d %B %Y}: end the "
            "cover first, or end this appointment on or after that day."
        )}
    return {}


def _close(appointment, *, on, reason, status, by):
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    errors = closure_errors(appointment, on)
    if not reason.strip():
        errors["reason"] = "Enter why the appointment ends."
    if errors:
        raise ValidationError(errors)
    appointment.scheduled_end_date = appointment.end_date
    appointment.end_date = on
    appointment.status = status
    appointment.end_reason = reason.strip()
    appointment.end_recorded_at = timezone.now()
    appointment.end_recorded_by = by
    appointment.full_clean()
    return _save(appointment, by)


# --- Bulk extension --------------------------------------------------------------------------

@dataclass
class PlannedChange:
    appointment: Appointment
    old_end_date: datetime.date
    new_end_date: datetime.date
    error: str = ""

    @property
    def is_valid(self):
        return not self.error


@dataclass
class BulkPlan:
    """What a bulk extension or cessation would do, row by row, before anything is written."""

    kind: str
    on_date: datetime.date
    changes: list[PlannedChange] = field(default_factory=list)

    @property
    def errors(self):
        return [c for c in self.changes if not c.is_valid]

    @property
    def is_valid(self):
        return bool(self.changes) and not self.errors


def plan_bulk_change(*, appointments, kind, on_date):
    """Preview a bulk change: for every appointment, its end before and after, or why not."""
    plan = BulkPlan(kind=kind, on_date=on_date)
    appointments = list(appointments)
    over_ceiling = contracts.ceiling_errors(
        [(a, on_date) for a in appointments]) if kind == BulkChange.Kind.EXTEND else {}
    for appointment in appointments:
        if kind == BulkChange.Kind.EXTEND:
            problems = extension_errors(appointment, on_date) or over_ceiling.get(appointment.pk,
                                                                                  {})
        else:
            problems = closure_errors(appointment, on_date)
        plan.changes.append(PlannedChange(
            appointment=appointment,
            old_end_date=appointment.end_date,
            new_end_date=on_date,
            error=" ".join(problems.values()),
        ))
    return plan


@transaction.atomic
def apply_bulk_change(*, appointments, kind, on_date, reason, agreed_by, agreed_on, by,
                      progress=None):
    """Apply a bulk extension (every term to end on ``on_date``) or cessation (every
    appointment ceases on ``on_date``) to all the appointments, or to none of them.

    Raises ValidationError naming every appointment that cannot take the change. ``progress``,
    if given, is called with (done, total) as the batch is checked."""
    progress = progress or (lambda done, total: None)
    ids = sorted(a.pk for a in appointments)
    locked = list(
        Appointment.objects.select_for_update(of=("self",)).filter(pk__in=ids)
        .select_related("post__role_type", "person")
    )
    plan = plan_bulk_change(appointments=locked, kind=kind, on_date=on_date)
    errors = [f"{c.appointment}: {c.error}" for c in plan.errors]
    if not reason.strip():
        errors.append("Enter the reason for the change.")
    if not agreed_by.strip():
        errors.append("Enter who agreed the change.")
    if not locked:
        errors.append("Choose at least one appointment.")
    if errors:
        raise ValidationError(errors)

    batch = BulkChange.objects.create(
        kind=kind, on_date=on_date, reason=reason.strip(), agreed_by=agreed_by.strip(),
        agreed_on=agreed_on, recorded_by=by, appointment_count=len(locked),
    )
    batch.appointments.set(locked)
    progress(0, len(locked))
    if kind == BulkChange.Kind.EXTEND:
        _extend_all(locked, batch, by=by, progress=progress)
    else:
        _cease_all(locked, batch, by=by)
    progress(len(locked), len(locked))
    return batch


def _extend_all(appointments, batch, *, by, progress):
    """Move every term's end to the batch's date, each with its numbered Extension."""
    now = timezone.now()
    next_number = _next_extension_numbers([a.pk for a in appointments])
    extensions = [
        Extension(
            appointment=a, number=next_number[a.pk], old_end_date=a.end_date,
            new_end_date=batch.on_date, reason=batch.reason, agreed_by=batch.agreed_by,
            agreed_on=batch.agreed_on, recorded_by=by, recorded_at=now, bulk_change=batch,
        )
        for a in appointments
    ]
    for a in appointments:
        a.end_date = batch.on_date
        a.status = contracts.status_for(a)
    bulk_update_with_history(appointments, Appointment, ["end_date", "status"], default_user=by,
                             default_change_reason=f"Bulk extension #{batch.pk}")
    # Checked after every end has moved, so co-leads extended together are seen together;
    # a failure rolls the whole batch back.
    _check_terms_fit(appointments, progress)
    bulk_create_with_history(extensions, Extension, default_user=by,
                             default_change_reason=f"Bulk extension #{batch.pk}")


def _cease_all(appointments, batch, *, by):
    """Every appointment ceases on the batch's date, for the batch's reason."""
    now = timezone.now()
    for a in appointments:
        a.scheduled_end_date = a.end_date
        a.end_date = batch.on_date
        a.status = Appointment.Status.CEASED
        a.end_reason = batch.reason
        a.end_recorded_at = now
        a.end_recorded_by = by
    bulk_update_with_history(
        appointments, Appointment,
        ["scheduled_end_date", "end_date", "status", "end_reason", "end_recorded_at",
         "end_recorded_by"],
        default_user=by, default_change_reason=f"Bulk cessation #{batch.pk}",
    )


def _next_extension_numbers(appointment_ids):
    last = dict(
        Extension.objects.filter(appointment_id__in=appointment_ids)
        .values("appointment_id").annotate(n=Max("number")).values_list("appointment_id", "n")
    )
    return {pk: (last.get(pk) or 0) + 1 for pk in appointment_ids}


def _check_terms_fit(appointments, progress):
    """Longer terms must still fit their posts alongside everyone else's."""
    errors = []
    for done, appointment in enumerate(appointments, start=1):
        problems = appointment._collisions()
        if problems:
            errors.append(f"{appointment}: {' '.join(problems.values())}")
        if done % 50 == 0:
            progress(done, len(appointments))
    if errors:
        raise ValidationError(errors)


# --- Term-end decisions ----------------------------------------------------------------------

@transaction.atomic
def decide_term_end(*, appointment, outcome, proposed_end_date=None, note="", bulk_change=None,
                    consent=None, notify=True, by):
    """Record what happens at the end of the term. A proposed extension is a request to the
    parties of the system's approval route (services/approvals.py), agreed at once only if the
    decider is every party; re-advertising opens a vacancy on the post, whose approval to
    recruit is asked for likewise; letting the term end closes it (at once if its last day has
    passed, otherwise the daily sweep does the day after it). A new decision replaces any
    earlier one about the same end date, and withdraws what it asked for. ``notify=False`` leaves
    telling the parties of a proposed extension to the caller (who tells them only if it is left
    awaiting them)."""
    appointment = (Appointment.objects.select_for_update(of=("self",))
                   .select_related("post__role_type").get(pk=appointment.pk))
    Outcome, Status = TermEndDecision.Outcome, TermEndDecision.Status
    errors = {}
    if appointment.is_closed:
        errors["outcome"] = "This appointment has already been ended."
    elif appointment.is_permanent:
        errors["outcome"] = "A permanent appointment has no end of term to decide on."
    elif outcome == Outcome.EXTEND:
        problems = extension_errors(appointment, proposed_end_date)
        if problems:
            errors["proposed_end_date"] = " ".join(problems.values())
    if errors:
        raise ValidationError(errors)

    earlier = TermEndDecision.objects.standing().filter(
        appointment=appointment, term_end_date=appointment.end_date
    )
    for previous in earlier:
        previous.status = Status.SUPERSEDED
        _save(previous, by)
        if hasattr(previous, "approval"):
            approvals.withdraw(request=previous.approval, by=by)

    decision = TermEndDecision(
        appointment=appointment, outcome=outcome, term_end_date=appointment.end_date,
        proposed_end_date=proposed_end_date if outcome == Outcome.EXTEND else None,
        note=note.strip(), decided_by=by,
        status=Status.PENDING if outcome == Outcome.EXTEND else Status.AGREED,
    )
    if outcome == Outcome.READVERTISE:
        decision.vacancy = _save(Vacancy(
            post=appointment.post, opened_by=by,
            reason=f"Re-advertised at the end of {appointment.person}'s term "
                   f"({appointment.end_date:%-d %B %Y}).",
        ), by)
        approvals.open_for_vacancy(vacancy=decision.vacancy, by=by)
    _save(decision, by)
    if outcome == Outcome.LET_END:
        contracts.let_term_end(appointment, by=by)
    if outcome == Outcome.EXTEND:
        approvals.open_for_decision(decision=decision, by=by, bulk_change=bulk_change,
                                    consent=consent, notify=notify)
        decision.refresh_from_db()
    return decision


def extension_warnings(appointment):
    """What HR should know before extending: whatever the apps built on appointments say (an
    extension is usually subject to a satisfactory annual appraisal), and that role types may
    cap the number of extensions."""
    warnings = hooks.extension_warnings(appointment)
    cap = appointment.post.role_type.max_extensions
    count = appointment.extensions.count()
    if cap is not None and count >= cap:
        warnings.append(
            f"{appointment.post.role_type} appointments are usually extended at most {cap} "
            f"time{'s' if cap != 1 else ''}; this one has been extended {count} "
            f"time{'s' if count != 1 else ''}."
        )
    return warnings
