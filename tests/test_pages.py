"""The browser app's pages through Django's test client: each journey's happy path, its bad
input (a clear message, nothing written), and list pages whose cost does not grow with rows."""

import datetime
import io

import pytest
from django.core import mail
from django.urls import reverse
from openpyxl import load_workbook

from appointments import imports, services
from appointments.models import (
    Appointment,
    ApprovalRequest,
    EqualityProfile,
    Extension,
    Person,
    TermEndDecision,
)
from ccpl.models import Notification
from roles.models import Post

from .factories import AppointmentFactory, PersonFactory, PostFactory, RoleTypeFactory
from .pages import as_user, date_fields, queries, shown

pytestmark = pytest.mark.django_db
D = datetime.date


class TestListsCostTheSameWhateverTheirSize:
    @pytest.mark.parametrize("url_name", ["appointments:dashboard", "appointments:post-list",
                                          "appointments:appointment-list",
                                          "appointments:person-list", "notification-list"])
    def test_constant_queries(self, client, hr_north, north_trust, url_name):
        as_user(client, hr_north)

        def add(n):
            for _ in range(n):
                post = PostFactory(host_organisation=north_trust)
                appointment = AppointmentFactory(post=post, start_date=D(2024, 1, 1),
                                                 end_date=D(2027, 1, 15))
                Extension.objects.create(appointment=appointment, number=1,
                                         old_end_date=D(2026, 12, 31),
                                         new_end_date=D(2027, 1, 15), reason="r",
                                         agreed_by="a", agreed_on=D(2026, 1, 1))
        add(2)
        url = reverse(url_name)
        few = queries(client, url)
        add(6)
        assert queries(client, url) == few


class TestDashboard:
    def test_hr_sees_what_ends_soon_with_no_decision(self, client, hr_north, north_appointment,
                                                     north_post):
        post = PostFactory(host_organisation=north_post.host_organisation)
        ending = AppointmentFactory(post=post, start_date=D(2024, 1, 1),
                                    end_date=D(2026, 12, 20))
        page = as_user(client, hr_north).get(reverse("appointments:dashboard")).content.decode()
        assert shown(ending.person) in page
        assert "Terms ending with no decision" in page

    def test_a_leader_sees_their_own_appointment(self, client, leader, north_appointment):
        page = as_user(client, leader).get(reverse("appointments:dashboard")).content.decode()
        assert "Your appointments" in page and str(north_appointment.post) in page


class TestPosts:
    def test_search_and_filter(self, client, hr_north, north_trust):
        PostFactory(host_organisation=north_trust, title="Clinical Lead for Diabetes")
        PostFactory(host_organisation=north_trust, title="Clinical Lead for Stroke")
        page = as_user(client, hr_north).get(reverse("appointments:post-list"),
                                             {"q": "diabetes"}).content.decode()
        assert "Diabetes" in page and "Stroke" not in page

    def test_export_is_exactly_what_is_filtered_and_never_a_formula(self, client, hr_north,
                                                                     north_trust, south_post):
        PostFactory(host_organisation=north_trust, title="=HYPERLINK(\"http://x\")")
        PostFactory(host_organisation=north_trust, title="Clinical Lead for Stroke")
        response = as_user(client, hr_north).get(reverse("appointments:post-list"),
                                                 {"q": "hyperlink", "export": "csv"})
        body = response.content.decode("utf-8-sig")
        assert "'=HYPERLINK" in body
        assert "Stroke" not in body and south_post.title not in body
        response = client.get(reverse("appointments:post-list"), {"export": "xlsx"})
        sheet = load_workbook(io.BytesIO(response.content)).active
        titles = [row[0].value for row in sheet.iter_rows(min_row=2)]
        assert "'=HYPERLINK(\"http://x\")" in titles
        assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)

    def test_creating_a_post_with_bad_input_writes_nothing(self, client, hr_north, north,
                                                           north_trust):
        role_type = RoleTypeFactory()
        response = as_user(client, hr_north).post(reverse("roles:post-create"), {
            "title": "", "role_type": role_type.pk, "system": north.pk,
            "host_organisation": north_trust.pk, "wte": "1.5", "spatial_level": "system",
            "default_term_months": "36"})
        page = response.content.decode()
        assert response.status_code == 200
        assert "There is a problem" in page
        assert "Enter the title of the post." in page
        assert 'href="#id_title"' in page
        assert not Post.objects.exists()

    def test_creating_a_post(self, client, hr_north, north, north_trust):
        role_type = RoleTypeFactory()
        response = as_user(client, hr_north).post(reverse("roles:post-create"), {
            "title": "Clinical Lead for Sepsis", "role_type": role_type.pk, "system": north.pk,
            "host_organisation": north_trust.pk, "wte": "0.4", "spatial_level": "system",
            "default_term_months": "36"})
        post = Post.objects.get()
        assert response.url == post.get_absolute_url()
        assert post.history.get().history_user == hr_north

    def test_detail_draws_the_timeline(self, client, hr_north, north_appointment, admin_user):
        from appointments import services

        services.extend(appointment=north_appointment, new_end_date=D(2027, 9, 30),
                        reason="r", agreed_by="a", by=admin_user)
        page = as_user(client, hr_north).get(north_appointment.post.get_absolute_url()) \
            .content.decode()
        assert '<svg class="app-timeline"' in page
        assert "Extension 1" in page
        assert 'role="img"' in page

    def test_detail_says_whom_else_the_holder_answers_to(self, client, hr_north, north_trust,
                                                         admin_user):
        cmo = PostFactory(host_organisation=north_trust, title="Chief Medical Officer")
        borough = PostFactory(host_organisation=north_trust, title="Director of Integration")
        director = PostFactory(host_organisation=north_trust, title="Place Director",
                               responsible_to=cmo)
        url = director.get_absolute_url()
        assert "Also accountable to" not in as_user(client, hr_north).get(url).content.decode()
        director._history_user = admin_user
        director.also_accountable_to.add(borough)
        page = client.get(url).content.decode()
        assert "Chief Medical Officer" in page
        assert "Also accountable to</dt>" in page and "Director of Integration" in page
        # The history keeps it, and who added it.
        version = director.history.first()
        assert version.history_user == admin_user
        assert [row.to_post_id for row in version.also_accountable_to.all()] == [borough.pk]


class TestAppointing:
    def test_appoint_with_an_end_before_the_start_is_refused(self, client, hr_north,
                                                            north_post):
        person = PersonFactory(substantive_employer=north_post.host_organisation)
        response = as_user(client, hr_north).post(reverse("appointments:appointment-create"), {
            "post": north_post.pk, "person": person.pk, "status": "active",
            **date_fields("start_date", D(2026, 4, 1)), **date_fields("end_date", D(2026, 1, 1)),
        })
        page = response.content.decode()
        assert "The end of the term must be after its start." in page
        assert "There is a problem" in page
        assert not Appointment.objects.exists()

    def test_an_impossible_date_is_explained(self, client, hr_north, north_post):
        person = PersonFactory()
        response = as_user(client, hr_north).post(reverse("appointments:appointment-create"), {
            "post": north_post.pk, "person": person.pk, "status": "active",
            "start_date_day": "31", "start_date_month": "2", "start_date_year": "2026"})
        assert "The start date must be a real date." in response.content.decode()

    def test_appoint(self, client, hr_north, cmo_office, north_post):
        """HR ask for a direct appointment; the CMO/CNO office agrees and it is made."""
        person = PersonFactory(substantive_employer=north_post.host_organisation)
        response = as_user(client, hr_north).post(reverse("appointments:appointment-create"), {
            "post": north_post.pk, "person": person.pk, "status": "active",
            **date_fields("start_date", D(2026, 12, 1))})
        assert not Appointment.objects.exists()
        asked = ApprovalRequest.objects.get()
        assert response.url == asked.get_absolute_url()
        decision = asked.decisions.get()
        as_user(client, cmo_office).post(reverse("appointments:approval-decide",
                                                 args=[decision.pk]), {"decision": "agree"})
        appointment = Appointment.objects.get()
        assert appointment.end_date == D(2029, 11, 30)
        assert appointment.agreement_parties.endswith("(CMO/CNO office)")


class TestExtendingAndEnding:
    def test_extend_to_an_earlier_date_is_refused(self, client, hr_north, north_appointment):
        response = as_user(client, hr_north).post(
            reverse("appointments:appointment-extend", args=[north_appointment.pk]), {
                **date_fields("new_end_date", D(2026, 12, 31)), "reason": "r",
                "agreed_by": "CMO", **date_fields("agreed_on", D(2026, 11, 20))})
        assert "must be after the current end of the term" in response.content.decode()
        assert not Extension.objects.exists()

    def test_extend(self, client, hr_north, north_appointment):
        """HR ask; the page says who is still to decide, and nothing is extended yet."""
        as_user(client, hr_north).post(
            reverse("appointments:appointment-extend", args=[north_appointment.pk]), {
                **date_fields("new_end_date", D(2027, 9, 30)), "reason": "Winter"})
        page = client.get(north_appointment.get_absolute_url()).content.decode()
        assert "30 September 2027" in page and "awaiting agreement by CMO/CNO office" in page
        assert not Extension.objects.exists()

    def test_cease(self, client, hr_north, north_appointment):
        as_user(client, hr_north).post(
            reverse("appointments:appointment-end", args=[north_appointment.pk]), {
                "how": "cease", **date_fields("on", D(2026, 12, 31)),
                "reason": "Role not continued"})
        north_appointment.refresh_from_db()
        assert north_appointment.status == "ceased"

    def test_hr_proposes_and_the_cmo_office_agrees(self, client, hr_north, cmo_office,
                                                   north_appointment):
        as_user(client, hr_north).post(
            reverse("appointments:appointment-decide", args=[north_appointment.pk]), {
                "outcome": "extend", **date_fields("proposed_end_date", D(2028, 3, 31))})
        decision = TermEndDecision.objects.get()
        assert decision.status == "pending"
        page = as_user(client, cmo_office).get(reverse("appointments:dashboard")).content.decode()
        assert "Extensions awaiting agreement" in page and shown(north_appointment.person) in page
        party = decision.approval.decisions.get()
        assert party.get_absolute_url() in page
        client.post(party.get_absolute_url(), {"decision": "agree"})
        north_appointment.refresh_from_db()
        assert north_appointment.end_date == D(2028, 3, 31)

    def test_hr_cannot_agree_their_own_proposal(self, client, hr_north, north_appointment):
        as_user(client, hr_north).post(
            reverse("appointments:appointment-decide", args=[north_appointment.pk]), {
                "outcome": "extend", **date_fields("proposed_end_date", D(2028, 3, 31))})
        party = TermEndDecision.objects.get().approval.decisions.get()
        assert client.post(party.get_absolute_url(), {"decision": "agree"}).status_code == 404
        party.refresh_from_db()
        assert party.status == "pending"


class TestBulkChange:
    @pytest.fixture
    def leads(self, north_trust):
        role_type = RoleTypeFactory(name="Clinical Lead")
        return [AppointmentFactory(post=PostFactory(host_organisation=north_trust,
                                                    role_type=role_type),
                                   start_date=D(2024, 1, 1), end_date=D(2027, 1, 31))
                for _ in range(3)]

    def test_choose_check_confirm(self, client, cmo_office, leads, north):
        as_user(client, cmo_office)
        url = f"{reverse('appointments:bulk')}?system={north.pk}"
        page = client.get(url).content.decode()
        assert "3 active appointments chosen" in page
        response = client.post(url, {"kind": "extend", **date_fields("on_date", D(2027, 6, 30)),
                                     "reason": "Winter cover"})
        page = response.content.decode()
        assert "Check the changes before you confirm" in page
        assert page.count("30 Jun 2027") >= 3
        assert not Extension.objects.exists()
        token = response.context["token"]
        response = client.post(reverse("appointments:bulk-confirm", args=[token]), follow=True)
        assert "3 appointments changed" in response.content.decode()
        assert Appointment.objects.filter(end_date=D(2027, 6, 30)).count() == 3

    def test_a_row_that_cannot_change_blocks_the_batch(self, client, cmo_office, leads, north):
        as_user(client, cmo_office)
        url = f"{reverse('appointments:bulk')}?system={north.pk}"
        response = client.post(url, {"kind": "extend", **date_fields("on_date", D(2026, 12, 1)),
                                     "reason": "r", "agreed_by": "CMO",
                                     **date_fields("agreed_on", D(2026, 11, 20))})
        page = response.content.decode()
        assert "cannot take this change" in page
        assert "Confirm and change" not in page


class TestImport:
    def _csv(self, **overrides):
        row = {"system": "NORTH", "post_title": "Clinical Lead for Sepsis",
               "host_organisation": "North Acute Trust", "role_type": "Clinical Lead",
               "post_wte": "0.4", "given_name": "Robin", "family_name": "Example",
               "work_email": "robin.example@nhs.example", "profession": "Nurse",
               "start_date": "2026-12-01", **overrides}
        header = imports.COLUMN_NAMES
        return io.BytesIO((",".join(header) + "\n" + ",".join(row.get(c, "") for c in header))
                          .encode())

    def test_an_error_then_a_fix_then_the_import(self, client, hr_north, north, north_trust):
        RoleTypeFactory(name="Clinical Lead")
        services.configure_route(system=north, subject="appointment",
                                 parties=[("CMO/CNO office", "office", [])],
                                 allows_outside_agreement=True, by=None)
        as_user(client, hr_north)
        upload = self._csv(start_date="2026-13-01")
        upload.name = "register.csv"
        page = client.post(reverse("appointments:import"), {"file": upload}).content.decode()
        assert "Row 2, column start_date" in page
        assert "Import 1 row" not in page
        upload = self._csv()
        upload.name = "register.csv"
        response = client.post(reverse("appointments:import"), {"file": upload})
        assert "1 appointment created" in response.content.decode()
        assert not Person.objects.exists()
        client.post(reverse("appointments:import-confirm", args=[response.context["token"]]))
        assert Appointment.objects.get().person.work_email == "robin.example@nhs.example"
        assert ApprovalRequest.objects.get().decisions.get().evidence == \
            "Imported from register.csv, row 2"

    def test_a_row_the_route_refuses_is_shown_and_cannot_be_imported(self, client, hr_north,
                                                                      north_trust):
        RoleTypeFactory(name="Clinical Lead")
        upload = self._csv()
        upload.name = "register.csv"
        page = as_user(client, hr_north).post(reverse("appointments:import"),
                                              {"file": upload}).content.decode()
        assert "does not allow an agreement made outside the register" in page
        assert "Import 1 row" not in page

    def test_a_file_of_the_wrong_type_is_refused(self, client, hr_north, north_trust):
        upload = io.BytesIO(b"%PDF-1.4")
        upload.name = "register.pdf"
        page = as_user(client, hr_north).post(reverse("appointments:import"),
                                               {"file": upload}).content.decode()
        assert "must be a CSV (.csv) or Excel (.xlsx) file" in page

    def test_the_template_has_every_column(self, client, hr_north, north_trust):
        body = as_user(client, hr_north).get(reverse("appointments:import-template")) \
            .content.decode("utf-8-sig")
        assert body.splitlines()[0] == ",".join(imports.COLUMN_NAMES)


class TestPeople:
    def test_a_leader_changes_only_their_contact_details(self, client, leader,
                                                         north_appointment):
        person = north_appointment.person
        as_user(client, leader).post(reverse("appointments:person-edit", args=[person.pk]), {
            "work_email": "new.address@nhs.example", "phone": "020 7946 0000",
            "given_name": "Hacker", "profession": "nurse"})
        person.refresh_from_db()
        assert person.work_email == "new.address@nhs.example"
        assert person.given_name != "Hacker"

    def test_a_leader_declares_equality_data_that_hr_never_sees(self, client, leader,
                                                                 hr_north, north_appointment):
        as_user(client, leader).post(reverse("appointments:equality"), {
            "age_band": "40_49", "sex": "female", "ethnic_category": "N",
            "disability": "no"})
        assert EqualityProfile.objects.get().ethnic_category == "N"
        page = as_user(client, hr_north).get(
            north_appointment.person.get_absolute_url()).content.decode()
        assert "Black or Black British" not in page and "40 to 49" not in page


class TestCalendarAndReminders:
    def test_the_calendar_lists_term_ends_in_reach(self, client, hr_north, north_appointment,
                                                   south_appointment):
        body = client.get(reverse("appointments:calendar-feed", args=[hr_north.calendar_token])) \
            .content.decode()
        assert body.startswith("BEGIN:VCALENDAR\r\n")
        assert "DTSTART;VALUE=DATE:20270331" in body
        assert str(south_appointment.person) not in body

    def test_the_reminder_log_shows_only_what_is_in_reach(self, client, hr_north,
                                                          north_appointment,
                                                          south_appointment):
        for appointment in (north_appointment, south_appointment):
            Notification.objects.create(
                kind="term_ending", milestone="90@x", object_type="appointments.appointment",
                object_id=appointment.pk, recipient_email=f"{appointment.pk}@nhs.example",
                subject=f"About {appointment.person}", body_text="b")
        page = as_user(client, hr_north).get(reverse("notification-list")).content.decode()
        assert shown(f"About {north_appointment.person}") in page
        assert shown(f"About {south_appointment.person}") not in page


def test_no_mail_is_sent_by_page_views(client, hr_north):
    as_user(client, hr_north).get(reverse("appointments:dashboard"))
    assert mail.outbox == []


class TestInvitations:
    def test_hr_invites_a_leader_who_then_sees_their_appointment(
        self, client, hr_north, north_appointment, django_capture_on_commit_callbacks
    ):
        person = PersonFactory(substantive_employer=north_appointment.post.host_organisation)
        AppointmentFactory(post=PostFactory(host_organisation=north_appointment.post
                                            .host_organisation), person=person)
        with django_capture_on_commit_callbacks(execute=True):
            response = as_user(client, hr_north).post(reverse("appointments:invite"), {
                "email": "new.leader@nhs.example", "full_name": "New Leader", "kind": "leader",
                "person": person.pk})
        assert response.status_code == 302
        person.refresh_from_db()
        assert person.user.email == "new.leader@nhs.example"
        assert mail.outbox[0].to == ["new.leader@nhs.example"]

    def test_hr_cannot_make_a_cmo_office(self, client, hr_north, north, north_trust):
        response = as_user(client, hr_north).post(reverse("appointments:invite"), {
            "email": "x@nhs.example", "full_name": "X", "kind": "cmo", "system": north.pk})
        assert "Select a valid choice" in response.content.decode()

    def test_a_missing_choice_is_explained(self, client, hr_north, north_trust):
        response = as_user(client, hr_north).post(reverse("appointments:invite"), {
            "email": "x@nhs.example", "full_name": "X", "kind": "hr"})
        assert "Select the organisation." in response.content.decode()
