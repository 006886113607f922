"""Reminders by time travel: every kind and threshold, extended and ended appointments, sweeps
that run twice or not at all, and mail servers that fail."""

import datetime
from unittest import mock

import pytest
import time_machine
from celery.exceptions import Retry
from dateutil.relativedelta import relativedelta
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import example, given, settings
from hypothesis import strategies as st

from appointments import services
from appointments.models import TermEndDecision
from appointments.reminders import term_endings
from appraisals.reminders import (
    APPRAISAL_NOTICE_DAYS,
    APPRAISAL_OVERDUE_WINDOW_DAYS,
    _next_or_current_anniversary,
    appraisals_due,
    days_of_the_year_near,
)
from ccpl import access, notifications
from ccpl.models import Notification, User
from ccpl.tasks import send_notification
from governance.models import DeclarationReturn
from roles.models import JobDescription

from .factories import AppointmentFactory, PersonFactory, PostFactory, UserFactory, grant
from .ledger import sent

pytestmark = pytest.mark.django_db
D = datetime.date
Kind = Notification.Kind


@pytest.fixture
def term(north_trust, north):
    """A clinical lead (ending 31 March 2027) responsible to a clinical director, hosted by a trust
    with one HR contact, in a system with a CMO office."""
    director_post = PostFactory(host_organisation=north_trust, title="Clinical Director")
    director = PersonFactory(work_email="director@nhs.example")
    AppointmentFactory(post=director_post, person=director, start_date=D(2024, 1, 1),
                       end_date=D(2028, 12, 31))
    post = PostFactory(host_organisation=north_trust, responsible_to=director_post)
    person = PersonFactory(work_email="lead@nhs.example")
    grant(UserFactory(email="hr.trust@example.org"), access.EDIT, north_trust)
    grant(UserFactory(email="cmo.office@example.org"), access.APPROVE, north)
    # Both have declared their interests this year: the only reminders due are the term's.
    for declared in (director, person):
        DeclarationReturn.objects.create(person=declared, made_on=D(2026, 11, 1),
                                         reason="annual", is_nil=True)
    return AppointmentFactory(post=post, person=person, start_date=D(2024, 4, 1),
                              end_date=D(2027, 3, 31))



def term_mail():
    return [m for m in mail.outbox if m.subject.startswith("Term ending")]



class TestTermEnding:
    def test_nothing_is_due_before_180_days(self, sweep_on, term):
        sweep_on(D(2026, 10, 1))
        assert sent(Kind.TERM_ENDING) == []

    @pytest.mark.parametrize(("day", "milestone"), [
        (D(2026, 10, 2), "180@2027-03-31"), (D(2026, 12, 31), "90@2027-03-31"),
        (D(2027, 3, 1), "30@2027-03-31"),
    ])
    def test_each_threshold_goes_to_appointee_manager_hr_and_the_cmo_office(self, sweep_on, term,
                                                                           day, milestone):
        sweep_on(day)
        assert sent(Kind.TERM_ENDING) == [
            (milestone, "cmo.office@example.org"), (milestone, "director@nhs.example"),
            (milestone, "hr.trust@example.org"), (milestone, "lead@nhs.example")]
        assert len(term_mail()) == 4
        assert "31 March 2027" in term_mail()[0].body
        assert term.get_absolute_url() in term_mail()[0].body

    def test_a_second_sweep_the_same_day_sends_nothing_more(self, sweep_on, term):
        sweep_on(D(2026, 12, 31))
        sweep_on(D(2026, 12, 31))
        assert len(term_mail()) == 4

    def test_a_sweep_missed_for_three_days_sends_the_passed_milestone_once(self, sweep_on, term):
        sweep_on(D(2026, 12, 30))  # 91 days before the end: nothing due yet since the 180
        Notification.objects.all().delete()
        mail.outbox.clear()
        sweep_on(D(2027, 1, 3))  # the 90-day mark passed on 31 December
        assert sent(Kind.TERM_ENDING) == [("90@2027-03-31", e) for e in
                                          ("cmo.office@example.org", "director@nhs.example",
                                           "hr.trust@example.org", "lead@nhs.example")]
        sweep_on(D(2027, 1, 4))
        assert len(term_mail()) == 4

    def test_an_extended_term_is_reminded_about_its_new_end(self, sweep_on, term, admin_user):
        sweep_on(D(2027, 1, 5))
        services.extend(appointment=term, new_end_date=D(2027, 9, 30), reason="r",
                        agreed_by="a", by=admin_user)
        mail.outbox.clear()
        sweep_on(D(2027, 3, 1))  # would have been the old 30-day reminder
        assert term_mail() == []
        sweep_on(D(2027, 7, 2))
        assert {m for m, _ in sent(Kind.TERM_ENDING)} >= {"90@2027-09-30"}

    def test_an_ended_appointment_gets_no_more_reminders(self, sweep_on, term, admin_user):
        services.end_early(appointment=term, on=D(2026, 12, 1), reason="Resigned",
                           by=admin_user)
        sweep_on(D(2026, 11, 25))
        sweep_on(D(2026, 12, 31))
        assert sent(Kind.TERM_ENDING) == []

    def test_a_recorded_decision_stops_the_reminders(self, sweep_on, term, admin_user):
        services.decide_term_end(appointment=term, outcome=TermEndDecision.Outcome.LET_END,
                                 by=admin_user)
        sweep_on(D(2027, 3, 1))
        assert sent(Kind.TERM_ENDING) == []

    def test_thresholds_come_from_the_role_type(self, sweep_on, term):
        role_type = term.post.role_type
        role_type.term_reminder_days = "60"
        role_type.save()
        sweep_on(D(2026, 12, 31))
        assert sent(Kind.TERM_ENDING) == []
        sweep_on(D(2027, 2, 1))
        assert {m for m, _ in sent(Kind.TERM_ENDING)} == {"60@2027-03-31"}

    def test_hr_who_chose_the_weekly_digest_get_no_single_reminders(self, sweep_on, term):
        User.objects.filter(email="hr.trust@example.org").update(weekly_digest=True)
        sweep_on(D(2026, 12, 31))
        assert "hr.trust@example.org" not in {e for _, e in sent(Kind.TERM_ENDING)}


class TestEscalation:
    def test_a_term_that_ends_with_no_decision_goes_to_the_cmo_office(self, sweep_on, term):
        """On its last day the term is still held; the next day's sweep records that it has
        ended and tells the CMO/CNO office."""
        sweep_on(D(2027, 3, 31))
        assert sent(Kind.TERM_ENDED) == []
        sweep_on(D(2027, 4, 1))
        assert sent(Kind.TERM_ENDED) == [("end@2027-03-31", "cmo.office@example.org")]

    def test_a_successor_means_no_escalation(self, sweep_on, term):
        AppointmentFactory(post=term.post, start_date=D(2027, 4, 1), end_date=D(2030, 3, 31))
        sweep_on(D(2027, 4, 1))
        assert sent(Kind.TERM_ENDED) == []


class TestAppraisals:
    def test_due_30_days_before_the_anniversary_and_overdue_after(self, sweep_on, term):
        sweep_on(D(2026, 3, 1))  # 31 days before the second anniversary: not yet
        assert ("due@2026-04-01", "lead@nhs.example") not in sent(Kind.APPRAISAL_DUE)
        sweep_on(D(2026, 3, 2))
        assert ("due@2026-04-01", "lead@nhs.example") in sent(Kind.APPRAISAL_DUE)
        assert ("due@2026-04-01", "director@nhs.example") in sent(Kind.APPRAISAL_DUE)

    def test_no_appraisal_is_asked_for_after_the_term_has_ended(self, sweep_on, term):
        sweep_on(D(2027, 3, 2))  # the third anniversary falls after the end of the term
        assert ("due@2027-04-01", "lead@nhs.example") not in sent(Kind.APPRAISAL_DUE)

    def test_overdue_after_the_anniversary(self, sweep_on, north_trust):
        appointment = AppointmentFactory(post=PostFactory(host_organisation=north_trust),
                                         person=PersonFactory(work_email="x@nhs.example"),
                                         start_date=D(2024, 11, 1), end_date=D(2027, 10, 31))
        sweep_on(D(2026, 11, 10))
        assert sent(Kind.APPRAISAL_OVERDUE) == [("overdue@2026-11-01", "x@nhs.example")]
        assert appointment.pk


class TestJobDescriptionReview:
    def test_a_month_before_the_annual_review(self, sweep_on, term):
        JobDescription.objects.create(post=term.post, summary="s", reviewed_on=D(2026, 2, 1))
        sweep_on(D(2026, 12, 31))
        assert sent(Kind.JD_REVIEW) == []
        sweep_on(D(2027, 1, 2))
        assert sent(Kind.JD_REVIEW) == [("review@2027-02-01", "hr.trust@example.org")]


class TestWeeklyDigest:
    def test_on_mondays_for_those_who_chose_it(self, sweep_on, term):
        User.objects.filter(email="hr.trust@example.org").update(weekly_digest=True)
        sweep_on(D(2027, 1, 5))  # a Tuesday
        assert sent(Kind.WEEKLY_DIGEST) == []
        sweep_on(D(2027, 1, 4))  # a Monday
        assert sent(Kind.WEEKLY_DIGEST) == [("week@2027-W01", "hr.trust@example.org")]
        digest = [m for m in mail.outbox if m.to == ["hr.trust@example.org"]][-1]
        assert str(term.person) in digest.body


class TestDelivery:
    def test_a_failing_mail_server_is_retried_by_each_sweep_then_shown_as_failed(
        self, sweep_on, term
    ):
        # Tasks run in process (no broker): a failure never raises into the sweep, the row
        # waits for the next one, and gives up after MAX_ATTEMPTS.
        rows = Notification.objects.filter(kind=Kind.TERM_ENDING)
        with mock.patch("django.core.mail.EmailMultiAlternatives.send",
                        side_effect=ConnectionRefusedError("no mail server")):
            for attempt in range(1, notifications.MAX_ATTEMPTS):
                sweep_on(D(2027, 3, 1))
                assert set(rows.values_list("status", "attempts")) == {("retrying", attempt)}
            sweep_on(D(2027, 3, 1))
        assert set(rows.values_list("status", "attempts")) == {("failed", 5)}
        assert "no mail server" in rows.first().last_error
        sweep_on(D(2027, 3, 1))
        assert term_mail() == []

    def test_a_worker_retries_a_failed_send_after_a_wait(self, term):
        notifications.sweep(today=D(2027, 3, 1), queue=False)
        row = Notification.objects.filter(kind=Kind.TERM_ENDING).first()
        # Run as a worker runs it (not eagerly): Celery is asked to try again in a minute.
        with mock.patch("django.core.mail.EmailMultiAlternatives.send",
                        side_effect=ConnectionRefusedError("no mail server")), \
                mock.patch.object(send_notification, "retry", side_effect=Retry) as retry, \
                pytest.raises(Retry):
            send_notification(row.pk)
        retry.assert_called_once_with(countdown=60)
        row.refresh_from_db()
        assert (row.status, row.attempts) == ("retrying", 1)

    def test_a_row_is_sent_once_however_often_it_is_delivered(self, sweep_on, term):
        sweep_on(D(2027, 3, 1))
        row = Notification.objects.filter(kind=Kind.TERM_ENDING).first()
        assert notifications.deliver(row.pk) == "skipped"
        assert len(term_mail()) == 4

    def test_e_mails_have_text_and_html(self, sweep_on, term):
        sweep_on(D(2027, 3, 1))
        message = mail.outbox[0]
        assert message.alternatives[0][1] == "text/html"
        assert "<a href=" in message.alternatives[0][0]


class TestQueue:
    """A row is put on the queue once: a worker that is down does not make every sweep add a
    copy of everything unsent; a message lost with the broker is made good later, a bounded
    number at a time."""

    @pytest.fixture
    def queue(self, django_capture_on_commit_callbacks):
        """Sweep with a worker that never comes (messages counted, nothing sent)."""
        messages = []

        def run(day, at=datetime.time(6, 30)):
            moment = datetime.datetime.combine(day, at)
            with time_machine.travel(moment, tick=False), \
                    mock.patch.object(notifications.send_notifications, "delay",
                                      side_effect=lambda ids: messages.append(list(ids))), \
                    mock.patch.object(notifications.send_notification, "delay",
                                      side_effect=lambda pk: messages.append([pk])), \
                    django_capture_on_commit_callbacks(execute=True):
                result, _ = notifications.sweep(today=day)
            return result

        run.messages = messages
        return run

    def test_a_second_sweep_queues_nothing_already_on_the_queue(self, queue, term):
        first = queue(D(2027, 3, 1))
        rows = Notification.objects.count()
        assert first.queued == rows > 1 and len(queue.messages) == 1
        assert queue(D(2027, 3, 1)).queued == 0
        assert queue(D(2027, 3, 1), at=datetime.time(12, 0)).queued == 0
        assert len(queue.messages) == 1
        assert not Notification.objects.filter(queued_at__isnull=True).exists()

    def test_rows_still_unsent_long_after_queueing_are_queued_again_a_few_at_a_time(
            self, queue, term, monkeypatch):
        monkeypatch.setattr(notifications, "REQUEUE_LIMIT", 2)
        queue(D(2027, 3, 1))
        rows = Notification.objects.count()
        assert queue(D(2027, 3, 2)).queued == 2  # a day on: the broker lost them, or no worker
        assert queue(D(2027, 3, 2), at=datetime.time(7, 0)).queued == min(2, rows - 2)
        assert queue(D(2027, 3, 2), at=datetime.time(8, 0)).queued == max(0, rows - 4)
        assert queue(D(2027, 3, 2), at=datetime.time(9, 0)).queued == 0
        assert sorted(pk for m in queue.messages for pk in m) == sorted(
            2 * list(Notification.objects.values_list("pk", flat=True)))

    def test_many_rows_go_in_few_messages(self, queue, term, monkeypatch):
        monkeypatch.setattr(notifications, "SEND_BATCH", 2)
        queue(D(2027, 3, 1))
        rows = Notification.objects.count()
        assert [len(m) for m in queue.messages] == [2] * (rows // 2) + [1] * (rows % 2)
        assert sorted(pk for m in queue.messages for pk in m) == sorted(
            Notification.objects.values_list("pk", flat=True))

    def test_a_sweep_that_fails_half_way_has_queued_what_it_recorded(self, queue, term,
                                                                      monkeypatch):
        def broken(today, digest_users):
            raise RuntimeError("a finder with a bug")

        monkeypatch.setattr(notifications, "RECORD_BATCH", 2)
        monkeypatch.setattr(notifications.REGISTRY, "finders",
                            [*notifications.REGISTRY.finders, broken])
        with pytest.raises(RuntimeError):
            queue(D(2027, 3, 1))
        assert Notification.objects.count() > 2
        assert not Notification.objects.filter(queued_at__isnull=True).exists()
        assert sorted(pk for m in queue.messages for pk in m) == sorted(
            Notification.objects.values_list("pk", flat=True))

    @pytest.fixture
    def failing_for_one(self, term):
        notifications.sweep(today=D(2027, 3, 1), queue=False)
        ids = list(Notification.objects.order_by("pk").values_list("pk", flat=True))
        failing = Notification.objects.get(pk=ids[0]).recipient_email
        real_send = notifications.EmailMultiAlternatives.send

        def send(message, *args, **kwargs):
            if message.to == [failing]:
                raise ConnectionRefusedError("no mail server")
            return real_send(message, *args, **kwargs)

        with mock.patch.object(notifications.EmailMultiAlternatives, "send", send), \
                mock.patch.object(notifications.send_notification, "apply_async") as retry:
            yield ids, retry

    def test_a_worker_sends_a_batch_once_and_retries_a_failure_on_its_own(self,
                                                                          failing_for_one):
        ids, retry = failing_for_one
        outcomes = notifications.send_notifications.run(ids)  # as a worker runs it
        assert outcomes == {ids[0]: 60, **dict.fromkeys(ids[1:], "sent")}
        retry.assert_called_once_with((ids[0],), countdown=60)
        assert notifications.send_notifications.run(ids)[ids[1]] == "skipped"
        assert len(mail.outbox) == len(ids) - 1

    def test_in_the_web_process_a_failure_waits_for_the_next_sweep(self, failing_for_one):
        ids, retry = failing_for_one
        Notification.objects.update(queued_at=datetime.datetime(2027, 3, 1, 6, 30,
                                                                tzinfo=datetime.UTC))
        notifications.send_notifications.apply(args=(ids,))  # eager, as with no broker
        retry.assert_not_called()
        assert list(Notification.objects.filter(queued_at__isnull=True)
                    .values_list("pk", flat=True)) == [ids[0]]


class TestRecordingInBatches:
    """The sweep writes the ledger a batch at a time: in each batch one query finds what is
    recorded already and one writes what is new, however many reminders the batch holds, and a
    reminder recorded already is not written again."""

    @staticmethod
    def dues(appointments, recipients):
        return [notifications.Due(Kind.TERM_ENDING, f"90@{a.end_date}", a, f"r{n}@nhs.example",
                                  None, {"appointment": a, "days_left": 90,
                                         "subject": f"Term ending in 90 days: {a}"})
                for a in appointments for n in range(recipients)]

    def test_the_queries_of_a_batch_do_not_grow_with_the_reminders_in_it(self):
        appointments = AppointmentFactory.create_batch(4)
        with CaptureQueriesContext(connection) as one:
            assert notifications.record(self.dues(appointments[:1], 1)) == 1
        with CaptureQueriesContext(connection) as sixty:
            assert notifications.record(self.dues(appointments[1:], 20)) == 60
        assert len(sixty) == len(one)

    def test_what_is_recorded_already_costs_one_query_a_batch_and_is_not_kept_again(
            self, monkeypatch):
        monkeypatch.setattr(notifications, "RECORD_BATCH", 4)
        appointments = AppointmentFactory.create_batch(2)
        notifications.record(self.dues(appointments, 5))
        with CaptureQueriesContext(connection) as again, \
                mock.patch.object(notifications, "ledger_fields") as ledger_fields:
            assert notifications.record(self.dues(appointments, 5)) == 0
        assert len(again) == 3  # ten reminders in batches of four
        ledger_fields.assert_not_called()
        assert Notification.objects.count() == 10

    def test_a_new_recipient_of_a_recorded_milestone_is_still_recorded(self):
        appointment = AppointmentFactory()
        notifications.record(self.dues([appointment], 2))
        assert notifications.record(self.dues([appointment], 3)) == 1
        assert sorted(Notification.objects.values_list("recipient_email", flat=True)) == [
            "r0@nhs.example", "r1@nhs.example", "r2@nhs.example"]


class TestWhatWasRemindedAlready:
    """The finders work out who is to be told from a few columns and ask the ledger before they
    read what the e-mails show: a reminder sent on an earlier day costs its key, not the
    appointment, person and post behind it; someone new to tell is still told."""

    @staticmethod
    def names_read(queries):
        return [q["sql"] for q in queries if '"appointments_person"."family_name"' in q["sql"]]

    def test_a_term_reminded_already_is_not_read_again(self, sweep_on, term):
        sweep_on(D(2026, 12, 31))
        with CaptureQueriesContext(connection) as queries:
            assert list(term_endings(D(2027, 1, 1), set())) == []
        assert self.names_read(queries) == []

    def test_an_appraisal_reminded_already_is_not_read_again(self, sweep_on, term):
        sweep_on(D(2026, 3, 2))
        with CaptureQueriesContext(connection) as queries:
            assert list(appraisals_due(D(2026, 3, 3), set())) == []
        assert self.names_read(queries) == []

    def test_someone_new_to_tell_is_told_of_a_milestone_reminded_already(
            self, sweep_on, term, north_trust):
        sweep_on(D(2026, 12, 31))
        grant(UserFactory(email="new.hr@example.org"), access.EDIT, north_trust)
        mail.outbox.clear()
        sweep_on(D(2027, 1, 1))
        assert [(m.to, m.subject) for m in term_mail()] == [
            (["new.hr@example.org"], f"Term ending in 89 days: {term.person} — {term.post}")]
        assert Notification.objects.get(recipient_email="new.hr@example.org").recipient.email \
            == "new.hr@example.org"


class TestCommand:
    def test_dry_run_lists_without_recording(self, sweep_on, term, capsys):
        call_command("send_reminders", "--today", "2027-03-01", "--dry-run")
        assert "term_ending" in capsys.readouterr().out
        assert not Notification.objects.exists()

    def test_a_bad_date_is_explained(self, sweep_on):
        with pytest.raises(CommandError, match="must be a date"):
            call_command("send_reminders", "--today", "31/02/2027")


class TestWhoReadsTheLedger:
    """Each app tells the ledger who may read the rows about its objects."""

    def _row(self, obj, email="someone@example.org", recipient=None):
        return Notification.objects.create(
            kind=Kind.JD_REVIEW, milestone="m", object_type=obj._meta.label_lower,
            object_id=obj.pk, recipient_email=email, recipient=recipient, subject="s",
            body_text="b")

    def test_rows_about_appointments_and_job_descriptions_follow_what_the_user_sees(
        self, hr_north, outsider, north_appointment, south_appointment
    ):
        north_jd = JobDescription.objects.create(post=north_appointment.post, summary="s",
                                                 reviewed_on=D(2026, 1, 1))
        south_jd = JobDescription.objects.create(post=south_appointment.post, summary="s",
                                                 reviewed_on=D(2026, 1, 1))
        rows = {obj: self._row(obj) for obj in (north_appointment, south_appointment, north_jd,
                                                 south_jd)}
        assert set(Notification.objects.visible_to(hr_north)) == {rows[north_appointment],
                                                                   rows[north_jd]}
        assert set(Notification.objects.visible_to(outsider)) == {rows[south_appointment],
                                                                   rows[south_jd]}

    def test_rows_about_other_objects_are_read_only_by_their_recipient(self, hr_north, leader,
                                                                       admin_user):
        row = self._row(leader, email=leader.email, recipient=leader)
        assert list(Notification.objects.visible_to(leader)) == [row]
        assert list(Notification.objects.visible_to(hr_north)) == []
        assert list(Notification.objects.visible_to(admin_user)) == [row]


class TestAnniversaryWindow:
    """The sweep asks the database only for terms whose start falls near today's day of the
    year; it must never leave out one that is due or overdue."""

    @given(start=st.dates(datetime.date(2000, 1, 1), datetime.date(2030, 12, 31)),
           today=st.dates(datetime.date(2024, 1, 1), datetime.date(2032, 12, 31)))
    @example(start=datetime.date(2000, 2, 29), today=datetime.date(2025, 3, 30))
    @settings(max_examples=3000, deadline=None)
    def test_no_anniversary_is_left_out(self, start, today):
        appointment = mock.Mock(start_date=start, end_date=None)
        if _next_or_current_anniversary(appointment, today) is None:
            return
        assert start.day in days_of_the_year_near(today).get(start.month, ())

    @given(start=st.dates(datetime.date(2000, 1, 1), datetime.date(2030, 12, 31)),
           today=st.dates(datetime.date(2024, 1, 1), datetime.date(2032, 12, 31)))
    @example(start=datetime.date(2000, 2, 29), today=datetime.date(2025, 2, 28))
    @example(start=datetime.date(2000, 2, 29), today=datetime.date(2024, 12, 30))
    @settings(max_examples=3000, deadline=None)
    def test_the_anniversary_found_is_the_one_in_the_window(self, start, today):
        """Whole years after the start as ``relativedelta`` counts them (29 February falls on
        the 28th in a common year), the one in the window if any."""
        in_window = [start + relativedelta(years=n) for n in range(1, 34)
                     if -APPRAISAL_OVERDUE_WINDOW_DAYS
                     <= (start + relativedelta(years=n) - today).days <= APPRAISAL_NOTICE_DAYS]
        found = _next_or_current_anniversary(mock.Mock(start_date=start, end_date=None), today)
        assert ([found] if found else []) == in_window

