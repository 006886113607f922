"""The Fit and Proper Person Test: who is in scope (board posts, significant roles, cover of six
weeks or more), the assessment per year with its ten checks, the holder's own attestation, the
chair's sign-off that no role can take before every step is done, and the finding's history."""

import csv
import datetime
import io
import re

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from ccpl import access
from ccpl.models import AuditEvent, Notification
from governance import fppt, fppt_services
from governance.models import (
    ATTESTATION,
    Body,
    FitAndProperAssessment,
    FitAndProperCheck,
    FitnessOutcome,
    Seat,
)

from .factories import (
    AppointmentFactory,
    PersonFactory,
    PostFactory,
    RoleTypeFactory,
    UserFactory,
    grant,
    with_totp,
)
from .ledger import sent
from .pages import as_user, date_fields, queries, shown

pytestmark = pytest.mark.django_db
D = datetime.date
Kind = FitAndProperAssessment.Kind
ITEMS = FitAndProperCheck.Item.values


@pytest.fixture
def board_role(db):
    return RoleTypeFactory(name="Chief Medical Officer", is_board_level=True)


@pytest.fixture
def board(north):
    return Body.objects.create(system=north, name="North Trust Board", kind=Body.Kind.BOARD)


@pytest.fixture
def board_post(north_trust, board_role, board):
    post = PostFactory(title="Chief Medical Officer", role_type=board_role,
                       host_organisation=north_trust)
    Seat.objects.create(body=board, post=post, role=Seat.Role.MEMBER, voting=True)
    return post


@pytest.fixture
def holding(board_post, leader):
    """The leader holds the board post since 1 December 2024."""
    person = PersonFactory(user=leader, substantive_employer=board_post.host_organisation)
    return AppointmentFactory(post=board_post, person=person, start_date=D(2024, 12, 1),
                              end_date=D(2027, 11, 30))


@pytest.fixture
def chair(north_trust, board):
    """The trust's chair: holds the chair's post, which chairs the board."""
    user = with_totp(UserFactory(email="chair@example.org"))
    post = PostFactory(title="Chair of the Trust", host_organisation=north_trust)
    Seat.objects.create(body=board, post=post, role=Seat.Role.CHAIR, voting=True)
    AppointmentFactory(post=post, person=PersonFactory(user=user), start_date=D(2023, 1, 1),
                       end_date=D(2027, 12, 31))
    return user


@pytest.fixture
def assessment(holding):
    fppt_services.open_due_assessments(D(2026, 11, 23))
    return FitAndProperAssessment.objects.get(appointment=holding)


def record_every_check(assessment, by, but=()):
    for item in ITEMS:
        if item not in but:
            fppt_services.record_check(
                assessment=assessment, item=item, outcome="satisfactory",
                checked_on=D(2026, 11, 2),
                evidence_reference="" if item == "dbs" else f"HR/FPPT/{item}", by=by)


# --- scope ------------------------------------------------------------------------------------

def test_board_posts_and_significant_roles_are_in_scope(board_post, north_trust):
    significant = PostFactory(host_organisation=north_trust, is_significant_role=True)
    other = PostFactory(host_organisation=north_trust)
    from roles.models import Post
    assert set(Post.objects.fppt_in_scope()) == {board_post, significant}
    assert other not in Post.objects.fppt_in_scope()


def test_the_annual_assessment_opens_a_month_before_the_anniversary(holding):
    assert fppt_services.open_due_assessments(D(2026, 11, 1)) == 1
    opened = FitAndProperAssessment.objects.get()
    assert (opened.kind, opened.due_on) == (Kind.ANNUAL, D(2026, 12, 1))
    assert fppt_services.open_due_assessments(D(2026, 11, 2)) == 0  # exactly once


def test_a_new_holder_is_assessed_on_appointment(board_post):
    new = AppointmentFactory(post=board_post, start_date=D(2026, 12, 10),
                             end_date=D(2029, 12, 9), status="offered")
    fppt_services.open_due_assessments(D(2026, 11, 23))
    opened = FitAndProperAssessment.objects.get(appointment=new)
    assert (opened.kind, opened.due_on) == (Kind.ON_APPOINTMENT, D(2026, 12, 10))


def test_joint_holders_are_each_assessed(board_post):
    board_post.job_share_allowed = True
    board_post.save()
    first = AppointmentFactory(post=board_post, start_date=D(2026, 1, 1), wte=0.2)
    second = AppointmentFactory(post=board_post, start_date=D(2026, 1, 1), wte=0.2)
    fppt_services.open_due_assessments(D(2026, 11, 23))
    assert set(FitAndProperAssessment.objects.values_list("appointment", flat=True)) == {
        first.pk, second.pk}


def test_interim_cover_of_six_weeks_or_more_is_in_scope_and_shorter_is_recorded_as_not_needed(
        holding):
    long_cover = AppointmentFactory(post=holding.post, contract_type="cover", covers=holding,
                                    start_date=D(2026, 11, 1), end_date=D(2026, 12, 12))
    short_cover = AppointmentFactory(post=holding.post, contract_type="cover", covers=holding,
                                     start_date=D(2026, 11, 13), end_date=D(2026, 12, 20))
    fppt_services.open_due_assessments(D(2026, 11, 23))
    assert FitAndProperAssessment.objects.get(appointment=long_cover).kind == Kind.ON_APPOINTMENT
    short = FitAndProperAssessment.objects.get(appointment=short_cover)
    assert short.kind == Kind.NOT_REQUIRED and short.is_complete
    assert short.get_kind_display() == "Not required: interim under six weeks"
    assert short.status(D(2026, 11, 23)) == ("Not required", "grey")


def test_a_post_outside_scope_has_no_assessment(north_appointment):
    assert fppt_services.open_due_assessments(D(2026, 11, 23)) == 0


# --- checks -----------------------------------------------------------------------------------

def test_hr_record_each_check_with_who_when_and_evidence(assessment, hr_north):
    check = fppt_services.record_check(assessment=assessment, item="directors",
                                       outcome="satisfactory", checked_on=D(2026, 11, 2),
                                       evidence_reference=" CH-search-0042 ", by=hr_north)
    assert (check.checked_by, check.checked_on, check.evidence_reference) == (
        hr_north, D(2026, 11, 2), "CH-search-0042")
    corrected = fppt_services.record_check(assessment=assessment, item="directors",
                                           outcome="concern", checked_on=D(2026, 11, 3),
                                           by=hr_north)
    assert corrected.pk == check.pk and corrected.history.count() == 2


def test_the_dbs_check_is_its_outcome_and_certificate_date_only(assessment, hr_north):
    with pytest.raises(ValidationError) as refused:
        fppt_services.record_check(assessment=assessment, item="dbs", outcome="satisfactory",
                                   checked_on=D(2026, 10, 1),
                                   evidence_reference="Caution 2009 for ...", by=hr_north)
    assert "evidence_reference" in refused.value.message_dict
    assert not FitAndProperCheck.objects.exists()
    assert {f.name for f in FitAndProperCheck._meta.fields} == {
        "id", "assessment", "item", "outcome", "checked_on", "checked_by",
        "evidence_reference", "recorded_at"}


@pytest.mark.parametrize("values, field", [
    ({"item": "horoscope"}, "item"), ({"outcome": "maybe"}, "outcome"),
    ({"checked_on": None}, "checked_on"), ({"checked_on": D(2027, 1, 1)}, "checked_on")])
def test_a_bad_check_is_explained_and_nothing_is_written(assessment, hr_north, values, field):
    fields = {"item": "tribunal", "outcome": "satisfactory", "checked_on": D(2026, 11, 1),
              **values}
    with pytest.raises(ValidationError) as refused:
        fppt_services.record_check(assessment=assessment, by=hr_north, **fields)
    assert field in refused.value.message_dict
    assert not FitAndProperCheck.objects.exists()


@pytest.mark.parametrize("who", ["leader", "cmo_office", "outsider", "chair"])
def test_only_hr_of_the_appointment_record_checks(assessment, who, request):
    with pytest.raises(PermissionDenied):
        fppt_services.record_check(assessment=assessment, item="tribunal",
                                   outcome="satisfactory", checked_on=D(2026, 11, 1),
                                   by=request.getfixturevalue(who))
    assert not FitAndProperCheck.objects.exists()


# --- attestation and sign-off -----------------------------------------------------------------

def test_the_holder_attests_for_themself(assessment, leader):
    fppt_services.attest(assessment=assessment, confirmed=True, by=leader)
    assessment.refresh_from_db()
    assert assessment.attested_by == leader and assessment.attestation == ATTESTATION
    assert assessment.attested_at is not None
    with pytest.raises(ValidationError):
        fppt_services.attest(assessment=assessment, confirmed=True, by=leader)


def test_an_unconfirmed_attestation_is_refused(assessment, leader):
    with pytest.raises(ValidationError):
        fppt_services.attest(assessment=assessment, confirmed=False, by=leader)
    assessment.refresh_from_db()
    assert assessment.attested_at is None


@pytest.mark.parametrize("who", ["admin_user", "hr_north", "chair", "cmo_office"])
def test_nobody_attests_for_another(assessment, who, request):
    with pytest.raises(PermissionDenied):
        fppt_services.attest(assessment=assessment, confirmed=True,
                             by=request.getfixturevalue(who))
    assessment.refresh_from_db()
    assert assessment.attested_at is None


def test_the_chair_signs_off_a_complete_year(assessment, hr_north, leader, chair):
    record_every_check(assessment, hr_north)
    fppt_services.attest(assessment=assessment, confirmed=True, by=leader)
    fppt_services.sign_off(assessment=assessment, outcome="fit", reason="All checks clear.",
                           by=chair)
    assessment.refresh_from_db()
    assert assessment.outcome == FitnessOutcome.FIT and assessment.is_complete
    assert (assessment.signed_off_by, assessment.signed_off_as) == (
        chair, "Chair, North Trust Board")
    decision = assessment.decisions.get()
    assert (decision.by, decision.outcome, decision.reason) == (chair, "fit", "All checks clear.")
    with pytest.raises(ValidationError):
        fppt_services.record_check(assessment=assessment, item="dbs", outcome="concern",
                                   checked_on=D(2026, 11, 3), by=hr_north)


@pytest.mark.parametrize("who", ["chair", "admin_user"])
def test_sign_off_waits_for_every_check_and_the_attestation_whoever_signs(
        assessment, hr_north, leader, who, request):
    signer = request.getfixturevalue(who)
    record_every_check(assessment, hr_north, but=["social_media"])
    with pytest.raises(ValidationError, match="Social media"):
        fppt_services.sign_off(assessment=assessment, outcome="fit", reason="ok", by=signer)
    record_every_check(assessment, hr_north)
    with pytest.raises(ValidationError, match="not yet attested"):
        fppt_services.sign_off(assessment=assessment, outcome="fit", reason="ok", by=signer)
    assessment.refresh_from_db()
    assert assessment.signed_off_at is None and not assessment.decisions.exists()
    fppt_services.attest(assessment=assessment, confirmed=True, by=leader)
    fppt_services.sign_off(assessment=assessment, outcome="fit", reason="ok", by=signer)


@pytest.mark.parametrize("who", ["hr_north", "cmo_office", "outsider", "leader"])
def test_only_the_chair_or_an_administrator_signs_off(assessment, hr_north, leader, who,
                                                       request):
    record_every_check(assessment, hr_north)
    fppt_services.attest(assessment=assessment, confirmed=True, by=leader)
    with pytest.raises(PermissionDenied):
        fppt_services.sign_off(assessment=assessment, outcome="fit", reason="ok",
                               by=request.getfixturevalue(who))


def test_a_chair_does_not_sign_off_their_own_year(board, chair, hr_north):
    chair_post = Seat.objects.get(body=board, role="chair").post
    chair_post.is_significant_role = True
    chair_post.save()
    fppt_services.open_due_assessments(D(2026, 11, 23))
    own = FitAndProperAssessment.objects.get(appointment__post=chair_post)
    assert fppt.sign_off_authority(chair, own, D(2026, 11, 23)) is None


def test_a_chair_who_left_no_longer_signs_off(assessment, chair):
    assert fppt.sign_off_authority(chair, assessment, D(2026, 11, 23)) == (
        "Chair, North Trust Board")
    chair.person.appointments.update(end_date=D(2026, 6, 30), status="term_ended")
    assert fppt.sign_off_authority(chair, assessment, D(2026, 11, 23)) is None


def test_the_finding_is_placed_under_review_with_who_and_why(assessment, hr_north, leader,
                                                             chair):
    record_every_check(assessment, hr_north)
    fppt_services.attest(assessment=assessment, confirmed=True, by=leader)
    fppt_services.sign_off(assessment=assessment, outcome="fit", reason="Clear.", by=chair)
    with pytest.raises(ValidationError):
        fppt_services.place_under_review(assessment=assessment, reason=" ", by=hr_north)
    fppt_services.place_under_review(assessment=assessment, reason="New tribunal judgement.",
                                     by=hr_north)
    assessment.refresh_from_db()
    assert assessment.outcome == FitnessOutcome.UNDER_REVIEW
    assert [(d.outcome, d.by_authority) for d in assessment.decisions.all()] == [
        ("under_review", "HR"), ("fit", "Chair, North Trust Board")]
    with pytest.raises(PermissionDenied):
        fppt_services.place_under_review(assessment=assessment, reason="x", by=leader)


# --- who reads the records --------------------------------------------------------------------

def test_only_the_holder_hr_the_chair_and_administrators_see_the_records(
        assessment, leader, hr_north, chair, admin_user, cmo_office, outsider):
    visible = FitAndProperAssessment.objects.visible_to
    for user in (leader, hr_north, chair, admin_user):
        assert list(visible(user)) == [assessment], user
    for user in (cmo_office, outsider, UserFactory()):
        assert not visible(user).exists(), user


# --- the pages --------------------------------------------------------------------------------

def test_hr_record_a_check_on_its_page(client, assessment, hr_north):
    as_user(client, hr_north)
    url = reverse("governance:fppt-check", args=[assessment.pk, "insolvency"])
    assert "Insolvency and bankruptcy register" in client.get(url).content.decode()
    response = client.post(url, {"outcome": "satisfactory",
                                 **date_fields("checked_on", D(2026, 11, 2)),
                                 "evidence_reference": "IS-0042"})
    assert response.status_code == 302
    check = assessment.checks.get()
    assert (check.item, check.evidence_reference, check.checked_by) == (
        "insolvency", "IS-0042", hr_north)


@pytest.mark.parametrize("body, message", [
    ({"outcome": "", **date_fields("checked_on", D(2026, 11, 2))},
     "Select the outcome of the check."),
    ({"outcome": "satisfactory"}, "Enter the date of the check."),
    ({"outcome": "satisfactory", **date_fields("checked_on", D(2026, 12, 2))},
     "The date of the check cannot be in the future."),
    ({"outcome": "excellent", **date_fields("checked_on", D(2026, 11, 2))}, "Select a valid"),
])
def test_a_bad_check_on_the_page_is_explained_and_nothing_is_written(client, assessment,
                                                                     hr_north, body, message):
    as_user(client, hr_north)
    response = client.post(reverse("governance:fppt-check", args=[assessment.pk, "tribunal"]),
                           body)
    assert response.status_code == 200 and message in response.content.decode()
    assert not FitAndProperCheck.objects.exists()


def test_the_dbs_page_asks_for_the_outcome_and_certificate_date_only(client, assessment,
                                                                     hr_north):
    as_user(client, hr_north)
    url = reverse("governance:fppt-check", args=[assessment.pk, "dbs"])
    page = client.get(url).content.decode()
    assert "Date of the DBS certificate" in page and "evidence_reference" not in page
    client.post(url, {"outcome": "satisfactory", **date_fields("checked_on", D(2026, 9, 1)),
                      "evidence_reference": "what the certificate said"})
    check = assessment.checks.get()
    assert (check.outcome, check.checked_on, check.evidence_reference) == (
        "satisfactory", D(2026, 9, 1), "")


def test_an_unknown_check_is_not_found(client, assessment, hr_north):
    as_user(client, hr_north)
    assert client.get(reverse("governance:fppt-check",
                              args=[assessment.pk, "horoscope"])).status_code == 404


def test_the_holder_attests_on_the_page_and_must_tick_the_statement(client, assessment,
                                                                    leader):
    as_user(client, leader)
    url = reverse("governance:fppt-attest", args=[assessment.pk])
    assert ATTESTATION in client.get(url).content.decode()
    refused = client.post(url, {})
    assert "Confirm the statement to attest." in refused.content.decode()
    assessment.refresh_from_db()
    assert assessment.attested_at is None
    assert client.post(url, {"confirmed": "on"}).status_code == 302
    assessment.refresh_from_db()
    assert assessment.attested_by == leader
    detail = client.get(reverse("governance:fppt-detail", args=[assessment.pk])).content
    assert "Signed by" in detail.decode()


def test_the_chair_is_refused_with_a_reason_then_signs_off(client, assessment, chair, hr_north,
                                                           leader):
    as_user(client, chair)
    detail = client.get(reverse("governance:fppt-detail", args=[assessment.pk])).content.decode()
    assert "Sign off the year" in detail
    url = reverse("governance:fppt-sign-off", args=[assessment.pk])
    body = {"outcome": "fit", "reason": "Every check clear."}
    refused = client.post(url, body).content.decode()
    assert "Every check must be recorded" in refused
    record_every_check(assessment, hr_north)
    assert "not yet attested" in client.post(url, body).content.decode()
    assessment.refresh_from_db()
    assert assessment.signed_off_at is None
    fppt_services.attest(assessment=assessment, confirmed=True, by=leader)
    assert client.post(url, body).status_code == 302
    assessment.refresh_from_db()
    assert assessment.signed_off_by == chair and assessment.outcome == "fit"


def test_the_chair_sees_the_boards_members_and_nothing_else(client, assessment, chair,
                                                            south_appointment):
    south_appointment.post.is_significant_role = True
    south_appointment.post.save()
    fppt_services.open_due_assessments(D(2026, 11, 23))
    other = FitAndProperAssessment.objects.get(appointment=south_appointment)
    as_user(client, chair)
    assert client.get(reverse("governance:fppt-detail", args=[assessment.pk])).status_code == 200
    assert client.get(reverse("governance:fppt-detail", args=[other.pk])).status_code == 404


# --- the dashboard ----------------------------------------------------------------------------

def _holder_of_board_seat(board, north_trust, board_role, start):
    post = PostFactory(role_type=board_role, host_organisation=north_trust)
    Seat.objects.create(body=board, post=post, role=Seat.Role.MEMBER)
    return AppointmentFactory(post=post, start_date=start, end_date=D(2029, 1, 1))


def test_the_dashboard_shows_who_is_overdue_due_and_incomplete(client, chair, board,
                                                               north_trust, board_role,
                                                               hr_north):
    overdue = _holder_of_board_seat(board, north_trust, board_role, D(2024, 10, 1))
    due = _holder_of_board_seat(board, north_trust, board_role, D(2025, 11, 10))
    ahead = _holder_of_board_seat(board, north_trust, board_role, D(2025, 12, 10))
    fppt_services.open_due_assessments(D(2026, 11, 23))
    FitAndProperAssessment.objects.filter(appointment=overdue).update(due_on=D(2026, 10, 1))
    record_every_check(FitAndProperAssessment.objects.get(appointment=overdue), hr_north,
                       but=["charity"])
    as_user(client, chair)
    page = client.get(reverse("governance:fppt")).content.decode()
    overdue_part, rest = page.split("<h2>Due</h2>")
    due_part, ahead_part = rest.split("<h2>Opened ahead of the due date</h2>")
    assert shown(overdue.person) in overdue_part and "Charity trustee removal" in overdue_part
    assert "9 of 10" in overdue_part
    assert shown(due.person) in due_part and shown(ahead.person) in ahead_part


def test_the_lists_and_the_summary_counts_agree_on_each_side_of_the_grace_days(
        chair, board, north_trust, board_role):
    today = D(2026, 11, 23)
    holders = [_holder_of_board_seat(board, north_trust, board_role, D(2024, 10, 1))
               for _ in range(4)]
    fppt_services.open_due_assessments(today)
    # Due 31 and 30 days ago (FPPT_GRACE_DAYS is 30), today, and tomorrow.
    for holder, due_on in zip(holders, (D(2026, 10, 23), D(2026, 10, 24), today,
                                        D(2026, 11, 24)), strict=True):
        FitAndProperAssessment.objects.filter(appointment=holder).update(due_on=due_on)
    lists = fppt.dashboard(chair, today)
    assert {name: [a.appointment for a in rows] for name, rows in lists.items()} == {
        "overdue": [holders[0]], "due": [holders[1], holders[2]], "incomplete": [holders[3]]}
    assert fppt.counts(chair, today) == {"overdue": 1, "due": 2, "incomplete": 1,
                                         "signed_off": 0}


def test_the_dashboard_costs_the_same_queries_however_many_are_open(
        client, chair, board, north_trust, board_role, django_assert_num_queries):
    as_user(client, chair)
    url = reverse("governance:fppt")
    _holder_of_board_seat(board, north_trust, board_role, D(2024, 10, 1))
    fppt_services.open_due_assessments(D(2026, 11, 23))
    few = queries(client, url)
    assert few == 6  # session, user, grants, the counts, the rows and their checks
    for start in (D(2024, 10, 1), D(2025, 11, 10), D(2025, 12, 10), D(2025, 12, 11)):
        _holder_of_board_seat(board, north_trust, board_role, start)
    fppt_services.open_due_assessments(D(2026, 11, 23))
    with django_assert_num_queries(few):
        page = client.get(url)
    assert len(re.findall(r'href="/fppt/\d+/"', page.content.decode())) == 5


# --- reminders, by time travel ----------------------------------------------------------------



@pytest.fixture
def reminded(holding, chair, north_trust):
    """The holder's work address, HR of the trust, and the chair (HR of the system is
    hr_north, who chose nothing special)."""
    holding.person.work_email = "cmo@nhs.example"
    holding.person.save()
    grant(UserFactory(email="hr.trust@example.org"), access.EDIT, north_trust)
    return holding


def test_due_to_the_holder_and_hr_then_overdue_escalating_to_the_chair_each_exactly_once(
        sweep_on, reminded, hr_north):
    sweep_on(D(2026, 11, 30))
    assert not sent(Notification.Kind.FPPT_DUE)  # opened a month ahead, not yet due
    assert FitAndProperAssessment.objects.get().due_on == D(2026, 12, 1)
    sweep_on(D(2026, 12, 1))
    sweep_on(D(2026, 12, 1))
    sweep_on(D(2026, 12, 2))
    assert sent(Notification.Kind.FPPT_DUE) == [
        ("due@2026-12-01", "cmo@nhs.example"), ("due@2026-12-01", "hr.north@example.org"),
        ("due@2026-12-01", "hr.trust@example.org")]
    sweep_on(D(2026, 12, 30))
    assert not sent(Notification.Kind.FPPT_OVERDUE)
    sweep_on(D(2026, 12, 31))
    sweep_on(D(2027, 1, 3))
    assert sent(Notification.Kind.FPPT_OVERDUE) == [
        ("overdue@2026-12-01", "chair@example.org"), ("overdue@2026-12-01", "cmo@nhs.example"),
        ("overdue@2026-12-01", "hr.north@example.org"),
        ("overdue@2026-12-01", "hr.trust@example.org")]
    assert sent(Notification.Kind.FPPT_DUE) == [
        ("due@2026-12-01", "cmo@nhs.example"), ("due@2026-12-01", "hr.north@example.org"),
        ("due@2026-12-01", "hr.trust@example.org")]


def test_a_year_signed_off_is_not_chased(sweep_on, reminded, hr_north, leader, chair):
    sweep_on(D(2026, 11, 30))
    assessment = FitAndProperAssessment.objects.get()
    with time_machine.travel(datetime.datetime(2026, 12, 10, 9, 0)):
        record_every_check(assessment, hr_north)
        fppt_services.attest(assessment=assessment, confirmed=True, by=leader)
        fppt_services.sign_off(assessment=assessment, outcome="fit", reason="Clear.", by=chair)
    sweep_on(D(2026, 12, 31))
    assert not sent(Notification.Kind.FPPT_OVERDUE)


def test_a_missed_sweep_sends_only_the_latest_milestone(sweep_on, reminded, hr_north):
    sweep_on(D(2026, 11, 30))
    sweep_on(D(2027, 1, 5))
    assert not sent(Notification.Kind.FPPT_DUE)
    assert len(sent(Notification.Kind.FPPT_OVERDUE)) == 4


def test_the_reminder_names_the_assessment_and_who_reads_it(sweep_on, reminded, outsider):
    sweep_on(D(2026, 11, 30))
    sweep_on(D(2026, 12, 1))
    row = Notification.objects.filter(kind=Notification.Kind.FPPT_DUE).first()
    assessment = FitAndProperAssessment.objects.get()
    assert f"/fppt/{assessment.pk}/" in row.body_text
    assert list(Notification.objects.visible_to(outsider)) == []


# --- the annual return ------------------------------------------------------------------------

def test_the_annual_return_lists_each_holders_year_as_csv_and_pdf(client, assessment, hr_north,
                                                                  leader, chair,
                                                                  south_appointment):
    record_every_check(assessment, hr_north)
    fppt_services.attest(assessment=assessment, confirmed=True, by=leader)
    fppt_services.sign_off(assessment=assessment, outcome="fit", reason="Clear.", by=chair)
    south_appointment.post.is_significant_role = True
    south_appointment.post.save()
    fppt_services.open_due_assessments(D(2026, 11, 23))
    as_user(client, chair)
    response = client.get(reverse("governance:fppt-return-csv") + "?year=2026")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["System", "Organisation", "Post", "Name"]
    assert len(rows) == 2  # the chair's board only, not the south's holder
    assert rows[1][3] == assessment.appointment.person.full_name
    assert rows[1][6:] == ["10 of 10", "2026-11-23", "2026-11-23", "Chair, North Trust Board",
                           "Fit and proper"]
    assert AuditEvent.objects.filter(by=chair, action="exported").count() == 1
    document = client.get(reverse("governance:fppt-return-pdf") + "?year=2026")
    assert document["Content-Type"] == "application/pdf"
    assert document.content.startswith(b"%PDF")


@pytest.mark.parametrize("year", ["", "1999", "abc", "99999999999999999999", "２０２６"])
def test_a_bad_year_gives_this_years_return(client, assessment, hr_north, year):
    as_user(client, hr_north)
    response = client.get(reverse("governance:fppt-return-csv"), {"year": year})
    assert response.status_code == 200 and b"fppt-annual-return-2026" in response[
        "Content-Disposition"].encode()


# --- board member references ------------------------------------------------------------------

REFERENCE = {"requested_by": "Another NHS Foundation Trust", "requested_on": D(2026, 11, 2),
             "sent_to": "Director of People", "roles_and_dates": "Chief Medical Officer",
             "reason_for_leaving": "Retired", "misconduct": "None", "investigations": "None",
             "disciplinary": "None", "concerns": "None", "other": "",
             "sent_on": D(2026, 11, 3)}


@pytest.fixture
def left(holding):
    holding.end_date, holding.status = D(2026, 10, 31), "term_ended"
    holding.save()
    return holding


def test_hr_record_a_reference_as_sent_when_the_holder_has_left(left, hr_north):
    reference = fppt_services.issue_reference(appointment=left, by=hr_north, **REFERENCE)
    assert (reference.sent_by, reference.sent_on, reference.requested_by) == (
        hr_north, D(2026, 11, 3), "Another NHS Foundation Trust")
    assert [label for label, _ in reference.headings][:3] == [
        "Roles held and dates", "Reason for leaving", "Serious misconduct or mismanagement"]


def test_no_reference_while_the_holder_is_in_post(holding, hr_north):
    with pytest.raises(ValidationError, match="once the holder has left"):
        fppt_services.issue_reference(appointment=holding, by=hr_north, **REFERENCE)


@pytest.mark.parametrize("values, field", [
    ({"misconduct": "  "}, "misconduct"), ({"sent_on": D(2026, 12, 1)}, "sent_on"),
    ({"requested_on": D(2026, 11, 10)}, "requested_on")])
def test_a_bad_reference_is_explained_and_nothing_is_written(left, hr_north, values, field):
    with pytest.raises(ValidationError) as refused:
        fppt_services.issue_reference(appointment=left, by=hr_north, **{**REFERENCE, **values})
    assert field in refused.value.message_dict
    assert not left.board_references.exists()


@pytest.mark.parametrize("who", ["leader", "cmo_office", "chair", "outsider"])
def test_only_hr_give_a_reference(left, who, request):
    with pytest.raises(PermissionDenied):
        fppt_services.issue_reference(appointment=left, by=request.getfixturevalue(who),
                                      **REFERENCE)


def test_the_reference_page_records_it_as_sent(client, left, hr_north):
    as_user(client, hr_north)
    url = reverse("governance:fppt-reference-create", args=[left.pk])
    assert "Chief Medical Officer, 1 December 2024 to 31 October 2026" in client.get(
        url).content.decode()
    body = {**REFERENCE, **date_fields("requested_on", D(2026, 11, 2)),
            **date_fields("sent_on", D(2026, 11, 3))}
    del body["requested_on"], body["sent_on"]
    refused = client.post(url, {**body, "misconduct": ""})
    assert "Answer this heading, or write &#x27;None&#x27;." in refused.content.decode()
    response = client.post(url, body)
    reference = left.board_references.get()
    assert response.url == reverse("governance:fppt-reference", args=[reference.pk])
    assert "Director of People" in client.get(response.url).content.decode()


def test_a_long_dashboard_shows_the_first_rows_and_says_how_many(client, chair, board,
                                                                 north_trust, board_role,
                                                                 monkeypatch):
    monkeypatch.setattr(fppt, "DASHBOARD_ROWS", 2)
    for _ in range(3):
        _holder_of_board_seat(board, north_trust, board_role, D(2025, 11, 10))
    fppt_services.open_due_assessments(D(2026, 11, 23))
    as_user(client, chair)
    page = client.get(reverse("governance:fppt")).content.decode()
    assert len(re.findall(r'href="/fppt/\d+/"', page)) == 2
    assert "The first 2 of 3, earliest due first" in page
