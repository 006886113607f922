"""A notification keeps what its e-mail is written from, and the e-mail is written when it is
sent (decision record 0015): what is kept, what is read back, and that every e-mail reads the
same written from what was kept as from the context its finder or service made."""

import datetime
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from appointments import approval_reminders
from appointments.models import Appointment, ApprovalRequest
from appointments.services import approvals
from ccpl import access, email_context, notifications
from ccpl.models import Notification, User
from ccpl.services import create_account
from governance.models import Framework
from roles.models import Organisation, System
from surveys.services import open_survey

from .factories import NOW, AppointmentFactory, UserFactory, grant

pytestmark = pytest.mark.django_db
D = datetime.date
Kind = Notification.Kind


class TestKeeping:
    def test_records_dates_numbers_and_lists_come_back_as_they_were(self):
        appointment = AppointmentFactory()
        user = UserFactory()
        context = {"appointment": appointment, "days_left": 90, "ratio": 0.5, "none": None,
                   "flag": True, "on": D(2027, 3, 31), "at": datetime.datetime(2027, 3, 31, 9),
                   "budget": Decimal("20000.50"), "title": "{{ not a template }}",
                   "ending": [appointment], "nested": {"by": user, "days": [1, 2]}}
        kept = email_context.freeze(context)
        back = email_context.thaw(kept)
        assert back == context
        assert type(back["on"]) is D and type(back["budget"]) is Decimal
        assert back["appointment"] is back["ending"][0]  # one record read once

    def test_what_is_kept_is_json_naming_records_by_type_and_id(self):
        appointment = AppointmentFactory()
        kept = email_context.freeze({"appointment": appointment, "on": D(2027, 3, 31)})
        assert kept == {"appointment": {"@model": "appointments.appointment",
                                        "pk": appointment.pk},
                        "on": {"@date": "2027-03-31"}}

    def test_records_are_read_back_as_they_stand_now_one_query_a_type(self):
        first, second = AppointmentFactory.create_batch(2)
        kept = email_context.freeze({"a": first, "b": second, "by": UserFactory()})
        Appointment.objects.filter(pk=first.pk).update(end_date=D(2030, 1, 31))
        with CaptureQueriesContext(connection) as queries:
            back = email_context.thaw(kept)
        assert back["a"].end_date == D(2030, 1, 31)
        assert len(queries) == 2

    def test_a_record_deleted_since_leaves_nothing_to_write(self):
        appointment = AppointmentFactory()
        kept = email_context.freeze({"appointment": appointment})
        appointment.delete()
        assert email_context.thaw(kept) is None

    @pytest.mark.parametrize("value", [object(), {1: "a"}, {"@model": "x"}, {"a", "b"}])
    def test_a_value_it_cannot_keep_fails_where_it_is_recorded(self, value):
        with pytest.raises(TypeError):
            email_context.freeze({"value": value})

    def test_an_unsaved_record_cannot_be_kept(self):
        with pytest.raises(TypeError, match="unsaved"):
            email_context.freeze({"user": User(email="new@nhs.example")})


class TestWrittenWhenSent:
    @staticmethod
    def due(appointment, email="leader@nhs.example"):
        return notifications.Due(
            Kind.TERM_ENDING, f"90@{appointment.end_date}", appointment, email, None,
            {"appointment": appointment, "days_left": 90,
             "subject": f"Term ending in 90 days: {appointment}"})

    def test_a_recorded_row_holds_its_subject_and_context_and_no_e_mail(self):
        appointment = AppointmentFactory()
        notifications.record([self.due(appointment)])
        row = Notification.objects.get()
        assert row.subject == f"Term ending in 90 days: {appointment}"
        assert row.context["appointment"]["pk"] == appointment.pk
        assert "subject" not in row.context
        assert (row.body_text, row.body_html) == ("", "")

    def test_sending_writes_the_e_mail_and_keeps_it_as_sent(self):
        appointment = AppointmentFactory()
        notifications.record([self.due(appointment)])
        row = Notification.objects.get()
        assert notifications.deliver(row.pk) == "sent"
        row.refresh_from_db()
        sent = mail.outbox[-1]
        assert "in 90 days" in sent.body and appointment.get_absolute_url() in sent.body
        assert row.body_text == sent.body
        assert row.body_html == sent.alternatives[0][0]

    def test_a_batch_writes_each_reminders_e_mail_once_for_all_its_recipients(
            self, monkeypatch):
        first, second = AppointmentFactory.create_batch(2)
        notifications.record([self.due(first, "one@nhs.example"),
                              self.due(first, "two@nhs.example"), self.due(second)])
        writes = []
        write = notifications.write_bodies
        monkeypatch.setattr(notifications, "write_bodies",
                            lambda row: writes.append(row.object_id) or write(row))
        ids = sorted(Notification.objects.values_list("pk", flat=True))
        notifications.send_notifications.apply(args=[ids])
        assert sorted(writes) == sorted([first.pk, second.pk])
        assert len(mail.outbox) == 3
        one, two, other = (Notification.objects.get(recipient_email=email).body_text
                           for email in ["one@nhs.example", "two@nhs.example",
                                         "leader@nhs.example"])
        assert one == two != other and second.get_absolute_url() in other

    def test_a_row_about_a_deleted_record_is_cancelled_not_sent(self):
        appointment = AppointmentFactory()
        notifications.record([self.due(appointment)])
        row = Notification.objects.get()
        Appointment.objects.filter(pk=appointment.pk).delete()
        assert notifications.deliver(row.pk) == "cancelled"
        row.refresh_from_db()
        assert row.status == Notification.Status.CANCELLED
        assert "deleted" in row.last_error
        assert not mail.outbox

    def test_a_row_recorded_with_its_e_mail_before_this_change_is_sent_as_stored(self):
        appointment = AppointmentFactory()
        row = Notification.objects.create(
            kind=Kind.TERM_ENDING, milestone="90@2027-03-31",
            object_type="appointments.appointment", object_id=appointment.pk,
            recipient_email="leader@nhs.example", subject="Old",
            body_text="Written when recorded.", body_html="<p>Written when recorded.</p>")
        assert notifications.deliver(row.pk) == "sent"
        assert mail.outbox[-1].body == "Written when recorded."

    def test_a_failed_send_keeps_what_it_tried_to_send(self, settings):
        settings.EMAIL_BACKEND = "tests.test_email_context.FailingBackend"
        appointment = AppointmentFactory()
        notifications.record([self.due(appointment)])
        row = Notification.objects.get()
        assert isinstance(notifications.deliver(row.pk), int)
        row.refresh_from_db()
        assert row.status == Notification.Status.RETRYING and "in 90 days" in row.body_text


    def test_the_admin_shows_a_queued_rows_e_mail_as_it_would_be_written_now(
            self, client, admin_user):
        appointment = AppointmentFactory()
        notifications.record([self.due(appointment)])
        row = Notification.objects.get()
        client.force_login(admin_user)
        change = reverse("admin:ccpl_notification_change", args=[row.pk])
        page = client.get(change).content.decode()
        assert "Not sent yet. Written now, it reads:" in page
        assert appointment.get_absolute_url() in page
        notifications.deliver(row.pk)
        page = client.get(change).content.decode()
        assert "Not sent yet" not in page and "in 90 days" in page
        Notification.objects.create(
            kind=Kind.TERM_ENDING, milestone="gone", object_type="appointments.appointment",
            object_id=appointment.pk + 1000, recipient_email="x@nhs.example", subject="Gone",
            context={"appointment": {"@model": "appointments.appointment",
                                     "pk": appointment.pk + 1000}})
        gone = Notification.objects.get(milestone="gone")
        assert "what it is about has been deleted" in client.get(
            reverse("admin:ccpl_notification_change", args=[gone.pk])).content.decode()


class FailingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("no mail server")


TEMPLATES = {path.stem for path in (Path(django_settings.BASE_DIR) / "templates/ccpl/email")
             .glob("*.txt")}


def test_every_e_mail_reads_the_same_from_what_was_kept_as_from_its_context(
        settings, monkeypatch):
    """The demo loaded, a few things done that e-mail someone, then its reminders swept every
    third day for 400 days: each e-mail any finder or service records is written from what the
    ledger kept, read back there and then, and compared with the one its own context gives.
    An annotation, an unsaved value or a date lost on the way would show here. Every e-mail
    template is met at least once."""
    settings.DEBUG = True
    checked = Counter()
    keep = notifications.ledger_fields

    def keep_and_compare(due):
        subject, kept = keep(due)
        template = due.context.get("template", due.kind)
        assert (notifications._bodies(template, {**email_context.thaw(kept),
                                                 "private_link": None})
                == notifications._bodies(template, {**due.context, "private_link": None})), \
            (due.kind, template)
        checked[template] += 1
        return subject, kept

    monkeypatch.setattr(notifications, "ledger_fields", keep_and_compare)
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    _and_what_users_do_that_e_mails_someone()
    for days in range(0, 400, 3):
        _sweep(NOW + datetime.timedelta(days=days))
    User.objects.filter(is_active=True).update(weekly_digest=True)
    _sweep(NOW)  # a Monday: everyone's weekly summary
    assert set(checked) == TEMPLATES, sorted(TEMPLATES - set(checked))


def _sweep(on):
    with time_machine.travel(on, tick=False):
        notifications.sweep(today=on.date(), queue=False)


def _and_what_users_do_that_e_mails_someone():
    """An account invited, a request decided, a survey opened: the e-mails a service records
    when a user acts, beside those the sweep finds."""
    admin = User.objects.filter(is_superuser=True).first()
    create_account(email="new.leader@nhs.example", full_name="New Leader", by=admin)
    hr = UserFactory(email="hr.everywhere@nhs.example")  # told of every review that falls due
    decision = approval_reminders._awaiting().first()
    ApprovalRequest.objects.filter(pk=decision.request_id).update(requested_by=hr)
    (_, decider), *_ = approval_reminders.deciders([decision])[decision.pk]
    approvals.decide(decision=decision, agree=False, note="Not this year.", by=decider)
    for place in [*System.objects.all(), *Organisation.objects.all()]:
        grant(hr, access.EDIT, place)
    framework = Framework.objects.filter(priorities__isnull=False).first()
    open_survey(framework=framework, year=NOW.year + 1, by=admin,
                closes_on=NOW.date() + datetime.timedelta(days=28))
