"""Declarations of interest: returns that keep their history, who may read and make them, the
published register (only what the person agreed to publish), the chair's view on a body's page,
and the reminders by time travel (due, overdue, escalation to HR, each exactly once)."""

import csv
import datetime
import io

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from appointments import services as appointments
from ccpl import access
from ccpl.models import Notification
from governance import reminders, services
from governance.models import Body, DeclarationReturn, Interest, Seat

from .factories import (
    AppointmentFactory,
    PersonFactory,
    PostFactory,
    UserFactory,
    grant,
    with_totp,
)
from .ledger import sent
from .pages import as_user, date_fields, queries

pytestmark = pytest.mark.django_db
D = datetime.date
Kind = Notification.Kind

SHARES = {"kind": "financial", "organisation": "Acme Diagnostics Ltd",
          "description": "Shareholding", "from_date": D(2024, 2, 1), "publish": True}
TRUSTEE = {"kind": "personal", "organisation": "Riverside Hospice",
           "description": "Unpaid trustee", "from_date": D(2023, 5, 1), "publish": False}


@pytest.fixture
def person(north_appointment):
    return north_appointment.person


def test_each_change_is_a_new_return_and_the_history_is_kept(person, leader):
    first = services.declare_interest(person=person, by=leader, **SHARES)
    second = services.declare_interest(person=person, by=leader, **TRUSTEE)
    shares = second.interests.get(organisation="Acme Diagnostics Ltd")
    third = services.end_interest(interest=shares, to_date=D(2026, 10, 31), by=leader)
    assert [r.pk for r in person.declaration_returns.order_by("pk")] == [
        first.pk, second.pk, third.pk]
    assert first.interests.get().to_date is None  # the earlier return is as it was
    ended = third.interests.get(organisation="Acme Diagnostics Ltd")
    assert ended.to_date == D(2026, 10, 31) and ended.first_declared_on == D(2026, 11, 23)
    assert third.interests.count() == 2
    assert not third.on_behalf and third.recorded_by == leader


def test_the_first_return_after_an_appointment_is_made_on_appointment(person, leader):
    made = services.confirm_declaration(person=person, by=leader)
    assert made.reason == DeclarationReturn.Reason.APPOINTMENT and made.is_nil
    again = services.confirm_declaration(person=person, by=leader)
    assert again.reason == DeclarationReturn.Reason.ANNUAL
    assert services.declare_interest(person=person, by=leader, **SHARES).reason == "change"


def test_hr_record_on_the_persons_behalf_and_say_so(person, hr_north):
    made = services.declare_interest(person=person, by=hr_north, **SHARES)
    assert made.on_behalf and made.recorded_by == hr_north


@pytest.mark.parametrize("who", ["cmo_office", "outsider"])
def test_nobody_else_declares_for_a_person(person, who, request):
    with pytest.raises(PermissionDenied):
        services.declare_interest(person=person, by=request.getfixturevalue(who), **SHARES)
    assert not DeclarationReturn.objects.exists()


def test_bad_input_is_explained_and_nothing_is_written(person, leader):
    with pytest.raises(ValidationError) as error:
        services.declare_interest(person=person, by=leader, **{
            **SHARES, "organisation": "  ", "to_date": D(2020, 1, 1)})
    assert set(error.value.message_dict) >= {"organisation", "to_date"}
    assert not DeclarationReturn.objects.exists()


def test_only_the_latest_declaration_can_be_changed(person, leader):
    first = services.declare_interest(person=person, by=leader, **SHARES)
    services.confirm_declaration(person=person, by=leader)
    with pytest.raises(ValidationError):
        services.change_interest(interest=first.interests.get(), by=leader, **SHARES)


def test_a_leader_declares_in_the_browser_and_a_bad_date_writes_nothing(client, person, leader):
    as_user(client, leader)
    add = reverse("governance:interest-add", args=[person.pk])
    body = {"kind": "financial", "organisation": "Acme Diagnostics Ltd",
            "description": "Shareholding", **date_fields("from_date", D(2024, 2, 1)),
            **date_fields("to_date", D(2023, 1, 1))}
    page = client.post(add, body)
    assert page.status_code == 200 and "must end on or after" in page.content.decode()
    assert not DeclarationReturn.objects.exists()
    body.update({"to_date_day": "", "to_date_month": "", "to_date_year": ""})
    assert client.post(add, body).status_code == 302
    page = client.get(reverse("governance:declarations")).content.decode()
    assert "Your declarations" in page
    page = client.get(reverse("governance:person-declarations", args=[person.pk]))
    assert "Acme Diagnostics Ltd" in page.content.decode()


def test_hr_see_their_systems_people_with_constant_queries(client, hr_north, north_post,
                                                           django_assert_num_queries):
    as_user(client, hr_north)
    url = reverse("governance:declarations")
    AppointmentFactory(post=north_post, start_date=D(2025, 1, 1))
    few = queries(client, url)
    assert few == 7  # session, user, grants, the page's count and rows, the own record
    for _ in range(4):
        AppointmentFactory(post=PostFactory(host_organisation=north_post.host_organisation),
                           start_date=D(2025, 1, 1))
    with django_assert_num_queries(few):
        page = client.get(url)
    assert page.content.decode().count("Overdue since 1 January 2025") == 5


# --- the published register --------------------------------------------------------------------

def test_only_what_people_agreed_to_publish_appears_on_the_register_and_in_the_csv(
        client, person, leader, north, south_appointment):
    services.declare_interest(person=person, by=leader, **SHARES)
    services.declare_interest(person=person, by=leader, **TRUSTEE)
    other = south_appointment.person
    services.declare_interest(person=other, by=UserFactory(is_superuser=True),
                              **{**SHARES, "organisation": "Southern Scans plc"})
    page = client.get(reverse("governance:register-interests", args=[north.short_name]))
    text = page.content.decode()
    assert "Acme Diagnostics Ltd" in text and escape(person.full_name) in text
    assert "Riverside Hospice" not in text and "Southern Scans" not in text
    rows = list(csv.reader(io.StringIO(client.get(reverse(
        "governance:register-interests-csv", args=[north.short_name])).content.decode())))
    assert [row[3] for row in rows[1:]] == ["Acme Diagnostics Ltd"]


def test_the_register_of_interests_costs_the_same_queries_however_many_are_published(
        client, north, north_trust, admin_user, django_assert_num_queries):
    def published_holder():
        appointment = AppointmentFactory(post=PostFactory(host_organisation=north_trust),
                                         start_date=D(2025, 1, 1))
        services.declare_interest(person=appointment.person, by=admin_user, **SHARES)

    published_holder()
    url = reverse("governance:register-interests", args=[north.short_name])
    few = queries(client, url)
    for _ in range(4):
        published_holder()
    with django_assert_num_queries(few):
        page = client.get(url)
    assert page.content.decode().count("Acme Diagnostics Ltd") == 5


def test_people_who_no_longer_hold_a_post_are_not_published(client, person, leader, north,
                                                            admin_user, north_appointment):
    services.declare_interest(person=person, by=leader, **SHARES)
    appointments.end_early(appointment=north_appointment, on=D(2026, 11, 20), reason="Left",
                           by=admin_user)
    page = client.get(reverse("governance:register-interests", args=[north.short_name]))
    assert "Acme Diagnostics Ltd" not in page.content.decode()


def test_an_interest_that_ended_stays_published_for_six_months(person, leader, north, client):
    made = services.declare_interest(person=person, by=leader, **SHARES)
    services.end_interest(interest=made.interests.get(), to_date=D(2026, 11, 1), by=leader)
    url = reverse("governance:register-interests", args=[north.short_name])
    assert "Acme Diagnostics Ltd" in client.get(url).content.decode()
    with time_machine.travel(datetime.datetime(2027, 5, 2, 9, 0)):
        assert "Acme Diagnostics Ltd" not in client.get(url).content.decode()


# --- a body's page -------------------------------------------------------------------------------

@pytest.fixture
def board(north, north_post, person, leader):
    body = Body.objects.create(system=north, name="Quality Board", kind="board")
    Seat.objects.create(body=body, post=north_post, role="member", voting=True)
    services.declare_interest(person=person, by=leader, **TRUSTEE)
    return body


def test_the_chair_and_hr_see_members_unpublished_interests_and_others_do_not(
        client, board, north_trust, north, hr_north, cmo_office):
    chair_user = UserFactory()
    chair_post = PostFactory(host_organisation=north_trust)
    AppointmentFactory(post=chair_post, person=PersonFactory(user=chair_user),
                       start_date=D(2025, 1, 1))
    Seat.objects.create(body=board, post=chair_post, role="chair", voting=True)
    with_totp(grant(chair_user, access.VIEW, north))
    interests = reverse("governance:body-interests", args=[board.pk])
    for user, sees in ((chair_user, True), (hr_north, True), (cmo_office, False)):
        as_user(client, user)
        body_page = client.get(board.get_absolute_url()).content.decode()
        assert (interests in body_page) is sees, user
        page = client.get(interests)
        assert page.status_code == (200 if sees else 404), user
        assert ("Riverside Hospice" in page.content.decode()) is sees, user
        client.logout()


# --- reminders -----------------------------------------------------------------------------------



@pytest.fixture
def starting(north_trust, north):
    grant(UserFactory(email="hr.trust@example.org"), access.EDIT, north_trust)
    grant(UserFactory(email="hr.system@example.org"), access.EDIT, north)
    return AppointmentFactory(post=PostFactory(host_organisation=north_trust),
                              person=PersonFactory(work_email="new.lead@nhs.example"),
                              start_date=D(2026, 12, 1), end_date=D(2029, 11, 30))


def test_due_on_appointment_then_overdue_to_hr_each_exactly_once(sweep_on, starting):
    sweep_on(D(2026, 11, 30))
    assert not sent(Kind.DECLARATION_DUE)
    sweep_on(D(2026, 12, 1))
    sweep_on(D(2026, 12, 1))
    sweep_on(D(2026, 12, 2))
    assert sent(Kind.DECLARATION_DUE) == [("appointment-due@2026-12-01", "new.lead@nhs.example")]
    sweep_on(D(2026, 12, 30))
    assert not sent(Kind.DECLARATION_OVERDUE)
    sweep_on(D(2026, 12, 31))
    sweep_on(D(2027, 1, 2))
    assert sent(Kind.DECLARATION_OVERDUE) == [
        ("appointment-overdue@2026-12-01", "hr.system@example.org"),
        ("appointment-overdue@2026-12-01", "hr.trust@example.org"),
        ("appointment-overdue@2026-12-01", "new.lead@nhs.example")]


def test_a_return_made_stops_the_reminders(sweep_on, starting, admin_user):
    with time_machine.travel(datetime.datetime(2026, 12, 3, 9, 0)):
        services.confirm_declaration(person=starting.person, by=admin_user)
    sweep_on(D(2026, 12, 31))
    assert not sent(Kind.DECLARATION_OVERDUE)


def test_yearly_after_the_last_return_then_overdue_to_hr(sweep_on, starting, admin_user):
    with time_machine.travel(datetime.datetime(2026, 12, 3, 9, 0)):
        services.confirm_declaration(person=starting.person, by=admin_user)
    sweep_on(D(2027, 12, 2))
    assert not sent(Kind.DECLARATION_DUE)
    sweep_on(D(2027, 12, 3))
    sweep_on(D(2027, 12, 4))
    assert sent(Kind.DECLARATION_DUE) == [("annual-due@2027-12-03", "new.lead@nhs.example")]
    sweep_on(D(2028, 1, 2))
    sweep_on(D(2028, 1, 3))
    assert [email for _, email in sent(Kind.DECLARATION_OVERDUE)] == [
        "hr.system@example.org", "hr.trust@example.org", "new.lead@nhs.example"]
    with time_machine.travel(datetime.datetime(2028, 1, 4, 9, 0)):
        services.confirm_declaration(person=starting.person, by=admin_user)
    sweep_on(D(2028, 1, 5))
    assert len(sent(Kind.DECLARATION_OVERDUE)) == 3


def test_reminders_about_a_return_are_read_by_those_who_see_it(sweep_on, starting, admin_user,
                                                               cmo_office, hr_north):
    with time_machine.travel(datetime.datetime(2026, 12, 3, 9, 0)):
        services.confirm_declaration(person=starting.person, by=admin_user)
    sweep_on(D(2027, 12, 3))
    row = Notification.objects.get(kind=Kind.DECLARATION_DUE)
    assert Notification.objects.visible_to(hr_north).filter(pk=row.pk).exists()
    assert not Notification.objects.visible_to(cmo_office).filter(pk=row.pk).exists()
    assert Interest.objects.count() == 0


# --- leaders already in post when declarations began -----------------------------------------

@pytest.fixture
def in_post(north_trust, north):
    """A leader in post since April 2024 who has never made a return, with HR of the trust and
    of the system."""
    grant(UserFactory(email="hr.trust@example.org"), access.EDIT, north_trust)
    grant(UserFactory(email="hr.system@example.org"), access.EDIT, north)
    return AppointmentFactory(post=PostFactory(host_organisation=north_trust),
                              person=PersonFactory(work_email="long.serving@nhs.example"),
                              start_date=D(2024, 4, 1), end_date=D(2027, 3, 31))


def test_a_leader_in_post_who_never_declared_is_reminded_once_then_escalated(sweep_on, in_post,
                                                                            admin_user):
    sweep_on(D(2026, 11, 23))
    sweep_on(D(2026, 11, 24))
    assert sent(Kind.DECLARATION_DUE) == [("appointment-due@2024-04-01",
                                           "long.serving@nhs.example")]
    assert not sent(Kind.DECLARATION_OVERDUE)  # told today: a month to make the return
    sweep_on(D(2026, 12, 22))
    assert not sent(Kind.DECLARATION_OVERDUE)
    sweep_on(D(2026, 12, 23))
    sweep_on(D(2026, 12, 24))
    assert sent(Kind.DECLARATION_OVERDUE) == [
        ("appointment-overdue@2024-04-01", "hr.system@example.org"),
        ("appointment-overdue@2024-04-01", "hr.trust@example.org"),
        ("appointment-overdue@2024-04-01", "long.serving@nhs.example")]
    sweep_on(D(2027, 1, 20))
    assert len(sent(Kind.DECLARATION_DUE)) == 1 and len(sent(Kind.DECLARATION_OVERDUE)) == 3
    # Declared at last: nothing more until the year comes round.
    with time_machine.travel(datetime.datetime(2027, 1, 21, 9, 0)):
        services.confirm_declaration(person=in_post.person, by=admin_user)
    sweep_on(D(2027, 1, 22))
    assert len(sent(Kind.DECLARATION_DUE)) == 1


def test_a_leader_whose_last_return_is_years_old_is_due_a_yearly_one(sweep_on, in_post,
                                                                     admin_user):
    with time_machine.travel(datetime.datetime(2024, 6, 1, 9, 0)):
        services.confirm_declaration(person=in_post.person, by=admin_user)
    sweep_on(D(2026, 11, 23))
    sweep_on(D(2026, 11, 23))
    assert sent(Kind.DECLARATION_DUE) == [("annual-due@2025-06-01", "long.serving@nhs.example")]
    row = Notification.objects.get(kind=Kind.DECLARATION_DUE)
    assert "last return was made on 1 June 2024" in row.body_text
    sweep_on(D(2026, 12, 23))
    assert [email for _, email in sent(Kind.DECLARATION_OVERDUE)] == [
        "hr.system@example.org", "hr.trust@example.org", "long.serving@nhs.example"]


def test_a_leader_without_a_work_email_is_escalated_to_hr_a_month_after_the_due_date(
        sweep_on, in_post):
    in_post.person.work_email = ""
    in_post.person.save()
    sweep_on(D(2026, 11, 23))
    assert not sent(Kind.DECLARATION_DUE)
    assert sent(Kind.DECLARATION_OVERDUE) == [
        ("appointment-overdue@2024-04-01", "hr.system@example.org"),
        ("appointment-overdue@2024-04-01", "hr.trust@example.org")]


def test_nobody_out_of_post_is_reminded(sweep_on, in_post):
    AppointmentFactory(start_date=D(2020, 1, 1), end_date=D(2023, 12, 31))
    sweep_on(D(2026, 11, 23))
    assert [email for _, email in sent(Kind.DECLARATION_DUE)] == ["long.serving@nhs.example"]


def test_the_sweep_finds_every_leader_owing_a_return_in_the_same_queries(
        in_post, north_trust, django_assert_num_queries):
    def find():
        return list(reminders.declarations_due(D(2026, 11, 23), set()))

    with CaptureQueriesContext(connection) as captured:
        assert len(find()) == 1
    for _ in range(10):
        AppointmentFactory(post=PostFactory(host_organisation=north_trust),
                           start_date=D(2024, 4, 1))
    with django_assert_num_queries(len(captured)):
        assert len(find()) == 11


# --- where declarations are reached from ---------------------------------------------------------

def test_a_persons_page_links_to_their_declarations_for_those_who_may_read_them(
        client, person, leader, hr_north, cmo_office, admin_user):
    link = reverse("governance:person-declarations", args=[person.pk])
    for user, sees in ((leader, True), (hr_north, True), (admin_user, True),
                       (cmo_office, False)):
        page = as_user(client, user).get(person.get_absolute_url())
        assert page.status_code == 200
        assert (link in page.content.decode()) is sees, user
        client.logout()
    page = as_user(client, leader).get(person.get_absolute_url()).content.decode()
    assert "Overdue since 1 April 2024" in page  # in post since then, never declared


def test_a_meeting_page_shows_the_members_interests_to_the_chair_and_hr_only(
        client, board, north_trust, hr_north, cmo_office):
    chair_user = UserFactory()
    chair_post = PostFactory(host_organisation=north_trust)
    AppointmentFactory(post=chair_post, person=PersonFactory(user=chair_user),
                       start_date=D(2025, 1, 1))
    Seat.objects.create(body=board, post=chair_post, role="chair", voting=True)
    meeting = services.record_meeting(
        body=board, held_on=D(2026, 11, 2), title="November", by=hr_north,
        attendance={seat.pk: ("present", "") for seat in board.seats.all()})
    for user, sees in ((chair_user, True), (hr_north, True), (cmo_office, False)):
        page = as_user(client, user).get(meeting.get_absolute_url())
        assert page.status_code == 200, user
        text = page.content.decode()
        assert ("Riverside Hospice" in text) is sees, user
        assert ("No declaration made" in text) is sees, user  # the chair never declared
        client.logout()
