"""Named chairs: a body's chair who holds no post of the register (a trust's non-executive chair)
sits in a seat held by name; linked to their account, the seat makes them the body's chair as a
chair's post would — they read the board and its meetings, sign off its members' Fit and Proper
Person Test and are told when one is overdue — and unlinking it (or removing the seat) takes
all of that away."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from ccpl.models import Notification
from governance import fppt, fppt_services, services
from governance.models import Body, FitAndProperAssessment, FitAndProperCheck, Seat

from .factories import (
    AppointmentFactory,
    PersonFactory,
    PostFactory,
    RoleTypeFactory,
    UserFactory,
)
from .ledger import sent
from .pages import as_user, queries

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def board(north):
    return Body.objects.create(system=north, name="North Trust Board", kind=Body.Kind.BOARD)


@pytest.fixture
def named_chair(db):
    """The trust's non-executive chair: an account, no post, no grant."""
    return UserFactory(email="named.chair@example.org")


@pytest.fixture
def chair_seat(board, named_chair):
    return Seat.objects.create(body=board, holder_name="Nia Chair", role=Seat.Role.CHAIR,
                               holder_description="Chair of the trust (non-executive)",
                               holder_account=named_chair, voting=True, lay=True)


@pytest.fixture
def holding(board, north_trust, leader):
    """The leader holds the board's Chief Medical Officer post since 1 December 2024."""
    post = PostFactory(title="Chief Medical Officer", host_organisation=north_trust,
                       role_type=RoleTypeFactory(name="Chief Medical Officer",
                                                 is_board_level=True))
    Seat.objects.create(body=board, post=post, role=Seat.Role.MEMBER, voting=True)
    person = PersonFactory(user=leader, substantive_employer=north_trust,
                           work_email="cmo@nhs.example")
    return AppointmentFactory(post=post, person=person, start_date=D(2024, 12, 1),
                              end_date=D(2027, 11, 30))


@pytest.fixture
def assessment(holding):
    fppt_services.open_due_assessments(D(2026, 11, 23))
    return FitAndProperAssessment.objects.get(appointment=holding)


def ready_to_sign_off(assessment, hr, holder):
    for item in FitAndProperCheck.Item.values:
        fppt_services.record_check(
            assessment=assessment, item=item, outcome="satisfactory", checked_on=D(2026, 11, 2),
            evidence_reference="" if item == "dbs" else f"HR/FPPT/{item}", by=hr)
    fppt_services.attest(assessment=assessment, confirmed=True, by=holder)


# --- the rule ---------------------------------------------------------------------------------

def test_a_named_chair_with_an_account_chairs_the_body(chair_seat, named_chair, board):
    assert list(Seat.objects.chaired_by(named_chair)) == [chair_seat]
    assert list(Body.objects.chaired_by(named_chair)) == [board]


def test_a_named_member_with_an_account_chairs_nothing(board, named_chair):
    Seat.objects.create(body=board, holder_name="Nia Member", holder_account=named_chair)
    assert not Seat.objects.chaired_by(named_chair).exists()
    assert not Body.objects.visible_to(named_chair).exists()


def test_an_account_is_linked_only_to_a_seat_held_by_name(board, north_post, named_chair):
    seat = Seat(body=board, post=north_post, holder_account=named_chair)
    with pytest.raises(ValidationError) as refused:
        seat.full_clean()
    assert "holder_account" in refused.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        seat.save()


# --- reading the board ------------------------------------------------------------------------

def test_a_named_chair_reads_their_board_and_its_meetings_and_no_other(
        client, chair_seat, named_chair, board, holding, hr_north, north, south):
    meeting = services.record_meeting(
        body=board, held_on=D(2026, 11, 2), title="Board meeting in public",
        attendance={seat.pk: ("present", "") for seat in board.seats.all()}, by=hr_north)
    elsewhere = [Body.objects.create(system=north, name="North Quality Committee",
                                     kind=Body.Kind.COMMITTEE),
                 Body.objects.create(system=south, name="South Board", kind=Body.Kind.BOARD)]
    as_user(client, named_chair)
    page = client.get(board.get_absolute_url())
    assert page.status_code == 200 and "Signs in to the register" in page.content.decode()
    assert client.get(meeting.get_absolute_url()).status_code == 200
    for body in elsewhere:
        assert client.get(body.get_absolute_url()).status_code == 404


def test_the_linked_account_costs_the_body_page_no_query(client, board, hr_north, named_chair):
    seat = Seat.objects.create(body=board, holder_name="Nia Chair", role=Seat.Role.CHAIR)
    as_user(client, hr_north)
    unlinked = queries(client, board.get_absolute_url())
    assert "Signs in to the register" not in client.get(board.get_absolute_url()).content.decode()
    seat.holder_account = named_chair
    seat.save()
    assert queries(client, board.get_absolute_url()) == unlinked


# --- the Fit and Proper Person Test -----------------------------------------------------------

def test_a_named_chair_signs_off_a_board_members_year_on_the_page(
        client, assessment, chair_seat, named_chair, hr_north, leader):
    ready_to_sign_off(assessment, hr_north, leader)
    as_user(client, named_chair)
    assert client.get(reverse("governance:fppt-detail", args=[assessment.pk])).status_code == 200
    assert f'href="/fppt/{assessment.pk}/"' in client.get(
        reverse("governance:fppt")).content.decode()
    response = client.post(reverse("governance:fppt-sign-off", args=[assessment.pk]),
                           {"outcome": "fit", "reason": "Every check clear."})
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert (assessment.signed_off_by, assessment.signed_off_as, assessment.outcome) == (
        named_chair, "Chair, North Trust Board", "fit")


def test_a_named_chair_does_not_sign_off_their_own_year(assessment, chair_seat, leader):
    chair_seat.holder_account = leader  # the holder, linked to the chair's seat by mistake
    chair_seat.save()
    assert fppt.chair_of(leader, assessment, D(2026, 11, 23)) is None
    assert fppt.sign_off_authority(leader, assessment, D(2026, 11, 23)) is None


def test_the_overdue_year_escalates_to_the_named_chair(sweep_on, assessment, chair_seat,
                                                       hr_north):
    sweep_on(D(2026, 12, 1))
    assert ("due@2026-12-01", "named.chair@example.org") not in sent(
        Notification.Kind.FPPT_DUE)
    sweep_on(D(2026, 12, 31))
    assert sent(Notification.Kind.FPPT_OVERDUE) == [
        ("overdue@2026-12-01", "cmo@nhs.example"), ("overdue@2026-12-01", "hr.north@example.org"),
        ("overdue@2026-12-01", "named.chair@example.org")]


def test_a_named_chair_on_the_weekly_digest_is_not_escalated_one_by_one(
        sweep_on, assessment, chair_seat, named_chair, hr_north):
    named_chair.weekly_digest = True
    named_chair.save()
    sweep_on(D(2026, 12, 31))
    assert ("overdue@2026-12-01", "named.chair@example.org") not in sent(
        Notification.Kind.FPPT_OVERDUE)


# --- unlinking --------------------------------------------------------------------------------

@pytest.mark.parametrize("how", ["unlinked", "removed"])
def test_unlinking_the_account_or_removing_the_seat_takes_the_powers_away(
        client, how, assessment, chair_seat, named_chair, board, hr_north, leader, sweep_on):
    ready_to_sign_off(assessment, hr_north, leader)
    if how == "unlinked":
        chair_seat.holder_account = None
        chair_seat.save()
    else:
        services.remove_seat(seat=chair_seat, by=hr_north)
    assert fppt.sign_off_authority(named_chair, assessment, D(2026, 11, 23)) is None
    as_user(client, named_chair)
    assert client.get(board.get_absolute_url()).status_code == 404
    assert client.get(reverse("governance:fppt-detail", args=[assessment.pk])).status_code == 404
    assert client.post(reverse("governance:fppt-sign-off", args=[assessment.pk]),
                       {"outcome": "fit", "reason": "Clear."}).status_code == 404
    assessment.refresh_from_db()
    assert assessment.signed_off_at is None


# --- the seat form ----------------------------------------------------------------------------

def _add(client, board, **fields):
    return client.post(reverse("governance:seat-add", args=[board.pk]),
                       {"role": "chair", "voting": "on", **fields})


def test_hr_link_a_named_chairs_seat_to_their_account_by_its_email(client, board, hr_north,
                                                                    named_chair):
    response = _add(as_user(client, hr_north), board, holder_name="Nia Chair",
                    holder_email="Named.Chair@Example.org")
    assert response.status_code == 302
    seat = Seat.objects.get()
    assert seat.holder_account == named_chair and seat.history.first().history_user == hr_north
    assert list(Body.objects.chaired_by(named_chair)) == [board]


@pytest.mark.parametrize("email", ["nobody@example.org", "gone@example.org"])
def test_an_email_without_an_active_account_is_refused_and_nothing_is_written(
        client, board, hr_north, email):
    UserFactory(email="gone@example.org", is_active=False)
    response = _add(as_user(client, hr_north), board, holder_name="Nia Chair",
                    holder_email=email)
    assert response.status_code == 200
    assert "No one has an account with that e-mail" in response.content.decode()
    assert not Seat.objects.exists()


def test_an_email_with_a_post_is_refused_and_nothing_is_written(client, board, hr_north,
                                                                  north_post, named_chair):
    response = _add(as_user(client, hr_north), board, post=north_post.pk,
                    holder_email=named_chair.email)
    assert response.status_code == 200
    assert "leave their account&#x27;s e-mail empty" in response.content.decode()
    assert not Seat.objects.exists()
