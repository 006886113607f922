"""Recruiting to a vacancy, step by step: approval to recruit by the parties of the system's
route (the CMO/CNO office unless it says otherwise; see approvals.py), the advert,
shortlisting (with applicant numbers by profession, never names), interview, the offer (which
creates the appointment, as offered) and its acceptance (which fills the vacancy).

Each step checks what must already have happened, writes nothing when its input is wrong, and
keeps who did it and when in the vacancy's history."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ..models import ApplicantCount, Appointment, Vacancy
from . import approvals
from .terms import appoint


def _locked(vacancy):
    return Vacancy.objects.select_for_update().select_related("post").get(pk=vacancy.pk)


def _save(vacancy, by):
    vacancy._history_user = by
    vacancy.full_clean()
    vacancy.save()
    return vacancy


def _must_be_open(vacancy):
    if vacancy.status != Vacancy.Status.OPEN:
        raise ValidationError(f"This vacancy is {vacancy.get_status_display().lower()}.")


def _must_be_approved(vacancy):
    _must_be_open(vacancy)
    if vacancy.approval != Vacancy.Approval.APPROVED:
        raise ValidationError("Recruitment to this post is not approved yet.")


def _not_future(day, field, what):
    if day and day > timezone.localdate():
        raise ValidationError({field: f"The {what} cannot be in the future."})


@transaction.atomic
def open_vacancy(*, post, reason, by, advertise_from=None, onboarding_from=None,
                 expected_start=None):
    if post.vacancies.open().exists():
        raise ValidationError({"post": f"{post} already has an open vacancy."})
    vacancy = Vacancy(post=post, reason=reason, opened_by=by, advertise_from=advertise_from,
                      onboarding_from=onboarding_from, expected_start=expected_start)
    _check_plan(vacancy)
    _save(vacancy, by)
    approvals.open_for_vacancy(vacancy=vacancy, by=by)
    vacancy.refresh_from_db()
    return vacancy


def _check_plan(vacancy):
    plan = [vacancy.advertise_from, vacancy.onboarding_from, vacancy.expected_start]
    given = [day for day in plan if day]
    if given != sorted(given):
        raise ValidationError({"onboarding_from": "The plan must run in order: advertise, then "
                                                  "onboard, then start."})


@transaction.atomic
def decide_approval(*, vacancy, approve, note, by):
    """The user's parties on the route approve recruitment to the post, or say why not. It is
    approved once every party has agreed. (The request is locked, not the vacancy, as in
    every decision on a request.)"""
    vacancy = Vacancy.objects.get(pk=vacancy.pk)
    _must_be_open(vacancy)
    request = approvals.request_for_vacancy(vacancy)
    if request is None:
        raise ValidationError("This vacancy is not awaiting approval to recruit.")
    approvals.decide_for(request=request, agree=approve, note=note, by=by)
    return Vacancy.objects.get(pk=vacancy.pk)


@transaction.atomic
def record_advert(*, vacancy, reference, where, advertised_on, closes_on, by):
    vacancy = _locked(vacancy)
    _must_be_approved(vacancy)
    if closes_on < advertised_on:
        raise ValidationError({"closes_on": "The closing date must be on or after the day the "
                                            "advert went out."})
    _not_future(advertised_on, "advertised_on", "date of the advert")
    vacancy.advert_reference = reference.strip()
    vacancy.advertised_where = where.strip()
    vacancy.advertised_on = advertised_on
    vacancy.closes_on = closes_on
    return _save(vacancy, by)


@transaction.atomic
def record_shortlisting(*, vacancy, shortlisted_on, counts, by):
    """``counts``: {profession: (applied, shortlisted)}; professions with no applicants may be
    left out. Replaces any numbers recorded before."""
    vacancy = _locked(vacancy)
    _must_be_approved(vacancy)
    if not vacancy.advertised_on:
        raise ValidationError("Record the advert before the shortlisting.")
    if shortlisted_on < vacancy.advertised_on:
        raise ValidationError({"shortlisted_on": "Shortlisting cannot come before the advert."})
    _not_future(shortlisted_on, "shortlisted_on", "date of shortlisting")
    rows = []
    for profession, (applied, shortlisted) in counts.items():
        if applied < 0 or shortlisted < 0:
            raise ValidationError("Numbers of applicants cannot be negative.")
        if shortlisted > applied:
            raise ValidationError(f"More shortlisted than applied for {profession}.")
        if applied:
            rows.append(ApplicantCount(vacancy=vacancy, profession=profession, applied=applied,
                                       shortlisted=shortlisted))
    if not rows:
        raise ValidationError("Enter how many applied, by profession.")
    vacancy.shortlisted_on = shortlisted_on
    _save(vacancy, by)
    vacancy.applicants.all().delete()
    ApplicantCount.objects.bulk_create(rows)
    return vacancy


@transaction.atomic
def record_interview(*, vacancy, interview_on, by):
    vacancy = _locked(vacancy)
    _must_be_approved(vacancy)
    if not vacancy.shortlisted_on:
        raise ValidationError("Record the shortlisting before the interview.")
    if interview_on < vacancy.shortlisted_on:
        raise ValidationError({"interview_on": "The interview cannot come before shortlisting."})
    vacancy.interview_on = interview_on
    return _save(vacancy, by)


@transaction.atomic
def make_offer(*, vacancy, person, start_date, end_date=None, consent=None, by):
    """Offer the post: the appointment is created now, as offered, from the vacancy. Above the
    person's commitment ceiling it needs an approver's ``consent``, given in the register: an
    approver making the offer consents themselves; anyone else's offer waits, as a request for
    a direct appointment, until the system's approvers agree it (returned as ``request``, with
    the vacancy unchanged)."""
    vacancy = _locked(vacancy)
    _must_be_approved(vacancy)
    if not vacancy.interview_on:
        raise ValidationError("Record the interview before making an offer.")
    if vacancy.appointment_id:
        raise ValidationError("An offer has already been made.")
    waiting = vacancy.offer_requests.pending().select_related("person").first()
    if waiting is not None:
        raise ValidationError(f"An offer to {waiting.person} is already awaiting an approver's "
                              "consent.")
    if start_date < vacancy.interview_on:
        raise ValidationError({"start_date": "The start date must be after the interview."})
    if consent is not None and consent.by is not None and consent.by != by:
        return approvals.request_appointment(
            post=vacancy.post, person=person, start_date=start_date, end_date=end_date,
            status=Appointment.Status.OFFERED, offer_for=vacancy, consent=consent,
            reason=f"An offer from the vacancy for {vacancy.post}, above the commitment "
                   "ceiling.", by=by)
    appointment = appoint(post=vacancy.post, person=person, start_date=start_date,
                          end_date=end_date, status=Appointment.Status.OFFERED,
                          consent=consent, by=by)
    vacancy.appointment = appointment
    vacancy.offer_on = timezone.localdate()
    return _save(vacancy, by)


@transaction.atomic
def accept_offer(*, vacancy, by):
    """The offer is accepted: the appointment becomes active and the vacancy is filled."""
    vacancy = _locked(vacancy)
    _must_be_open(vacancy)
    if not vacancy.appointment_id:
        raise ValidationError("No offer has been made yet.")
    appointment = Appointment.objects.select_for_update().get(pk=vacancy.appointment_id)
    appointment.status = Appointment.Status.ACTIVE
    appointment._history_user = by
    appointment.save(update_fields=["status"])
    vacancy.status = Vacancy.Status.FILLED
    return _save(vacancy, by)


@transaction.atomic
def withdraw_vacancy(*, vacancy, reason, by):
    vacancy = _locked(vacancy)
    _must_be_open(vacancy)
    if not reason.strip():
        raise ValidationError({"reason": "Say why the vacancy is withdrawn."})
    if vacancy.appointment_id:
        raise ValidationError("An offer has been made; end the offered appointment first.")
    vacancy.status = Vacancy.Status.WITHDRAWN
    vacancy.reason = (f"{vacancy.reason}\n" if vacancy.reason else "") + f"Withdrawn: {reason}"
    if hasattr(vacancy, "approval_request"):
        approvals.withdraw(request=vacancy.approval_request, by=by)
    return _save(vacancy, by)
