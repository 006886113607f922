"""The pages of contracts: the appoint form's contract type and cover, consent above the
ceiling asked for only when needed, the person page's honorary contracts and commitments
chart, the appointment page's contract, and the honorary contract pages. Bad input is a clear
message on the field with nothing written; lists cost the same whatever their size."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import resolve, reverse

from appointments import services
from appointments.models import (
    Appointment,
    ApprovalRequest,
    CommitmentConsent,
    HonoraryContract,
)
from ccpl import access

from .factories import (
    AppointmentFactory,
    PersonFactory,
    PostFactory,
    UserFactory,
    grant,
    with_totp,
)
from .pages import as_user, date_fields, queries

pytestmark = pytest.mark.django_db
D = datetime.date
Type = Appointment.ContractType


def agree(response, approver):
    """The request the appoint page made (it redirects to it), agreed by ``approver``."""
    asked = ApprovalRequest.objects.get(pk=resolve(response.url).kwargs["pk"])
    return services.decide_for(request=asked, agree=True, by=approver)


def appoint_body(post, person, start, **extra):
    return {"post": post.pk, "person": person.pk, "status": "active",
            **date_fields("start_date", start), **extra}


class TestAppointForm:
    def test_a_permanent_appointment_is_made_with_no_end_date(self, client, hr_north,
                                                              cmo_office, north_trust):
        post = PostFactory(host_organisation=north_trust, title="Chief Medical Officer",
                           wte=Decimal("1"))
        person = PersonFactory(substantive_employer=north_trust)
        response = as_user(client, hr_north).post(
            reverse("appointments:appointment-create"),
            appoint_body(post, person, D(2027, 1, 4), contract_type="permanent"))
        # HR ask; the appointment is made, as a permanent one, once the approvers agree.
        asked = agree(response, cmo_office)
        appointment = Appointment.objects.get(post=post)
        assert asked.appointment == appointment
        assert appointment.end_date is None and appointment.is_permanent
        page = client.get(appointment.get_absolute_url()).content.decode()
        assert "Permanent" in page and "no end date (permanent)" in page
        assert "Extend the term" not in page and "Decide the end of the term" not in page

    def test_cover_starts_from_the_appointment_it_covers(self, client, hr_north, cmo_office,
                                                         north_appointment):
        as_user(client, hr_north)
        page = client.get(north_appointment.get_absolute_url()).content.decode()
        link = f"{reverse('appointments:appointment-create')}?covers={north_appointment.pk}"
        assert link in page.replace("&amp;", "&")
        form = client.get(link).context["form"]
        assert form.initial["covers"] == north_appointment.pk
        assert form.initial["post"] == north_appointment.post_id
        assert form.initial["contract_type"] == Type.COVER
        agree(client.post(link, appoint_body(
            north_appointment.post, PersonFactory(substantive_employer=north_appointment.post
                                                  .host_organisation),
            D(2026, 12, 1), contract_type="cover",
            covers=north_appointment.pk, **date_fields("end_date", D(2027, 2, 28)))),
            cmo_office)
        acting = Appointment.objects.get(contract_type=Type.COVER)
        page = client.get(acting.get_absolute_url()).content.decode()
        assert "Acting or interim cover" in page
        assert north_appointment.get_absolute_url() in page
        covered = client.get(north_appointment.get_absolute_url()).content.decode()
        assert acting.get_absolute_url() in covered

    def test_cover_outside_what_it_covers_is_a_message_on_the_field(self, client, hr_north,
                                                                     north_appointment):
        response = as_user(client, hr_north).post(
            reverse("appointments:appointment-create"),
            appoint_body(north_appointment.post,
                         PersonFactory(substantive_employer=north_appointment.post
                                       .host_organisation), D(2026, 12, 1),
                         contract_type="cover", covers=north_appointment.pk,
                         **date_fields("end_date", D(2027, 9, 30))))
        assert response.status_code == 200
        assert "within the appointment it covers" in response.context["form"].errors[
            "end_date"][0]
        assert Appointment.objects.count() == 1

    def test_a_secondment_without_its_home_is_a_message_on_the_field(self, client, hr_north,
                                                                      north_post):
        response = as_user(client, hr_north).post(
            reverse("appointments:appointment-create"),
            appoint_body(north_post,
                         PersonFactory(substantive_employer=north_post.host_organisation),
                         D(2027, 1, 1), contract_type="secondment"))
        assert response.context["form"].errors["home_organisation"] == [
            "Select the organisation the secondee comes from."]
        assert not Appointment.objects.exists()

    def test_above_the_ceiling_the_page_asks_for_consent_then_records_it(
            self, client, hr_north, cmo_office, north_trust):
        person = PersonFactory()
        AppointmentFactory(person=person, post=PostFactory(host_organisation=north_trust,
                                                           wte=Decimal("1")))
        post = PostFactory(host_organisation=north_trust)
        url = reverse("appointments:appointment-create")
        as_user(client, hr_north)
        assert "consent_by" not in client.get(url).context["form"].fields
        body = appoint_body(post, person, D(2027, 1, 1))
        refused = client.post(url, body)
        form = refused.context["form"]
        assert "above the ceiling of 1 WTE" in form.errors["wte"][0]
        assert "consent_by" in form.fields and not Appointment.objects.filter(post=post)
        assert str(cmo_office.pk) in str(form["consent_by"])
        # Asked, but not answered: a message on each question, nothing written.
        unanswered = client.post(url, {**body, "consent_by": "", "consent_reason": ""})
        assert set(unanswered.context["form"].errors) == {"consent_by", "consent_reason"}
        assert not CommitmentConsent.objects.exists()
        done = client.post(url, {**body, "consent_by": cmo_office.pk,
                                 "consent_reason": "Covers a vacancy until March"})
        # The consent goes with the request, and with the appointment once it is agreed.
        agree(done, cmo_office)
        appointment = Appointment.objects.get(post=post)
        page = client.get(appointment.get_absolute_url()).content.decode()
        assert "Consent above the commitment ceiling" in page
        assert "Covers a vacancy until March" in page

    def test_extending_above_the_ceiling_asks_for_consent(self, client, cmo_office, north_trust,
                                                          north_appointment):
        AppointmentFactory(person=north_appointment.person,
                           post=PostFactory(host_organisation=north_trust, wte=Decimal("0.8")),
                           start_date=D(2027, 4, 1), end_date=D(2029, 3, 31))
        url = reverse("appointments:appointment-extend", args=[north_appointment.pk])
        body = {**date_fields("new_end_date", D(2027, 9, 30)), "reason": "Winter",
                "agreed_by": "CMO", **date_fields("agreed_on", D(2026, 11, 20))}
        refused = as_user(client, cmo_office).post(url, body)
        assert "above the ceiling" in refused.context["form"].errors["new_end_date"][0]
        client.post(url, {**body, "consent_by": cmo_office.pk, "consent_reason": "Handover"})
        north_appointment.refresh_from_db()
        assert north_appointment.end_date == D(2027, 9, 30)
        assert CommitmentConsent.objects.get().extension.appointment == north_appointment


@pytest.fixture
def interviewed(hr_north, cmo_office, north_trust):
    """A vacancy that has been approved, advertised, shortlisted and interviewed, and a
    candidate already committed to a whole-time post: any offer takes them above the ceiling."""
    vacancy = services.open_vacancy(post=PostFactory(host_organisation=north_trust), reason="",
                                    by=hr_north)
    services.decide_approval(vacancy=vacancy, approve=True, note="", by=cmo_office)
    services.record_advert(vacancy=vacancy, reference="R1", where="NHS Jobs",
                           advertised_on=D(2026, 9, 1), closes_on=D(2026, 9, 15), by=hr_north)
    services.record_shortlisting(vacancy=vacancy, shortlisted_on=D(2026, 9, 20),
                                 counts={"doctor": (3, 2)}, by=hr_north)
    services.record_interview(vacancy=vacancy, interview_on=D(2026, 10, 1), by=hr_north)
    person = PersonFactory(substantive_employer=north_trust)
    AppointmentFactory(person=person, post=PostFactory(host_organisation=north_trust,
                                                       wte=Decimal("1")))
    return vacancy, person


def test_an_offer_above_the_ceiling_waits_for_an_approver_to_consent(
        client, hr_north, cmo_office, north, interviewed):
    vacancy, person = interviewed
    url = reverse("appointments:vacancy-offer", args=[vacancy.pk])
    body = {"person": person.pk, **date_fields("start_date", D(2027, 1, 1))}
    refused = as_user(client, hr_north).post(url, body)
    assert "consent_by" in refused.context["form"].fields
    assert "above the ceiling" in str(refused.context["form"].non_field_errors())
    # Naming the approver is not their consent: the offer waits for the approvers to agree.
    named = client.post(url, {**body, "consent_by": cmo_office.pk,
                              "consent_reason": "Short term"})
    asked = ApprovalRequest.objects.get(offer_for=vacancy)
    assert named.status_code == 302 and asked.is_pending and asked.offered
    vacancy.refresh_from_db()
    assert vacancy.appointment is None and not CommitmentConsent.objects.exists()
    page = client.get(vacancy.get_absolute_url()).content.decode()
    assert "goes above their commitment ceiling" in page and asked.get_absolute_url() in page
    assert reverse("appointments:vacancy-offer", args=[vacancy.pk]) not in page
    again = client.post(url, {**body, "consent_by": cmo_office.pk, "consent_reason": "Again"})
    assert "already awaiting an approver" in str(again.context["form"].non_field_errors())
    assert ApprovalRequest.objects.filter(offer_for=vacancy).count() == 1

    # Another approver of the system agrees: the consent is theirs, and the offer is made.
    colleague = grant(with_totp(UserFactory(email="cmo.deputy@example.org")), access.APPROVE,
                      north)
    services.decide_for(request=asked, agree=True, by=colleague)
    vacancy.refresh_from_db()
    assert vacancy.appointment.status == Appointment.Status.OFFERED
    assert vacancy.appointment.person == person and vacancy.offer_on is not None
    consent = CommitmentConsent.objects.get()
    assert (consent.appointment, consent.given_by, consent.reason) == (
        vacancy.appointment, colleague, "Short term")


def test_an_approver_making_an_offer_above_the_ceiling_consents_themselves(
        admin_user, interviewed):
    vacancy, person = interviewed
    vacancy = services.make_offer(
        vacancy=vacancy, person=person, start_date=D(2027, 1, 1), by=admin_user,
        consent=services.Consent(by=admin_user, reason="Winter cover"))
    consent = CommitmentConsent.objects.get()
    assert (consent.appointment, consent.given_by, consent.recorded_by) == (
        vacancy.appointment, admin_user, admin_user)
    assert not ApprovalRequest.objects.filter(offer_for=vacancy).exists()


class TestPersonPage:
    def test_commitments_are_drawn_and_tabled_with_the_peak(self, client, hr_north, north_trust,
                                                           north_appointment):
        person = north_appointment.person  # 0.4 to 31 March 2027
        AppointmentFactory(person=person, post=PostFactory(host_organisation=north_trust,
                                                           wte=Decimal("0.8")),
                           start_date=D(2027, 1, 1), end_date=D(2027, 12, 31))
        page = as_user(client, hr_north).get(person.get_absolute_url()).content.decode()
        assert "Peak: <strong>1.2 WTE (12 PAs)</strong> from 1 January 2027 to 31 Mar 2027" \
            in page
        assert "the peak is above it" in page
        assert 'fill="#d5281b"' in page  # the time above the ceiling, drawn in red
        rows = re.findall(r"<tr class=\"nhsuk-table__row\"><td class=\"nhsuk-table__cell\">"
                          r"([^<]+)</td><td class=\"nhsuk-table__cell\">([^<]+)</td>"
                          r"<td class=\"nhsuk-table__cell\">([\d.]+)</td>"
                          r"<td class=\"nhsuk-table__cell\">(\d+)</td>", page)
        assert rows == [("23 Nov 2025", "31 Dec 2026", "0.4", "4"),  # a year back from today
                        ("1 Jan 2027", "31 Mar 2027", "1.2", "12"),
                        ("1 Apr 2027", "31 Dec 2027", "0.8", "8")]

    def test_honorary_contracts_are_listed_and_recorded_from_the_person(
            self, client, hr_north, north_trust, north_appointment):
        person = north_appointment.person
        as_user(client, hr_north)
        page = client.get(person.get_absolute_url()).content.decode()
        assert "No honorary contracts recorded." in page
        create = reverse("appointments:honorary-create", args=[person.pk])
        assert create in page
        refused = client.post(create, {"held_with": "", **date_fields("start_date",
                                                                     D(2026, 1, 1))})
        assert set(refused.context["form"].errors) == {"held_with", "purpose"}
        assert not HonoraryContract.objects.exists()
        done = client.post(create, {"held_with": f"organisation:{north_trust.pk}",
                                    **date_fields("start_date", D(2026, 1, 1)),
                                    "reference": "HC-77", "purpose": "Research sessions"})
        contract = HonoraryContract.objects.get()
        assert done.url == contract.get_absolute_url()
        assert "Honorary contract with North Acute Trust" in client.get(
            person.get_absolute_url()).content.decode()
        client.post(reverse("appointments:honorary-edit", args=[contract.pk]), {
            "held_with": f"organisation:{north_trust.pk}", **date_fields("start_date",
                                                                        D(2026, 1, 1)),
            **date_fields("end_date", D(2026, 12, 31)), "reference": "HC-77",
            "purpose": "Research sessions"})
        detail = client.get(contract.get_absolute_url()).content.decode()
        assert "31 December 2026" in detail and "End date: none → 31 Dec 2026" in detail

    def test_an_honorary_contract_ending_before_it_starts_is_refused(self, client, hr_north,
                                                                     north_trust,
                                                                     north_appointment):
        response = as_user(client, hr_north).post(
            reverse("appointments:honorary-create", args=[north_appointment.person.pk]),
            {"held_with": f"organisation:{north_trust.pk}",
             **date_fields("start_date", D(2026, 1, 1)), **date_fields("end_date", D(2025, 1, 1)),
             "purpose": "x"})
        assert response.context["form"].errors["end_date"] == [
            "The last day cannot be before the first."]
        assert not HonoraryContract.objects.exists()

    def test_the_person_page_costs_the_same_whatever_it_lists(self, client, hr_north, north,
                                                              north_trust, north_appointment):
        person = north_appointment.person
        url = person.get_absolute_url()

        def add(n):
            for _ in range(n):
                AppointmentFactory(person=person, post=PostFactory(host_organisation=north_trust),
                                   start_date=D(2020, 1, 1), end_date=D(2022, 12, 31))
                HonoraryContract.objects.create(person=person, partnership=north,
                                                start_date=D(2025, 1, 1), purpose="Passport")
        add(1)
        few = queries(as_user(client, hr_north), url)
        add(5)
        assert queries(client, url) == few


class TestDashboard:
    def test_honorary_contracts_are_counted_by_partner(self, client, hr_north, north,
                                                      north_appointment):
        HonoraryContract.objects.create(person=north_appointment.person, partnership=north,
                                        start_date=D(2025, 1, 1), purpose="Passport")
        page = as_user(client, hr_north).get(reverse("appointments:dashboard")).content.decode()
        assert "Honorary contracts held today" in page
        assert "North Test ICS (honorary status with the partnership)" in page

    def test_ended_with_no_decision_is_the_state_not_a_guess(self, client, hr_north,
                                                             north_trust):
        ended = AppointmentFactory(post=PostFactory(host_organisation=north_trust),
                                   start_date=D(2023, 11, 1), end_date=D(2026, 10, 31))
        not_swept = AppointmentFactory(post=PostFactory(host_organisation=north_trust),
                                       start_date=D(2023, 11, 1), end_date=D(2026, 10, 30),
                                       status=Appointment.Status.ACTIVE)
        dashboard = as_user(client, hr_north).get(reverse("appointments:dashboard"))
        assert list(dashboard.context["overdue"]) == [ended]
        services.end_lapsed_terms()
        dashboard = client.get(reverse("appointments:dashboard"))
        assert set(dashboard.context["overdue"]) == {ended, not_swept}
