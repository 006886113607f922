"""Contracts in a real browser, with the keyboard alone and axe-core on every page (issue 12):
acting cover over a holder's leave, a permanent CMO appointment, and a person above their
system's commitment ceiling refused, then appointed with an approver's consent."""

import datetime
from decimal import Decimal

import pytest

from appointments import services
from appointments.models import Appointment, ApprovalRequest, CommitmentConsent
from ccpl import access

from ..factories import (
    AppointmentFactory,
    PersonFactory,
    PostFactory,
    UserFactory,
    grant,
    with_totp,
)
from .test_journeys import north, sign_in, type_date  # noqa: F401 (north is a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
D = datetime.date
Type = Appointment.ContractType


def agreed_by_the_office(journey, system):
    """HR's appointment is a request (it shows where it waits); the system's CMO/CNO office
    agrees it, and the journey goes on from the appointment it made."""
    page = journey.page
    assert page.get_by_text("will decide").is_visible()
    office = grant(UserFactory(email=f"office.{system.pk}@example.org"), access.APPROVE, system)
    asked = services.decide_for(request=ApprovalRequest.objects.pending().get(), agree=True,
                                by=office)
    journey.open(asked.appointment.get_absolute_url())
    return asked.appointment


@pytest.fixture
def hr(north):  # noqa: F811
    system, _ = north
    return with_totp(grant(UserFactory(email="hr.journey@example.org"), access.EDIT, system))


def test_hr_records_acting_cover_while_the_chief_nurse_is_on_leave(journey, north, hr):  # noqa: F811
    system, trust = north
    post = PostFactory(host_organisation=trust, system=system, title="Chief Nursing Officer",
                       wte=Decimal("1"), job_share_allowed=False)
    holder = services.appoint(post=post, person=PersonFactory(given_name="Morgan",
                                                              family_name="Holder"),
                              start_date=D(2022, 7, 1), contract_type=Type.PERMANENT, by=hr)
    PersonFactory(given_name="Robin", family_name="Deputy", substantive_employer=trust)
    page = journey.page

    sign_in(journey, hr.email)
    journey.submit(page.get_by_role("link", name="Posts", exact=True))
    journey.submit(page.get_by_role("link", name="Chief Nursing Officer"))
    journey.submit(page.get_by_role("link", name="Morgan Holder"))
    journey.submit(page.get_by_role("link", name="Record acting cover"))
    assert page.locator("#id_contract_type_2").is_checked()  # acting or interim cover

    journey.tab_to(page.locator("#id_person"))
    page.keyboard.type("Robin Deputy")
    type_date(journey, "start_date", D(2022, 6, 1))  # before the holder started
    type_date(journey, "end_date", D(2027, 2, 28))
    journey.press(page.get_by_label("Accepted"), " ")
    journey.submit(page.get_by_role("button", name="Appoint"))
    assert page.get_by_text("There is a problem").is_visible()
    assert page.locator("#id_start_date-error, #id_end_date-error, .nhsuk-error-message")\
        .first.is_visible()
    assert Appointment.objects.count() == 1

    type_date(journey, "start_date", D(2026, 12, 1))
    journey.submit(page.get_by_role("button", name="Appoint"))
    acting = agreed_by_the_office(journey, system)
    assert acting.contract_type == Type.COVER
    assert acting.covers == holder and acting.end_date == D(2027, 2, 28)
    assert page.get_by_text("Acting or interim cover, covering").is_visible()

    journey.submit(page.get_by_role("link", name="Morgan Holder"))
    assert page.get_by_role("heading", name="Acting or interim cover").is_visible()


def test_hr_appoints_a_permanent_chief_medical_officer(journey, north, hr):  # noqa: F811
    system, trust = north
    post = PostFactory(host_organisation=trust, system=system, title="Chief Medical Officer",
                       wte=Decimal("1"))
    PersonFactory(given_name="Sasha", family_name="Example", substantive_employer=trust)
    page = journey.page

    sign_in(journey, hr.email)
    journey.submit(page.get_by_role("link", name="Posts", exact=True))
    journey.submit(page.get_by_role("link", name="Chief Medical Officer"))
    journey.submit(page.get_by_role("link", name="Appoint to this post"))
    journey.tab_to(page.locator("#id_person"))
    page.keyboard.type("Sasha Example")
    journey.choose("id_contract_type", 1)  # the arrow keys move along the group to Permanent
    assert page.get_by_label("Permanent", exact=True).is_checked()
    type_date(journey, "start_date", D(2027, 1, 4))
    type_date(journey, "end_date", D(2032, 1, 3))  # a permanent post has no end
    journey.press(page.get_by_label("Accepted"), " ")
    journey.submit(page.get_by_role("button", name="Appoint"))
    assert page.get_by_text("A permanent appointment has no end date").first.is_visible()
    assert not Appointment.objects.filter(post=post).exists()

    for part in ("day", "month", "year"):
        journey.type_into(page.locator(f"#id_end_date_{part}"), "")
        page.keyboard.press("Backspace")
    journey.submit(page.get_by_role("button", name="Appoint"))
    appointment = agreed_by_the_office(journey, system)
    assert appointment.post == post
    assert appointment.end_date is None and appointment.is_permanent
    assert page.get_by_text("no end date (permanent)").is_visible()
    assert page.get_by_role("link", name="Extend the term").count() == 0


def test_above_the_ceiling_is_refused_then_appointed_with_consent(journey, north, hr):  # noqa: F811
    system, trust = north
    approver = UserFactory(email="cmo.journey@example.org", full_name="Colm Office")
    grant(approver, access.APPROVE, system)
    person = PersonFactory(given_name="Jo", family_name="Busy", substantive_employer=trust)
    AppointmentFactory(person=person, post=PostFactory(host_organisation=trust, system=system,
                                                       title="Medical Director",
                                                       wte=Decimal("1")),
                       start_date=D(2025, 1, 1), end_date=D(2028, 12, 31))
    post = PostFactory(host_organisation=trust, system=system, title="Clinical Lead for Stroke",
                       wte=Decimal("0.4"))
    page = journey.page

    sign_in(journey, hr.email)
    journey.submit(page.get_by_role("link", name="Posts", exact=True))
    journey.submit(page.get_by_role("link", name="Clinical Lead for Stroke"))
    journey.submit(page.get_by_role("link", name="Appoint to this post"))
    journey.tab_to(page.locator("#id_person"))
    page.keyboard.type("Jo Busy")
    type_date(journey, "start_date", D(2027, 1, 1))
    journey.press(page.get_by_label("Accepted"), " ")
    journey.submit(page.get_by_role("button", name="Appoint"))
    assert page.get_by_text("There is a problem").is_visible()
    assert page.get_by_text("above the ceiling of 1 WTE set by North Test ICS").first\
        .is_visible()
    assert not Appointment.objects.filter(post=post).exists()

    journey.tab_to(page.locator("#id_consent_by"))
    page.keyboard.type("Colm")
    journey.type_into(page.locator("#id_consent_reason"),
                      "Holds both until the stroke lead is recruited in the spring")
    journey.submit(page.get_by_role("button", name="Appoint"))
    agreed_by_the_office(journey, system)
    assert page.get_by_role("heading", name="Consent above the commitment ceiling").is_visible()
    consent = CommitmentConsent.objects.get()
    # Naming an approver is not their consent: it is given by the approver who agreed the
    # request it went with, and recorded then.
    assert consent.given_by != approver
    assert consent.given_by.email == consent.recorded_by.email == f"office.{system.pk}@example.org"
    assert consent.peak_wte == Decimal("1.4")

    journey.submit(page.get_by_role("link", name="Jo Busy"))
    assert page.get_by_role("heading", name="Commitments").is_visible()
    assert page.get_by_text("the peak is above it").is_visible()
