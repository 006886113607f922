"""Recruitment: nothing is advertised without the CMO/CNO office's approval, each step needs the
one before it, applicants are numbers only, and the offer becomes the appointment."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from appointments import services
from appointments.models import ApplicantCount, Appointment, Vacancy

from .factories import PersonFactory, PostFactory
from .pages import as_user, date_fields

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def vacancy(north_post, hr_north):
    return services.open_vacancy(post=north_post, reason="Term ended", by=hr_north,
                                    advertise_from=D(2026, 10, 1),
                                    onboarding_from=D(2027, 1, 1),
                                    expected_start=D(2027, 2, 1))


def _to_interview(vacancy, hr, cmo):
    services.decide_approval(vacancy=vacancy, approve=True, note="", by=cmo)
    services.record_advert(vacancy=vacancy, reference="NHSJ-1", where="NHS Jobs",
                              advertised_on=D(2026, 10, 1), closes_on=D(2026, 10, 22), by=hr)
    services.record_shortlisting(vacancy=vacancy, shortlisted_on=D(2026, 10, 29), by=hr,
                                    counts={"doctor": (6, 2), "nurse": (4, 2), "ahp": (3, 1)})
    services.record_interview(vacancy=vacancy, interview_on=D(2026, 11, 12), by=hr)
    vacancy.refresh_from_db()
    return vacancy


class TestTheSteps:
    def test_from_approval_to_appointment(self, vacancy, hr_north, cmo_office):
        vacancy = _to_interview(vacancy, hr_north, cmo_office)
        person = PersonFactory()
        vacancy = services.make_offer(vacancy=vacancy, person=person,
                                         start_date=D(2027, 2, 1), by=hr_north)
        appointment = vacancy.appointment
        assert appointment.status == Appointment.Status.OFFERED
        assert appointment.end_date == D(2030, 1, 31)  # the post's default term
        assert vacancy.stage == "Offer made"
        vacancy = services.accept_offer(vacancy=vacancy, by=hr_north)
        appointment.refresh_from_db()
        assert appointment.status == Appointment.Status.ACTIVE
        assert vacancy.status == Vacancy.Status.FILLED
        assert vacancy.approval_by == cmo_office and vacancy.approval_on == D(2026, 11, 23)
        assert vacancy.history.first().history_user == hr_north

    def test_nothing_is_advertised_before_approval(self, vacancy, hr_north):
        with pytest.raises(ValidationError, match="not approved"):
            services.record_advert(vacancy=vacancy, reference="X", where="NHS Jobs",
                                      advertised_on=D(2026, 11, 1), closes_on=D(2026, 11, 20),
                                      by=hr_north)
        vacancy.refresh_from_db()
        assert vacancy.advertised_on is None

    def test_declining_needs_a_reason_and_stops_recruitment(self, vacancy, cmo_office,
                                                           hr_north):
        with pytest.raises(ValidationError):
            services.decide_approval(vacancy=vacancy, approve=False, note=" ", by=cmo_office)
        services.decide_approval(vacancy=vacancy, approve=False, note="Role under review",
                                    by=cmo_office)
        vacancy.refresh_from_db()
        assert vacancy.stage == "Not approved"
        with pytest.raises(ValidationError):
            services.record_advert(vacancy=vacancy, reference="X", where="Y",
                                      advertised_on=D(2026, 11, 1), closes_on=D(2026, 11, 2),
                                      by=hr_north)

    def test_each_step_needs_the_one_before(self, vacancy, hr_north, cmo_office):
        services.decide_approval(vacancy=vacancy, approve=True, note="", by=cmo_office)
        with pytest.raises(ValidationError, match="advert before"):
            services.record_shortlisting(vacancy=vacancy, shortlisted_on=D(2026, 11, 1),
                                            counts={"doctor": (1, 1)}, by=hr_north)
        with pytest.raises(ValidationError, match="shortlisting before"):
            services.record_interview(vacancy=vacancy, interview_on=D(2026, 11, 1),
                                         by=hr_north)
        with pytest.raises(ValidationError, match="interview before"):
            services.make_offer(vacancy=vacancy, person=PersonFactory(),
                                   start_date=D(2027, 1, 1), by=hr_north)
        with pytest.raises(ValidationError, match="No offer"):
            services.accept_offer(vacancy=vacancy, by=hr_north)

    def test_a_closing_date_before_the_advert_is_refused(self, vacancy, hr_north, cmo_office):
        services.decide_approval(vacancy=vacancy, approve=True, note="", by=cmo_office)
        with pytest.raises(ValidationError) as error:
            services.record_advert(vacancy=vacancy, reference="X", where="Y",
                                      advertised_on=D(2026, 11, 10), closes_on=D(2026, 11, 1),
                                      by=hr_north)
        assert "closes_on" in error.value.message_dict

    def test_more_shortlisted_than_applied_writes_nothing(self, vacancy, hr_north, cmo_office):
        services.decide_approval(vacancy=vacancy, approve=True, note="", by=cmo_office)
        services.record_advert(vacancy=vacancy, reference="X", where="Y",
                                  advertised_on=D(2026, 10, 1), closes_on=D(2026, 10, 20),
                                  by=hr_north)
        with pytest.raises(ValidationError):
            services.record_shortlisting(vacancy=vacancy, shortlisted_on=D(2026, 11, 1),
                                            counts={"doctor": (2, 1), "nurse": (1, 3)},
                                            by=hr_north)
        assert not ApplicantCount.objects.exists()
        vacancy.refresh_from_db()
        assert vacancy.shortlisted_on is None

    def test_an_offer_that_collides_with_the_holder_writes_nothing(self, vacancy, hr_north,
                                                                  cmo_office, north_post):
        from .factories import AppointmentFactory

        AppointmentFactory(post=north_post, start_date=D(2025, 1, 1), end_date=D(2027, 6, 30))
        vacancy = _to_interview(vacancy, hr_north, cmo_office)
        with pytest.raises(ValidationError):
            services.make_offer(vacancy=vacancy, person=PersonFactory(),
                                   start_date=D(2027, 2, 1), by=hr_north)
        vacancy.refresh_from_db()
        assert vacancy.appointment is None and vacancy.offer_on is None

    def test_one_open_vacancy_per_post(self, vacancy, hr_north, north_post):
        with pytest.raises(ValidationError, match="already has an open vacancy"):
            services.open_vacancy(post=north_post, reason="", by=hr_north)

    def test_withdrawing_needs_a_reason(self, vacancy, hr_north):
        with pytest.raises(ValidationError):
            services.withdraw_vacancy(vacancy=vacancy, reason="", by=hr_north)
        services.withdraw_vacancy(vacancy=vacancy, reason="Post disestablished", by=hr_north)
        vacancy.refresh_from_db()
        assert vacancy.status == Vacancy.Status.WITHDRAWN and vacancy.stage == "Withdrawn"


class TestInTheBrowser:
    def test_only_the_cmo_office_approves(self, client, vacancy, hr_north, cmo_office):
        url = reverse("appointments:vacancy-approval", args=[vacancy.pk])
        assert as_user(client, hr_north).post(url, {"decision": "approve"}).status_code == 404
        response = as_user(client, cmo_office).post(url, {"decision": "approve", "note": ""})
        assert response.status_code == 302
        vacancy.refresh_from_db()
        assert vacancy.approval == Vacancy.Approval.APPROVED

    def test_shortlisting_form_records_numbers_by_profession(self, client, vacancy, hr_north,
                                                             cmo_office):
        services.decide_approval(vacancy=vacancy, approve=True, note="", by=cmo_office)
        services.record_advert(vacancy=vacancy, reference="X", where="Y",
                                  advertised_on=D(2026, 10, 1), closes_on=D(2026, 10, 20),
                                  by=hr_north)
        url = reverse("appointments:vacancy-shortlist", args=[vacancy.pk])
        as_user(client, hr_north)
        bad = client.post(url, {**date_fields("shortlisted_on", D(2026, 11, 1)),
                                "applied_doctor": "2", "shortlisted_doctor": "5"})
        assert bad.status_code == 200
        assert "More doctors shortlisted than applied" in bad.content.decode()
        assert not ApplicantCount.objects.exists()
        good = client.post(url, {**date_fields("shortlisted_on", D(2026, 11, 1)),
                                 "applied_doctor": "5", "shortlisted_doctor": "2",
                                 "applied_pharmacist": "3", "shortlisted_pharmacist": "1"})
        assert good.status_code == 302
        assert dict(ApplicantCount.objects.values_list("profession", "applied")) == {
            "doctor": 5, "pharmacist": 3}

    def test_the_offer_form_creates_the_appointment(self, client, vacancy, hr_north,
                                                    cmo_office):
        vacancy = _to_interview(vacancy, hr_north, cmo_office)
        # HR offer the post to people they can see: added on the People page with an employer.
        person = PersonFactory(substantive_employer=vacancy.post.host_organisation)
        response = as_user(client, hr_north).post(
            reverse("appointments:vacancy-offer", args=[vacancy.pk]),
            {"person": person.pk, **date_fields("start_date", D(2027, 2, 1))})
        assert response.status_code == 302
        vacancy.refresh_from_db()
        assert vacancy.appointment.person == person
        accepted = client.post(reverse("appointments:vacancy-accept", args=[vacancy.pk]))
        assert accepted.url == vacancy.appointment.get_absolute_url()

    def test_the_list_shows_who_applies_and_the_timeline(self, client, vacancy, hr_north,
                                                         cmo_office):
        _to_interview(vacancy, hr_north, cmo_office)
        page = as_user(client, hr_north).get(reverse("appointments:vacancy-list"))
        text = page.content.decode()
        assert page.context["applicants"]["total"] == 13
        assert page.context["applicants"]["beyond_medicine"] == 54  # 7 of 13
        assert "Recruitment timeline" in text and "Advertising" in text

    def test_the_list_costs_the_same_whatever_its_size(self, client, hr_north, cmo_office,
                                                       north_trust):
        def add(n):
            for _ in range(n):
                post = PostFactory(host_organisation=north_trust)
                v = services.open_vacancy(post=post, reason="", by=hr_north,
                                             advertise_from=D(2026, 12, 1),
                                             expected_start=D(2027, 3, 1))
                _to_interview(v, hr_north, cmo_office)
        add(2)
        as_user(client, hr_north)
        url = reverse("appointments:vacancy-list")

        def count():
            client.get(url)
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url).status_code == 200
            return len(captured)
        few = count()
        add(5)
        assert count() == few


def test_the_dashboard_lists_vacancies_awaiting_approval(client, vacancy, cmo_office, hr_north):
    """One row per party still to decide, with a link to decide for those who may."""
    page = as_user(client, cmo_office).get(reverse("appointments:dashboard"))
    rows = page.context["to_approve"]
    assert [(d.request.vacancy, d.name, mine) for d, mine in rows] == [
        (vacancy, "CMO/CNO office", True)]
    assert reverse("appointments:approval-decide", args=[rows[0][0].pk]) in \
        page.content.decode()
    dashboard = reverse("appointments:dashboard")
    assert [(d.request.vacancy, mine) for d, mine in
            as_user(client, hr_north).get(dashboard).context["to_approve"]] == [(vacancy, False)]
    services.decide_approval(vacancy=vacancy, approve=True, note="", by=cmo_office)
    assert as_user(client, cmo_office).get(dashboard).context["to_approve"] == []
