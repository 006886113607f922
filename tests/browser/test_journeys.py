"""The main journeys in a real browser, with the keyboard alone, axe-core on every page."""

import datetime
from pathlib import Path

import pytest

from appointments import imports, services
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
from .conftest import Journey

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
    """In a system whose routes let HR record an agreement made outside the register: a direct
    appointment and an extension, each recorded with its evidence."""
    system, trust = north
    hr = with_totp(grant(UserFactory(email="hr.journey@example.org"), access.EDIT, system))
    for subject in ("appointment", "extension"):
        route = services.route_for(system, subject)
        route.allows_outside_agreement = True
        route.save()
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
    journey.choose("id_how", 1)  # an agreement already made outside the register
    journey.type_into(page.locator("#id_evidence"), "Clinical board minutes 2026/11 item 3")
    type_date(journey, "agreed_on", D(2026, 11, 18))
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
    journey.choose("id_how", 1)  # an agreement already made outside the register
    journey.type_into(page.locator("#id_evidence"), "Clinical board minutes 2026/11 item 7")
    type_date(journey, "agreed_on", D(2027, 1, 1))  # in the future: refused on the field
    journey.submit(page.get_by_role("button", name="Extend the term"))
    assert page.get_by_text("The date it was agreed cannot be in the future.").first.is_visible()
    assert not Extension.objects.exists()
    type_date(journey, "agreed_on", D(2026, 11, 18))
    journey.submit(page.get_by_role("button", name="Extend the term"))
    assert page.get_by_text("The term now ends on 31 March 2030 (extension 1).").is_visible()
    extension = Extension.objects.get()
    assert extension.old_end_date == D(2029, 11, 30)
    assert "Clinical board minutes 2026/11 item 7" in extension.agreed_by


def test_hr_asks_for_an_extension_and_both_officers_agree(journey, browser, live_server, north):
    """A joint route: HR ask, the Chief Medical Officer agrees (nothing changes yet), the Chief
    Nursing Officer agrees, and the term is extended: each in their own browser, from their
    dashboard, with the keyboard."""
    system, trust = north
    hr = with_totp(grant(UserFactory(email="hr.joint@example.org"), access.EDIT, system))
    officers = {}
    for key, name in (("cmo", "Chief Medical Officer"), ("cno", "Chief Nursing Officer")):
        user = with_totp(grant(UserFactory(email=f"{key}.joint@example.org"), access.VIEW,
                               system))
        officers[name] = user
    services.configure_route(system=system, subject="extension", by=None, parties=[
        (name, "users", [user]) for name, user in officers.items()])
    appointment = AppointmentFactory(
        post=PostFactory(host_organisation=trust, system=system, title="Clinical Lead for Stroke"),
        person=PersonFactory(given_name="Sam", family_name="Example", substantive_employer=trust),
        start_date=D(2024, 4, 1), end_date=D(2027, 3, 31))
    page = journey.page

    sign_in(journey, hr.email)
    journey.open(appointment.get_absolute_url())
    journey.submit(page.get_by_role("link", name="Extend the term"))
    type_date(journey, "new_end_date", D(2028, 3, 31))
    journey.type_into(page.locator("#id_reason"), "Leads the stroke network's redesign")
    journey.submit(page.get_by_role("button", name="Extend the term"))
    assert page.get_by_text("Chief Medical Officer, Chief Nursing Officer will decide").is_visible()
    assert not Extension.objects.exists()

    for name, user in officers.items():
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        try:
            officer = Journey(context.new_page(), live_server.url)
            sign_in(officer, user.email)
            officer.submit(officer.page.get_by_role("link", name=f"Decide for {name}"))
            officer.choose("id_decision", 0)
            officer.type_into(officer.page.locator("#id_evidence"), "Joint CMO/CNO meeting")
            officer.submit(officer.page.get_by_role("button", name="Record the decision"))
            assert officer.page.get_by_text(f"{name} agrees.").is_visible()
        finally:
            context.close()
        officer.assert_clean()
        if name == "Chief Medical Officer":
            assert not Extension.objects.exists()

    appointment.refresh_from_db()
    assert appointment.end_date == D(2028, 3, 31)
    extension = Extension.objects.get()
    assert "Chief Medical Officer" in extension.agreed_by
    assert "Chief Nursing Officer" in extension.agreed_by
    journey.open(appointment.get_absolute_url())
    assert page.get_by_role("cell", name="31 Mar 2028", exact=True).is_visible()


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
    # An import records its appointments as agreed outside the register: the route allows it.
    services.configure_route(system=system, subject="appointment",
                             parties=[("CMO/CNO office", "office", [])],
                             allows_outside_agreement=True, by=None)
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
