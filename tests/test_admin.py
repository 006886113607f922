"""Django admin as an HR administrator uses it: change lists at a constant cost, and the state
changes going through the same services as everywhere else."""

import datetime
from decimal import Decimal

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from appointments.models import (
    ApplicantCount,
    Appointment,
    EqualityProfile,
    Extension,
    Vacancy,
)
from governance.models import Action, ActionUpdate, Body, Framework, Priority, Seat
from roles.models import Post

from .factories import (
    AppointmentFactory,
    BudgetFactory,
    OrganisationFactory,
    PersonFactory,
    PostFactory,
    SystemFactory,
    UserFactory,
)

D = datetime.date
pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def _rows(n):
    """n of everything, with the relations a change list shows."""
    system = SystemFactory()
    budget = BudgetFactory(system=system, wte_envelope=Decimal("10"))
    for _ in range(n):
        org = OrganisationFactory(systems=[system])
        post = PostFactory(host_organisation=org, system=system, budget=budget)
        appointment = AppointmentFactory(post=post, person=PersonFactory(substantive_employer=org),
                                         start_date=D(2025, 1, 1), end_date=D(2027, 12, 31))
        Extension.objects.create(appointment=appointment, number=1, old_end_date=D(2026, 12, 31),
                                 new_end_date=D(2027, 12, 31), reason="r", agreed_by="a",
                                 agreed_on=D(2026, 1, 1))
        EqualityProfile.objects.create(person=appointment.person, sex="female")
        body = Body.objects.create(system=system, name=f"Board {post.pk}", kind="board")
        Seat.objects.create(body=body, post=post)
        framework = Framework.objects.create(system=system, name=f"Framework {post.pk}",
                                             overseen_by=body)
        priority = Priority.objects.create(framework=framework, number=1, title="Voice")
        action = Action.objects.create(priority=priority, reference="1.1", text="Publish",
                                       term="short", owner_post=post, due_on=D(2027, 1, 1))
        ActionUpdate.objects.create(action=action, status="on_track", note="ok")
        vacancy = Vacancy.objects.create(post=post, appointment=appointment)
        ApplicantCount.objects.create(vacancy=vacancy, profession="nurse", applied=3)


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


CHANGELISTS = [
    f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"
    for model in admin.site._registry
]


@pytest.mark.parametrize("url_name", CHANGELISTS)
def test_every_change_list_runs_a_constant_number_of_queries(admin_client, url_name):
    _rows(2)
    url = reverse(url_name)
    _count_queries(admin_client, url)  # the first request of a session also checks MFA
    few = _count_queries(admin_client, url)
    _rows(5)
    assert _count_queries(admin_client, url) == few


@pytest.mark.parametrize("url_name", CHANGELISTS)
def test_every_change_list_is_searchable_and_filterable(admin_client, url_name):
    _rows(1)
    response = admin_client.get(reverse(url_name), {"q": "Trust"})
    assert response.status_code == 200


def test_appointment_filters_by_term_ending_within(admin_client, north_post):
    soon = AppointmentFactory(post=north_post, start_date=D(2024, 1, 1), end_date=D(2026, 12, 15))
    AppointmentFactory(start_date=D(2024, 1, 1), end_date=D(2027, 12, 15))
    response = admin_client.get(reverse("admin:appointments_appointment_changelist"),
                                {"ending_within": "30"})
    assert list(response.context["cl"].result_list) == [soon]


def test_post_filters_vacant(admin_client, north_post, north_trust):
    filled = PostFactory(host_organisation=north_trust)
    AppointmentFactory(post=filled, start_date=D(2025, 1, 1), end_date=D(2027, 1, 1))
    response = admin_client.get(reverse("admin:roles_post_changelist"), {"status": "vacant"})
    assert list(response.context["cl"].result_list) == [north_post]


def test_adding_an_appointment_with_an_end_before_its_start_writes_nothing(
    admin_client, north_post
):
    person = PersonFactory()
    response = admin_client.post(reverse("admin:appointments_appointment_add"), {
        "post": north_post.pk, "person": person.pk, "start_date": "2026-04-01",
        "end_date": "2026-03-01", "wte": "0.4", "honorarium_share": "0", "status": "active",
        "extensions-TOTAL_FORMS": "0", "extensions-INITIAL_FORMS": "0",
    })
    assert response.status_code == 200
    assert "The end of the term must be after its start." in response.content.decode()
    assert Appointment.objects.count() == 0


def test_adding_an_appointment_records_who_made_it(admin_client, admin_user, north_post):
    person = PersonFactory()
    response = admin_client.post(reverse("admin:appointments_appointment_add"), {
        "post": north_post.pk, "person": person.pk, "start_date": "2026-04-01",
        "end_date": "2029-03-31", "wte": "0.4", "honorarium_share": "0", "status": "active",
        "extensions-TOTAL_FORMS": "0", "extensions-INITIAL_FORMS": "0",
    })
    assert response.status_code == 302
    appointment = Appointment.objects.get()
    assert appointment.history.get().history_user == admin_user


def test_extending_in_the_admin_keeps_the_old_end(admin_client, north_appointment):
    url = reverse("admin:appointments_appointment_extend", args=[north_appointment.pk])
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, {"new_end_date": "2027-09-30", "reason": "Winter cover",
                                       "agreed_by": "Appointee and CMO",
                                       "agreed_on": "2026-11-20"})
    assert response.status_code == 302
    extension = north_appointment.extensions.get()
    assert (extension.old_end_date, extension.new_end_date) == (D(2027, 3, 31), D(2027, 9, 30))


def test_extending_to_an_earlier_date_in_the_admin_is_explained(admin_client, north_appointment):
    url = reverse("admin:appointments_appointment_extend", args=[north_appointment.pk])
    response = admin_client.post(url, {"new_end_date": "2026-12-31", "reason": "r",
                                       "agreed_by": "a", "agreed_on": "2026-11-20"})
    assert response.status_code == 200
    assert "must be after the current end of the term" in response.content.decode()
    assert not north_appointment.extensions.exists()


def test_ceasing_in_the_admin_records_why(admin_client, north_appointment):
    url = reverse("admin:appointments_appointment_end", args=[north_appointment.pk])
    response = admin_client.post(url, {"on": "2026-12-31", "reason": "Role not continued",
                                       "cease": "Cease"})
    assert response.status_code == 302
    north_appointment.refresh_from_db()
    assert (north_appointment.status, north_appointment.end_reason) == (
        "ceased", "Role not continued")


def test_end_date_cannot_be_typed_over_in_the_change_form(admin_client, north_appointment):
    url = reverse("admin:appointments_appointment_change", args=[north_appointment.pk])
    response = admin_client.get(url)
    assert 'name="end_date"' not in response.content.decode()
    assert "Extend the term" in response.content.decode()


class TestBulkChangeAction:
    @pytest.fixture
    def leads(self, north_trust):
        return [AppointmentFactory(post=PostFactory(host_organisation=north_trust),
                                   start_date=D(2019, 11, 1), end_date=D(2022, 9, 30))
                for _ in range(3)]

    def _post(self, client, leads, **data):
        return client.post(reverse("admin:appointments_appointment_changelist"), {
            "action": "bulk_change", "_selected_action": [a.pk for a in leads], **data,
        })

    def test_it_asks_for_the_change_first(self, admin_client, leads):
        response = self._post(admin_client, leads)
        assert response.status_code == 200
        assert "Preview the changes" in response.content.decode()

    def test_preview_shows_each_change_and_writes_nothing(self, admin_client, leads):
        response = self._post(admin_client, leads, kind="extend", on_date="2022-10-31",
                              reason="Transition", agreed_by="CMO", agreed_on="2022-09-01",
                              preview="1")
        page = response.content.decode()
        assert page.count("31 Oct 2022") == 3
        assert "Confirm and apply" in page
        assert not Extension.objects.exists()

    def test_confirm_applies_to_all(self, admin_client, leads):
        response = self._post(admin_client, leads, kind="extend", on_date="2022-10-31",
                              reason="Transition", agreed_by="CMO", agreed_on="2022-09-01",
                              apply="1")
        assert response.status_code == 302
        assert Appointment.objects.filter(end_date=D(2022, 10, 31)).count() == 3
        assert Extension.objects.filter(bulk_change__isnull=False).count() == 3

    def test_a_row_that_cannot_change_blocks_confirmation(self, admin_client, leads):
        response = self._post(admin_client, leads, kind="extend", on_date="2022-08-31",
                              reason="r", agreed_by="CMO", agreed_on="2022-09-01", preview="1")
        page = response.content.decode()
        assert "must be after the current end of the term" in page
        assert "Confirm and apply" not in page


def test_saving_a_post_over_its_budget_warns(admin_client, north, north_trust):
    budget = BudgetFactory(system=north, wte_envelope=Decimal("0.5"))
    post = PostFactory(host_organisation=north_trust, system=north, budget=budget,
                       wte=Decimal("0.4"))
    role_type = post.role_type
    response = admin_client.post(reverse("admin:roles_post_add"), {
        "title": "Second lead", "role_type": role_type.pk, "system": north.pk,
        "host_organisation": north_trust.pk, "spatial_level": "system", "wte": "0.4",
        "budget": budget.pk, "default_term_months": "36", "created_on": "2026-01-01",
        "is_published": "on",
        "appointments-TOTAL_FORMS": "0", "appointments-INITIAL_FORMS": "0",
    }, follow=True)
    assert Post.objects.count() == 2
    assert "is over its envelope of 0.5 WTE" in response.content.decode()


def test_equality_data_is_hidden_from_staff_without_the_permission(client, north_appointment):
    staff = UserFactory(is_staff=True)
    from django.contrib.auth.models import Permission

    staff.user_permissions.add(*Permission.objects.filter(
        codename__in=["view_person", "change_person"]))
    client.force_login(staff)
    EqualityProfile.objects.create(person=north_appointment.person, sex="female")
    url = reverse("admin:appointments_person_change", args=[north_appointment.person.pk])
    page = client.get(url).content.decode()
    assert "Equality profile" not in page
    assert "ethnic_category" not in page


def test_history_pages_show_who_changed_what(admin_client, north_appointment, admin_user):
    from appointments import services

    services.extend(appointment=north_appointment, new_end_date=D(2027, 9, 30), reason="r",
                    agreed_by="a", by=admin_user)
    url = reverse("admin:appointments_appointment_history", args=[north_appointment.pk])
    page = admin_client.get(url).content.decode()
    assert admin_user.email in page or str(admin_user) in page
