"""Approval routes (issue 12, items 2, 3 and 6): HR ask, each party of the system's route
decides, the change is made only once every party agrees; an agreement made outside the register
is recorded only where the route allows it, with evidence and a date not in the future; an
administrator's override needs a reason and shows for good; the appraisal gate; approvers are
told once, and the office when a party is late."""

import datetime
import importlib
import threading

import pytest
from django.apps import apps
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models.query import QuerySet
from django.urls import reverse
from django.utils import timezone

from appointments import services
from appointments.models import (
    Appointment,
    ApprovalParty,
    ApprovalRequest,
    ApprovalRoute,
    Extension,
    PartyDecision,
    TermEndDecision,
    Vacancy,
)
from appraisals.models import Cycle, TemplateVersion
from ccpl import access
from ccpl.models import AuditEvent, Notification

from .factories import (
    AppointmentFactory,
    PersonFactory,
    PostFactory,
    UserFactory,
    grant,
    with_totp,
)
from .pages import Client, as_user, date_fields

pytestmark = pytest.mark.django_db
D = datetime.date
Subject = ApprovalRoute.Subject


@pytest.fixture
def cno(north):
    """The CNO, deciding for their own party of a joint route."""
    user = with_totp(UserFactory(email="cno.office@example.org", full_name="Nia Nurse"))
    return grant(user, access.VIEW, north)


def joint(system, subject, *deciders, outside=False, gate=False, days=7):
    """The system's route for ``subject``: one party per (name, user)."""
    route = services.route_for(system, subject)
    route.parties.all().delete()
    route.allows_outside_agreement, route.appraisal_gate = outside, gate
    route.escalate_after_days = days
    route.save()
    for position, (name, user) in enumerate(deciders):
        party = ApprovalParty.objects.create(route=route, name=name, position=position,
                                             decided_by=ApprovalParty.DecidedBy.USERS)
        party.users.set([user])
    return route


@pytest.fixture
def cmo_and_cno(north, cmo_office, cno):
    return joint(north, Subject.EXTENSION, ("Chief Medical Officer", cmo_office),
                 ("Chief Nursing Officer", cno))


def ask(appointment, by, end=D(2027, 9, 30), **how):
    return services.request_extension(appointment=appointment, new_end_date=end,
                                      reason="Continuity through the winter", by=by, **how)


def party(asked, name):
    return asked.decisions.get(name=name)


def satisfactory_appraisal(appointment, appraiser, *, outcome="satisfactory",
                           meeting=D(2026, 6, 1)):
    return Cycle.objects.create(
        appointment=appointment, appraiser=appraiser, closes_on=D(2026, 5, 1),
        opened_on=D(2026, 3, 1), template_version=TemplateVersion.objects.first(),
        stage=Cycle.Stage.SIGNED_OFF, outcome=outcome, meeting_on=meeting,
        outcome_recorded_at=timezone.now())


# --- the default route -----------------------------------------------------------------------

class TestTheDefaultRoute:
    def test_a_system_with_no_route_is_asked_of_its_cmo_office_alone(self, north):
        route = ApprovalRoute.of(north, Subject.EXTENSION)
        assert route.pk is None and route.party_names() == ["CMO/CNO office"]
        assert not route.allows_outside_agreement and not route.appraisal_gate

    def test_the_default_is_written_down_when_first_needed_and_seen_in_the_admin(
            self, north, north_appointment, hr_north, admin_user, client):
        asked = ask(north_appointment, hr_north)
        route = ApprovalRoute.objects.get(system=north, subject=Subject.EXTENSION)
        assert asked.route == route
        assert [(p.name, p.decided_by) for p in route.parties.all()] == [
            ("CMO/CNO office", "office")]
        page = as_user(client, admin_user).get(
            reverse("admin:appointments_approvalroute_changelist")).content.decode()
        assert "CMO/CNO office" in page

    def test_the_migration_writes_the_default_for_every_system_and_keeps_what_waits(
            self, north, south, north_appointment, admin_user):
        decision = TermEndDecision.objects.create(
            appointment=north_appointment, outcome="extend", status="pending",
            term_end_date=north_appointment.end_date, proposed_end_date=D(2027, 9, 30),
            decided_by=admin_user)
        vacancy = Vacancy.objects.create(post=PostFactory(host_organisation=north.organisations
                                                          .first()), opened_by=admin_user)
        migration = importlib.import_module(
            "appointments.migrations.0006_approvals_default_routes")
        migration.forwards(apps, None)
        migration.forwards(apps, None)  # twice: nothing more
        assert ApprovalRoute.objects.count() == 6
        assert set(ApprovalParty.objects.values_list("name", "decided_by")) == {
            ("CMO/CNO office", "office")}
        asked = ApprovalRequest.objects.get(term_end_decision=decision)
        assert asked.subject == "extension" and asked.proposed_end_date == D(2027, 9, 30)
        assert ApprovalRequest.objects.get(vacancy=vacancy).decisions.count() == 1
        assert ApprovalRequest.objects.count() == 2


# --- asking and deciding, party by party ------------------------------------------------------

class TestAJointRoute:
    def test_each_party_agrees_then_the_term_is_extended(self, cmo_and_cno, north_appointment,
                                                         hr_north, cmo_office, cno):
        asked = ask(north_appointment, hr_north)
        assert asked.status == "pending"
        assert list(asked.decisions.values_list("name", "status")) == [
            ("Chief Medical Officer", "pending"), ("Chief Nursing Officer", "pending")]
        services.decide(decision=party(asked, "Chief Medical Officer"), agree=True,
                        evidence="CMO/CNO meeting 2026-11", by=cmo_office)
        north_appointment.refresh_from_db()
        assert north_appointment.end_date == D(2027, 3, 31)
        services.decide(decision=party(asked, "Chief Nursing Officer"), agree=True, by=cno)
        asked.refresh_from_db()
        north_appointment.refresh_from_db()
        assert asked.status == "agreed" and asked.how == "register"
        assert north_appointment.end_date == D(2027, 9, 30)
        extension = asked.extension
        assert extension.agreed_by == (f"{cmo_office.get_full_name()} (Chief Medical Officer); "
                                       f"{cno.get_full_name()} (Chief Nursing Officer)")
        assert extension.agreed_on == D(2026, 11, 23)
        assert asked.term_end_decision.status == "agreed"
        assert north_appointment.history.first().history_change_reason == (
            "Agreed by Chief Medical Officer, Chief Nursing Officer")

    def test_one_party_declining_declines_it_and_the_other_is_told(
            self, cmo_and_cno, north_appointment, hr_north, cmo_office, cno):
        asked = ask(north_appointment, hr_north)
        with pytest.raises(ValidationError, match="Say why"):
            services.decide(decision=party(asked, "Chief Nursing Officer"), agree=False,
                            note="  ", by=cno)
        services.decide(decision=party(asked, "Chief Nursing Officer"), agree=False,
                        note="Re-advertise instead", by=cno)
        asked.refresh_from_db()
        assert asked.status == "declined"
        assert asked.term_end_decision.status == "declined"
        with pytest.raises(ValidationError, match="already been declined, by Nia Nurse"):
            services.decide(decision=party(asked, "Chief Medical Officer"), agree=True,
                            by=cmo_office)
        assert not Extension.objects.exists()

    def test_nobody_decides_for_a_party_they_are_not(self, cmo_and_cno, north_appointment,
                                                     hr_north, cmo_office, cno, admin_user):
        asked = ask(north_appointment, hr_north)
        for user, name in [(cmo_office, "Chief Nursing Officer"), (cno, "Chief Medical Officer"),
                           (hr_north, "Chief Medical Officer"),
                           (admin_user, "Chief Medical Officer")]:
            with pytest.raises(PermissionDenied):
                services.decide(decision=party(asked, name), agree=True, by=user)
        assert set(asked.decisions.values_list("status", flat=True)) == {"pending"}

    def test_the_requester_agrees_for_their_own_party_only(self, cmo_and_cno,
                                                           north_appointment, cmo_office):
        asked = ask(north_appointment, cmo_office)
        assert party(asked, "Chief Medical Officer").status == "agreed"
        assert party(asked, "Chief Nursing Officer").status == "pending"
        assert asked.status == "pending"

    def test_a_second_request_waits_for_the_first(self, north_appointment, hr_north):
        ask(north_appointment, hr_north)
        with pytest.raises(ValidationError, match="already awaiting agreement"):
            ask(north_appointment, hr_north, end=D(2027, 12, 31))
        assert ApprovalRequest.objects.count() == 1

    def test_a_new_term_end_decision_withdraws_the_request(self, north_appointment, hr_north):
        asked = ask(north_appointment, hr_north)
        services.decide_term_end(appointment=north_appointment, outcome="let_end", by=hr_north)
        asked.refresh_from_db()
        assert asked.status == "withdrawn"
        assert not PartyDecision.objects.decidable_by(hr_north).exists()

    def test_an_offered_appointment_cannot_be_extended(self, north_post, hr_north):
        offered = AppointmentFactory(post=north_post, status=Appointment.Status.OFFERED)
        with pytest.raises(ValidationError, match="only been offered"):
            ask(offered, hr_north, end=offered.end_date + datetime.timedelta(days=90))
        with pytest.raises(ValidationError, match="only been offered"):
            services.extend(appointment=offered, new_end_date=D(2028, 12, 31), reason="r",
                            agreed_by="a", by=hr_north)
        assert not ApprovalRequest.objects.exists()


class TestTwoApproversAtOnce:
    def test_the_request_is_locked_before_anything_is_read(self, north_appointment, hr_north,
                                                           cmo_office, monkeypatch):
        asked = ask(north_appointment, hr_north)
        locked = []
        original = QuerySet.select_for_update

        def spy(queryset, *args, **kwargs):
            locked.append(queryset.model)
            return original(queryset, *args, **kwargs)

        monkeypatch.setattr(QuerySet, "select_for_update", spy)
        services.decide(decision=asked.decisions.get(), agree=True, by=cmo_office)
        assert locked[0] is ApprovalRequest

    def test_the_second_of_two_approvers_of_one_party_is_told(self, north, north_appointment,
                                                             hr_north, cmo_office):
        other = grant(UserFactory(email="cmo.deputy@example.org", full_name="Dee Deputy"),
                      access.APPROVE, north)
        asked = ask(north_appointment, hr_north)
        seen_by_both = asked.decisions.get()
        services.decide(decision=seen_by_both, agree=True, by=other)
        with pytest.raises(ValidationError, match="Dee Deputy has already agreed for CMO/CNO"):
            services.decide(decision=seen_by_both, agree=False, note="No", by=cmo_office)
        assert Extension.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_approvers_deciding_at_once_through_the_page(north, north_trust):
    """Two CMO office users submit at the same moment (two threads, two connections): one
    decision stands, the other gets the form back saying who decided; one extension."""
    hr = grant(UserFactory(email="hr.race@example.org"), access.EDIT, north)
    approvers = [with_totp(grant(UserFactory(email=f"cmo.race{n}@example.org"),
                                 access.APPROVE, north)) for n in range(2)]
    appointment = AppointmentFactory(post=PostFactory(host_organisation=north_trust),
                                     start_date=D(2024, 4, 1), end_date=D(2027, 3, 31))
    asked = ask(appointment, hr)
    url = reverse("appointments:approval-decide", args=[asked.decisions.get().pk])
    clients = []
    for user in approvers:
        client = Client()
        client.force_login(user)
        clients.append(client)
    start = threading.Barrier(2)
    answers = []

    def submit(client, decision):
        start.wait()
        try:
            answers.append(client.post(url, {"decision": decision, "note": "Not now"}))
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=pair)
               for pair in zip(clients, ["agree", "decline"], strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(a.status_code for a in answers) == [200, 302]
    told = next(a for a in answers if a.status_code == 200).content.decode()
    assert "has already" in told and "for CMO/CNO office" in told
    asked.refresh_from_db()
    assert asked.status in ("agreed", "declined")
    assert Extension.objects.count() == (1 if asked.status == "agreed" else 0)


# --- the appraisal gate ----------------------------------------------------------------------

class TestTheAppraisalGate:
    @pytest.fixture
    def gated(self, north, cmo_office, cno):
        return joint(north, Subject.EXTENSION, ("Chief Medical Officer", cmo_office),
                     ("Chief Nursing Officer", cno), outside=True, gate=True)

    def test_no_appraisal_no_agreement_unless_an_approver_overrides_with_a_reason(
            self, gated, north_appointment, hr_north, cmo_office, cno):
        asked = ask(north_appointment, hr_north)
        with pytest.raises(ValidationError) as refused:
            services.decide(decision=party(asked, "Chief Medical Officer"), agree=True,
                            by=cmo_office)
        assert "No satisfactory appraisal" in refused.value.message_dict["gate_override_reason"][0]
        assert party(asked, "Chief Medical Officer").status == "pending"
        services.decide(decision=party(asked, "Chief Medical Officer"), agree=True,
                        gate_override_reason="Appraisal delayed by the appraiser's leave",
                        by=cmo_office)
        # One approver's reasoned override is enough for the others.
        services.decide(decision=party(asked, "Chief Nursing Officer"), agree=True, by=cno)
        asked.refresh_from_db()
        assert asked.status == "agreed"
        assert party(asked, "Chief Medical Officer").gate_override_reason.startswith(
            "Appraisal delayed")

    def test_an_unsatisfactory_appraisal_stops_it_and_a_satisfactory_one_lets_it_through(
            self, gated, north_appointment, hr_north, cmo_office, cno):
        cycle = satisfactory_appraisal(north_appointment, cmo_office,
                                       outcome="not_satisfactory")
        asked = ask(north_appointment, hr_north)
        with pytest.raises(ValidationError, match="was not satisfactory"):
            services.decide(decision=party(asked, "Chief Medical Officer"), agree=True,
                            by=cmo_office)
        Cycle.objects.filter(pk=cycle.pk).update(outcome="satisfactory")
        services.decide(decision=party(asked, "Chief Medical Officer"), agree=True,
                        by=cmo_office)
        services.decide(decision=party(asked, "Chief Nursing Officer"), agree=True, by=cno)
        assert Extension.objects.count() == 1

    def test_an_appraisal_older_than_12_months_does_not_count(self, gated, north_appointment,
                                                              hr_north, cmo_office):
        satisfactory_appraisal(north_appointment, cmo_office, meeting=D(2025, 11, 1))
        asked = ask(north_appointment, hr_north)
        with pytest.raises(ValidationError, match="last 12 months"):
            services.decide(decision=party(asked, "Chief Medical Officer"), agree=True,
                            by=cmo_office)

    def test_an_outside_agreement_cannot_get_round_it(self, gated, north_appointment,
                                                      hr_north):
        with pytest.raises(ValidationError) as refused:
            ask(north_appointment, hr_north, how="outside", evidence="Exec minutes 12",
                agreed_on=D(2026, 11, 20))
        assert "An approver must agree in the register" in refused.value.message_dict["how"][0]
        assert not ApprovalRequest.objects.exists() and not Extension.objects.exists()

    def test_a_route_without_the_gate_only_warns(self, north_appointment, hr_north, cmo_office):
        asked = ask(north_appointment, hr_north)
        services.decide(decision=asked.decisions.get(), agree=True, by=cmo_office)
        assert Extension.objects.count() == 1


# --- agreements made outside the register ----------------------------------------------------

class TestOutsideAgreements:
    @pytest.fixture
    def allowing(self, north, cmo_office, cno):
        return joint(north, Subject.EXTENSION, ("Executive Group", cmo_office),
                     ("Partners", cno), outside=True)

    def test_recorded_with_evidence_where_the_route_allows(self, allowing, north_appointment,
                                                          hr_north):
        asked = ask(north_appointment, hr_north, how="outside",
                    evidence="Executive Group minutes 2026/10 item 4", agreed_on=D(2026, 10, 14))
        assert asked.status == "agreed" and asked.how == "outside"
        extension = asked.extension
        assert extension.agreed_on == D(2026, 10, 14)
        assert extension.agreed_by == ("Executive Group, Partners, outside the register "
                                       "(Executive Group minutes 2026/10 item 4, 14 Oct 2026)")
        assert all(d.outside and d.decided_by == hr_north for d in asked.decisions.all())

    @pytest.mark.parametrize(("how", "field", "message"), [
        ({"evidence": "", "agreed_on": D(2026, 10, 14)}, "evidence", "Enter the evidence"),
        ({"evidence": "Minutes 4", "agreed_on": None}, "agreed_on", "Enter the date"),
        ({"evidence": "Minutes 4", "agreed_on": D(2026, 11, 24)}, "agreed_on",
         "cannot be in the future"),
    ])
    def test_without_evidence_or_with_a_future_date_nothing_is_written(
            self, allowing, north_appointment, hr_north, how, field, message):
        with pytest.raises(ValidationError) as refused:
            ask(north_appointment, hr_north, how="outside", **how)
        assert message in refused.value.message_dict[field][0]
        assert not ApprovalRequest.objects.exists() and not TermEndDecision.objects.exists()

    def test_refused_where_the_route_does_not_allow_it(self, north_appointment, hr_north):
        with pytest.raises(ValidationError) as refused:
            ask(north_appointment, hr_north, how="outside", evidence="Minutes",
                agreed_on=D(2026, 11, 1))
        assert "does not allow" in refused.value.message_dict["how"][0]
        assert not ApprovalRequest.objects.exists()

    def test_recorded_on_a_waiting_request_by_hr_not_by_a_leader(self, allowing,
                                                                 north_appointment, hr_north,
                                                                 leader):
        asked = ask(north_appointment, hr_north)
        with pytest.raises(PermissionDenied):
            services.record_outside_agreement(request=asked, evidence="Minutes",
                                              agreed_on=D(2026, 11, 1), by=leader)
        services.record_outside_agreement(request=asked, evidence="Minutes",
                                          agreed_on=D(2026, 11, 1), by=hr_north)
        assert Extension.objects.count() == 1

    def test_the_page_offers_it_only_where_the_route_allows(self, client, north_appointment,
                                                           hr_north, north):
        url = reverse("appointments:appointment-extend", args=[north_appointment.pk])
        form = as_user(client, hr_north).get(url).context["form"]
        assert "how" not in form.fields and "evidence" not in form.fields
        services.route_for(north, Subject.EXTENSION)
        ApprovalRoute.objects.filter(system=north).update(allows_outside_agreement=True)
        form = client.get(url).context["form"]
        assert [value for value, _ in form.fields["how"].choices] == ["request", "outside"]

    def test_a_future_date_on_the_page_is_an_error_on_the_field(self, allowing, client,
                                                               north_appointment, hr_north):
        url = reverse("appointments:appointment-extend", args=[north_appointment.pk])
        response = as_user(client, hr_north).post(url, {
            **date_fields("new_end_date", D(2027, 9, 30)), "reason": "Winter", "how": "outside",
            "evidence": "Minutes 4", **date_fields("agreed_on", D(2027, 1, 1))})
        assert response.status_code == 200
        assert response.context["form"].errors["agreed_on"] == [
            "The date it was agreed cannot be in the future."]
        assert not ApprovalRequest.objects.exists() and not Extension.objects.exists()


# --- the administrator's override ------------------------------------------------------------

class TestOverride:
    def test_needs_an_administrator_and_a_reason_and_shows_for_good(
            self, client, north_appointment, hr_north, cmo_office, admin_user):
        asked = ask(north_appointment, hr_north)
        with pytest.raises(PermissionDenied):
            services.override(request=asked, reason="Because", by=cmo_office)
        with pytest.raises(ValidationError, match="Give the reason"):
            services.override(request=asked, reason=" ", by=admin_user)
        services.override(request=asked, reason="The CMO post is vacant", by=admin_user)
        asked.refresh_from_db()
        assert asked.how == "override" and asked.overridden_by == admin_user
        assert asked.extension.agreed_by.startswith("Administrator's override by")
        # A later extension, agreed in the usual way, does not hide the override.
        ask(north_appointment, hr_north, end=D(2028, 3, 31))
        services.decide(decision=ApprovalRequest.objects.pending().get().decisions.get(),
                        agree=True, by=cmo_office)
        page = as_user(client, hr_north).get(north_appointment.get_absolute_url()) \
            .content.decode()
        assert "Override" in page and "The CMO post is vacant" in page
        reasons = list(north_appointment.history.values_list("history_change_reason",
                                                             flat=True))
        assert "Administrator's override: The CMO post is vacant" in reasons

    def test_the_override_page_is_for_administrators_only(self, client, north_appointment,
                                                          hr_north, cmo_office, admin_user):
        asked = ask(north_appointment, hr_north)
        url = reverse("appointments:approval-override", args=[asked.pk])
        assert as_user(client, cmo_office).get(url).status_code == 404
        response = as_user(client, admin_user).post(url, {"override_reason": ""})
        assert response.context["form"].errors["override_reason"]
        assert not Extension.objects.exists()
        client.post(url, {"override_reason": "Vacant CMO post"})
        assert Extension.objects.count() == 1


# --- direct appointments and approval to recruit ---------------------------------------------

class TestDirectAppointments:
    def test_hr_asks_and_the_appointment_is_made_once_agreed(self, north_post, hr_north,
                                                             cmo_office):
        person = PersonFactory(substantive_employer=north_post.host_organisation)
        asked = services.request_appointment(post=north_post, person=person,
                                             start_date=D(2027, 1, 1),
                                             status=Appointment.Status.OFFERED,
                                             reason="Interim cover", by=hr_north)
        assert not Appointment.objects.exists()
        services.decide(decision=asked.decisions.get(), agree=True, by=cmo_office)
        asked.refresh_from_db()
        assert asked.appointment.status == Appointment.Status.OFFERED
        assert asked.appointment.start_date == D(2027, 1, 1)

    def test_a_request_that_could_not_be_made_is_refused_at_once(self, north_post, hr_north):
        AppointmentFactory(post=north_post, start_date=D(2026, 1, 1), end_date=D(2028, 12, 31))
        with pytest.raises(ValidationError) as refused:
            services.request_appointment(post=north_post, person=PersonFactory(),
                                         start_date=D(2027, 1, 1), by=hr_north)
        assert "post" in refused.value.message_dict
        assert not ApprovalRequest.objects.exists()
        assert Appointment.objects.count() == 1

    def test_hr_cannot_appoint_straight_into_a_post_through_the_page(self, client, north_post,
                                                                     hr_north):
        person = PersonFactory(substantive_employer=north_post.host_organisation)
        response = as_user(client, hr_north).post(reverse("appointments:appointment-create"), {
            "post": north_post.pk, "person": person.pk, "status": "active",
            **date_fields("start_date", D(2026, 12, 1))})
        assert response.status_code == 302
        assert not Appointment.objects.exists()
        assert ApprovalRequest.objects.get().status == "pending"


class TestApprovalToRecruit:
    def test_both_officers_approve_recruitment(self, north, north_post, hr_north, cmo_office,
                                               cno):
        joint(north, Subject.RECRUITMENT, ("Chief Medical Officer", cmo_office),
              ("Chief Nursing Officer", cno))
        vacancy = services.open_vacancy(post=north_post, reason="Term ended", by=hr_north)
        services.decide_approval(vacancy=vacancy, approve=True, note="", by=cmo_office)
        vacancy.refresh_from_db()
        assert vacancy.approval == Vacancy.Approval.REQUESTED
        with pytest.raises(ValidationError, match="not approved yet"):
            services.record_advert(vacancy=vacancy, reference="X", where="NHS Jobs",
                                   advertised_on=D(2026, 11, 1), closes_on=D(2026, 11, 20),
                                   by=hr_north)
        services.decide_approval(vacancy=vacancy, approve=True, note="Joint decision", by=cno)
        vacancy.refresh_from_db()
        assert vacancy.approval == Vacancy.Approval.APPROVED and vacancy.approval_by == cno

    def test_withdrawing_the_vacancy_withdraws_the_request(self, north_post, hr_north):
        vacancy = services.open_vacancy(post=north_post, reason="", by=hr_north)
        services.withdraw_vacancy(vacancy=vacancy, reason="Redesigned", by=hr_north)
        assert vacancy.approval_request.__class__.objects.get(vacancy=vacancy).status == \
            "withdrawn"


# --- bulk extension --------------------------------------------------------------------------

class TestBulkExtension:
    @pytest.fixture
    def leads(self, north_trust):
        return [AppointmentFactory(post=PostFactory(host_organisation=north_trust),
                                   start_date=D(2024, 1, 1), end_date=D(2027, 1, 31))
                for _ in range(3)]

    def test_gate_failures_are_listed_row_by_row_and_nothing_is_written(
            self, north, leads, hr_north, cmo_office):
        joint(north, Subject.EXTENSION, ("Executive Group", cmo_office), outside=True,
              gate=True)
        satisfactory_appraisal(leads[0], cmo_office)
        how = {"how": "outside", "evidence": "Exec minutes 7", "agreed_on": D(2026, 11, 20)}
        plan = services.plan_bulk_extension(appointments=leads, on_date=D(2027, 7, 31),
                                            how="outside", by=hr_north)
        assert [bool(row.error) for row in plan.changes] == [False, True, True]
        assert "No satisfactory appraisal" in plan.changes[1].error
        with pytest.raises(ValidationError) as refused:
            services.apply_bulk_extension(appointments=leads, on_date=D(2027, 7, 31),
                                          reason="Winter", by=hr_north, **how)
        assert len(refused.value.messages) == 2
        assert not Extension.objects.exists() and not ApprovalRequest.objects.exists()
        for lead in leads[1:]:
            satisfactory_appraisal(lead, cmo_office)
        batch = services.apply_bulk_extension(appointments=leads, on_date=D(2027, 7, 31),
                                              reason="Winter", by=hr_north, **how)
        assert Extension.objects.filter(bulk_change=batch).count() == 3

    def test_hr_ask_for_each_and_the_office_agrees_its_own_at_once(self, leads, hr_north,
                                                                     cmo_office):
        services.apply_bulk_extension(appointments=leads, on_date=D(2027, 7, 31),
                                      reason="Winter", by=hr_north)
        assert ApprovalRequest.objects.pending().count() == 3
        assert not Extension.objects.exists()
        others = [AppointmentFactory(post=PostFactory(host_organisation=leads[0].post
                                                      .host_organisation),
                                     start_date=D(2024, 1, 1), end_date=D(2027, 1, 31))]
        batch = services.apply_bulk_extension(appointments=others, on_date=D(2027, 7, 31),
                                              reason="Winter", by=cmo_office)
        assert Extension.objects.get().bulk_change == batch

    def test_an_outside_agreement_in_bulk_needs_routes_that_allow_it(self, leads, hr_north):
        plan = services.plan_bulk_extension(appointments=leads, on_date=D(2027, 7, 31),
                                            how="outside", by=hr_north)
        assert all("does not allow" in row.error for row in plan.changes)


# --- telling the approvers -------------------------------------------------------------------


def awaited(kind=Notification.Kind.APPROVAL_AWAITED):
    return sorted(Notification.objects.filter(kind=kind)
                  .values_list("milestone", "recipient_email"))


class TestApproversAreTold:
    def test_each_party_is_told_once_when_asked(self, cmo_and_cno, north_appointment,
                                                hr_north, cmo_office, cno, sweep_on,
                                                django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            asked = ask(north_appointment, hr_north)
        cmo_party, cno_party = (party(asked, n) for n in ("Chief Medical Officer",
                                                          "Chief Nursing Officer"))
        assert awaited() == sorted([(f"party-{cmo_party.party_id}", cmo_office.email),
                                    (f"party-{cno_party.party_id}", cno.email)])
        assert len(mail.outbox) == 2
        message = next(m for m in mail.outbox if m.to == [cno.email])
        assert message.subject.startswith("Your decision is needed: an extension of a term")
        assert cno_party.get_absolute_url() in message.body
        sweep_on(D(2026, 11, 24))
        sweep_on(D(2026, 11, 25))
        # (The sweep also reminds the leader, in post since 2024, of their declaration.)
        asking = [m for m in mail.outbox if m.subject.startswith("Your decision is needed")]
        assert len(awaited()) == 2 and len(asking) == 2

    def test_a_late_party_is_reported_to_the_cmo_office_once(self, north, cmo_office, cno,
                                                             north_appointment, hr_north,
                                                             sweep_on):
        joint(north, Subject.EXTENSION, ("Chief Medical Officer", cmo_office),
              ("Chief Nursing Officer", cno), days=5)
        asked = ask(north_appointment, hr_north)
        services.decide(decision=party(asked, "Chief Medical Officer"), agree=True,
                        by=cmo_office)
        sweep_on(D(2026, 11, 27))
        escalated = Notification.Kind.APPROVAL_ESCALATED
        assert awaited(escalated) == []
        sweep_on(D(2026, 11, 28))
        sweep_on(D(2026, 11, 29))
        cno_party = party(asked, "Chief Nursing Officer")
        assert awaited(escalated) == [(f"party-{cno_party.party_id}", cmo_office.email)]

    def test_a_vacancy_awaiting_approval_tells_the_office(self, north_post, hr_north,
                                                          cmo_office,
                                                          django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            services.open_vacancy(post=north_post, reason="", by=hr_north)
        assert [email for _, email in awaited()] == [cmo_office.email]
        assert "approval to recruit" in mail.outbox[0].subject

    def test_nobody_is_asked_to_decide_what_was_agreed_outside_or_overridden(
            self, north, north_trust, north_appointment, hr_north, cmo_office, cno, admin_user,
            django_capture_on_commit_callbacks):
        joint(north, Subject.EXTENSION, ("Executive Group", cmo_office), ("Partners", cno),
              outside=True)
        leads = [AppointmentFactory(post=PostFactory(host_organisation=north_trust),
                                    start_date=D(2024, 1, 1), end_date=D(2027, 1, 31))
                 for _ in range(2)]
        outside = {"how": "outside", "evidence": "Exec minutes 7", "agreed_on": D(2026, 11, 20)}
        with django_capture_on_commit_callbacks(execute=True):
            ask(north_appointment, hr_north, **outside)
            services.apply_bulk_extension(appointments=leads, on_date=D(2027, 7, 31),
                                          reason="Winter", by=hr_north, **outside)
            services.request_appointment(
                post=PostFactory(host_organisation=north_trust),
                person=PersonFactory(), start_date=D(2026, 12, 1), how="override",
                override_reason="The CMO post is vacant", by=admin_user)
        assert ApprovalRequest.objects.filter(status="agreed").count() == 4
        assert awaited() == [] and mail.outbox == []

    def test_the_e_mails_are_in_the_ledger_for_those_who_see_the_request(
            self, north_appointment, hr_north, cmo_office, outsider):
        ask(north_appointment, hr_north)
        assert Notification.objects.visible_to(hr_north).filter(
            kind=Notification.Kind.APPROVAL_AWAITED).exists()
        assert not Notification.objects.visible_to(outsider).exists()


class TestTheRequesterIsTold:
    """Who asked hears once how it ended: agreed by every party, declined, or overridden."""

    def told(self):
        return list(Notification.objects.filter(kind=Notification.Kind.APPROVAL_DECIDED)
                    .values_list("milestone", "recipient_email"))

    def test_hr_hears_once_when_every_party_has_agreed(self, cmo_and_cno, north_appointment,
                                                      hr_north, cmo_office, cno, sweep_on,
                                                      django_capture_on_commit_callbacks):
        asked = ask(north_appointment, hr_north)
        with django_capture_on_commit_callbacks(execute=True):
            services.decide(decision=party(asked, "Chief Medical Officer"), agree=True,
                            by=cmo_office)
        assert self.told() == [] and mail.outbox == []
        with django_capture_on_commit_callbacks(execute=True):
            services.decide(decision=party(asked, "Chief Nursing Officer"), agree=True,
                            by=cno)
        assert self.told() == [("closed", hr_north.email)]
        (message,) = mail.outbox
        assert message.to == [hr_north.email]
        assert message.subject.startswith("Agreed: an extension of a term")
        assert "Chief Nursing Officer: agreed by Nia Nurse" in message.body
        assert asked.get_absolute_url() in message.body
        sweep_on(D(2026, 11, 30))
        assert len(self.told()) == 1
        assert [m.to for m in mail.outbox].count([hr_north.email]) == 1

    def test_hr_hears_when_a_party_declines_and_why(self, cmo_and_cno, north_appointment,
                                                    hr_north, cmo_office,
                                                    django_capture_on_commit_callbacks):
        asked = ask(north_appointment, hr_north)
        with django_capture_on_commit_callbacks(execute=True):
            services.decide(decision=party(asked, "Chief Medical Officer"), agree=False,
                            note="Recruit instead", by=cmo_office)
        (message,) = mail.outbox
        assert message.to == [hr_north.email] and message.subject.startswith("Declined:")
        assert "Recruit instead" in message.body

    def test_hr_hears_when_an_administrator_overrides(self, north_appointment, hr_north,
                                                      admin_user,
                                                      django_capture_on_commit_callbacks):
        asked = ask(north_appointment, hr_north)
        with django_capture_on_commit_callbacks(execute=True):
            services.override(request=asked, reason="The CMO post is vacant", by=admin_user)
        (message,) = [m for m in mail.outbox if m.to == [hr_north.email]]
        assert message.subject.startswith("Overridden:")
        assert "The CMO post is vacant" in message.body
        assert self.told() == [("closed", hr_north.email)]

    def test_who_closes_their_own_request_is_not_told(self, north_appointment, cmo_office,
                                                      django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            asked = ask(north_appointment, cmo_office)
        assert asked.status == "agreed"
        assert self.told() == [] and mail.outbox == []


# --- pages -----------------------------------------------------------------------------------

class TestPages:
    def test_the_dashboard_shows_each_partys_decision_to_who_may_take_it(
            self, client, cmo_and_cno, north_appointment, hr_north, cmo_office, cno):
        asked = ask(north_appointment, hr_north)
        dashboard = reverse("appointments:dashboard")
        for user, mine in ((cmo_office, "Chief Medical Officer"),
                           (cno, "Chief Nursing Officer")):
            rows = as_user(client, user).get(dashboard).context["awaiting"]
            assert [(d.name, can) for d, can in rows] == [
                (mine, True), *[(other, False) for other in
                                ("Chief Medical Officer", "Chief Nursing Officer")
                                if other != mine]]
        page = as_user(client, hr_north).get(dashboard).content.decode()
        assert "Decide for" not in page
        assert [can for _, can in client.get(dashboard).context["awaiting"]] == [False, False]
        assert asked.get_absolute_url()

    def test_the_decision_page_asks_for_the_gate_override_reason(
            self, client, north, north_appointment, hr_north, cmo_office):
        joint(north, Subject.EXTENSION, ("Chief Medical Officer", cmo_office), gate=True)
        asked = ask(north_appointment, hr_north)
        url = reverse("appointments:approval-decide", args=[asked.decisions.get().pk])
        response = as_user(client, cmo_office).post(url, {"decision": "agree"})
        assert response.status_code == 200
        assert "give your reason" in response.context["form"].errors["gate_override_reason"][0]
        assert not Extension.objects.exists()
        response = client.post(url, {"decision": "agree",
                                     "gate_override_reason": "Appraisal booked for December"})
        assert response.status_code == 302 and Extension.objects.count() == 1

    def test_declining_without_a_reason_is_an_error_on_the_field(self, client,
                                                                 north_appointment, hr_north,
                                                                 cmo_office):
        asked = ask(north_appointment, hr_north)
        url = reverse("appointments:approval-decide", args=[asked.decisions.get().pk])
        response = as_user(client, cmo_office).post(url, {"decision": "decline", "note": ""})
        assert response.context["form"].errors["note"] == [
            "Say why CMO/CNO office does not agree."]
        asked.refresh_from_db()
        assert asked.status == "pending"

    def test_a_decision_already_taken_is_shown_not_offered(self, client, north, north_appointment,
                                                           hr_north, cmo_office):
        other = with_totp(grant(UserFactory(full_name="Dee Deputy"), access.APPROVE, north))
        asked = ask(north_appointment, hr_north)
        services.decide(decision=asked.decisions.get(), agree=True, by=other)
        url = reverse("appointments:approval-decide", args=[asked.decisions.get().pk])
        page = as_user(client, cmo_office).get(url).content.decode()
        assert "Dee Deputy has already agreed for CMO/CNO office" in page
        assert "Record the decision" not in page

    def test_the_request_page_shows_every_party(self, client, cmo_and_cno, north_appointment,
                                                hr_north, cmo_office):
        asked = ask(north_appointment, hr_north)
        services.decide(decision=party(asked, "Chief Medical Officer"), agree=True,
                        evidence="Minutes 9", by=cmo_office)
        page = as_user(client, hr_north).get(asked.get_absolute_url()).content.decode()
        assert "Chief Medical Officer" in page and "Chief Nursing Officer" in page
        assert "Minutes 9" in page and "Still to decide" in page
        assert "E-mails sent about this request" in page and "cno.office@example.org" in page


# --- configuring a route in the admin --------------------------------------------------------

class TestTheAdmin:
    def _post(self, client, north, users, **extra):
        return client.post(reverse("admin:appointments_approvalroute_add"), {
            "system": north.pk, "subject": "extension", "escalate_after_days": "5",
            "allows_outside_agreement": "on",
            "parties-TOTAL_FORMS": "2", "parties-INITIAL_FORMS": "0",
            "parties-MIN_NUM_FORMS": "1", "parties-MAX_NUM_FORMS": "1000",
            "parties-0-name": "Chief Medical Officer", "parties-0-decided_by": "users",
            "parties-0-users": [users[0].pk], "parties-0-position": "0",
            "parties-1-name": "Chief Nursing Officer", "parties-1-decided_by": "users",
            "parties-1-users": [users[1].pk], "parties-1-position": "1", **extra})

    def test_an_administrator_sets_a_joint_route(self, client, admin_user, north, cmo_office,
                                                cno):
        response = self._post(as_user(client, admin_user), north, [cmo_office, cno])
        assert response.status_code == 302
        route = ApprovalRoute.objects.get(system=north, subject="extension")
        assert route.party_names() == ["Chief Medical Officer", "Chief Nursing Officer"]
        assert route.allows_outside_agreement and route.escalate_after_days == 5

    def test_a_decider_without_a_grant_is_refused(self, client, admin_user, north, cmo_office):
        stranger = UserFactory(email="no.grant@example.org")
        response = self._post(as_user(client, admin_user), north, [cmo_office, stranger])
        assert response.status_code == 200
        assert "no.grant@example.org" in response.content.decode()
        assert not ApprovalRoute.objects.exists()

    def test_the_gate_is_for_extensions_only(self, client, admin_user, north, cmo_office, cno):
        response = self._post(as_user(client, admin_user), north, [cmo_office, cno],
                              subject="recruitment", appraisal_gate="on")
        assert response.status_code == 200
        assert "The appraisal check applies to extensions only." in response.content.decode()
        assert not ApprovalRoute.objects.exists()


# --- audit events ----------------------------------------------------------------------------

class TestAudit:
    """Each party's decision, an agreement recorded from outside and an override are audit
    events (docs/adr/0005), written in the same transaction as the decision."""

    def test_each_decision_is_an_event_naming_who_and_the_request(
            self, north_appointment, hr_north, cmo_office, cno, cmo_and_cno):
        asked = ask(north_appointment, hr_north)
        services.decide(decision=party(asked, "Chief Medical Officer"), agree=True,
                        by=cmo_office)
        services.decide(decision=party(asked, "Chief Nursing Officer"), agree=False,
                        note="Not this winter", by=cno)
        events = list(AuditEvent.objects.order_by("pk").values_list(
            "action", "by", "object_id", "detail"))
        assert events == [
            ("agreed", cmo_office.pk, asked.pk, "Chief Medical Officer"),
            ("refused", cno.pk, asked.pk, "Chief Nursing Officer: Not this winter")]

    def test_a_refused_decision_writes_no_event(self, north_appointment, hr_north, cno,
                                                cmo_and_cno):
        asked = ask(north_appointment, hr_north)
        with pytest.raises(ValidationError):
            services.decide(decision=party(asked, "Chief Nursing Officer"), agree=False,
                            note="", by=cno)
        assert not AuditEvent.objects.exists()

    def test_an_outside_agreement_and_an_override_are_events(
            self, north, north_appointment, hr_north, admin_user):
        services.route_for(north, Subject.EXTENSION)
        ApprovalRoute.objects.filter(system=north).update(allows_outside_agreement=True)
        asked = ask(north_appointment, hr_north)
        services.record_outside_agreement(request=asked, evidence="Minutes 12",
                                          agreed_on=D(2026, 11, 1), by=hr_north)
        again = ask(north_appointment, hr_north, end=D(2028, 3, 31))
        services.override(request=again, reason="The CMO post is vacant", by=admin_user)
        assert list(AuditEvent.objects.order_by("pk").values_list("action", "by", "object_id")) \
            == [("agreement_recorded", hr_north.pk, asked.pk),
                ("overridden", admin_user.pk, again.pk)]
