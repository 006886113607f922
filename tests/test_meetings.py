"""Meetings of bodies: attendance recorded by HR in one form, quoracy by the body's rule (seed
003's "half the voting members, including an executive and a clinician"), attendance rates per
member per year, seats held by named people, and the yearly review of the terms of reference."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import escape

from ccpl import notifications
from ccpl.models import Notification
from governance import meetings, services
from governance.models import Attendance, Body, Meeting, QuorumRule, Seat

from .factories import AppointmentFactory, PersonFactory, PostFactory, UserFactory
from .pages import as_user, date_fields, queries

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def group(north, north_trust):
    """A leadership group: a CMO (executive and clinician, co-chair), two clinical leads, a
    finance director (executive), an expert by experience named on a seat of their own, all
    voting, and an attendee without a vote."""
    body = Body.objects.create(system=north, name="Leadership Group", kind="group")

    def seat(title, given, **flags):
        post = PostFactory(host_organisation=north_trust, title=title)
        AppointmentFactory(post=post, start_date=D(2025, 1, 1),
                           person=PersonFactory(given_name=given, family_name="Example"))
        return Seat.objects.create(body=body, post=post, **flags)

    seats = {
        "cmo": seat("Chief Medical Officer", "Cora", role="co_chair", voting=True,
                    executive=True, clinical=True),
        "lead1": seat("Clinical Lead A", "Leo", voting=True, clinical=True),
        "lead2": seat("Clinical Lead B", "Lia", voting=True, clinical=True),
        "finance": seat("Director of Finance", "Fin", voting=True, executive=True),
        "expert": Seat.objects.create(body=body, holder_name="Eve Example", voting=True,
                                      lay=True, holder_description="Expert by experience"),
        "observer": seat("Programme Manager", "Obi", role="attendee"),
    }
    QuorumRule.objects.create(body=body, fraction=Decimal("0.5"), executives=1, clinicians=1)
    return body, seats


def record(body, by, held_on=D(2026, 11, 2), **statuses):
    attendance = {}
    for seat in body.seats.all():
        status = statuses.get(str(seat.pk), "absent")
        attendance[seat.pk] = (status, "Dana Deputy" if status == "deputy" else "")
    return services.record_meeting(body=body, held_on=held_on, title="Monthly meeting",
                                   attendance=attendance, by=by)


def verdict(meeting):
    return meetings.evaluate(QuorumRule.objects.filter(body=meeting.body_id).first(),
                             list(meeting.attendances.all()))


def test_half_the_voting_members_with_an_executive_and_a_clinician_is_quorate(group, hr_north):
    body, seats = group
    meeting = record(body, hr_north, **{str(seats["finance"].pk): "present",
                                        str(seats["lead1"].pk): "present",
                                        str(seats["expert"].pk): "present"})
    assert verdict(meeting).text == "Quorate"
    assert meeting.attendances.count() == 6  # the named expert's seat included


def test_a_meeting_short_of_a_clinician_says_what_it_needs(group, hr_north):
    body, seats = group
    meeting = record(body, hr_north, **{str(seats["finance"].pk): "present",
                                        str(seats["expert"].pk): "present",
                                        str(seats["observer"].pk): "present",
                                        str(seats["lead1"].pk): "apologies"})
    assert verdict(meeting).text == "Not quorate: needs 1 more voting member and 1 more " \
                                    "clinician"


def test_a_deputy_counts_only_if_the_rule_says_so(group, hr_north):
    body, seats = group
    meeting = record(body, hr_north, **{str(seats["cmo"].pk): "deputy",
                                        str(seats["lead1"].pk): "present",
                                        str(seats["lead2"].pk): "present"})
    assert verdict(meeting).quorate
    QuorumRule.objects.filter(body=body).update(deputies_count=False)
    assert verdict(meeting).text == "Not quorate: needs 1 more voting member and 1 more " \
                                    "executive"


def test_no_rule_gives_no_verdict(group, hr_north):
    body, seats = group
    QuorumRule.objects.filter(body=body).delete()
    assert meetings.evaluate(None, []).text == "No quorum rule recorded"


def test_bad_attendance_is_explained_and_nothing_is_written(group, hr_north):
    body, seats = group
    attendance = {seat.pk: ("present", "") for seat in body.seats.all()}
    attendance[seats["lead1"].pk] = ("deputy", "")
    attendance[seats["lead2"].pk] = ("maybe", "")
    with pytest.raises(ValidationError) as error:
        services.record_meeting(body=body, held_on=D(2026, 12, 25), title=" ",
                                attendance=attendance, by=hr_north)
    assert {"title", "held_on", f"seat_{seats['lead1'].pk}_deputy",
            f"seat_{seats['lead2'].pk}"} <= set(error.value.message_dict)
    assert not Meeting.objects.exists() and not Attendance.objects.exists()


def test_hr_record_a_meeting_in_the_browser_and_see_it_inquorate(client, group, hr_north):
    body, seats = group
    as_user(client, hr_north)
    url = reverse("governance:meeting-create", args=[body.pk])
    form = client.get(url).content.decode()
    assert "Eve Example (Expert by experience, voting member)" in form
    assert "Obi Example (Programme Manager, no vote)" in form
    data = {"title": "November meeting", **date_fields("held_on", D(2026, 11, 2))}
    for seat in body.seats.all():
        data[f"seat_{seat.pk}"] = "absent"
    data[f"seat_{seats['cmo'].pk}"] = "deputy"  # with no name
    page = client.post(url, data)
    assert page.status_code == 200 and "Enter the name of the deputy" in page.content.decode()
    assert not Meeting.objects.exists()
    data[f"seat_{seats['cmo'].pk}_deputy"] = "Dr Dana Deputy"
    response = client.post(url, data, follow=True)
    text = response.content.decode()
    assert "Not quorate: needs 2 more voting members" in text
    assert "Sent a deputy: Dr Dana Deputy" in text


def _board_of(n, north, north_trust, hr_north):
    """A board of ``n`` voting members, each of whom has declared an interest, with a meeting
    recorded and then corrected once."""
    body = Body.objects.create(system=north, name=f"Board of {n}", kind="board")
    QuorumRule.objects.create(body=body, fraction=Decimal("0.5"))
    for i in range(n):
        post = PostFactory(host_organisation=north_trust)
        person = AppointmentFactory(post=post, start_date=D(2025, 1, 1)).person
        Seat.objects.create(body=body, post=post, voting=True, role="chair" if i == 0 else
                            "member")
        services.declare_interest(person=person, by=hr_north, kind="financial",
                                  organisation=f"Company {i}", description="Shares",
                                  from_date=D(2024, 1, 1), publish=True)
    meeting = record(body, hr_north)
    first = meeting.attendances.order_by("pk").first()
    services.correct_attendance(
        meeting=meeting, title=meeting.title, reason="Minutes approved",
        attendance={a.pk: ("present" if a.pk == first.pk else a.status, "")
                    for a in meeting.attendances.all()}, by=hr_north)
    return meeting


def test_the_meeting_page_costs_the_same_queries_for_5_members_as_for_50(
        client, north, north_trust, hr_north, django_assert_num_queries):
    small = _board_of(5, north, north_trust, hr_north)
    big = _board_of(50, north, north_trust, hr_north)
    as_user(client, hr_north)
    # Session, user, grants (1), the meeting with its body, rule and whether they may
    # correct it, the attendance with its people, the members' latest returns and their
    # interests, the history of the meeting and of its attendance, and the menu.
    assert queries(client, small.get_absolute_url()) == 10
    with django_assert_num_queries(10):
        page = client.get(big.get_absolute_url())
    assert page.status_code == 200 and "Company 49" in page.content.decode()
    assert "Minutes approved" in page.content.decode()


def test_a_body_page_and_its_members_interests_cost_the_same_queries_for_5_members_as_for_50(
        client, north, north_trust, hr_north, django_assert_num_queries):
    small = _board_of(5, north, north_trust, hr_north).body
    big = _board_of(50, north, north_trust, hr_north).body
    as_user(client, hr_north)
    for page in ("governance:body-detail", "governance:body-interests"):
        expected = queries(client, reverse(page, args=[small.pk]))
        with django_assert_num_queries(expected):
            response = client.get(reverse(page, args=[big.pk]))
        assert response.status_code == 200
    # The interests are on their own page, not the body's.
    assert "Company 49" in response.content.decode()
    body_page = client.get(big.get_absolute_url()).content.decode()
    assert "Company 49" not in body_page
    assert reverse("governance:body-interests", args=[big.pk]) in body_page


def test_the_body_page_shows_attendance_rates_per_member_per_year(client, group, hr_north):
    body, seats = group
    record(body, hr_north, held_on=D(2025, 12, 1), **{str(seats["lead1"].pk): "present"})
    record(body, hr_north, held_on=D(2026, 3, 1), **{str(seats["lead1"].pk): "present"})
    record(body, hr_north, held_on=D(2026, 6, 1), **{str(seats["lead1"].pk): "apologies"})
    rates = {(r["year"], r["member"]): (r["attended"], r["expected"])
             for r in meetings.attendance_rates(body)}
    assert rates[(2026, "Leo Example")] == (1, 2)
    assert rates[(2025, "Leo Example")] == (1, 1)
    page = as_user(client, hr_north).get(body.get_absolute_url()).content.decode()
    assert "50%" in page and "Not quorate" in page


def test_a_seat_is_filled_by_a_post_or_a_named_person_not_both(group, north_post):
    body, _ = group
    with pytest.raises(ValidationError):
        Seat(body=body, post=north_post, holder_name="Someone").full_clean()
    with pytest.raises(ValidationError):
        Seat(body=body).full_clean()


def test_the_terms_of_reference_review_reminds_hr_once(group, hr_north,
                                                       django_capture_on_commit_callbacks):
    body, _ = group
    services.save_terms(body=body, terms_of_reference="Agreed by the ICB", by=hr_north,
                        tor_reviewed_on=D(2026, 1, 15),
                        rule={"fraction": Decimal("0.5"), "minimum": 0, "executives": 1,
                              "clinicians": 1, "lay_members": 0, "deputies_count": True})

    def sweep(day):
        with time_machine.travel(datetime.datetime.combine(day, datetime.time(6, 30)),
                                 tick=False), django_capture_on_commit_callbacks(execute=True):
            notifications.sweep(today=day)

    sweep(D(2026, 12, 15))
    assert not Notification.objects.filter(kind="tor_review").exists()
    sweep(D(2026, 12, 16))
    sweep(D(2026, 12, 17))
    rows = Notification.objects.filter(kind="tor_review", status="sent")
    assert list(rows.values_list("milestone", "recipient_email")) == [
        ("review@2027-01-15", "hr.north@example.org")]


# --- the chair ----------------------------------------------------------------------------------

@pytest.fixture
def chair(group):
    """The co-chair of the group (its CMO) with an account and no grant anywhere."""
    body, seats = group
    user = UserFactory(email="cora.chair@example.org")
    person = seats["cmo"].post.appointments.get().person
    person.user = user
    person.save()
    return user


def test_a_chair_without_a_grant_reads_their_body_its_meetings_and_members_interests(
        client, group, chair, hr_north, north, north_trust):
    body, seats = group
    meeting = record(body, hr_north, **{str(seats["lead1"].pk): "present"})
    lead = seats["lead1"].post.appointments.get().person
    services.declare_interest(person=lead, by=hr_north, kind="personal",
                              organisation="Riverside Hospice", description="Unpaid trustee",
                              from_date=D(2023, 5, 1), publish=False)
    other = Body.objects.create(system=north, name="Finance Committee", kind="committee")
    Seat.objects.create(body=other, holder_name="Fay Example", voting=True)
    other_meeting = record(other, hr_north)
    as_user(client, chair)
    page = client.get(body.get_absolute_url())
    assert page.status_code == 200
    text = page.content.decode()
    assert meeting.get_absolute_url() in text
    assert "Riverside Hospice" in client.get(
        reverse("governance:body-interests", args=[body.pk])).content.decode()
    assert reverse("governance:meeting-create", args=[body.pk]) not in text  # read-only
    assert client.get(meeting.get_absolute_url()).status_code == 200
    assert body in Body.objects.visible_to(chair)
    # No other body of the system, nor a page that changes the chair's own body.
    for url in (other.get_absolute_url(), other_meeting.get_absolute_url(),
                reverse("governance:body-interests", args=[other.pk]),
                reverse("governance:meeting-create", args=[body.pk]),
                reverse("governance:body-terms", args=[body.pk])):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("governance:meeting-create", args=[body.pk]),
                       {"title": "x"}).status_code == 404
    assert list(Body.objects.visible_to(chair)) == [body]


def test_a_chair_whose_term_has_ended_no_longer_sees_the_body(client, group, chair, hr_north):
    body, seats = group
    meeting = record(body, hr_north)
    seats["cmo"].post.appointments.update(end_date=D(2026, 11, 22))
    as_user(client, chair)
    assert client.get(body.get_absolute_url()).status_code == 404
    assert client.get(meeting.get_absolute_url()).status_code == 404


def test_a_member_who_does_not_chair_does_not_see_the_body(client, group, hr_north):
    body, seats = group
    user = UserFactory(email="leo.lead@example.org")
    seats["lead1"].post.appointments.update(person=PersonFactory(user=user))
    assert client.get(body.get_absolute_url()).status_code == 302  # signed out: sign in
    as_user(client, user)
    assert client.get(body.get_absolute_url()).status_code == 404


# --- correcting a recorded meeting ---------------------------------------------------------------

def test_a_correction_re_evaluates_quoracy_and_keeps_who_changed_what_when_and_why(
        group, hr_north):
    body, seats = group
    meeting = record(body, hr_north, **{str(seats["finance"].pk): "present",
                                        str(seats["expert"].pk): "present",
                                        str(seats["lead1"].pk): "apologies"})
    assert not verdict(meeting).quorate
    rows = {a.seat_id: a for a in meeting.attendances.all()}
    attendance = {a.pk: (a.status, a.deputy_name) for a in rows.values()}
    attendance[rows[seats["lead1"].pk].pk] = ("present", "")
    services.correct_attendance(meeting=meeting, title="Monthly meeting", attendance=attendance,
                                reason="Minutes approved in December", by=hr_north)
    assert verdict(meeting).text == "Quorate"
    [change] = meetings.corrections(meeting)
    assert (change["by"], change["what"], change["before"], change["after"], change["reason"]) \
        == (hr_north, "Leo Example", "Sent apologies", "Present", "Minutes approved in December")


def test_a_correction_that_changes_nothing_or_is_wrong_writes_nothing(group, hr_north):
    body, seats = group
    meeting = record(body, hr_north)
    attendance = {a.pk: (a.status, a.deputy_name) for a in meeting.attendances.all()}
    with pytest.raises(ValidationError) as error:
        services.correct_attendance(meeting=meeting, title="Monthly meeting",
                                    attendance=attendance, reason="Checked", by=hr_north)
    assert "Nothing was changed" in str(error.value)
    first = min(attendance)
    with pytest.raises(ValidationError) as error:
        services.correct_attendance(meeting=meeting, title=" ", reason="",
                                    attendance={**attendance, first: ("deputy", "")},
                                    by=hr_north)
    assert {"title", "reason", f"attendance_{first}_deputy"} <= set(error.value.message_dict)
    assert not meetings.corrections(meeting)
    assert Attendance.history.filter(history_type="~").count() == 0


def test_only_who_keeps_the_body_corrects_a_meeting(group, hr_north, outsider, chair):
    from django.core.exceptions import PermissionDenied

    body, _ = group
    meeting = record(body, hr_north)
    attendance = {a.pk: ("present", "") for a in meeting.attendances.all()}
    for who in (outsider, chair):
        with pytest.raises(PermissionDenied):
            services.correct_attendance(meeting=meeting, title="x", attendance=attendance,
                                        reason="x", by=who)


def test_hr_correct_the_attendance_in_the_browser_and_see_the_history(client, group, hr_north):
    body, seats = group
    meeting = record(body, hr_north, **{str(seats["finance"].pk): "present",
                                        str(seats["expert"].pk): "present",
                                        str(seats["lead1"].pk): "apologies"})
    as_user(client, hr_north)
    page = client.get(meeting.get_absolute_url()).content.decode()
    url = reverse("governance:meeting-edit", args=[meeting.pk])
    assert url in page and "has not been corrected" in page
    form = client.get(url)
    assert form.status_code == 200
    data = {"title": "Monthly meeting", "reason": ""}
    for a in meeting.attendances.all():
        data[f"attendance_{a.pk}"] = a.status
    lead = meeting.attendances.get(seat=seats["lead1"])
    data[f"attendance_{lead.pk}"] = "present"
    refused = client.post(url, data)
    assert refused.status_code == 200 and "Enter why the record is corrected" in \
        refused.content.decode()
    data["reason"] = "Minutes approved in December"
    response = client.post(url, data, follow=True)
    text = response.content.decode()
    assert "has been corrected: Quorate (it was: Not quorate" in text
    assert "Minutes approved in December" in text and "Sent apologies" in text
    assert escape(hr_north.get_full_name()) in text


# --- the yearly review of the terms of reference, end to end -----------------------------------

def test_hr_record_a_review_and_are_reminded_once_of_the_next_in_their_reminders(
        client, group, hr_north, cmo_office, django_capture_on_commit_callbacks):
    body, _ = group
    as_user(client, hr_north)
    url = reverse("governance:body-terms", args=[body.pk])
    response = client.post(url, {"terms_of_reference": "Agreed by the ICB board",
                                 **date_fields("tor_reviewed_on", D(2025, 12, 10)),
                                 "fraction": "0.5", "minimum": "0", "executives": "1",
                                 "clinicians": "1", "lay_members": "0",
                                 "deputies_count": "on"}, follow=True)
    assert "next review due by 10 December 2026" in response.content.decode()

    def sweep(day):
        with time_machine.travel(datetime.datetime.combine(day, datetime.time(6, 30)),
                                 tick=False), django_capture_on_commit_callbacks(execute=True):
            notifications.sweep(today=day)

    sweep(D(2026, 11, 9))
    assert not Notification.objects.filter(kind="tor_review").exists()
    sweep(D(2026, 11, 10))
    sweep(D(2026, 11, 23))
    row = Notification.objects.get(kind="tor_review")
    assert (row.milestone, row.recipient_email, row.status) == (
        "review@2026-12-10", "hr.north@example.org", "sent")
    assert "yearly review is due by 10 December 2026" in row.body_text
    page = client.get(reverse("notification-list")).content.decode()
    assert "Terms of reference review due: Leadership Group" in page
    # Reviewed again: the next reminder is a year on.
    services.save_terms(body=body, terms_of_reference="Agreed", tor_reviewed_on=D(2026, 11, 23),
                        rule={"fraction": Decimal("0.5"), "minimum": 0, "executives": 1,
                              "clinicians": 1, "lay_members": 0, "deputies_count": True},
                        by=hr_north)
    sweep(D(2026, 12, 10))
    assert Notification.objects.filter(kind="tor_review").count() == 1


def test_a_review_long_overdue_is_reminded_once(group, hr_north,
                                                django_capture_on_commit_callbacks):
    body, _ = group
    Body.objects.filter(pk=body.pk).update(tor_reviewed_on=D(2023, 6, 1))
    for day in (D(2026, 11, 23), D(2026, 11, 24)):
        with time_machine.travel(datetime.datetime.combine(day, datetime.time(6, 30)),
                                 tick=False), django_capture_on_commit_callbacks(execute=True):
            notifications.sweep(today=day)
    assert list(Notification.objects.filter(kind="tor_review")
                .values_list("milestone", "recipient_email")) == [
        ("review@2024-06-01", "hr.north@example.org")]
