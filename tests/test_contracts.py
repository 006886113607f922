"""Appointments as real contracts (issue 12, items 1, 4 and 5): acting cover bounded by what it
covers, permanent posts with no end, secondments, honorary contracts, a person's commitments
against their system's ceiling, and the end of a term as a state."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from appointments import commitments, services
from appointments.models import (
    Appointment,
    CommitmentConsent,
    Extension,
    HonoraryContract,
    TermEndDecision,
)
from appraisals import services as appraisals
from appraisals.models import Cycle
from ccpl import notifications
from ccpl.models import Notification

from .factories import (
    AppointmentFactory,
    OrganisationFactory,
    PersonFactory,
    PostFactory,
    UserFactory,
)

D = datetime.date
pytestmark = pytest.mark.django_db
Type, Status = Appointment.ContractType, Appointment.Status


@pytest.fixture
def chief_nurse_post(north_trust):
    """A post that refuses job share, held by a chief nurse with no end date."""
    return PostFactory(host_organisation=north_trust, title="Chief Nursing Officer",
                       wte=Decimal("1.00"), job_share_allowed=False)


@pytest.fixture
def chief_nurse(chief_nurse_post, admin_user):
    return services.appoint(post=chief_nurse_post, person=PersonFactory(),
                            start_date=D(2022, 7, 1), contract_type=Type.PERMANENT,
                            by=admin_user)


def cover(covered, *, by, start=D(2026, 10, 1), end=D(2027, 1, 31), **fields):
    return services.appoint(post=covered.post, person=fields.pop("person", PersonFactory()),
                            start_date=start, end_date=end, contract_type=Type.COVER,
                            covers=covered, by=by, **fields)


# --- Acting or interim cover ---------------------------------------------------------------

class TestCover:
    def test_cover_overlaps_the_appointment_it_covers_even_without_job_share(
            self, chief_nurse, hr_north):
        acting = cover(chief_nurse, by=hr_north)
        assert acting.covers == chief_nurse and acting.wte == chief_nurse.wte
        assert acting.honorarium_share == 0
        assert set(Appointment.objects.in_force(D(2026, 11, 23))
                   .filter(post=chief_nurse.post)) == {chief_nurse, acting}
        assert acting.status_tag == ("Acting", "green")

    def test_cover_ends_when_what_it_covers_ends_unless_told(self, north_appointment, hr_north):
        acting = services.appoint(post=north_appointment.post, person=PersonFactory(),
                                  start_date=D(2026, 12, 1), contract_type=Type.COVER,
                                  covers=north_appointment, by=hr_north)
        assert acting.end_date == north_appointment.end_date

    @pytest.mark.parametrize("start, end, field", [
        (D(2022, 6, 1), D(2022, 12, 31), "start_date"),
    ])
    def test_cover_cannot_start_before_what_it_covers(self, chief_nurse, hr_north, start, end,
                                                      field):
        with pytest.raises(ValidationError) as error:
            cover(chief_nurse, by=hr_north, start=start, end=end)
        assert "within the appointment it covers" in error.value.message_dict[field][0]
        assert Appointment.objects.count() == 1

    def test_cover_cannot_outlast_what_it_covers(self, north_appointment, hr_north):
        with pytest.raises(ValidationError) as error:
            cover(north_appointment, by=hr_north, start=D(2027, 1, 1), end=D(2027, 6, 30))
        assert "within the appointment it covers" in error.value.message_dict["end_date"][0]
        assert Appointment.objects.count() == 1

    def test_cover_may_overlap_only_what_it_covers_on_a_post_without_job_share(
            self, chief_nurse, hr_north):
        """A second cover of the same holder at the same time is a second holder."""
        cover(chief_nurse, by=hr_north)
        with pytest.raises(ValidationError) as error:
            cover(chief_nurse, by=hr_north, start=D(2026, 12, 1), end=D(2026, 12, 31))
        assert "cover may overlap only the appointment it covers" in \
            error.value.message_dict["post"][0]

    def test_cover_is_on_the_covered_post_by_someone_else_and_no_bigger(
            self, chief_nurse, north_trust, hr_north):
        other_post = PostFactory(host_organisation=north_trust, wte=Decimal("1"))
        with pytest.raises(ValidationError, match="on the post it covers"):
            services.appoint(post=other_post, person=PersonFactory(), start_date=D(2026, 10, 1),
                             end_date=D(2026, 12, 31), contract_type=Type.COVER,
                             covers=chief_nurse, by=hr_north)
        with pytest.raises(ValidationError, match="cannot cover their own appointment"):
            cover(chief_nurse, by=hr_north, person=chief_nurse.person)
        with pytest.raises(ValidationError, match="Select the appointment this one covers"):
            services.appoint(post=chief_nurse.post, person=PersonFactory(),
                             start_date=D(2026, 10, 1), contract_type=Type.COVER, by=hr_north)
        half = services.appoint(post=PostFactory(host_organisation=north_trust,
                                                 wte=Decimal("0.5"), job_share_allowed=True),
                                person=PersonFactory(), start_date=D(2026, 1, 1),
                                wte=Decimal("0.2"), by=hr_north)
        with pytest.raises(ValidationError, match="at most the time"):
            cover(half, by=hr_north, wte=Decimal("0.3"))

    def test_a_cover_stands_in_and_is_not_counted_twice_on_a_shared_post(
            self, north_trust, hr_north):
        post = PostFactory(host_organisation=north_trust, wte=Decimal("0.30"),
                           job_share_allowed=True)
        one, two = (services.appoint(post=post, person=PersonFactory(), start_date=D(2025, 1, 1),
                                     wte=Decimal("0.15"), by=hr_north) for _ in range(2))
        cover(one, by=hr_north)
        # The other co-lead's term can still be extended: the cover stands in for ``one``.
        services.extend(appointment=two, new_end_date=D(2028, 12, 31), reason="r",
                        agreed_by="a", by=hr_north)

    def test_what_is_covered_cannot_end_before_its_cover(self, chief_nurse, hr_north):
        acting = cover(chief_nurse, by=hr_north)
        with pytest.raises(ValidationError, match="end the cover first"):
            services.end_early(appointment=chief_nurse, on=D(2026, 12, 31), reason="Retired",
                               by=hr_north)
        services.end_early(appointment=acting, on=D(2026, 11, 30), reason="Back from leave",
                           by=hr_north)
        services.end_early(appointment=chief_nurse, on=D(2026, 12, 31), reason="Retired",
                           by=hr_north)


# --- Permanent posts and secondments -------------------------------------------------------

class TestPermanent:
    def test_a_permanent_post_has_no_end_and_is_never_ending(self, chief_nurse):
        assert chief_nurse.end_date is None and chief_nurse.is_in_force(D(2040, 1, 1))
        assert chief_nurse.days_to_end() is None
        assert not Appointment.objects.ending_within(3650).exists()
        assert not Appointment.objects.lapsed(D(2040, 1, 1), within_days=10000).exists()
        assert Appointment.objects.ending_counts([30, 3650]) == {30: 0, 3650: 0}
        services.end_lapsed_terms(D(2040, 1, 1))
        chief_nurse.refresh_from_db()
        assert chief_nurse.status == Status.ACTIVE

    def test_an_end_date_is_refused_and_so_are_extension_and_decision(self, chief_nurse_post,
                                                                      chief_nurse, hr_north):
        with pytest.raises(ValidationError, match="A permanent appointment has no end date"):
            services.appoint(post=chief_nurse_post, person=PersonFactory(),
                             start_date=D(2030, 1, 1), end_date=D(2033, 1, 1),
                             contract_type=Type.PERMANENT, by=hr_north)
        with pytest.raises(ValidationError, match="no end date to extend"):
            services.extend(appointment=chief_nurse, new_end_date=D(2030, 1, 1), reason="r",
                            agreed_by="a", by=hr_north)
        with pytest.raises(ValidationError, match="no end of term to decide"):
            services.decide_term_end(appointment=chief_nurse,
                                     outcome=TermEndDecision.Outcome.LET_END, by=hr_north)
        assert not Extension.objects.exists() and not TermEndDecision.objects.exists()

    def test_a_permanent_post_can_still_be_ended(self, chief_nurse, hr_north):
        services.end_early(appointment=chief_nurse, on=D(2026, 12, 31), reason="Retired",
                           by=hr_north)
        chief_nurse.refresh_from_db()
        assert chief_nurse.end_date == D(2026, 12, 31) and chief_nurse.status == Status.ENDED
        assert chief_nurse.scheduled_end_date is None

    def test_a_permanent_post_is_still_appraised_every_year(self, chief_nurse, leader):
        chief_nurse.person.user = leader
        chief_nurse.person.work_email = "chief.nurse@nhs.example"
        chief_nurse.person.save()
        notifications.sweep(today=D(2027, 6, 10), queue=False)
        due = Notification.objects.filter(kind=Notification.Kind.APPRAISAL_DUE,
                                          object_id=chief_nurse.pk)
        assert {n.milestone for n in due} == {"due@2027-07-01"}

    def test_a_secondment_names_where_the_secondee_comes_from(self, north_post, hr_north):
        home = OrganisationFactory(name="Home Community Trust")
        with pytest.raises(ValidationError) as error:
            services.appoint(post=north_post, person=PersonFactory(), start_date=D(2027, 1, 1),
                             contract_type=Type.SECONDMENT, by=hr_north)
        assert "home_organisation" in error.value.message_dict
        seconded = services.appoint(post=north_post, person=PersonFactory(),
                                    start_date=D(2027, 1, 1), contract_type=Type.SECONDMENT,
                                    home_organisation=home, by=hr_north)
        assert seconded.home_organisation == home and seconded.end_date == D(2029, 12, 31)


# --- Commitments and the ceiling -----------------------------------------------------------

class TestCommitments:
    def test_levels_add_up_every_appointment_day_by_day(self):
        a = Appointment(start_date=D(2026, 1, 1), end_date=D(2026, 12, 31), wte=Decimal("0.4"))
        b = Appointment(start_date=D(2026, 7, 1), end_date=None, wte=Decimal("0.6"))
        levels = commitments.levels([a, b], since=D(2025, 12, 1), until=D(2027, 6, 30))
        assert [(lv.start, lv.end, lv.wte) for lv in levels] == [
            (D(2025, 12, 1), D(2025, 12, 31), 0), (D(2026, 1, 1), D(2026, 6, 30), Decimal("0.4")),
            (D(2026, 7, 1), D(2026, 12, 31), Decimal("1.0")),
            (D(2027, 1, 1), D(2027, 6, 30), Decimal("0.6"))]
        top = commitments.peak(levels)
        assert (top.start, top.wte_text, top.pas) == (D(2026, 7, 1), "1", "10")

    def test_above_the_ceiling_is_refused_then_consented(self, north, north_trust, hr_north,
                                                         cmo_office):
        """1.0 + 0.4 WTE: refused on the WTE, nothing written; an approver's consent with a
        reason lets it through and is kept as evidence."""
        person = PersonFactory()
        AppointmentFactory(person=person, post=PostFactory(host_organisation=north_trust,
                                                           wte=Decimal("1")),
                           start_date=D(2025, 1, 1), end_date=D(2027, 12, 31))
        post = PostFactory(host_organisation=north_trust, wte=Decimal("0.4"))

        def appoint(consent=None, by=hr_north):
            return services.appoint(post=post, person=person, start_date=D(2027, 1, 1),
                                    consent=consent, by=by)

        with pytest.raises(ValidationError) as error:
            appoint()
        assert services.is_over_ceiling(error.value)
        assert "1.4 WTE (14 PAs)" in error.value.message_dict["wte"][0]
        assert "ceiling of 1 WTE set by North Test ICS" in error.value.message_dict["wte"][0]
        assert Appointment.objects.filter(post=post).count() == 0
        with pytest.raises(ValidationError) as error:
            appoint(services.Consent(by=hr_north, reason="Short of leaders"))
        assert "cannot consent" in error.value.message_dict["consent_by"][0]
        with pytest.raises(ValidationError) as error:
            appoint(services.Consent(by=cmo_office, reason=" "))
        assert "consent_reason" in error.value.message_dict
        # Naming an approver is not their consent: only they give it (or agree a request).
        with pytest.raises(ValidationError) as error:
            appoint(services.Consent(by=cmo_office, reason="Covers a vacancy"))
        assert "Only" in error.value.message_dict["consent_by"][0]
        assert not CommitmentConsent.objects.exists()
        assert Appointment.objects.filter(post=post).count() == 0

        appointment = appoint(services.Consent(by=cmo_office, reason="Covers a vacancy"),
                              by=cmo_office)
        consent = CommitmentConsent.objects.get()
        assert (consent.appointment, consent.given_by, consent.recorded_by, consent.reason) == (
            appointment, cmo_office, cmo_office, "Covers a vacancy")
        assert (consent.peak_wte, consent.peak_on, consent.ceiling_wte) == (
            Decimal("1.4"), D(2027, 1, 1), Decimal("1"))

    def test_the_ceiling_is_set_per_system(self, north, north_trust, hr_north):
        north.commitment_ceiling_wte = Decimal("1.5")
        north.save()
        person = PersonFactory()
        AppointmentFactory(person=person, post=PostFactory(host_organisation=north_trust,
                                                           wte=Decimal("1")))
        services.appoint(post=PostFactory(host_organisation=north_trust), person=person,
                         start_date=D(2026, 1, 1), by=hr_north)

    def test_time_held_in_another_system_counts_too(self, south_post, north_trust, hr_north):
        person = PersonFactory()
        AppointmentFactory(person=person, post=south_post, wte=Decimal("0.4"))
        AppointmentFactory(person=person, post=PostFactory(host_organisation=north_trust,
                                                           wte=Decimal("0.4")))
        with pytest.raises(ValidationError, match="1.2 WTE"):
            services.appoint(post=PostFactory(host_organisation=north_trust), person=person,
                             start_date=D(2026, 1, 1), by=hr_north)

    def test_extending_into_a_busier_time_needs_consent(self, north_trust, north_appointment,
                                                        hr_north, cmo_office):
        person = north_appointment.person  # 0.4 WTE to 31 March 2027
        AppointmentFactory(person=person, post=PostFactory(host_organisation=north_trust,
                                                           wte=Decimal("0.8")),
                           start_date=D(2027, 6, 1), end_date=D(2029, 5, 31))
        # Up to the day before the other starts: within the ceiling.
        services.extend(appointment=north_appointment, new_end_date=D(2027, 5, 31), reason="r",
                        agreed_by="a", by=hr_north)
        with pytest.raises(ValidationError) as error:
            services.extend(appointment=north_appointment, new_end_date=D(2028, 3, 31),
                            reason="r", agreed_by="a", by=hr_north)
        assert "1.2 WTE" in error.value.message_dict["new_end_date"][0]
        north_appointment.refresh_from_db()
        assert north_appointment.end_date == D(2027, 5, 31)
        assert north_appointment.extensions.count() == 1
        extension = services.extend(
            appointment=north_appointment, new_end_date=D(2028, 3, 31), reason="r",
            agreed_by="a", by=cmo_office,
            consent=services.Consent(by=cmo_office, reason="Until the successor starts"))
        assert extension.commitment_consent.given_by == cmo_office

    def test_a_bulk_extension_lists_a_term_it_would_take_above_the_ceiling(
            self, north_trust, north_appointment, admin_user):
        AppointmentFactory(person=north_appointment.person,
                           post=PostFactory(host_organisation=north_trust, wte=Decimal("0.8")),
                           start_date=D(2027, 6, 1), end_date=D(2029, 5, 31))
        plan = services.plan_bulk_change(appointments=[north_appointment], kind="extend",
                                         on_date=D(2027, 12, 31))
        assert "above the ceiling" in plan.errors[0].error
        with pytest.raises(ValidationError):
            services.apply_bulk_change(appointments=[north_appointment], kind="extend",
                                       on_date=D(2027, 12, 31), reason="r", agreed_by="a",
                                       agreed_on=D(2026, 11, 1), by=admin_user)


# --- The end of a term as a state ------------------------------------------------------------

class TestTermEnd:
    def test_the_sweep_ends_lapsed_terms_and_history_says_it_did(self, north_appointment):
        notifications.sweep(today=D(2027, 3, 31), queue=False)
        north_appointment.refresh_from_db()
        assert north_appointment.status == Status.ACTIVE  # its last day: still held
        notifications.sweep(today=D(2027, 4, 1), queue=False)
        north_appointment.refresh_from_db()
        assert north_appointment.status == Status.TERM_ENDED
        assert north_appointment.status_tag == ("Term ended", "grey")
        record = north_appointment.history.first()
        assert record.history_user is None and "daily sweep" in record.history_change_reason
        assert list(Appointment.objects.lapsed(D(2027, 4, 1), within_days=14)) == [
            north_appointment]
        assert services.end_lapsed_terms(D(2027, 4, 1)) == 0  # once only
        assert north_appointment.history.count() == 2

    def test_letting_a_lapsed_term_end_closes_it_at_once(self, north_post, hr_north):
        lapsed = AppointmentFactory(post=north_post, start_date=D(2023, 11, 1),
                                    end_date=D(2026, 10, 31), status=Status.ACTIVE)
        services.decide_term_end(appointment=lapsed, outcome=TermEndDecision.Outcome.LET_END,
                                 by=hr_north)
        lapsed.refresh_from_db()
        assert lapsed.status == Status.TERM_ENDED
        assert lapsed.history.first().history_user == hr_north
        assert not Appointment.objects.lapsed(within_days=60).exists()  # decided

    def test_letting_a_term_end_ahead_leaves_it_held_to_its_last_day(self, north_appointment,
                                                                     hr_north):
        services.decide_term_end(appointment=north_appointment,
                                 outcome=TermEndDecision.Outcome.LET_END, by=hr_north)
        north_appointment.refresh_from_db()
        assert north_appointment.status == Status.ACTIVE
        services.end_lapsed_terms(D(2027, 4, 1))
        north_appointment.refresh_from_db()
        assert north_appointment.status == Status.TERM_ENDED

    def test_an_ended_term_extended_late_is_held_again(self, north_post, hr_north):
        ended = AppointmentFactory(post=north_post, start_date=D(2023, 11, 1),
                                   end_date=D(2026, 10, 31))
        assert ended.status == Status.TERM_ENDED
        services.extend(appointment=ended, new_end_date=D(2027, 10, 31), reason="Agreed late",
                        agreed_by="CMO", by=hr_north)
        ended.refresh_from_db()
        assert ended.status == Status.ACTIVE

    def test_a_new_term_recorded_after_it_ended_is_recorded_as_ended(self, north_post,
                                                                      hr_north):
        past = services.appoint(post=north_post, person=PersonFactory(),
                                start_date=D(2019, 1, 1), end_date=D(2021, 12, 31), by=hr_north)
        assert past.status == Status.TERM_ENDED

    def test_a_cycle_closes_before_its_term_ends_and_none_opens_after(self, north_appointment,
                                                                      admin_user):
        appraiser = UserFactory()
        cycle = appraisals.open_cycle(appointment=north_appointment, by=admin_user,
                                      appraiser=appraiser, closes_on=D(2027, 5, 31))
        notifications.sweep(today=D(2027, 4, 1), queue=False)
        cycle.refresh_from_db()
        north_appointment.refresh_from_db()
        assert cycle.stage == Cycle.Stage.CLOSED and north_appointment.has_term_ended
        with pytest.raises(ValidationError, match="The term has ended"):
            appraisals.open_cycle(appointment=north_appointment, by=admin_user,
                                  appraiser=appraiser, today=D(2027, 4, 2))


# --- Honorary contracts ----------------------------------------------------------------------

class TestHonoraryContracts:
    def test_hr_of_the_partner_records_one_with_history(self, north, north_trust, hr_north,
                                                        outsider):
        person = PersonFactory()
        contract = services.save_honorary_contract(
            contract=HonoraryContract(person=person, organisation=north_trust,
                                      start_date=D(2026, 1, 1), reference=" HC-9 ",
                                      purpose=" Research sessions "), by=hr_north)
        assert (contract.reference, contract.purpose) == ("HC-9", "Research sessions")
        assert contract.history.get().history_user == hr_north
        with pytest.raises(PermissionDenied):
            services.save_honorary_contract(
                contract=HonoraryContract(person=person, partnership=north,
                                          start_date=D(2026, 1, 1), purpose="Passport"),
                by=outsider)

    def test_one_partner_and_an_end_after_the_start(self, north, north_trust, hr_north):
        with pytest.raises(ValidationError) as error:
            services.save_honorary_contract(contract=HonoraryContract(
                person=PersonFactory(), organisation=north_trust, partnership=north,
                start_date=D(2026, 1, 1), end_date=D(2025, 1, 1), purpose="x"), by=hr_north)
        assert set(error.value.message_dict) >= {"organisation", "end_date"}
        assert not HonoraryContract.objects.exists()

    def test_leaders_are_counted_by_partner(self, north, north_trust):
        for person in (PersonFactory(), PersonFactory()):
            HonoraryContract.objects.create(person=person, partnership=north,
                                            start_date=D(2025, 1, 1), purpose="Passport")
        HonoraryContract.objects.create(person=PersonFactory(), organisation=north_trust,
                                        start_date=D(2025, 1, 1), purpose="Clinical")
        HonoraryContract.objects.create(person=PersonFactory(), organisation=north_trust,
                                        start_date=D(2020, 1, 1), end_date=D(2021, 1, 1),
                                        purpose="Long over")
        assert HonoraryContract.objects.in_force().counts_by_partner() == [
            ("North Test ICS", 2, False), ("North Acute Trust", 1, True)]
