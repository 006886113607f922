"""The rules of a term, held by the models and the services whatever the door (admin, app, API)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from appointments import services
from appointments.models import Appointment, BulkChange, Extension
from roles.models import Post

from .factories import AppointmentFactory, BudgetFactory, PersonFactory, PostFactory

D = datetime.date
pytestmark = pytest.mark.django_db


def appoint(post, person=None, start=D(2025, 1, 1), end=None, by=None, **kwargs):
    return services.appoint(post=post, person=person or PersonFactory(), start_date=start,
                            end_date=end, by=by, **kwargs)


@pytest.fixture
def cag_post(north_trust):
    """A job-share post of 0.3 WTE with a £20,000 honorarium pool, like a CAG leadership."""
    return PostFactory(host_organisation=north_trust, wte=Decimal("0.30"),
                       honorarium=Decimal("20000"), honorarium_is_pool=True,
                       job_share_allowed=True)


class TestAppointing:
    def test_default_term_comes_from_the_post(self, north_post, admin_user):
        appointment = appoint(north_post, start=D(2025, 4, 1), by=admin_user)
        assert appointment.end_date == D(2028, 3, 31)
        assert appointment.wte == north_post.wte

    def test_end_before_start_is_refused_and_nothing_is_written(self, north_post, admin_user):
        with pytest.raises(ValidationError) as error:
            appoint(north_post, start=D(2025, 4, 1), end=D(2025, 3, 1), by=admin_user)
        assert "must be after its start" in str(error.value)
        assert Appointment.objects.count() == 0

    def test_the_database_refuses_an_end_before_the_start(self, north_post):
        with pytest.raises(IntegrityError), transaction.atomic():
            Appointment.objects.create(post=north_post, person=PersonFactory(),
                                       start_date=D(2025, 4, 1), end_date=D(2025, 4, 1),
                                       wte=Decimal("0.1"))

    def test_overlapping_terms_for_the_same_person_are_refused(self, cag_post, admin_user):
        person = PersonFactory()
        appoint(cag_post, person, wte=Decimal("0.1"), honorarium_share=0, by=admin_user)
        with pytest.raises(ValidationError) as error:
            appoint(cag_post, person, start=D(2026, 6, 1), wte=Decimal("0.1"),
                    honorarium_share=0, by=admin_user)
        assert "cannot overlap" in str(error.value)
        assert Appointment.objects.count() == 1

    def test_consecutive_terms_for_the_same_person_are_allowed(self, north_post, admin_user):
        person = PersonFactory()
        first = appoint(north_post, person, start=D(2022, 1, 1), by=admin_user)
        second = appoint(north_post, person, start=first.end_date + datetime.timedelta(days=1),
                         by=admin_user)
        assert second.start_date == D(2025, 1, 1)

    def test_appointment_larger_than_the_post_is_refused(self, north_post, admin_user):
        with pytest.raises(ValidationError) as error:
            appoint(north_post, wte=Decimal("0.5"), by=admin_user)
        assert "larger than the post" in str(error.value)

    def test_co_leads_together_cannot_exceed_the_post_wte(self, cag_post, admin_user):
        appoint(cag_post, wte=Decimal("0.15"), honorarium_share=Decimal("10000"), by=admin_user)
        appoint(cag_post, wte=Decimal("0.15"), honorarium_share=Decimal("10000"), by=admin_user)
        with pytest.raises(ValidationError) as error:
            appoint(cag_post, start=D(2026, 1, 1), wte=Decimal("0.05"), honorarium_share=0,
                    by=admin_user)
        assert "filled to 0.35 WTE" in str(error.value)
        assert cag_post.appointments.count() == 2

    def test_holders_who_never_overlap_do_not_add_up(self, cag_post, admin_user):
        appoint(cag_post, start=D(2020, 1, 1), end=D(2022, 12, 31), wte=Decimal("0.30"),
                honorarium_share=Decimal("20000"), by=admin_user)
        appoint(cag_post, start=D(2023, 1, 1), wte=Decimal("0.30"),
                honorarium_share=Decimal("20000"), by=admin_user)
        assert cag_post.appointments.count() == 2

    def test_honorarium_shares_cannot_exceed_the_pool(self, cag_post, admin_user):
        appoint(cag_post, wte=Decimal("0.15"), honorarium_share=Decimal("15000"), by=admin_user)
        with pytest.raises(ValidationError) as error:
            appoint(cag_post, wte=Decimal("0.15"), honorarium_share=Decimal("6000"),
                    by=admin_user)
        assert "£21,000.00" in str(error.value)
        assert "pool is £20,000.00" in str(error.value)

    def test_a_share_larger_than_the_honorarium_is_refused(self, cag_post, admin_user):
        with pytest.raises(ValidationError) as error:
            appoint(cag_post, wte=Decimal("0.3"), honorarium_share=Decimal("25000"),
                    by=admin_user)
        assert "more than the post's honorarium" in str(error.value)

    def test_a_post_without_job_share_has_one_holder_at_a_time(self, north_trust, admin_user):
        post = PostFactory(host_organisation=north_trust, wte=Decimal("0.4"))
        appoint(post, wte=Decimal("0.2"), by=admin_user)
        with pytest.raises(ValidationError) as error:
            appoint(post, wte=Decimal("0.2"), by=admin_user)
        assert "does not allow job share" in str(error.value)

    def test_a_person_may_hold_several_part_time_posts(self, north_trust, admin_user):
        person = PersonFactory()
        appoint(PostFactory(host_organisation=north_trust), person, by=admin_user)
        appoint(PostFactory(host_organisation=north_trust), person, by=admin_user)
        assert person.appointments.count() == 2


class TestExtending:
    def test_extension_moves_the_end_later_and_keeps_the_old_end(
        self, north_appointment, admin_user
    ):
        extension = services.extend(
            appointment=north_appointment, new_end_date=D(2027, 10, 31),
            reason="Continuity over winter", agreed_by="Appointee, CMO and host trust",
            agreed_on=D(2026, 11, 1), by=admin_user,
        )
        north_appointment.refresh_from_db()
        assert north_appointment.end_date == D(2027, 10, 31)
        assert (extension.number, extension.old_end_date) == (1, D(2027, 3, 31))
        assert north_appointment.original_end_date == D(2027, 3, 31)

    def test_extensions_are_numbered(self, north_appointment, admin_user):
        for new_end in (D(2027, 6, 30), D(2027, 12, 31)):
            services.extend(appointment=north_appointment, new_end_date=new_end,
                            reason="r", agreed_by="a", by=admin_user)
        assert list(north_appointment.extensions.values_list("number", "old_end_date")) == [
            (1, D(2027, 3, 31)), (2, D(2027, 6, 30)),
        ]

    def test_extension_to_an_earlier_date_is_refused(self, north_appointment, admin_user):
        with pytest.raises(ValidationError) as error:
            services.extend(appointment=north_appointment, new_end_date=D(2027, 1, 1),
                            reason="r", agreed_by="a", by=admin_user)
        assert "must be after the current end of the term (31 March 2027)" in str(error.value)
        north_appointment.refresh_from_db()
        assert north_appointment.end_date == D(2027, 3, 31)
        assert Extension.objects.count() == 0

    @pytest.mark.parametrize("new_end", [D(9999, 12, 31), D(2032, 4, 1)])
    def test_an_extension_beyond_the_role_types_longest_is_refused(
        self, north_appointment, admin_user, new_end
    ):
        """Five years past the current end by default (31 March 2027 → 31 March 2032)."""
        with pytest.raises(ValidationError) as error:
            services.extend(appointment=north_appointment, new_end_date=new_end,
                            reason="r", agreed_by="a", by=admin_user)
        assert "at most 60 months at a time" in str(error.value)
        assert "31 March 2032 at the latest" in str(error.value)
        north_appointment.refresh_from_db()
        assert north_appointment.end_date == D(2027, 3, 31)
        assert Extension.objects.count() == 0

    def test_the_longest_extension_is_set_per_role_type(self, north_appointment, admin_user):
        role_type = north_appointment.post.role_type
        role_type.max_extension_months = 12
        role_type.save()
        with pytest.raises(ValidationError, match="31 March 2028 at the latest"):
            services.extend(appointment=north_appointment, new_end_date=D(2028, 4, 1),
                            reason="r", agreed_by="a", by=admin_user)
        services.extend(appointment=north_appointment, new_end_date=D(2028, 3, 31),
                        reason="r", agreed_by="a", by=admin_user)

    def test_the_extend_page_answers_a_date_too_far_with_a_message(
        self, client, north_appointment, hr_north
    ):
        client.force_login(hr_north)
        response = client.post(
            reverse("appointments:appointment-extend", args=[north_appointment.pk]),
            {"new_end_date_day": "31", "new_end_date_month": "12", "new_end_date_year": "2040",
             "reason": "r", "agreed_by": "a", "agreed_on_day": "1", "agreed_on_month": "11",
             "agreed_on_year": "2026"})
        assert response.status_code == 200
        assert "at the latest" in response.content.decode()
        assert Extension.objects.count() == 0

    def test_extension_needs_a_reason_and_who_agreed(self, north_appointment, admin_user):
        with pytest.raises(ValidationError) as error:
            services.extend(appointment=north_appointment, new_end_date=D(2028, 1, 1),
                            reason=" ", agreed_by="", by=admin_user)
        assert set(error.value.message_dict) == {"reason", "agreed_by"}
        assert Extension.objects.count() == 0

    def test_the_database_refuses_an_extension_that_does_not_move_later(
        self, north_appointment
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            Extension.objects.create(appointment=north_appointment, number=1,
                                     old_end_date=D(2027, 3, 31), new_end_date=D(2027, 3, 31),
                                     reason="r", agreed_by="a", agreed_on=D(2026, 1, 1))

    def test_extension_that_would_collide_with_a_successor_is_refused(
        self, north_appointment, admin_user
    ):
        appoint(north_appointment.post, start=D(2027, 4, 1), by=admin_user)
        with pytest.raises(ValidationError) as error:
            services.extend(appointment=north_appointment, new_end_date=D(2027, 9, 30),
                            reason="r", agreed_by="a", by=admin_user)
        assert "does not allow job share" in str(error.value)
        north_appointment.refresh_from_db()
        assert north_appointment.end_date == D(2027, 3, 31)

    def test_an_ended_appointment_cannot_be_extended(self, north_appointment, admin_user):
        services.end_early(appointment=north_appointment, on=D(2026, 12, 31),
                           reason="Resigned", by=admin_user)
        with pytest.raises(ValidationError, match="has been ended"):
            services.extend(appointment=north_appointment, new_end_date=D(2028, 1, 1),
                            reason="r", agreed_by="a", by=admin_user)


class TestEnding:
    def test_ending_early_records_when_and_why(self, north_appointment, admin_user):
        services.end_early(appointment=north_appointment, on=D(2026, 12, 31),
                           reason="Taking up a national role", by=admin_user)
        north_appointment.refresh_from_db()
        assert north_appointment.status == Appointment.Status.ENDED
        assert north_appointment.end_date == D(2026, 12, 31)
        assert north_appointment.scheduled_end_date == D(2027, 3, 31)
        assert north_appointment.end_reason == "Taking up a national role"
        assert north_appointment.end_recorded_by == admin_user
        assert north_appointment.end_recorded_at is not None

    def test_ceasing_records_when_and_why(self, north_appointment, admin_user):
        services.cease(appointment=north_appointment, on=D(2026, 11, 30),
                       reason="Role not continued in the new model", by=admin_user)
        north_appointment.refresh_from_db()
        assert north_appointment.status == Appointment.Status.CEASED
        assert north_appointment.end_date == D(2026, 11, 30)

    @pytest.mark.parametrize(("on", "reason", "message"), [
        (D(2027, 6, 1), "r", "to move it later, extend the appointment"),
        (D(2024, 4, 1), "r", "must be after the appointment starts"),
        (D(2026, 12, 1), "", "Enter why the appointment ends"),
    ])
    def test_bad_endings_are_refused_and_nothing_changes(
        self, north_appointment, admin_user, on, reason, message
    ):
        with pytest.raises(ValidationError, match=message):
            services.end_early(appointment=north_appointment, on=on, reason=reason,
                               by=admin_user)
        north_appointment.refresh_from_db()
        assert north_appointment.status == Appointment.Status.ACTIVE
        assert north_appointment.end_date == D(2027, 3, 31)

    def test_the_database_refuses_an_ending_without_a_reason(self, north_appointment):
        with pytest.raises(IntegrityError), transaction.atomic():
            Appointment.objects.filter(pk=north_appointment.pk).update(status="ended")


class TestHistory:
    def test_every_change_is_kept_with_who_made_it(self, north_appointment, admin_user):
        services.extend(appointment=north_appointment, new_end_date=D(2027, 9, 30),
                        reason="r", agreed_by="a", by=admin_user)
        services.end_early(appointment=north_appointment, on=D(2027, 1, 31), reason="Moved",
                           by=admin_user)
        changes = north_appointment.history.order_by("history_date")
        assert [h.end_date for h in changes] == [D(2027, 3, 31), D(2027, 9, 30), D(2027, 1, 31)]
        assert [h.history_user for h in changes][1:] == [admin_user, admin_user]

    def test_posts_keep_their_history(self, north_post, admin_user):
        north_post.wte = Decimal("0.6")
        north_post._history_user = admin_user
        north_post.save()
        assert north_post.history.count() == 2
        assert north_post.history.first().history_user == admin_user


class TestBulkChange:
    @pytest.fixture
    def leads(self, north_trust):
        return [
            AppointmentFactory(post=PostFactory(host_organisation=north_trust),
                               start_date=D(2019, 11, 1), end_date=D(2022, 9, 30))
            for _ in range(3)
        ]

    def test_preview_shows_every_change_and_writes_nothing(self, leads):
        plan = services.plan_bulk_change(appointments=leads, kind=BulkChange.Kind.EXTEND,
                                         on_date=D(2022, 10, 31))
        assert plan.is_valid
        assert [(c.old_end_date, c.new_end_date) for c in plan.changes] == [
            (D(2022, 9, 30), D(2022, 10, 31))] * 3
        assert Extension.objects.count() == 0

    def test_extend_everyone_then_some_further_then_cease_the_rest(self, leads, admin_user):
        """The extension waves of a real ICS transition: all to 31 Oct 2022, some further, the
        rest cease on 31 Oct 2022."""
        services.apply_bulk_change(appointments=leads, kind="extend", on_date=D(2022, 10, 31),
                                   reason="Transition to the new model", agreed_by="CMO",
                                   agreed_on=D(2022, 9, 1), by=admin_user)
        services.apply_bulk_change(appointments=leads[:1], kind="extend",
                                   on_date=D(2023, 3, 31), reason="In-flight programme",
                                   agreed_by="CMO and executive director",
                                   agreed_on=D(2022, 10, 1), by=admin_user)
        services.apply_bulk_change(appointments=leads[1:], kind="cease", on_date=D(2022, 10, 31),
                                   reason="Role not in the new model", agreed_by="CMO",
                                   agreed_on=D(2022, 10, 1), by=admin_user)
        ends = {a.pk: (a.end_date, a.status) for a in Appointment.objects.all()}
        assert ends[leads[0].pk] == (D(2023, 3, 31), "term_ended")  # its last day has passed
        assert ends[leads[1].pk] == (D(2022, 10, 31), "ceased")
        assert list(leads[0].extensions.values_list("number", flat=True)) == [1, 2]
        assert leads[0].history.first().history_user == admin_user

    def test_one_bad_appointment_stops_the_whole_batch(self, leads, admin_user):
        services.extend(appointment=leads[2], new_end_date=D(2023, 1, 31), reason="r",
                        agreed_by="a", by=admin_user)
        with pytest.raises(ValidationError) as error:
            services.apply_bulk_change(appointments=leads, kind="extend",
                                       on_date=D(2022, 10, 31), reason="r", agreed_by="a",
                                       agreed_on=D(2022, 9, 1), by=admin_user)
        assert str(leads[2]) in str(error.value)
        assert Appointment.objects.filter(end_date=D(2022, 10, 31)).count() == 0
        assert BulkChange.objects.count() == 0

    def test_co_leads_extended_together_are_checked_together(self, north_trust, admin_user):
        post = PostFactory(host_organisation=north_trust, wte=Decimal("0.3"),
                           job_share_allowed=True)
        first = AppointmentFactory(post=post, wte=Decimal("0.15"), start_date=D(2023, 1, 1),
                                   end_date=D(2025, 12, 31))
        second = AppointmentFactory(post=post, wte=Decimal("0.15"), start_date=D(2023, 1, 1),
                                    end_date=D(2025, 12, 31))
        AppointmentFactory(post=post, wte=Decimal("0.15"), start_date=D(2026, 1, 1),
                           end_date=D(2028, 12, 31))
        with pytest.raises(ValidationError, match="filled to 0.45 WTE"):
            services.apply_bulk_change(appointments=[first, second], kind="extend",
                                       on_date=D(2026, 6, 30), reason="r", agreed_by="a",
                                       agreed_on=D(2025, 12, 1), by=admin_user)
        assert Post.objects.get(pk=post.pk).appointments.filter(
            end_date=D(2026, 6, 30)).count() == 0


class TestBudget:
    def test_allocation_against_the_envelope(self, north, north_trust, admin_user):
        budget = BudgetFactory(system=north, wte_envelope=Decimal("2.0"))
        posts = [PostFactory(host_organisation=north_trust, budget=budget) for _ in range(5)]
        for post in posts[:3]:
            appoint(post, start=D(2026, 1, 1), by=admin_user)
        allocation = budget.allocation()
        assert (allocation.envelope, allocation.established, allocation.allocated) == (
            Decimal("2.0"), Decimal("2.00"), Decimal("1.20"))
        assert not allocation.is_over

    def test_over_allocation_is_reported(self, north, north_trust):
        budget = BudgetFactory(system=north, wte_envelope=Decimal("2.0"))
        for _ in range(6):
            PostFactory(host_organisation=north_trust, budget=budget)
        allocation = budget.allocation()
        assert allocation.over_established
        assert allocation.remaining == Decimal("-0.40")
