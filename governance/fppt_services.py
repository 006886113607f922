"""The state changes of the Fit and Proper Person Test (the rules are in ``governance.fppt``).

Each is one transaction that locks the assessment, checks who acts and on what authority, and
records who did it and when: HR record the checks, the holder attests for themself, the chair
(or an administrator) signs off, and every change of the overall finding is a decision with its
reason. An administrator goes through the same steps: no role can skip one."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from appointments.models import Appointment
from ccpl.notifications import chunks

from . import fppt
from .models import (
    ATTESTATION,
    BoardMemberReference,
    FitAndProperAssessment,
    FitAndProperCheck,
    FitnessDecision,
    FitnessOutcome,
)

Kind = FitAndProperAssessment.Kind


def open_due_assessments(today=None):
    """Open the assessment that falls due (within the month) for every appointment in scope
    that has none for that year yet; returns how many were opened. Run by the daily sweep;
    safe to run twice (one assessment per appointment and due date)."""
    today = today or timezone.localdate()
    opened = 0
    for chunk in chunks(fppt.to_open(today).order_by("pk")):
        new = []
        for appointment in chunk:
            due = fppt.year_due(appointment, today)
            if due is not None:
                new.append(FitAndProperAssessment(appointment=appointment, kind=due[0],
                                                  due_on=due[1]))
        existing = set(FitAndProperAssessment.objects.filter(
            appointment__in=[a.appointment_id for a in new]).values_list("appointment_id",
                                                                         "due_on"))
        new = [a for a in new if (a.appointment_id, a.due_on) not in existing]
        FitAndProperAssessment.objects.bulk_create(new, ignore_conflicts=True)
        opened += len(new)
    return opened


def _locked(assessment):
    return FitAndProperAssessment.objects.select_for_update().select_related(
        "appointment__person", "appointment__post").get(pk=assessment.pk)


def _must_be_open(assessment):
    if not assessment.needs_test:
        raise ValidationError("This appointment is under six weeks: the test is not required.")
    if assessment.signed_off_at is not None:
        raise ValidationError("This year has been signed off: nothing more can be recorded "
                              "for it.")


@transaction.atomic
def record_check(*, assessment, item, outcome, checked_on, evidence_reference="", by):
    """Record (or correct, until the year is signed off) one check of the framework. The
    history keeps every earlier version with who recorded it."""
    if not FitAndProperAssessment.objects.checkable_by(by).filter(pk=assessment.pk).exists():
        raise PermissionDenied("Only HR who keep this appointment record its checks.")
    assessment = _locked(assessment)
    _must_be_open(assessment)
    evidence_reference = (evidence_reference or "").strip()
    errors = {}
    if item not in FitAndProperCheck.Item.values:
        errors["item"] = "Select the check."
    if outcome not in FitAndProperCheck.Outcome.values:
        errors["outcome"] = "Select the outcome of the check."
    if checked_on is None:
        errors["checked_on"] = "Enter the date of the check."
    elif checked_on > timezone.localdate():
        errors["checked_on"] = "The date of the check cannot be in the future."
    if item == FitAndProperCheck.Item.DBS and evidence_reference:
        errors["evidence_reference"] = ("Record the DBS check as its outcome and the date of "
                                        "the certificate only: leave the evidence reference "
                                        "empty.")
    if errors:
        raise ValidationError(errors)
    check = FitAndProperCheck.objects.filter(assessment=assessment, item=item).first() \
        or FitAndProperCheck(assessment=assessment, item=item)
    check.outcome, check.checked_on = outcome, checked_on
    check.evidence_reference, check.checked_by = evidence_reference, by
    check.recorded_at = timezone.now()
    check._history_user = by
    check.full_clean()
    check.save()
    return check


@transaction.atomic
def attest(*, assessment, confirmed, by):
    """The holder signs the statement that they are fit and proper, from their own session:
    nobody, an administrator included, attests for another."""
    assessment = _locked(assessment)
    if assessment.appointment.person.user_id != by.pk:
        raise PermissionDenied("Only the holder attests that they are fit and proper.")
    _must_be_open(assessment)
    if assessment.attested_at is not None:
        raise ValidationError("You have already attested for this year.")
    if not confirmed:
        raise ValidationError({"confirmed": "Confirm the statement to attest."})
    assessment.attested_at, assessment.attested_by = timezone.now(), by
    assessment.attestation = ATTESTATION
    assessment.save(update_fields=["attested_at", "attested_by", "attestation"])
    return assessment


def _decide(assessment, outcome, reason, authority, by):
    FitnessDecision.objects.create(assessment=assessment, outcome=outcome, reason=reason, by=by,
                                   by_authority=authority)
    assessment.outcome = outcome


@transaction.atomic
def sign_off(*, assessment, outcome, reason, by):
    """The chair of a board the post sits on (or an administrator) signs off the year, finding
    the holder fit and proper or not, once every check is recorded and the holder has
    attested."""
    assessment = _locked(assessment)
    authority = fppt.sign_off_authority(by, assessment, timezone.localdate())
    if authority is None:
        raise PermissionDenied("Only the chair of the board, or an administrator, signs off.")
    _must_be_open(assessment)
    errors = {}
    if outcome not in (FitnessOutcome.FIT, FitnessOutcome.NOT_FIT):
        errors["outcome"] = "Select whether the holder is fit and proper."
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = "Say on what the finding rests."
    if errors:
        raise ValidationError(errors)
    missing = fppt.missing_items(assessment)
    if missing:
        raise ValidationError(f"Every check must be recorded before the year is signed off: "
                              f"{', '.join(missing)} still to record.")
    if assessment.attested_at is None:
        raise ValidationError("The holder has not yet attested that they are fit and proper: "
                              "the year is signed off after they have.")
    _decide(assessment, outcome, reason, authority, by)
    assessment.signed_off_at, assessment.signed_off_by = timezone.now(), by
    assessment.signed_off_as = authority
    assessment.save(update_fields=["signed_off_at", "signed_off_by", "signed_off_as",
                                   "outcome"])
    return assessment


@transaction.atomic
def place_under_review(*, assessment, reason, by):
    """New information puts the finding under review (HR, the chair or an administrator), even
    after the year was signed off: the sign-off stands as evidence of what was found then."""
    assessment = _locked(assessment)
    today = timezone.localdate()
    if FitAndProperAssessment.objects.checkable_by(by).filter(pk=assessment.pk).exists():
        authority = "Administrator" if by.is_superuser else "HR"
    else:
        authority = fppt.sign_off_authority(by, assessment, today)
    if authority is None:
        raise PermissionDenied("Only HR, the chair of the board or an administrator may do "
                               "this.")
    if not assessment.needs_test:
        raise ValidationError("This appointment is under six weeks: the test is not required.")
    if assessment.outcome == FitnessOutcome.UNDER_REVIEW:
        raise ValidationError("The finding is already under review.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the finding is under review."})
    _decide(assessment, FitnessOutcome.UNDER_REVIEW, reason, authority, by)
    assessment.save(update_fields=["outcome"])
    return assessment


REFERENCE_TEXTS = ("requested_by", "sent_to", "roles_and_dates", "reason_for_leaving",
                   "misconduct", "investigations", "disciplinary", "concerns", "other")


@transaction.atomic
def issue_reference(*, appointment, by, **fields):
    """Record a board member reference as sent to the NHS body that asked for it, once the
    holder has left the post (HR who keep the appointment, or an administrator)."""
    if not Appointment.objects.editable_by(by).filter(pk=appointment.pk).exists():
        raise PermissionDenied("Only HR who keep this appointment give its reference.")
    appointment = Appointment.objects.select_for_update().select_related("post").get(
        pk=appointment.pk)
    today = timezone.localdate()
    if not fppt.in_scope(Appointment.objects.filter(pk=appointment.pk)).exists():
        raise ValidationError("A board member reference is given for board posts and "
                              "significant roles.")
    if not fppt.has_left(appointment, today):
        raise ValidationError("A board member reference is given once the holder has left the "
                              "post.")
    reference = BoardMemberReference(appointment=appointment, sent_by=by, **{
        name: (value.strip() if name in REFERENCE_TEXTS else value)
        for name, value in fields.items()})
    errors = {}
    if reference.sent_on and reference.sent_on > today:
        errors["sent_on"] = "Record the reference once it has been sent: the date cannot be " \
                            "in the future."
    if reference.requested_on and reference.sent_on and \
            reference.requested_on > reference.sent_on:
        errors["requested_on"] = "The request comes before the reference is sent."
    try:
        reference.full_clean()
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            errors.setdefault(name, messages)
    if errors:
        raise ValidationError(errors)
    reference.save()
    return reference
