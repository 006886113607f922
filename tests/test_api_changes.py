"""The API's changes go through the pages' forms and services: the same rules, the same approval
routes, 404 for what the user may not change, 400 with the messages for what is refused, and a
read-only token changes nothing."""

import datetime

import pytest

from appointments.models import Appointment, ApprovalRequest, Extension, TermEndDecision
from ccpl import services

from .factories import PersonFactory

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def api(client):
    """POST (or GET) JSON as a user with a token of theirs."""
    def call(user, url, body=None, scope="write"):
        secret = services.create_access_token(name="t", scope=scope, days=30,
                                              second_factor=True, by=user)[1]
        headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
        if body is None:
            return client.get(url, **headers)
        return client.post(url, body, content_type="application/json", **headers)
    return call


def test_hr_appoints_and_the_cmo_office_agrees(api, hr_north, cmo_office, north_post):
    person = PersonFactory(substantive_employer=north_post.host_organisation)
    response = api(hr_north, "/api/v1/appointments/", {
        "post": north_post.pk, "person": person.pk, "start_date": "2027-01-01",
        "end_date": "2029-12-31", "status": "active", "reason": "Interim cover"})
    assert response.status_code == 201, response.json()
    asked = response.json()
    assert asked["status"] == "pending" and asked["appointment_id"] is None
    assert asked["waiting_for"]
    decisions = api(cmo_office, "/api/v1/decisions/").json()["results"]
    [mine] = [d for d in decisions if d["request_id"] == asked["id"]]
    done = api(cmo_office, f"/api/v1/decisions/{mine['id']}/decide/", {"decision": "agree"})
    assert done.status_code == 201, done.json()
    assert done.json()["status"] == "agreed"
    appointment = Appointment.objects.get(pk=done.json()["appointment_id"])
    assert (appointment.person, appointment.end_date) == (person, D(2029, 12, 31))


def test_an_extension_waits_for_the_route_and_is_made_when_agreed(api, hr_north, cmo_office,
                                                                    north_appointment):
    url = f"/api/v1/appointments/{north_appointment.pk}/extensions/"
    response = api(hr_north, url, {"new_end_date": "2028-03-31", "reason": "Winter"})
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "pending" and not Extension.objects.exists()
    decision = api(cmo_office, "/api/v1/decisions/").json()["results"][0]
    assert decision["proposed_end_date"] == "2028-03-31"
    agreed = api(cmo_office, f"/api/v1/decisions/{decision['id']}/decide/",
                 {"decision": "agree", "note": "Agreed at the board"})
    assert agreed.status_code == 201 and agreed.json()["extension_id"]
    north_appointment.refresh_from_db()
    assert north_appointment.end_date == D(2028, 3, 31)


def test_a_second_extension_while_one_waits_is_refused_with_the_pages_message(
        api, hr_north, north_appointment):
    url = f"/api/v1/appointments/{north_appointment.pk}/extensions/"
    assert api(hr_north, url, {"new_end_date": "2028-03-31", "reason": "r"}).status_code == 201
    again = api(hr_north, url, {"new_end_date": "2028-06-30", "reason": "r"})
    assert again.status_code == 400
    assert "already awaiting agreement" in again.json()["new_end_date"][0]
    assert ApprovalRequest.objects.count() == 1


def test_declining_needs_a_note(api, hr_north, cmo_office, north_appointment):
    api(hr_north, f"/api/v1/appointments/{north_appointment.pk}/extensions/",
        {"new_end_date": "2028-03-31", "reason": "r"})
    decision = api(cmo_office, "/api/v1/decisions/").json()["results"][0]
    response = api(cmo_office, f"/api/v1/decisions/{decision['id']}/decide/",
                   {"decision": "decline"})
    assert response.status_code == 400
    assert ApprovalRequest.objects.get().status == "pending"


def test_hr_ends_an_appointment(api, hr_north, north_appointment):
    response = api(hr_north, f"/api/v1/appointments/{north_appointment.pk}/end/",
                   {"how": "end", "on": "2026-12-31", "reason": "Resigned"})
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "ended" and response.json()["end_date"] == "2026-12-31"


@pytest.mark.parametrize("body, field, message", [
    ({"how": "end", "on": "31/12/2026", "reason": "r"}, "on", "YYYY-MM-DD"),
    ({"how": "end", "on": "2020-01-01", "reason": "r"}, "on", "after the appointment starts"),
    ({"how": "gone", "on": "2026-12-31", "reason": "r"}, "how", "valid choice"),
    ({"how": "end", "on": "2026-12-31"}, "reason", "Enter why"),
    ({"how": ["end"], "on": "2026-12-31", "reason": "r"}, "how", "one value"),
])
def test_a_refused_end_says_why_and_writes_nothing(api, hr_north, north_appointment, body,
                                                    field, message):
    response = api(hr_north, f"/api/v1/appointments/{north_appointment.pk}/end/", body)
    assert response.status_code == 400
    assert message in " ".join(response.json()[field])
    north_appointment.refresh_from_db()
    assert north_appointment.status == Appointment.Status.ACTIVE


def test_a_body_that_is_not_an_object_is_refused(api, hr_north, north_appointment):
    response = api(hr_north, f"/api/v1/appointments/{north_appointment.pk}/end/", ["end"])
    assert response.status_code == 400 and "non_field_errors" in response.json()


def test_hr_records_a_term_end_decision(api, hr_north, north_appointment):
    response = api(hr_north, f"/api/v1/appointments/{north_appointment.pk}/term-end-decisions/",
                   {"outcome": "let_end", "note": "Role reviewed"})
    assert response.status_code == 201, response.json()
    decision = TermEndDecision.objects.get()
    assert (decision.outcome, decision.decided_by) == ("let_end", hr_north)


@pytest.mark.parametrize("path, body", [
    ("end/", {"how": "end", "on": "2026-12-31", "reason": "r"}),
    ("extensions/", {"new_end_date": "2028-03-31", "reason": "r"}),
    ("term-end-decisions/", {"outcome": "let_end"}),
])
def test_another_systems_appointment_is_not_found(api, hr_north, south_appointment, path, body):
    response = api(hr_north, f"/api/v1/appointments/{south_appointment.pk}/{path}", body)
    assert response.status_code == 404
    assert not TermEndDecision.objects.exists()


def test_a_leader_changes_nothing_of_their_own_appointment(api, leader, north_appointment):
    response = api(leader, f"/api/v1/appointments/{north_appointment.pk}/end/",
                   {"how": "end", "on": "2026-12-31", "reason": "r"})
    assert response.status_code == 404
    assert api(leader, "/api/v1/appointments/", {"post": 1}).status_code == 403


def test_a_read_token_changes_nothing(api, hr_north, north_appointment):
    response = api(hr_north, f"/api/v1/appointments/{north_appointment.pk}/end/",
                   {"how": "end", "on": "2026-12-31", "reason": "r"}, scope="read")
    assert response.status_code == 403
    north_appointment.refresh_from_db()
    assert north_appointment.status == Appointment.Status.ACTIVE


def test_another_partys_decision_is_not_found(api, hr_north, outsider, north_appointment):
    api(hr_north, f"/api/v1/appointments/{north_appointment.pk}/extensions/",
        {"new_end_date": "2028-03-31", "reason": "r"})
    decision = ApprovalRequest.objects.get().decisions.get()
    for user in (hr_north, outsider):
        response = api(user, f"/api/v1/decisions/{decision.pk}/decide/", {"decision": "agree"})
        assert response.status_code == 404


def test_the_history_names_the_tokens_user(api, hr_north, north_appointment):
    api(hr_north, f"/api/v1/appointments/{north_appointment.pk}/end/",
        {"how": "cease", "on": "2026-12-31", "reason": "Role not continued"})
    latest = north_appointment.history.first()
    assert (latest.status, latest.history_user) == ("ceased", hr_north)
