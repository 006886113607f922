"""Governance, recruitment and the public register in a real browser: a body's seats filled by
posts, the action plan and its progress updates, a vacancy from approval to appointment, and
the published register with its disclosure-controlled diversity summary. Keyboard where a
person would use it, axe-core clean on every page, and the database checked afterwards."""

import datetime
import re

import pytest

from appointments.models import ApplicantCount, Appointment, EqualityProfile, Vacancy
from governance.models import Action, ActionUpdate, Body, Framework, Priority, Seat, Status

from ..factories import (
    AppointmentFactory,
    PersonFactory,
    PostFactory,
    totp_code,
)
from .conftest import Journey

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct-horse-battery"
D = datetime.date


def sign_in(journey, email):
    """Staff sign in with a password and a TOTP code."""
    page = journey.page
    journey.open("/accounts/login/")
    journey.type_into(page.locator("#id_login"), email)
    journey.type_into(page.locator("#id_password"), PASSWORD)
    journey.submit(page.get_by_role("button", name="Sign in"))
    journey.type_into(page.locator("#id_code"), totp_code())
    journey.submit(page.get_by_role("button", name="Sign In"))
    assert page.get_by_role("heading", name="Dashboard").is_visible()


def type_date(journey, name, day):
    page = journey.page
    for part, value in (("day", day.day), ("month", day.month), ("year", day.year)):
        journey.type_into(page.locator(f"#id_{name}_{part}"), value)


def choose_option(journey, select_id, text):
    """Focus a select with Tab and type the start of an option, as a keyboard user does."""
    journey.tab_to(journey.page.locator(f"#{select_id}"))
    journey.page.keyboard.type(text)


def row(page, text):
    return page.locator("tr").filter(has_text=text)


def numeric_cells(table):
    """The first token of each numeric cell: "*" or a whole number as a string."""
    cells = table.locator("td.nhsuk-table__cell--numeric").all_text_contents()
    return [re.match(r"\s*(\*|\d+)", cell).group(1) for cell in cells]


# --- 1. a body page --------------------------------------------------------------------------

def test_hr_adds_a_seat_on_a_body_and_the_holder_sees_it(journey, north, north_trust, hr_north):
    senate = Body.objects.create(system=north, name="North Clinical Senate",
                                 kind=Body.Kind.COUNCIL, purpose="Clinical advice to the board.")
    medical = PostFactory(host_organisation=north_trust, system=north,
                          title="Medical Director for the System")
    nursing = PostFactory(host_organisation=north_trust, system=north,
                          title="Director of Nursing for the System")
    ahp = PostFactory(host_organisation=north_trust, system=north,
                      title="Chief Allied Health Professional")
    AppointmentFactory(post=medical, person=PersonFactory(given_name="Alex", family_name="Holder"),
                       start_date=D(2025, 4, 1))
    therapist = PersonFactory(given_name="Chris", family_name="Therapist", profession="ahp",
                              registration_body="HCPC")
    AppointmentFactory(post=ahp, person=therapist, start_date=D(2025, 4, 1))
    Seat.objects.create(body=senate, post=medical, role=Seat.Role.CHAIR)
    Seat.objects.create(body=senate, post=nursing, role=Seat.Role.MEMBER)
    page = journey.page

    sign_in(journey, hr_north.email)
    journey.submit(page.get_by_role("link", name="Governance", exact=True))
    journey.submit(page.get_by_role("link", name="Boards, committees and networks"))
    journey.submit(page.get_by_role("link", name="North Clinical Senate"))
    assert page.get_by_role("heading", name="North Clinical Senate", level=1).is_visible()
    # Members through their posts: the holder of a filled post, "Vacant" for an empty one.
    chair = row(page, "Medical Director for the System")
    assert "Alex Holder" in chair.inner_text() and "Chair" in chair.inner_text()
    assert "Vacant" in row(page, "Director of Nursing for the System").inner_text()
    assert "Chris Therapist" not in page.locator("main table").inner_text()

    # HR adds the chief AHP's post as co-chair, keyboard only, on the seat's own page.
    journey.submit(page.get_by_role("link", name="Add a seat"))
    assert page.get_by_role("heading", name="Add a seat", level=1).is_visible()
    choose_option(journey, "id_post", "Chief Allied")
    assert page.locator("#id_post option:checked").inner_text() == \
        "Chief Allied Health Professional"
    assert page.locator("#id_role_2").is_checked()  # "Member" by default
    journey.tab_to(page.locator("#id_role_2"))
    page.keyboard.press("ArrowLeft")  # Co-chair
    assert page.locator("#id_role_1").is_checked()
    journey.type_into(page.locator("#id_capability"), "Allied health and rehabilitation")
    journey.submit(page.get_by_role("button", name="Add the seat"))
    assert page.get_by_text("Chief Allied Health Professional now has a seat on "
                            "North Clinical Senate.").is_visible()
    added = row(page, "Chief Allied Health Professional")
    for text in ("Co-chair", "Chris Therapist", "Allied health and rehabilitation"):
        assert text in added.inner_text()
    seat = Seat.objects.get(body=senate, post=ahp)
    assert (seat.role, seat.capability) == ("co_chair", "Allied health and rehabilitation")
    assert senate.seats.count() == 3

    # The holder's page lists the body under "Boards and groups".
    journey.submit(added.get_by_role("link", name="Chris Therapist"))
    assert page.url.endswith(f"/people/{therapist.pk}/")
    boards = page.locator("h2:text-is('Boards and groups') + ul")
    assert boards.get_by_role("link", name="North Clinical Senate").is_visible()
    assert "co-chair, as Chief Allied Health Professional (Allied health and rehabilitation)" \
        in boards.inner_text()


# --- 2. the action plan ----------------------------------------------------------------------

def test_the_cmo_office_records_progress_on_the_action_plan(journey, north, north_trust,
                                                            cmo_office):
    board = Body.objects.create(system=north, name="North Clinical Leadership Board",
                                kind=Body.Kind.BOARD)
    framework = Framework.objects.create(system=north, name="North Leadership Framework",
                                         adopted_on=D(2026, 4, 1), overseen_by=board)
    first = Priority.objects.create(framework=framework, number=1,
                                    title="Leaders from every profession")
    second = Priority.objects.create(framework=framework, number=2,
                                     title="Leadership in every place")
    lead = PostFactory(host_organisation=north_trust, system=north,
                       title="Clinical Lead for Leadership")
    action = Action.objects.create(priority=first, reference="1.1", term="short",
                                   text="Publish the role descriptions", due_on=D(2027, 3, 31))
    action.owner_posts.add(lead)
    Action.objects.create(priority=first, reference="1.2", term="medium",
                          text="Mentor nurses and AHPs into system roles",
                          due_on=D(2027, 9, 30)).owner_bodies.add(board)
    Action.objects.create(priority=second, reference="2.1", term="long",
                          text="Place leads in every neighbourhood",
                          due_on=D(2028, 3, 31)).owner_bodies.add(board)
    page = journey.page

    sign_in(journey, cmo_office.email)
    journey.submit(page.get_by_role("link", name="Governance", exact=True))
    journey.submit(page.get_by_role("link", name="Frameworks and action plans"))
    journey.submit(page.get_by_role("link", name="North Leadership Framework"))
    summary = page.locator("table", has=page.locator("caption",
                                                     has_text="Actions by priority and term"))
    assert numeric_cells(row(summary, "1. Leaders from every profession")) == ["1", "1", "0", "2"]
    assert numeric_cells(row(summary, "2. Leadership in every place")) == ["0", "0", "1", "1"]
    assert numeric_cells(row(summary, "Total actions (3)")) == ["1", "1", "1", "3"]
    assert page.get_by_text("Status: Not started 3 · On track 0 · At risk 0").is_visible()
    assert page.get_by_role("link", name="Add an action").is_visible()

    # The PDF for the board report.
    pdf_link = page.get_by_role("link", name="Download for the board report (PDF)")
    response = page.request.get(journey.base_url + pdf_link.get_attribute("href"))
    assert response.ok
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")

    journey.submit(page.get_by_role("link", name="1.1"))
    assert page.get_by_role("heading", name="Action 1.1").is_visible()
    assert page.get_by_text("No progress has been recorded yet.").is_visible()

    # At risk, but nothing said about why: the error summary, and nothing written.
    journey.choose("id_status", 2)
    assert page.get_by_label("At risk").is_checked()
    journey.submit(page.get_by_role("button", name="Record progress"))
    summary_box = page.locator(".nhsuk-error-summary")
    assert summary_box.get_by_text("There is a problem").is_visible()
    assert summary_box.get_by_role(
        "link", name="Enter what has happened since the last update.").is_visible()
    assert page.title().startswith("Error:")
    assert not ActionUpdate.objects.exists()
    action.refresh_from_db()
    assert action.status == Status.NOT_STARTED

    # The choice survived the round trip; now say what happened.
    assert page.get_by_label("At risk").is_checked()
    journey.type_into(page.locator("#id_note"), "Two trusts have not yet agreed the wording.")
    journey.submit(page.get_by_role("button", name="Record progress"))
    assert page.get_by_text("Progress on 1.1 has been recorded.").is_visible()
    updates = page.locator("h2:text-is('Progress updates') + ul")
    assert "23 November 2026 — At risk, recorded by" in updates.inner_text()
    assert "Two trusts have not yet agreed the wording." in updates.inner_text()
    status = page.locator(".nhsuk-summary-list__row", has_text="Status")
    assert status.locator(".nhsuk-tag").inner_text() == "At risk"
    assert "RAG: Amber" in status.inner_text()
    update = ActionUpdate.objects.get()
    assert (update.action, update.status, update.on, update.by) == \
        (action, Status.AT_RISK, D(2026, 11, 23), cmo_office)
    action.refresh_from_db()
    assert action.status == Status.AT_RISK

    # Back on the plan, the action carries its new tag and latest update.
    journey.open(framework.get_absolute_url())
    plan_row = row(page, "Publish the role descriptions")
    assert plan_row.locator(".nhsuk-tag").inner_text() == "At risk"
    assert "Two trusts have not yet agreed the wording." in plan_row.inner_text()
    assert page.get_by_text("Status: Not started 2 · On track 0 · At risk 1").is_visible()


# --- 3. recruitment through to appointment ---------------------------------------------------

def test_a_vacancy_from_approval_to_appointment(journey, browser, live_server, north,
                                                north_trust, hr_north, cmo_office):
    post = PostFactory(host_organisation=north_trust, system=north,
                       title="Clinical Lead for Frailty")
    robin = PersonFactory(given_name="Robin", family_name="Example", profession="nurse",
                          registration_body="NMC", substantive_employer=north_trust)
    page = journey.page

    # HR opens the vacancy.
    sign_in(journey, hr_north.email)
    journey.submit(page.get_by_role("link", name="Recruitment", exact=True))
    journey.submit(page.get_by_role("link", name="Open a vacancy"))
    choose_option(journey, "id_post", "Clinical Lead for Frailty")
    journey.type_into(page.locator("#id_reason"), "The previous lead retired.")
    type_date(journey, "expected_start", D(2027, 1, 4))
    journey.submit(page.get_by_role("button", name="Open the vacancy"))
    assert page.get_by_text("The vacancy for").first.is_visible()
    vacancy = Vacancy.objects.get(post=post)
    assert vacancy.approval == Vacancy.Approval.REQUESTED
    assert page.get_by_text("Waiting for CMO/CNO office to approve recruitment.").is_visible()

    # The CMO/CNO office (the system's one party to approval to recruit) approves, in its own
    # browser.
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        cmo = Journey(context.new_page(), live_server.url)
        sign_in(cmo, cmo_office.email)
        cmo.open(vacancy.get_absolute_url())
        cmo.submit(cmo.page.get_by_role("link", name="Decide for CMO/CNO office"))
        cmo.choose("id_decision", 0)
        cmo.type_into(cmo.page.locator("#id_note"), "Funded from the frailty programme.")
        cmo.submit(cmo.page.get_by_role("button", name="Record the decision"))
        assert cmo.page.get_by_text("Every party has agreed").is_visible()
    finally:
        context.close()
    cmo.assert_clean()
    vacancy.refresh_from_db()
    assert (vacancy.approval, vacancy.approval_by) == (Vacancy.Approval.APPROVED, cmo_office)

    # HR records the advert, the shortlisting and the interview.
    journey.open(vacancy.get_absolute_url())
    journey.submit(page.get_by_role("link", name="Record the advert"))
    journey.type_into(page.locator("#id_reference"), "C9123-26-0042")
    journey.type_into(page.locator("#id_where"), "NHS Jobs and the ICS website")
    type_date(journey, "advertised_on", D(2026, 10, 1))
    type_date(journey, "closes_on", D(2026, 10, 20))
    journey.submit(page.get_by_role("button", name="Save the advert"))
    assert page.get_by_text("The advert has been recorded.").is_visible()

    journey.submit(page.get_by_role("link", name="Record the shortlisting"))
    type_date(journey, "shortlisted_on", D(2026, 10, 27))
    for profession, applied, shortlisted in (("doctor", 5, 2), ("nurse", 3, 1), ("ahp", 2, 1)):
        journey.type_into(page.locator(f"#id_applied_{profession}"), applied)
        journey.type_into(page.locator(f"#id_shortlisted_{profession}"), shortlisted)
    journey.submit(page.get_by_role("button", name="Save the shortlisting"))
    assert page.get_by_text("The shortlisting has been recorded.").is_visible()
    assert "5" in row(page, "Doctor").inner_text()

    journey.submit(page.get_by_role("link", name="Record the interview"))
    type_date(journey, "interview_on", D(2026, 11, 10))
    journey.submit(page.get_by_role("button", name="Save the interview date"))
    assert page.get_by_text("The interview date has been recorded.").is_visible()

    # The offer makes the appointment, as offered; the acceptance makes it active.
    journey.submit(page.get_by_role("link", name="Make an offer"))
    choose_option(journey, "id_person", "Robin Example")
    type_date(journey, "start_date", D(2027, 1, 4))
    journey.submit(page.get_by_role("button", name="Make the offer"))
    assert page.get_by_text("Robin Example has been offered the post.").is_visible()
    appointment = Appointment.objects.get(post=post)
    assert (appointment.person, appointment.status) == (robin, Appointment.Status.OFFERED)

    journey.submit(page.get_by_role("button", name="Record that the offer was accepted"))
    assert page.url.endswith(appointment.get_absolute_url())
    assert page.get_by_text("Robin Example has accepted; the vacancy is filled.").is_visible()
    vacancy.refresh_from_db()
    appointment.refresh_from_db()
    assert vacancy.status == Vacancy.Status.FILLED
    assert vacancy.appointment == appointment
    assert (vacancy.advertised_on, vacancy.shortlisted_on, vacancy.interview_on) == \
        (D(2026, 10, 1), D(2026, 10, 27), D(2026, 11, 10))
    assert appointment.status == Appointment.Status.ACTIVE
    assert appointment.start_date == D(2027, 1, 4)
    assert {(c.profession, c.applied, c.shortlisted)
            for c in ApplicantCount.objects.filter(vacancy=vacancy)} == \
        {("doctor", 5, 2), ("nurse", 3, 1), ("ahp", 2, 1)}

    # The filled vacancies, and who applied to them.
    journey.submit(page.get_by_role("link", name="Recruitment", exact=True))
    journey.tab_to(page.locator("#id_state"))
    page.keyboard.type("Filled")
    journey.submit(page.get_by_role("button", name="Show"))
    assert "state=filled" in page.url
    assert page.get_by_role("link", name="Clinical Lead for Frailty").is_visible()
    assert page.get_by_text("10 applications to the vacancies listed; 50% from professions "
                            "other than medicine.").is_visible()
    applicants = page.locator("table", has=page.locator("caption",
                                                        has_text="Applicants by profession"))
    assert numeric_cells(row(applicants, "Doctor")) == ["5", "2"]
    assert numeric_cells(row(applicants, "Nurse")) == ["3", "1"]
    assert numeric_cells(row(applicants, "Allied health professional")) == ["2", "1"]


# --- 4. the public register ------------------------------------------------------------------

def test_the_public_register_without_signing_in(journey, north, north_trust):
    senate = Body.objects.create(system=north, name="North Clinical Senate",
                                 kind=Body.Kind.COUNCIL)
    stroke = PostFactory(host_organisation=north_trust, system=north,
                         title="Clinical Lead for Stroke")
    sepsis = PostFactory(host_organisation=north_trust, system=north,
                         title="Clinical Lead for Sepsis")
    hidden = PostFactory(host_organisation=north_trust, system=north,
                         title="Clinical Lead for Confidential Work", is_published=False)
    Seat.objects.create(body=senate, post=stroke, role=Seat.Role.MEMBER)
    AppointmentFactory(post=stroke, person=PersonFactory(given_name="Nadia", family_name="Named",
                                                         consent_to_publish=True))
    AppointmentFactory(post=sepsis, person=PersonFactory(given_name="Quinn", family_name="Quiet"))
    AppointmentFactory(post=hidden, person=PersonFactory(given_name="Hana", family_name="Hidden",
                                                         consent_to_publish=True))
    # Enough holders for some counts to be shown (rounded) and some suppressed.
    for n in range(10):
        person = PersonFactory(profession="doctor" if n < 7 else "nurse",
                               registration_body="GMC" if n < 7 else "NMC")
        EqualityProfile.objects.create(person=person, sex="female" if n < 8 else "male",
                                       age_band="40_49" if n % 2 else "50_59",
                                       ethnic_category="A" if n < 9 else "H")
        AppointmentFactory(post=PostFactory(host_organisation=north_trust, system=north,
                                            title=f"Clinical Lead for Pathway {n}"),
                           person=person)
    page = journey.page

    journey.open("/register/")
    assert page.get_by_role("button", name="Sign out").count() == 0
    journey.submit(page.get_by_role("link", name="North Test ICS"))
    caption = page.locator("caption")
    assert caption.inner_text() == "12 roles held"
    named = row(page, "Clinical Lead for Stroke")
    assert "Nadia Named" in named.inner_text()
    assert "North Clinical Senate (member)" in named.inner_text()
    assert "Held — name not published" in row(page, "Clinical Lead for Sepsis").inner_text()
    main = page.locator("main").inner_text()
    assert "Quinn Quiet" not in main
    assert "Confidential Work" not in main and "Hana Hidden" not in main

    # Search by role title.
    journey.type_into(page.locator("#register-q"), "stroke")
    journey.submit(page.get_by_role("button", name="Search"))
    assert caption.inner_text() == "1 role held matching “stroke”"
    assert "Nadia Named" in row(page, "Clinical Lead for Stroke").inner_text()
    assert row(page, "Clinical Lead for Sepsis").count() == 0

    csv_link = page.get_by_role("link", name="Download these roles (CSV)")
    response = page.request.get(journey.base_url + csv_link.get_attribute("href"))
    assert response.ok
    assert response.headers["content-type"].startswith("text/csv")
    text = response.text()
    assert "Nadia Named" in text and "Clinical Lead for Stroke" in text
    assert "Sepsis" not in text and "Quinn Quiet" not in text

    # The diversity summary: no count from 1 to 7 anywhere.
    journey.submit(page.get_by_role("link", name="Diversity of the people in these roles"))
    tables = page.locator("table.app-diversity")
    assert tables.count() == 4
    shown = []
    for index in range(tables.count()):
        shown += numeric_cells(tables.nth(index))
    assert shown, "no counts on the diversity page"
    assert "*" in shown
    assert not [value for value in shown if value != "*" and 1 <= int(value) <= 7], shown
    assert all(value == "*" or int(value) % 5 == 0 for value in shown), shown

    response = page.request.get(journey.base_url + page.get_by_role(
        "link", name="Download this summary (CSV)").get_attribute("href"))
    assert response.ok
    assert response.headers["content-type"].startswith("text/csv")
    people = [line.rsplit(",", 1)[1].strip() for line in response.text().splitlines()[1:]]
    assert not [value for value in people if value.isdigit() and 1 <= int(value) <= 7], people
