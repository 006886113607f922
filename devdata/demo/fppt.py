"""The Fit and Proper Person Test in the demo: the chief officers of seeds 003 (the ICS's Chief
Medical and Chief Nursing Officers) and 004 (the trust's Chief Medical Officer) each have last
year's assessment complete — every check recorded, attested, signed off by the chair of their
board — and this year's open with one check still to record, so the dashboard shows it. Every
other board post holder gets this year's assessment opened, as the daily sweep would.

Written as the services would have written them on those days (checks recorded by the loader,
standing in for HR); the holders and chairs are fictional people whose accounts record who
attested and who signed off, and are not for signing in (but for the trust's named chair of
seed 004, whose account becomes chair@example.org in the embedded demo: ``accounts.py``)."""

import datetime

from dateutil.relativedelta import relativedelta
from django.utils import timezone

from appointments.models import Appointment
from ccpl.models import User
from governance import fppt, fppt_services
from governance.models import (
    ATTESTATION,
    FPPT_GRACE_DAYS,
    Body,
    FitAndProperAssessment,
    FitAndProperCheck,
    FitnessDecision,
    FitnessOutcome,
    Seat,
)

# (system, board, post of the assessed holder); the board gets a chair if it has none.
ASSESSED = [
    ("HW", "Wye Valley NHS Trust Board of Directors", "Chief Medical Officer"),
    ("SEL", "Integrated Care Board", "Chief Medical Officer"),
    ("SEL", "Integrated Care Board", "Chief Nursing Officer"),
]
STILL_TO_RECORD = FitAndProperCheck.Item.SOCIAL_MEDIA


def load(b):
    for short_name, board_name, title in ASSESSED:
        board = Body.objects.filter(system__short_name=short_name, name=board_name).first()
        holder = (Appointment.objects.in_force(b.today)
                  .filter(post__system__short_name=short_name, post__title=title)
                  .select_related("person", "post").first())
        if board is None or holder is None or holder.fppt_assessments.exists():
            continue
        _assess(b, holder, _chair(b, board), board)
    fppt_services.open_due_assessments(b.today)


def _chair(b, board):
    """An account for whoever chairs ``board``: the holder of its chair's post, or the person
    named on its chair's seat (a non-executive chair holds no post of the register), linked to
    the seat as its holder's account, so the register knows them as the chair; a named chair
    is seated if the board has none."""
    seat = board.seats.filter(role=Seat.Role.CHAIR).select_related(
        "post", "holder_account").first()
    if seat is None:
        given, family = b._new_name()
        seat = b._save(Seat(body=board, holder_name=f"{given} {family}", role=Seat.Role.CHAIR,
                            holder_description="Chair of the board (non-executive)",
                            voting=True, lay=True))
    if seat.post_id:
        holder = Appointment.objects.in_force(b.today).filter(post=seat.post).select_related(
            "person").first()
        return _account(holder.person)
    if seat.holder_account is None:
        email = ".".join(seat.holder_name.lower().replace("'", "").split()) + "@nhs.example"
        seat.holder_account, _ = User.objects.get_or_create(email=email, defaults={
            "full_name": seat.holder_name, "is_active": False})
        b._save(seat)
    return seat.holder_account


def _account(person):
    """An account that records who attested and who signed off; not for signing in."""
    if person.user is None:
        person.user = User.objects.create(email=person.work_email, full_name=person.full_name,
                                          is_active=False)
        person.save(update_fields=["user"])
    return person.user


def _at(day, hour=10):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _assess(b, holder, chair, board):
    """Last year complete, this year overdue with one check still to record, written as the
    services would have written them on those days."""
    due = fppt.year_due(holder, b.today)[1]
    if due > b.today - datetime.timedelta(days=FPPT_GRACE_DAYS + 15):
        due -= relativedelta(years=1)  # this year's must be overdue for the dashboard
    user = _account(holder.person)
    for year_due, complete in ((due - relativedelta(years=1), True), (due, False)):
        on_appointment = year_due <= holder.start_date
        assessment = FitAndProperAssessment.objects.create(
            appointment=holder, due_on=year_due, opened_at=_at(year_due - relativedelta(months=1)),
            kind=FitAndProperAssessment.Kind.ON_APPOINTMENT if on_appointment
            else FitAndProperAssessment.Kind.ANNUAL)
        checked = year_due - datetime.timedelta(days=25)
        for index, item in enumerate(FitAndProperCheck.Item.values):
            if not complete and item == STILL_TO_RECORD:
                continue
            b._save(FitAndProperCheck(
                assessment=assessment, item=item, outcome=FitAndProperCheck.Outcome.SATISFACTORY,
                checked_on=checked + datetime.timedelta(days=index), checked_by=b.loader,
                evidence_reference="" if item == FitAndProperCheck.Item.DBS
                else f"HR/FPPT/{holder.pk}/{year_due:%Y}/{index + 1}",
                recorded_at=_at(checked + datetime.timedelta(days=index))))
        if complete:
            assessment.attested_at, assessment.attested_by = _at(year_due), user
            assessment.attestation = ATTESTATION
            signed = _at(year_due + datetime.timedelta(days=7))
            assessment.signed_off_at, assessment.signed_off_by = signed, chair
            assessment.signed_off_as = f"Chair, {board}"
            assessment.outcome = FitnessOutcome.FIT
            assessment.save()
            FitnessDecision.objects.create(
                assessment=assessment, outcome=FitnessOutcome.FIT, by=chair, at=signed,
                by_authority=assessment.signed_off_as,
                reason="Every check satisfactory; attested; reviewed with the holder.")
