"""Statutory duties that ask something of their holder (appointments/duties.py): the Responsible
Officer is a licensed doctor connected to the organisation, the Caldicott Guardian a registered
health or care professional. Refused wherever the rule could be broken — appointing, asking to
appoint, giving a held post the duty, changing the holder, and the same in Django admin — and
the register of who holds each duty today."""

import datetime

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import model_to_dict
from django.urls import reverse

from appointments import services
from appointments.models import Appointment, Person
from roles.models import Post, StatutoryDuty

from .factories import AppointmentFactory, PersonFactory, PostFactory
from .pages import as_user, date_fields

pytestmark = pytest.mark.django_db
D = datetime.date
Eligibility = StatutoryDuty.Eligibility


@pytest.fixture
def responsible_officer(db):
    return StatutoryDuty.objects.create(name="Responsible Officer",
                                        eligibility=Eligibility.LICENSED_DOCTOR)


@pytest.fixture
def caldicott(db):
    return StatutoryDuty.objects.create(name="Caldicott Guardian",
                                        eligibility=Eligibility.SENIOR_PROFESSIONAL)


@pytest.fixture
def ro_post(north_trust, responsible_officer):
    post = PostFactory(host_organisation=north_trust, title="Medical Director")
    post.statutory_duties.add(responsible_officer)
    return post


def doctor(organisation, **fields):
    return PersonFactory(profession="doctor", registration_body="GMC",
                         licence_to_practise=True, designated_body=organisation,
                         substantive_employer=organisation, **fields)


def appoint(post, person, by):
    return services.appoint(post=post, person=person, start_date=D(2026, 11, 1), by=by)


class TestAppointing:
    @pytest.mark.parametrize("fields, lacks", [
        ({"profession": "nurse", "registration_body": "NMC"},
         "is not a doctor registered with the GMC"),
        ({"licence_to_practise": False}, "holds no licence to practise"),
        ({"designated_body": None}, "has no prescribed connection to the organisation"),
    ])
    def test_the_responsible_officer_must_be_a_licensed_connected_doctor(
            self, ro_post, north_trust, hr_north, fields, lacks):
        person = doctor(north_trust)
        for name, value in fields.items():
            setattr(person, name, value)
        person.save()
        with pytest.raises(ValidationError) as error:
            appoint(ro_post, person, hr_north)
        message = error.value.message_dict["person"][0]
        assert "cannot hold the Responsible Officer duty of Medical Director" in message
        assert lacks in message
        assert not Appointment.objects.filter(post=ro_post).exists()

    def test_a_doctor_connected_elsewhere_is_refused(self, ro_post, north_trust, south_trust,
                                                     hr_north):
        with pytest.raises(ValidationError, match="no prescribed connection"):
            appoint(ro_post, doctor(south_trust), hr_north)

    def test_a_licensed_connected_doctor_is_appointed(self, ro_post, north_trust, hr_north):
        appointment = appoint(ro_post, doctor(north_trust), hr_north)
        assert appointment.post == ro_post

    def test_the_caldicott_guardian_must_be_a_registered_care_professional(
            self, north_trust, hr_north, caldicott):
        post = PostFactory(host_organisation=north_trust)
        post.statutory_duties.add(caldicott)
        academic = PersonFactory(profession="academic", registration_body="",
                                 registration_number="")
        with pytest.raises(ValidationError, match="registered health or social care"):
            appoint(post, academic, hr_north)
        nurse = PersonFactory(profession="nurse", registration_body="NMC",
                              registration_number="12A3456B")
        assert appoint(post, nurse, hr_north).person == nurse

    def test_a_duty_with_no_requirement_is_open_to_anyone(self, north_trust, hr_north):
        post = PostFactory(host_organisation=north_trust)
        post.statutory_duties.add(StatutoryDuty.objects.create(name="Safeguarding lead"))
        assert appoint(post, PersonFactory(profession="other"), hr_north).post == post

    def test_the_appoint_page_refuses_with_the_message_and_writes_nothing(
            self, client, ro_post, hr_north):
        nurse = PersonFactory(profession="nurse", registration_body="NMC",
                              registration_number="12A3456B",
                              substantive_employer=ro_post.host_organisation)
        response = as_user(client, hr_north).post(reverse("appointments:appointment-create"), {
            "post": ro_post.pk, "person": nurse.pk, "status": "active",
            **date_fields("start_date", D(2027, 1, 1))})
        assert response.status_code == 200
        assert "is not a doctor registered with the GMC" in str(
            response.context["form"].errors)
        assert not Appointment.objects.filter(post=ro_post).exists()
        assert not ro_post.appointment_requests.exists()


class TestChangingWhatTheRuleReads:
    def test_a_held_post_cannot_take_a_duty_its_holder_does_not_meet(
            self, client, north_trust, hr_north, responsible_officer):
        post = PostFactory(host_organisation=north_trust, title="Deputy Medical Director")
        AppointmentFactory(post=post, person=PersonFactory(profession="nurse",
                                                           registration_body="NMC",
                                                           registration_number="12A3456B"))
        url = reverse("roles:post-edit", args=[post.pk])
        as_user(client, hr_north)
        form = client.get(url).context["form"]
        data = {**{name: value for name, value in form.initial.items() if value is not None},
                "statutory_duties": [responsible_officer.pk]}
        data = {name: ([v.pk if hasattr(v, "pk") else v for v in value]
                       if isinstance(value, list) else value) for name, value in data.items()}
        for name in ("created_on", "disestablished_on"):
            day = data.pop(name, None)
            if day:
                data.update(date_fields(name, day))
        response = client.post(url, data)
        assert response.status_code == 200
        assert "cannot hold the Responsible Officer duty of Deputy Medical Director" in str(
            response.context["form"].errors["statutory_duties"])
        assert not post.statutory_duties.exists()

    def test_the_holder_cannot_lose_what_their_duty_asks(self, client, ro_post, north_trust,
                                                        hr_north):
        officer = doctor(north_trust)
        appoint(ro_post, officer, hr_north)
        url = reverse("appointments:person-edit", args=[officer.pk])
        as_user(client, hr_north)
        form = client.get(url).context["form"]
        data = {name: value for name, value in form.initial.items() if value is not None}
        data["licence_to_practise"] = ""  # unticked
        data = {name: value for name, value in data.items() if value != ""}
        response = client.post(url, data)
        assert response.status_code == 200
        assert "holds no licence to practise" in str(response.context["form"].errors)
        officer.refresh_from_db()
        assert officer.licence_to_practise

    def test_django_admin_refuses_the_same_changes(self, rf, admin_user, ro_post, north_trust,
                                                   hr_north, responsible_officer):
        officer = doctor(north_trust)
        appoint(ro_post, officer, hr_north)
        request = rf.post("/")
        request.user = admin_user

        person_admin = admin.site._registry[Person]
        PersonForm = person_admin.get_form(request, officer)
        data = {name: value for name, value in model_to_dict(officer).items()
                if value is not None}
        data["licence_to_practise"] = False
        form = PersonForm(data=data, instance=officer)
        assert not form.is_valid()
        assert "holds no licence to practise" in str(form.non_field_errors())

        held = PostFactory(host_organisation=north_trust)
        AppointmentFactory(post=held, person=PersonFactory(profession="other"))
        post_admin = admin.site._registry[Post]
        PostForm = post_admin.get_form(request, held)
        data = {name: value for name, value in model_to_dict(held).items()
                if value is not None}
        data["statutory_duties"] = [responsible_officer.pk]
        data["functions"] = []
        form = PostForm(data=data, instance=held)
        assert not form.is_valid()
        assert "cannot hold the Responsible Officer duty" in str(form.errors["statutory_duties"])


class TestDutyRegister:
    def test_who_holds_each_duty_in_reach_today(self, client, ro_post, north_trust, south_trust,
                                                hr_north, caldicott, responsible_officer):
        officer = doctor(north_trust, given_name="Asha")
        appoint(ro_post, officer, hr_north)
        # A holder recorded before the rule: shown, with what they lack.
        guardian_post = PostFactory(host_organisation=north_trust, title="Chief Nurse")
        guardian_post.statutory_duties.add(caldicott)
        AppointmentFactory(post=guardian_post, person=PersonFactory(
            given_name="Bryn", profession="other"))
        south = PostFactory(host_organisation=south_trust, title="South Medical Director")
        south.statutory_duties.add(responsible_officer)

        page = as_user(client, hr_north).get(reverse("appointments:duty-register"))
        html = page.content.decode()
        assert page.status_code == 200
        rows = dict(page.context["organisations"])[north_trust]
        assert [(h.duty.name, h.post, h.holder, h.missing) for h in rows] == [
            ("Caldicott Guardian", guardian_post, guardian_post.appointments.get().person,
             ["is not a registered health or social care professional"]),
            ("Responsible Officer", ro_post, officer, [])]
        assert "Bryn is not a registered health or social care professional" in html
        assert "South Medical Director" not in html
        assert south_trust not in dict(page.context["organisations"])

    def test_a_vacant_duty_shows_as_vacant(self, client, ro_post, hr_north):
        page = as_user(client, hr_north).get(reverse("appointments:duty-register"))
        [(organisation, [holding])] = page.context["organisations"]
        assert holding.holder is None and "Vacant" in page.content.decode()

    def test_its_queries_do_not_grow_with_the_posts(self, client, north_trust, hr_north,
                                                    responsible_officer,
                                                    django_assert_num_queries):
        url = reverse("appointments:duty-register")
        as_user(client, hr_north)

        def add(n):
            for _ in range(n):
                post = PostFactory(host_organisation=north_trust)
                post.statutory_duties.add(responsible_officer)
                AppointmentFactory(post=post, person=doctor(north_trust))

        add(1)
        client.get(url)
        # Session, user, grants (1), appointments in reach (1), the posts with their duties
        # and holders (3), the navigation (1).
        with django_assert_num_queries(8):
            client.get(url)
        add(5)
        with django_assert_num_queries(8):
            client.get(url)
