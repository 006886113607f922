"""Board assurance in a real browser (issue 14): a leader declares an interest, and HR records a
board meeting's attendance and sees it is not quorate. Keyboard only, axe-core clean on every
page (the journey checks each page it opens), and the database checked afterwards."""

import datetime
from decimal import Decimal

import pytest

from governance.models import Attendance, Body, DeclarationReturn, Interest, QuorumRule, Seat

from ..factories import AppointmentFactory, PersonFactory, PostFactory, UserFactory
from .test_governance_journeys import sign_in as sign_in_staff
from .test_governance_journeys import type_date

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct-horse-battery"
D = datetime.date


def sign_in_leader(journey, email):
    page = journey.page
    journey.open("/accounts/login/")
    journey.type_into(page.locator("#id_login"), email)
    journey.type_into(page.locator("#id_password"), PASSWORD)
    journey.submit(page.get_by_role("button", name="Sign in"))
    assert page.get_by_role("heading", name="Dashboard").is_visible()


def test_a_leader_declares_an_interest(journey, north_trust):
    user = UserFactory(email="declarer@example.org")
    person = PersonFactory(given_name="Dana", family_name="O'Declarer", user=user,
                           substantive_employer=north_trust)
    AppointmentFactory(person=person, post=PostFactory(host_organisation=north_trust),
                       start_date=D(2026, 4, 1))
    page = journey.page

    sign_in_leader(journey, user.email)
    journey.submit(page.get_by_role("link", name="Governance", exact=True))
    journey.submit(page.get_by_role("link", name="Declarations of interest"))
    journey.submit(page.get_by_role("link", name="See and make your declarations"))
    assert page.get_by_role("heading", name="Your declarations").is_visible()
    journey.submit(page.get_by_role("link", name="Declare an interest"))

    # Nothing said: the error summary, and nothing written.
    journey.submit(page.get_by_role("button", name="Declare the interest"))
    errors = page.locator(".nhsuk-error-summary")
    assert errors.get_by_text("There is a problem").is_visible()
    assert errors.get_by_role("link", name="Select the type of interest.").is_visible()
    assert page.title().startswith("Error:")
    assert not DeclarationReturn.objects.exists()

    journey.choose("id_kind", 1)  # non-financial professional
    journey.type_into(page.locator("#id_organisation"), "Royal College of Physicians")
    journey.type_into(page.locator("#id_description"), "Regional adviser, unpaid")
    type_date(journey, "from_date", D(2025, 9, 1))
    journey.type_into(page.locator("#id_action_taken"), "Declared at the start of meetings")
    journey.press(page.get_by_label("Publish this interest, with my name, on the public "
                                    "register"), " ")
    journey.submit(page.get_by_role("button", name="Declare the interest"))
    assert page.get_by_text("The interest has been declared.").is_visible()
    assert page.get_by_role("heading", name="Royal College of Physicians").is_visible()

    made = DeclarationReturn.objects.get()
    interest = Interest.objects.get()
    assert (made.person, made.recorded_by, made.on_behalf) == (person, user, False)
    assert (interest.declaration_return, interest.organisation, interest.from_date,
            interest.publish) == (made, "Royal College of Physicians", D(2025, 9, 1), True)


def test_hr_records_a_board_meeting_and_sees_it_inquorate(journey, north, north_trust,
                                                          hr_north):
    board = Body.objects.create(system=north, name="North Trust Board", kind=Body.Kind.BOARD)
    QuorumRule.objects.create(body=board, fraction=Decimal("0.5"), executives=1, clinicians=1)
    holders = {}
    for title, given, executive, clinical in [("Chief Executive", "Cass", True, False),
                                               ("Chief Medical Officer", "Mo", True, True),
                                               ("Chief Nursing Officer", "Nia", True, True),
                                               ("Non-executive Director", "Ned", False, False)]:
        post = PostFactory(host_organisation=north_trust, system=north, title=title)
        holders[title] = PersonFactory(given_name=given, family_name="Member")
        AppointmentFactory(post=post, person=holders[title], start_date=D(2025, 4, 1))
        Seat.objects.create(body=board, post=post, voting=True, executive=executive,
                            clinical=clinical)
    page = journey.page

    sign_in_staff(journey, hr_north.email)
    journey.submit(page.get_by_role("link", name="Governance", exact=True))
    journey.submit(page.get_by_role("link", name="Boards, committees and networks"))
    journey.submit(page.get_by_role("link", name="North Trust Board"))
    # The members' declared interests are a page of their own, for HR and the chair.
    journey.submit(page.get_by_role("link", name="Every interest the members of North Trust "
                                                 "Board declared"))
    assert page.get_by_role("heading", name="Members' declared interests", level=1).is_visible()
    assert page.get_by_role("heading", name="Mo Member").is_visible()
    assert page.get_by_text("No declaration made").count() == 4
    journey.open(board.get_absolute_url())
    journey.submit(page.get_by_role("link", name="Record a meeting"))

    journey.type_into(page.locator("#id_title"), "Board meeting in public")
    type_date(journey, "held_on", D(2026, 11, 5))
    seats = {seat.post.title: seat.pk for seat in board.seats.select_related("post")}
    # The chief executive and the non-executive attend; both clinicians send apologies.
    journey.choose(f"id_seat_{seats['Chief Executive']}", 0)
    journey.choose(f"id_seat_{seats['Chief Medical Officer']}", 1)
    journey.choose(f"id_seat_{seats['Chief Nursing Officer']}", 1)
    journey.choose(f"id_seat_{seats['Non-executive Director']}", 0)
    journey.submit(page.get_by_role("button", name="Record the attendance"))

    assert page.get_by_text("Not quorate").first.is_visible()
    assert page.get_by_text("clinician").first.is_visible()
    meeting = board.meetings.get()
    assert (meeting.title, meeting.held_on, meeting.recorded_by) == (
        "Board meeting in public", D(2026, 11, 5), hr_north)
    statuses = dict(Attendance.objects.filter(meeting=meeting)
                    .values_list("seat_title", "status"))
    assert statuses == {"Chief Executive": "present", "Chief Medical Officer": "apologies",
                        "Chief Nursing Officer": "apologies",
                        "Non-executive Director": "present"}

    # The minutes approved at the next meeting show the Chief Medical Officer was there after
    # all: HR correct the record, and the meeting is quorate.
    journey.submit(page.get_by_role("link", name="Correct the attendance"))
    cmo = meeting.attendances.get(seat_title="Chief Medical Officer")
    journey.tab_to(page.locator(f"#id_attendance_{cmo.pk}_1"))  # the recorded "apologies"
    page.keyboard.press("ArrowLeft")
    journey.type_into(page.locator("#id_reason"), "Minutes approved on 3 December")
    journey.submit(page.get_by_role("button", name="Save the correction"))
    assert page.get_by_text("(it was: Not quorate").is_visible()
    assert page.get_by_role("cell", name="Minutes approved on 3 December").is_visible()
    cmo.refresh_from_db()
    assert cmo.status == "present"
    assert cmo.history.first().history_user == hr_north
