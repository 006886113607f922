"""Every step of a 360° cycle, each one function that checks who may do it and when, writes, and
queues what it makes due, in one transaction."""

import datetime
from collections import Counter

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from appointments.models import Appointment
from appointments.services import grant_appointment_view
from ccpl.models import Notification
from ccpl.notifications import Due, notify_now, record_and_send
from ccpl.private_links import token_fits

from .models import (
    REDACTED_TEXT,
    Answer,
    Cycle,
    Group,
    QuestionnaireTemplate,
    Rater,
    Redaction,
    Response,
    hash_token,
)

Stage = Cycle.Stage
DEFAULT_TEMPLATE = "NHS Healthcare Leadership Model"
ROTATION_LIMIT = getattr(settings, "APPRAISER_ROTATION_LIMIT", 2)
ROTATION_YEARS = getattr(settings, "APPRAISER_ROTATION_YEARS", 5)


def default_appraiser(appointment, on=None):
    """The account of whoever holds the post this one is responsible to."""
    responsible_to = appointment.post.responsible_to_id
    if responsible_to is None:
        return None
    holder = (Appointment.objects.in_force(on).filter(post_id=responsible_to)
              .select_related("person__user").order_by("start_date").first())
    return holder.person.user if holder and holder.person.user_id else None


def rotation_warning(cycle):
    """The same appraiser for the same leader more than ROTATION_LIMIT times in ROTATION_YEARS
    years is flagged: fresh eyes are part of a fair appraisal."""
    since = cycle.opened_on - relativedelta(years=ROTATION_YEARS)
    count = Cycle.objects.filter(appointment__person=cycle.appointment.person,
                                 appraiser=cycle.appraiser, opened_on__gt=since,
                                 opened_on__lte=cycle.opened_on).count()
    if count > ROTATION_LIMIT:
        return (f"{cycle.appraiser.get_full_name()} has appraised {cycle.leader} {count} times in "
                f"the last {ROTATION_YEARS} years; the usual limit is {ROTATION_LIMIT}. "
                "Consider another appraiser.")
    return ""


@transaction.atomic
def open_cycle(*, appointment, by, appraiser=None, closes_on=None, template_version=None,
               today=None):
    today = today or timezone.localdate()
    appraiser = appraiser or default_appraiser(appointment, today)
    errors = {}
    if appointment.person.user_id is None:
        errors["appointment"] = (f"{appointment.person} has no account yet: invite them first, "
                                 "so they can complete their self-assessment.")
    if appraiser is None:
        errors["appraiser"] = "Choose the appraiser: nobody with an account holds the post this "\
                              "one is responsible to."
    elif appraiser.pk == appointment.person.user_id:
        errors["appraiser"] = "Leaders cannot appraise themselves."
    if appointment.is_closed or appointment.has_term_ended:
        errors["appointment"] = "The term has ended: a 360° appraisal is for a term still held."
    elif Cycle.objects.filter(appointment=appointment).in_progress().exists():
        errors["appointment"] = "This appointment already has a 360° appraisal in progress."
    closes_on = closes_on or today + Cycle.DEFAULT_LENGTH
    if closes_on <= today:
        errors["closes_on"] = "The closing date must be in the future."
    if template_version is None:
        template = QuestionnaireTemplate.objects.filter(name=DEFAULT_TEMPLATE).first()
        template_version = template.current_version() if template else None
        if template_version is None:
            errors["template_version"] = "No published questionnaire: publish one in the admin."
    if errors:
        raise ValidationError(errors)
    cycle = Cycle.objects.create(appointment=appointment, appraiser=appraiser, opened_by=by,
                                 opened_on=today, closes_on=closes_on,
                                 template_version=template_version)
    # The appraiser sees the appointment of the leader they appraise, and nothing else.
    grant_appointment_view(users_and_appointments=[(appraiser, appointment)])
    _tell(cycle, Notification.Kind.APPRAISAL_DUE, f"opened-{cycle.pk}", cycle.leader.user,
          subject=f"Your 360° appraisal has started: {appointment.post}",
          template="cycle_opened")
    return cycle


def _tell(cycle, kind, milestone, user, *, subject, template):
    if user is None:
        return None
    return notify_now(kind=kind, milestone=milestone, obj=cycle, email=user.email, user=user,
                      context={"subject": subject, "cycle": cycle, "template": template})


# --- The leader: self-assessment and nominations ----------------------------------------------

def _require(condition, message):
    """A rule about when (the stage, what has been done): refused as a ValidationError."""
    if not condition:
        raise ValidationError(message)


def _must_be(condition, message):
    """A rule about who: refused as PermissionDenied, however the step was reached."""
    if not condition:
        raise PermissionDenied(message)


def answers_errors(cycle, answers, submit):
    """Every statement answered (a value on the scale or not observed) before submitting."""
    statements = {s.pk for d in cycle.template_version.dimensions.all() for s in
                  d.statements.all()}
    allowed = set(cycle.template_version.scale_values)
    for statement_id, value in answers.items():
        if statement_id not in statements or (value is not None and value not in allowed):
            return ["That answer is not on the questionnaire's scale."]
    if submit:
        missing = statements - set(answers)
        if missing:
            return [f"Answer every statement before you submit: {len(missing)} still to answer "
                    "(choose 'not observed' if you have not seen it)."]
    return []


@transaction.atomic
def save_self_assessment(*, cycle, answers, keep_doing="", do_differently="", submit, by):
    cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
    _must_be(by.pk == cycle.leader.user_id, "Only the leader completes the self-assessment.")
    _require(cycle.self_submitted_at is None, "The self-assessment has already been submitted.")
    _require(cycle.is_in_progress, "This appraisal is closed.")
    problems = answers_errors(cycle, answers, submit)
    if problems:
        raise ValidationError(problems)
    response, _ = Response.objects.get_or_create(cycle=cycle, is_self=True)
    response.keep_doing, response.do_differently = keep_doing.strip(), do_differently.strip()
    response.save()
    _store_answers(response, answers)
    if submit:
        cycle.self_submitted_at = timezone.now()
        cycle.save(update_fields=["self_submitted_at"])
    return response


def _store_answers(response, answers):
    response.answers.all().delete()
    Answer.objects.bulk_create([Answer(response=response, statement_id=statement, value=value)
                                for statement, value in answers.items()])


def nomination_gaps(cycle, raters=None):
    """What is still missing before the nominations can go to the appraiser."""
    raters = raters if raters is not None else list(
        cycle.raters.exclude(status=Rater.Status.REVOKED))
    gaps = []
    for group in Group:
        have = sum(1 for r in raters if r.group == group)
        need = cycle.minimum(group)
        if have < need:
            gaps.append(f"{group.label}: add {need - have} more (at least {need}).")
    if len(raters) < cycle.min_total:
        gaps.append(f"In all: add {cycle.min_total - len(raters)} more (at least "
                    f"{cycle.min_total}).")
    return gaps


@transaction.atomic
def nominate(*, cycle, group, name, email, organisation="", by):
    cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
    can = cycle.actions_for(by)
    _must_be(can.is_leader or can.is_appraiser,
             "Only the leader or the appraiser can nominate raters.")
    _require(can.nominate, "Nominations can no longer be changed.")
    is_appraiser, is_leader = can.is_appraiser, can.is_leader
    email = email.strip().lower()
    errors = {}
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = "Enter an e-mail address like name@nhs.net."
    if not errors:
        own = {cycle.leader.work_email.lower(), (cycle.leader.user.email if
                                                 cycle.leader.user else "")}
        if email in own:
            errors["email"] = "You cannot nominate yourself: the self-assessment is your view."
        elif cycle.raters.filter(email__iexact=email).exists():
            errors["email"] = "This person is already nominated."
    if group not in Group.values:
        errors["group"] = "Select the group the rater belongs to."
    if not name.strip():
        errors["name"] = "Enter the rater's name."
    if errors:
        raise ValidationError(errors)
    return Rater.objects.create(cycle=cycle, group=group, name=name.strip(), email=email,
                                organisation=organisation.strip(),
                                added_by_appraiser=is_appraiser and not is_leader)


@transaction.atomic
def remove_nomination(*, rater, by):
    cycle = Cycle.objects.select_for_update().get(pk=rater.cycle_id)
    can = cycle.actions_for(by)
    _must_be(can.is_leader or can.is_appraiser,
             "Only the leader or the appraiser can remove a nomination.")
    _require(can.nominate, "Nominations can no longer be changed.")
    _require(rater.status == Rater.Status.NOMINATED, "This rater has already been invited.")
    rater.delete()


@transaction.atomic
def submit_nominations(*, cycle, by):
    cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
    can = cycle.actions_for(by)
    _must_be(can.is_leader, "Only the leader submits their nominations.")
    _require(can.submit_nominations, "The nominations have already been submitted.")
    gaps = nomination_gaps(cycle)
    if gaps:
        raise ValidationError(gaps)
    cycle.stage = Stage.APPROVING
    cycle.nominations_submitted_at = timezone.now()
    cycle.save(update_fields=["stage", "nominations_submitted_at"])
    _tell(cycle, Notification.Kind.APPRAISAL_DUE, f"approve-{cycle.pk}", cycle.appraiser,
          subject=f"Approve the 360° raters for {cycle.leader}", template="approve_raters")
    return cycle


# --- The appraiser: approval, invitations, report, outcome ------------------------------------

@transaction.atomic
def approve_nominations(*, cycle, by):
    """Approve the raters and invite each of them with a private link."""
    cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
    can = cycle.actions_for(by)
    _must_be(can.is_appraiser, "Only the appraiser approves the raters.")
    _require(can.approve_nominations, "There are no nominations waiting for approval.")
    gaps = nomination_gaps(cycle)
    if gaps:
        raise ValidationError(gaps)
    cycle.stage = Stage.COLLECTING
    cycle.nominations_approved_at = timezone.now()
    cycle.save(update_fields=["stage", "nominations_approved_at"])
    invite_raters(cycle)
    return cycle


def invite_raters(cycle):
    return invite_raters_of([cycle])


def invite_raters_of(cycles):
    """Mark every nominated rater of ``cycles`` invited and record their invitations in the
    ledger, batched, in the caller's transaction. The link itself is made when the e-mail is
    sent (see appraisals.reminders.rater_email_with_link), so no usable link is ever stored."""
    now = timezone.now()
    raters = list(Rater.objects.filter(cycle__in=[c.pk for c in cycles],
                                       status=Rater.Status.NOMINATED)
                  .select_related("cycle__appointment__person", "cycle__appointment__post"))
    Rater.objects.filter(pk__in=[r.pk for r in raters]).update(status=Rater.Status.INVITED,
                                                               invited_at=now)
    record_and_send(Due(Notification.Kind.RATER_INVITATION, "invitation", rater, rater.email,
                        None, rater_context(rater)) for rater in raters)
    return raters


@transaction.atomic
def open_cycles(*, appointments, by, closes_on=None, template_version=None, today=None):
    """Open cycles for many appointments in one go, batched. Appointments that cannot have one
    (no account for the leader, no appraiser, a cycle already in progress) are skipped and
    returned with the reason."""
    today = today or timezone.localdate()
    closes_on = closes_on or today + Cycle.DEFAULT_LENGTH
    if template_version is None:
        template_version = QuestionnaireTemplate.objects.get(
            name=DEFAULT_TEMPLATE).current_version()
    appointments = list(appointments.select_related("person__user", "post"))
    busy = set(Cycle.objects.filter(appointment__in=[a.pk for a in appointments])
               .in_progress().values_list("appointment_id", flat=True))
    appraisers = default_appraisers(appointments, today)
    cycles, skipped = [], []
    for appointment in appointments:
        appraiser = appraisers.get(appointment.pk)
        if appointment.pk in busy:
            skipped.append((appointment, "a 360° appraisal is already in progress"))
        elif appointment.person.user_id is None:
            skipped.append((appointment, "the leader has no account"))
        elif appraiser is None or appraiser.pk == appointment.person.user_id:
            skipped.append((appointment, "no appraiser with an account"))
        else:
            cycles.append(Cycle(appointment=appointment, appraiser=appraiser, opened_by=by,
                                opened_on=today, closes_on=closes_on,
                                template_version=template_version))
    cycles = bulk_create_with_history(cycles, Cycle, batch_size=1000, default_user=by)
    grant_appointment_view(users_and_appointments=[(c.appraiser, c.appointment) for c in cycles])
    record_and_send(
        Due(Notification.Kind.APPRAISAL_DUE, f"opened-{c.pk}", c, c.appointment.person.user.email,
            c.appointment.person.user,
            {"subject": f"Your 360° appraisal has started: {c.appointment.post}", "cycle": c,
             "template": "cycle_opened"})
        for c in cycles)
    return cycles, skipped


def default_appraisers(appointments, on=None):
    """{appointment id: the account of the holder of its "responsible to" post}, in one query."""
    posts = {a.post.responsible_to_id for a in appointments if a.post.responsible_to_id}
    holders = {}
    for holder in (Appointment.objects.in_force(on).filter(post_id__in=posts)
                   .select_related("person__user").order_by("start_date")):
        if holder.person.user_id:
            holders.setdefault(holder.post_id, holder.person.user)
    return {a.pk: holders.get(a.post.responsible_to_id) for a in appointments}


def rater_context(rater, chaser=False):
    cycle = rater.cycle
    subject = (f"Reminder: your feedback on {cycle.leader} is needed by "
               f"{cycle.closes_on:%-d %B}" if chaser else
               f"Please give feedback on {cycle.leader}'s leadership (360° review)")
    return {"rater": rater, "leader": str(cycle.leader), "post": str(cycle.appointment.post),
            "closes_on": cycle.closes_on, "subject": subject,
            "template": "rater_chaser" if chaser else "rater_invitation"}


@transaction.atomic
def revoke_rater(*, rater, by):
    """Withdraw a rater's link while raters are answering. A link that has been answered or
    declined is withdrawn the same way (its response, if any, stays in the report): refusing it
    would tell the appraiser and HR who has answered."""
    rater = Rater.objects.select_for_update().select_related("cycle").get(pk=rater.pk)
    can = rater.cycle.actions_for(by)
    _must_be(can.is_appraiser or can.is_hr, "Only the appraiser or HR can withdraw a link.")
    _require(can.withdraw_links, "Links can be withdrawn only while raters are answering.")
    _require(rater.link_sent, "Only a link that has been sent can be withdrawn.")
    rater.status = Rater.Status.REVOKED
    rater.token_hash = ""
    rater.draft = {}
    rater.save(update_fields=["status", "token_hash", "draft"])
    return rater


@transaction.atomic
def close_cycle(*, cycle, by=None):
    """No more answers: links stop working and the report goes to the appraiser."""
    cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
    if by is not None:  # None: the daily sweep, on the closing date
        can = cycle.actions_for(by)
        _must_be(can.is_appraiser or can.is_hr, "Only the appraiser or HR can close the appraisal.")
    _require(cycle.is_in_progress, "This appraisal is already closed.")
    cycle.stage = Stage.CLOSED
    cycle.closed_at = timezone.now()
    cycle.save(update_fields=["stage", "closed_at"])
    cycle.raters.filter(status=Rater.Status.INVITED).update(token_hash="", draft={})
    _tell(cycle, Notification.Kind.APPRAISAL_DUE, f"closed-{cycle.pk}", cycle.appraiser,
          subject=f"The 360° report for {cycle.leader} is ready for you", template="report_ready")
    return cycle


def close_cycles_of_ending_terms(appointment_ids):
    """A 360° cycle does not outlive its term: when the term ends (the daily sweep, or a
    decision to let it end), the cycles still in progress close first, as on their closing
    date."""
    due = list(Cycle.objects.in_progress().filter(appointment_id__in=appointment_ids))
    for cycle in due:
        close_cycle(cycle=cycle)
    return len(due)


def close_due_cycles(today):
    """Close every cycle whose closing date has passed (run by the daily sweep)."""
    due = Cycle.objects.in_progress().filter(closes_on__lt=today)
    for cycle in due:
        close_cycle(cycle=cycle)
    return len(due)


@transaction.atomic
def redact(*, response, field, reason, by):
    response = Response.objects.select_for_update().select_related("cycle").get(pk=response.pk)
    can = response.cycle.actions_for(by)
    _must_be(can.is_appraiser, "Only the appraiser can remove a comment.")
    _require(can.redact, "Comments can be removed only before the report is released.")
    _require(not response.is_self, "The leader's own comments are not redacted.")
    _require(field in Response.COMMENT_FIELDS, "That is not a comment.")
    _require(not response.redactions.filter(field=field).exists(),
             "This comment has already been removed.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the comment is removed."})
    Redaction.objects.create(response=response, field=field,
                             original_text=getattr(response, field), reason=reason.strip(),
                             redacted_by=by)
    setattr(response, field, REDACTED_TEXT)
    response.save(update_fields=[field])
    return response


@transaction.atomic
def release_report(*, cycle, by):
    cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
    can = cycle.actions_for(by)
    _must_be(can.is_appraiser, "Only the appraiser releases the report.")
    _require(can.release, "The report can be released once the appraisal is closed.")
    cycle.stage = Stage.RELEASED
    cycle.released_at = timezone.now()
    cycle.save(update_fields=["stage", "released_at"])
    _tell(cycle, Notification.Kind.APPRAISAL_DUE, f"released-{cycle.pk}", cycle.leader.user,
          subject="Your 360° report is ready", template="report_released")
    return cycle


@transaction.atomic
def record_outcome(*, cycle, meeting_on, outcome, objectives, development_actions, by):
    cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
    can = cycle.actions_for(by)
    _must_be(can.is_appraiser, "Only the appraiser records the outcome.")
    _require(can.record_outcome, "Record the outcome after releasing the report.")
    errors = {}
    if outcome not in Cycle.Outcome.values:
        errors["outcome"] = "Select whether the appraisal was satisfactory."
    if meeting_on is None:
        errors["meeting_on"] = "Enter the date of the appraisal meeting."
    elif meeting_on > timezone.localdate():
        errors["meeting_on"] = "The meeting date cannot be in the future."
    if errors:
        raise ValidationError(errors)
    cycle.meeting_on, cycle.outcome = meeting_on, outcome
    cycle.objectives, cycle.development_actions = objectives.strip(), development_actions.strip()
    cycle.outcome_recorded_at = timezone.now()
    cycle.leader_signed_at = cycle.appraiser_signed_at = None  # a changed outcome is re-signed
    cycle.save()
    return cycle


@transaction.atomic
def sign_off(*, cycle, by):
    cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
    _must_be(by.pk in (cycle.appraiser_id, cycle.leader.user_id),
             "Only the leader and the appraiser sign off the appraisal.")
    _require(cycle.outcome, "The outcome has not been recorded yet.")
    now = timezone.now()
    if by.pk == cycle.appraiser_id:
        cycle.appraiser_signed_at = cycle.appraiser_signed_at or now
    else:
        cycle.leader_signed_at = cycle.leader_signed_at or now
    if cycle.appraiser_signed_at and cycle.leader_signed_at:
        cycle.stage = Stage.SIGNED_OFF
    cycle.save()
    return cycle


def extension_warnings(appointment):
    """An extension is usually subject to a satisfactory annual appraisal (registered with
    appointments.hooks, so HR read it before extending)."""
    appraisal = latest_outcome(appointment)
    if appraisal is None:
        return ["No appraisal has been signed off in the last 12 months; an extension is "
                "usually subject to a satisfactory annual appraisal."]
    if appraisal.outcome != Cycle.Outcome.SATISFACTORY:
        return [f"The last appraisal (meeting on {appraisal.meeting_on:%-d %B %Y}) was not "
                "satisfactory."]
    return []


def extension_gate(appointment):
    """Why an extension may not be agreed on a route with the appraisal gate: no signed-off
    satisfactory appraisal in the last 12 months (registered with appointments.hooks)."""
    appraisal = latest_outcome(appointment)
    if appraisal is None:
        return ["No satisfactory appraisal has been signed off in the last 12 months."]
    if appraisal.outcome != Cycle.Outcome.SATISFACTORY:
        return [f"The last appraisal signed off (meeting on {appraisal.meeting_on:%-d %B %Y}) "
                "was not satisfactory."]
    return []


def latest_outcome(appointment, within_days=365, today=None):
    """The most recent signed-off appraisal outcome of the appointment within the period."""
    today = today or timezone.localdate()
    return (Cycle.objects.filter(appointment=appointment, stage=Stage.SIGNED_OFF,
                                 meeting_on__gte=today - datetime.timedelta(days=within_days))
            .order_by("-meeting_on").first())


# --- Raters, by private link -----------------------------------------------------------------

def rater_for_token(token):
    """The rater a link belongs to, if it still works: invited, not revoked, the cycle open."""
    if not token_fits(token):
        return None
    rater = (Rater.objects.select_related("cycle__template_version", "cycle__appointment__post",
                                          "cycle__appointment__person")
             .filter(token_hash=hash_token(token)).first())
    if rater is None or rater.status != Rater.Status.INVITED or \
            not rater.cycle.is_open_to_raters:
        return None
    return rater


@transaction.atomic
def save_rater_answers(*, rater, answers, keep_doing="", do_differently="", submit):
    """Save a draft, or submit once: the submitted answers keep only the rater's group."""
    rater = Rater.objects.select_for_update().get(pk=rater.pk)
    _require(rater.status == Rater.Status.INVITED and rater.cycle.is_open_to_raters,
             "This link no longer works.")
    problems = answers_errors(rater.cycle, answers, submit)
    if problems:
        raise ValidationError(problems)
    if not submit:
        rater.draft = {"answers": {str(k): v for k, v in answers.items()},
                       "keep_doing": keep_doing, "do_differently": do_differently}
        rater.save(update_fields=["draft"])
        return rater
    # Nothing else is written: no time, no link to the rater, and each comment gets a random
    # key (models.comment_key), so no one can tell the order in which raters answered.
    response = Response.objects.create(
        cycle=rater.cycle, group=rater.group, keep_doing=keep_doing.strip(),
        do_differently=do_differently.strip(),
    )
    _store_answers(response, answers)
    rater.status = Rater.Status.SUBMITTED
    rater.draft = {}
    rater.token_hash = ""
    rater.save(update_fields=["status", "draft", "token_hash"])
    return rater


@transaction.atomic
def decline(*, rater):
    rater = Rater.objects.select_for_update().get(pk=rater.pk)
    _require(rater.status == Rater.Status.INVITED, "This link no longer works.")
    rater.status = Rater.Status.DECLINED
    rater.draft = {}
    rater.token_hash = ""
    rater.save(update_fields=["status", "draft", "token_hash"])
    return rater


def progress(cycle):
    """Answers received out of links sent, per group: numbers only, never names. Answers are
    counted from the responses and withdrawn links still count as sent, so withdrawing a link
    changes neither number, whatever its rater had done (see ``revoke_rater``)."""
    sent = Counter(cycle.raters.exclude(status=Rater.Status.NOMINATED)
                   .values_list("group", flat=True))
    answered = Counter(cycle.responses.filter(is_self=False).values_list("group", flat=True))
    return [{"group": group.label, "answered": answered[group], "invited": sent[group],
             "percent": round(answered[group] / sent[group] * 100) if sent[group] else 0}
            for group in Group]
