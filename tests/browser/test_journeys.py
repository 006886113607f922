"""The main journeys in a real browser, with the keyboard alone, axe-core on every page."""

import datetime
from pathlib import Path

import pytest

from appointments import imports
from appointments.models import Appointment, Extension
from ccpl import access

from ..factories import (
    AppointmentFactory,
    OrganisationFactory,
    PersonFactory,
    PostFactory,
    RoleTypeFactory,
    SystemFactory,
    UserFactory,
    grant,
    totp_code,
    with_totp,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct-horse-battery"
D = datetime.date


@pytest.fixture
def north(db):
    system = SystemFactory(name="North Test ICS", short_name="NORTH")
    trust = OrganisationFactory(name="North Acute Trust", systems=[system])
    return system, trust


def sign_in(journey, email):
    journey.open("/accounts/login/")
    page = journey.page
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


def test_hr_appoints_a_leader_and_extends_the_term(journey, north):
    system, trust = north
    hr = with_totp(grant(UserFactory(email="hr.journey@example.org"), access.EDIT, system))
    post = PostFactory(host_organisation=trust, system=system, title="Clinical Lead for Sepsis")
    PersonFactory(given_name="Robin", family_name="Example", substantive_employer=trust)
    page = journey.page

    sign_in(journey, hr.email)
    journey.submit(page.get_by_role("link", name="Posts", exact=True))
    journey.submit(page.get_by_role("link", name="Clinical Lead for Sepsis"))
    journey.submit(page.get_by_role("link", name="Appoint to this post"))

    journey.tab_to(page.locator("#id_person"))
    page.keyboard.type("Robin Example")
    type_date(journey, "start_date", D(2026, 12, 1))
    journey.press(page.get_by_label("Accepted"), " ")
    journey.submit(page.get_by_role("button", name="Appoint"))
    assert page.get_by_text("has been appointed to Clinical Lead for Sepsis").is_visible()
    appointment = Appointment.objects.get(post=post)
    assert appointment.end_date == D(2029, 11, 30)

    journey.submit(page.get_by_role("link", name="Extend the term"))
    journey.submit(page.get_by_role("button", name="Extend the term"))  # nothing filled in
    assert page.get_by_text("There is a problem").is_visible()
    assert not Extension.objects.exists()
    type_date(journey, "new_end_date", D(2030, 3, 31))
    journey.type_into(page.locator("#id_reason"), "Continuity through the winter")
    journey.type_into(page.locator("#id_agreed_by"), "Appointee, CMO and host trust")
    journey.submit(page.get_by_role("button", name="Extend the term"))
    assert page.get_by_text("The term now ends on 31 March 2030 (extension 1).").is_visible()
    assert Extension.objects.get().old_end_date == D(2029, 11, 30)


def test_the_cmo_office_bulk_extends_a_role_group(journey, north):
    system, trust = north
    cmo = with_totp(UserFactory(email="cmo.journey@example.org"))
    grant(cmo, access.VIEW, system)
    grant(cmo, access.APPROVE, system)
    leads = RoleTypeFactory(name="Clinical Lead")
    for n in range(4):
        AppointmentFactory(post=PostFactory(host_organisation=trust, system=system,
                                            role_type=leads, title=f"Clinical Lead {n}"),
                           start_date=D(2024, 1, 1), end_date=D(2027, 1, 31))
    AppointmentFactory(post=PostFactory(host_organisation=trust, system=system,
                                        title="Deputy Medical Director"),
                       start_date=D(2024, 1, 1), end_date=D(2027, 1, 31))
    page = journey.page

    sign_in(journey, cmo.email)
    journey.submit(page.get_by_role("link", name="Appointments", exact=True))
    journey.submit(page.get_by_role("link", name="Extend or cease many"))
    journey.type_into(page.locator("#id_q"), "Clinical Lead")
    journey.submit(page.get_by_role("button", name="Choose these"))
    assert page.get_by_text("4 active appointments chosen.").is_visible()

    journey.press(page.get_by_label("Extend to a new end date"), " ")
    type_date(journey, "on_date", D(2027, 7, 31))
    journey.type_into(page.locator("#id_reason"), "Keep the programme going over winter")
    journey.type_into(page.locator("#id_agreed_by"), "Chief Medical Officer")
    type_date(journey, "agreed_on", D(2026, 11, 20))
    journey.submit(page.get_by_role("button", name="Check the changes"))
    assert page.get_by_role("heading", name="Check the changes before you confirm").is_visible()
    assert Appointment.objects.filter(end_date=D(2027, 7, 31)).count() == 0

    journey.submit(page.get_by_role("button", name="Confirm and change 4 appointments"))
    assert page.get_by_role("heading", name="4 appointments changed").is_visible()
    assert Appointment.objects.filter(end_date=D(2027, 7, 31)).count() == 4
    assert Appointment.objects.get(post__title="Deputy Medical Director").end_date == \
        D(2027, 1, 31)


def _spreadsheet(tmp_path, start_date):
    row = {"system": "NORTH", "post_title": "Clinical Lead for Stroke",
           "host_organisation": "North Acute Trust", "role_type": "Clinical Lead",
           "post_wte": "0.4", "given_name": "Sam", "family_name": "Example",
           "work_email": "sam.example@nhs.example", "profession": "Nurse",
           "start_date": start_date}
    path = Path(tmp_path) / "register.csv"
    path.write_text(",".join(imports.COLUMN_NAMES) + "\n"
                    + ",".join(row.get(c, "") for c in imports.COLUMN_NAMES) + "\n")
    return path


def test_hr_imports_a_spreadsheet_with_an_error_fixes_it_and_imports(journey, north, tmp_path):
    system, trust = north
    hr = with_totp(grant(UserFactory(email="hr.import@example.org"), access.EDIT, system))
    RoleTypeFactory(name="Clinical Lead")
    page = journey.page

    sign_in(journey, hr.email)
    journey.submit(page.get_by_role("link", name="Appointments", exact=True))
    journey.submit(page.get_by_role("link", name="Import a spreadsheet"))
    journey.tab_to(page.locator("#id_file"))
    page.locator("#id_file").set_input_files(_spreadsheet(tmp_path, "2026-02-30"))
    journey.submit(page.get_by_role("button", name="Upload and check"))
    assert page.get_by_text("Row 2, column start_date").first.is_visible()
    assert not Appointment.objects.exists()

    journey.submit(page.get_by_role("link", name="Upload a corrected file"))
    journey.tab_to(page.locator("#id_file"))
    page.locator("#id_file").set_input_files(_spreadsheet(tmp_path, "2026-12-01"))
    journey.submit(page.get_by_role("button", name="Upload and check"))
    journey.submit(page.get_by_role("button", name="Import 1 row"))
    assert page.get_by_text("1 rows imported").is_visible()
    assert Appointment.objects.get().person.work_email == "sam.example@nhs.example"


def test_the_accessibility_check_catches_a_violation(journey):
    """The check every journey relies on can fail."""
    journey.open("/accounts/login/")
    journey.page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', "
                          "'<img src=\"/static/nhsuk/assets/images/favicon.svg\">')")
    journey.check()
    assert any("image-alt" in problem for problem in journey.problems)
    journey.problems.clear()
