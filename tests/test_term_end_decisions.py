"""Every term approaching its end needs a decision: extend, re-advertise, or let it end."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from appointments import services
from appointments.models import Appointment, TermEndDecision, Vacancy

from .factories import AppointmentFactory, RoleTypeFactory

D = datetime.date
pytestmark = pytest.mark.django_db
Outcome, Status = TermEndDecision.Outcome, TermEndDecision.Status


def test_an_appointment_ending_soon_starts_undecided(north_appointment):
    assert list(Appointment.objects.undecided()) == [north_appointment]


def test_hr_proposes_an_extension_and_it_waits_for_the_cmo_office(
    north_appointment, hr_north, cmo_office
):
    decision = services.decide_term_end(
        appointment=north_appointment, outcome=Outcome.EXTEND,
        proposed_end_date=D(2028, 3, 31), note="Leads the winter programme", by=hr_north,
    )
    assert decision.status == Status.PENDING
    assert list(TermEndDecision.objects.awaiting_agreement()) == [decision]
    assert not Appointment.objects.undecided().exists()
    north_appointment.refresh_from_db()
    assert north_appointment.end_date == D(2027, 3, 31)

    services.agree_extension(decision=decision, by=cmo_office)
    north_appointment.refresh_from_db()
    decision.refresh_from_db()
    assert north_appointment.end_date == D(2028, 3, 31)
    assert decision.status == Status.AGREED
    assert decision.extension.agreed_by.endswith("(CMO/CNO office)")
    # The new end of the term needs a decision of its own in time.
    assert list(Appointment.objects.undecided()) == [north_appointment]


def test_the_cmo_office_can_decide_and_agree_at_once(north_appointment, cmo_office):
    decision = services.decide_term_end(appointment=north_appointment, outcome=Outcome.EXTEND,
                                        proposed_end_date=D(2027, 9, 30), by=cmo_office)
    assert decision.status == Status.AGREED
    assert decision.extension.new_end_date == D(2027, 9, 30)


def test_only_the_cmo_office_agrees_or_declines_an_extension(north_appointment, hr_north):
    """The service checks who agrees, whatever page or API calls it: HR propose, never agree."""
    decision = services.decide_term_end(appointment=north_appointment, outcome=Outcome.EXTEND,
                                        proposed_end_date=D(2027, 9, 30), by=hr_north)
    assert decision.status == Status.PENDING
    with pytest.raises(PermissionDenied):
        services.agree_extension(decision=decision, by=hr_north)
    with pytest.raises(PermissionDenied):
        services.decline_extension(decision=decision, note="No", by=hr_north)
    decision.refresh_from_db()
    assert decision.status == Status.PENDING
    assert not north_appointment.extensions.exists()


def test_declining_needs_a_reason(north_appointment, hr_north, cmo_office):
    decision = services.decide_term_end(appointment=north_appointment, outcome=Outcome.EXTEND,
                                        proposed_end_date=D(2027, 9, 30), by=hr_north)
    with pytest.raises(ValidationError, match="Say why"):
        services.decline_extension(decision=decision, note="", by=cmo_office)
    services.decline_extension(decision=decision, note="Re-advertise instead", by=cmo_office)
    decision.refresh_from_db()
    assert decision.status == Status.DECLINED
    assert list(Appointment.objects.undecided()) == [north_appointment]


def test_readvertising_opens_a_vacancy_on_the_post(north_appointment, hr_north):
    decision = services.decide_term_end(appointment=north_appointment,
                                        outcome=Outcome.READVERTISE, by=hr_north)
    vacancy = Vacancy.objects.get()
    assert decision.vacancy == vacancy
    assert vacancy.post == north_appointment.post
    assert vacancy.status == Vacancy.Status.OPEN


def test_a_later_decision_replaces_an_earlier_one(north_appointment, hr_north):
    first = services.decide_term_end(appointment=north_appointment, outcome=Outcome.LET_END,
                                     by=hr_north)
    services.decide_term_end(appointment=north_appointment, outcome=Outcome.READVERTISE,
                             by=hr_north)
    first.refresh_from_db()
    assert first.status == Status.SUPERSEDED
    assert TermEndDecision.objects.standing().count() == 1


def test_an_extension_to_an_earlier_date_is_refused(north_appointment, hr_north):
    with pytest.raises(ValidationError, match="must be after the current end"):
        services.decide_term_end(appointment=north_appointment, outcome=Outcome.EXTEND,
                                 proposed_end_date=D(2027, 1, 1), by=hr_north)
    assert not TermEndDecision.objects.exists()


def test_the_extension_cap_of_the_role_type_warns(north_trust, admin_user):
    role_type = RoleTypeFactory(name="Clinical Lead (capped)", max_extensions=1)
    appointment = AppointmentFactory(post__role_type=role_type,
                                     post__host_organisation=north_trust)
    assert not any("at most" in w for w in services.extension_warnings(appointment))
    services.extend(appointment=appointment, new_end_date=D(2028, 6, 30), reason="r",
                    agreed_by="a", by=admin_user)
    assert any("at most 1 time" in w for w in services.extension_warnings(appointment))
