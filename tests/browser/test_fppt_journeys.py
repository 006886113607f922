"""The Fit and Proper Person Test in a real browser (issue 14): a board member attests that they
are fit and proper, from their own session; the chair of the board signs off the year, refused
until it is complete. Keyboard only, axe-core clean on every page the journey opens, and the
database checked afterwards."""

import datetime

import pytest

from governance import fppt_services
from governance.models import Body, FitAndProperAssessment, FitAndProperCheck, Seat

from ..factories import (
    AppointmentFactory,
    PersonFactory,
    PostFactory,
    RoleTypeFactory,
    UserFactory,
)
from .test_board_journeys import sign_in_leader

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
D = datetime.date


@pytest.fixture
def board_year(north, north_trust, hr_north):
    """A trust board with a chair, and its Chief Medical Officer's year open (due 1 December),
    every check recorded by HR."""
    board = Body.objects.create(system=north, name="North Trust Board", kind=Body.Kind.BOARD)
    chair = UserFactory(email="chair@example.org", full_name="Cora Chair")
    chair_post = PostFactory(title="Chair of the Trust", host_organisation=north_trust)
    Seat.objects.create(body=board, post=chair_post, role=Seat.Role.CHAIR, voting=True)
    AppointmentFactory(post=chair_post, person=PersonFactory(user=chair),
                       start_date=D(2024, 1, 1))
    member = UserFactory(email="cmo@example.org", full_name="Mo O'Member")
    post = PostFactory(title="Chief Medical Officer", host_organisation=north_trust,
                       role_type=RoleTypeFactory(name="Chief Medical Officer",
                                                 is_board_level=True))
    Seat.objects.create(body=board, post=post, role=Seat.Role.MEMBER, voting=True)
    holding = AppointmentFactory(post=post, start_date=D(2024, 12, 1),
                                 person=PersonFactory(given_name="Mo", family_name="O'Member",
                                                      user=member))
    fppt_services.open_due_assessments(D(2026, 11, 23))
    assessment = FitAndProperAssessment.objects.get(appointment=holding)
    for item in FitAndProperCheck.Item.values:
        fppt_services.record_check(assessment=assessment, item=item, outcome="satisfactory",
                                   checked_on=D(2026, 11, 2), by=hr_north)
    return assessment, member, chair


def test_a_board_member_attests_that_they_are_fit_and_proper(journey, board_year):
    assessment, member, _ = board_year
    page = journey.page
    sign_in_leader(journey, member.email)
    journey.submit(page.get_by_role("link", name="Governance", exact=True))
    journey.submit(page.get_by_role("link", name="Fit and proper person test"))
    journey.submit(page.locator("#maincontent").get_by_role("link", name="Mo O'Member"))
    journey.submit(page.get_by_role("link", name="Attest that you are fit and proper"))

    # Not ticked: the error summary, and nothing written.
    journey.submit(page.get_by_role("button", name="Sign the attestation"))
    errors = page.locator(".nhsuk-error-summary")
    assert errors.get_by_role("link", name="Confirm the statement to attest.").is_visible()
    assert page.title().startswith("Error:")
    assessment.refresh_from_db()
    assert assessment.attested_at is None

    journey.press(page.get_by_label("I confirm the statement above"), " ")
    journey.submit(page.get_by_role("button", name="Sign the attestation"))
    assert page.get_by_text("You have attested that you are a fit and proper person.") \
        .is_visible()
    assessment.refresh_from_db()
    assert assessment.attested_by == member and assessment.attestation


def test_the_chair_signs_off_the_year_once_it_is_complete(journey, board_year):
    assessment, member, chair = board_year
    page = journey.page
    sign_in_leader(journey, chair.email)
    journey.open(f"/fppt/{assessment.pk}/")
    journey.submit(page.get_by_role("link", name="Sign off the year"))
    journey.choose("id_outcome", 0)
    journey.type_into(page.locator("#id_reason"), "Every check satisfactory.")
    journey.submit(page.get_by_role("button", name="Sign off"))
    # The holder has not attested yet: refused, with the reason.
    assert page.locator(".nhsuk-error-summary").get_by_text("not yet attested").is_visible()
    assessment.refresh_from_db()
    assert assessment.signed_off_at is None

    fppt_services.attest(assessment=assessment, confirmed=True, by=member)
    journey.choose("id_outcome", 0)
    journey.type_into(page.locator("#id_reason"), "Every check satisfactory.")
    journey.submit(page.get_by_role("button", name="Sign off"))
    assert page.get_by_text("The year has been signed off.").is_visible()
    assert page.get_by_text("Signed off by Cora Chair (Chair, North Trust Board)").is_visible()
    assessment.refresh_from_db()
    assert (assessment.signed_off_by, assessment.outcome) == (chair, "fit")
