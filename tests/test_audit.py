"""Audit events (docs/adr/0005): every export, PDF and 360° report reading writes exactly one
event naming who and what; public pages write none; an event is never changed or removed, by the
model, a QuerySet or the admin; administrators filter the log by who acted and by the record."""

import datetime

import pytest
from django.contrib import admin
from django.contrib.auth.models import AnonymousUser, Permission
from django.db import connection, transaction
from django.db.models import ProtectedError
from django.test import RequestFactory
from django.urls import reverse

from appointments.models import Appointment, EqualityProfile
from appraisals import services as appraisals
from appraisals.models import Rater, Response
from ccpl import audit
from ccpl.models import AppendOnly, AuditEvent
from governance.models import Framework, Priority
from roles.models import Post

from .factories import PostFactory, UserFactory, with_totp
from .pages import as_user
from .test_appraisals import cycle, nominate_all, people, respond  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db
D = datetime.date
A = AuditEvent.Action


def events():
    return list(AuditEvent.objects.order_by("pk"))


@pytest.fixture
def framework(north):
    framework = Framework.objects.create(system=north, name="North leadership framework")
    Priority.objects.create(framework=framework, number=1, title="Every voice heard")
    return framework


@pytest.fixture
def report_cycle(cycle, leader, people):  # noqa: F811 (the fixtures imported above)
    """A closed cycle with a report, whose raters have names and addresses that must never
    reach the audit log."""
    nominate_all(cycle, leader)
    appraisals.submit_nominations(cycle=cycle, by=leader)
    for _ in range(3):
        respond(cycle, "peer", 3, keep="Calm in a crisis")
    return appraisals.close_cycle(cycle=cycle, by=people[1])


# --- the service ---------------------------------------------------------------------------

class TestRecord:
    def test_an_event_names_who_did_what_to_which_record(self, hr_north, north_post):
        event = audit.record(action=A.AGREED, by=hr_north, obj=north_post,
                             detail="Minute 12/2026")
        assert (event.action, event.by, event.object_type, event.object_id, event.object_repr,
                event.detail) == (A.AGREED, hr_north, "roles.post", north_post.pk,
                                  north_post.title, "Minute 12/2026")
        assert AuditEvent.objects.about(north_post).get() == event

    def test_an_event_about_many_records_names_their_kind(self, hr_north):
        event = audit.record(action=A.EXPORTED, by=hr_north, obj=Post)
        assert (event.object_type, event.object_id, event.object_repr) == (
            "roles.post", None, "Posts")

    def test_nobody_signed_in_is_recorded_as_nobody(self):
        assert audit.record(action=A.EXPORTED, by=AnonymousUser()).by is None

    def test_an_unknown_action_or_an_unsaved_record_is_refused(self, hr_north):
        with pytest.raises(ValueError):
            audit.record(action="looked", by=hr_north)
        with pytest.raises(ValueError):
            audit.record(action=A.AGREED, by=hr_north, obj=Post(title="Unsaved"))
        assert not AuditEvent.objects.exists()

    def test_an_event_goes_with_the_transaction_that_wrote_it(self, hr_north, north_post):
        with pytest.raises(RuntimeError), transaction.atomic():
            audit.record(action=A.AGREED, by=hr_north, obj=north_post)
            raise RuntimeError("the approval failed")
        assert not AuditEvent.objects.exists()


# --- append only ---------------------------------------------------------------------------

class TestAppendOnly:
    @pytest.fixture
    def event(self, hr_north, north_post):
        return audit.record(action=A.OVERRIDDEN, by=hr_north, obj=north_post,
                            detail="Agreed at the board")

    def test_an_event_is_never_changed(self, event):
        event.detail = "Nothing happened"
        with pytest.raises(AppendOnly):
            event.save()
        with pytest.raises(AppendOnly):
            AuditEvent.objects.filter(pk=event.pk).update(detail="Nothing happened")
        with pytest.raises(AppendOnly), transaction.atomic():
            AuditEvent.objects.bulk_update([event], ["detail"])
        assert AuditEvent.objects.get().detail == "Agreed at the board"

    def test_an_event_is_never_removed(self, event):
        with pytest.raises(AppendOnly):
            event.delete()
        with pytest.raises(AppendOnly):
            AuditEvent.objects.all().delete()
        assert AuditEvent.objects.count() == 1

    def test_who_acted_cannot_be_deleted_from_under_it(self, event, hr_north):
        with pytest.raises(ProtectedError):
            hr_north.delete()

    def test_only_reading_is_a_permission(self):
        assert set(Permission.objects.filter(content_type__model="auditevent")
                   .values_list("codename", flat=True)) == {"view_auditevent"}

    def test_the_admin_shows_it_and_changes_nothing(self, client, admin_user, event):
        client.force_login(admin_user)
        change = reverse("admin:ccpl_auditevent_change", args=[event.pk])
        page = client.get(change)
        assert page.status_code == 200 and "Agreed at the board" in page.content.decode()
        assert not page.context["has_change_permission"]
        assert "Save" not in page.content.decode()
        assert client.post(change, {"detail": "Nothing happened"}).status_code == 403
        assert client.post(reverse("admin:ccpl_auditevent_delete", args=[event.pk]),
                           {"post": "yes"}).status_code == 403
        assert client.get(reverse("admin:ccpl_auditevent_add")).status_code == 403
        changelist = client.get(reverse("admin:ccpl_auditevent_changelist"))
        assert changelist.context["action_form"] is None  # no actions, delete_selected neither
        assert AuditEvent.objects.get().detail == "Agreed at the board"


# --- what the pages record -----------------------------------------------------------------

def _download(name, query=None, **kwargs):
    return reverse(name, kwargs=kwargs or None) + (f"?{query}" if query else "")


class TestDownloads:
    @pytest.mark.parametrize("export", ["csv", "xlsx"])
    def test_an_export_of_posts_names_the_file_and_the_filters(self, client, hr_north,
                                                               north_post, export):
        response = as_user(client, hr_north).get(reverse("appointments:post-list"),
                                                 {"export": export, "status": "vacant"})
        assert response.status_code == 200
        [event] = events()
        assert (event.action, event.by, event.object_type, event.object_id) == (
            A.EXPORTED, hr_north, "roles.post", None)
        kind = {"csv": "CSV", "xlsx": "Excel"}[export]
        assert event.detail == f"{kind}: posts-2026-11-23.{export}; filters: status=vacant"

    @pytest.mark.parametrize("export", ["csv", "xlsx"])
    def test_an_export_of_appointments(self, client, cmo_office, north_appointment, export):
        as_user(client, cmo_office).get(reverse("appointments:appointment-list"),
                                        {"export": export})
        [event] = events()
        assert (event.action, event.by, event.object_type, event.object_id) == (
            A.EXPORTED, cmo_office, Appointment._meta.label_lower, None)
        assert event.detail.endswith(f"appointments-2026-11-23.{export}; no filters")

    def test_an_export_of_investment_names_the_system(self, client, hr_north, north,
                                                      north_post):
        as_user(client, hr_north).get(reverse("governance:investment"),
                                      {"system": north.pk, "export": "csv"})
        [event] = events()
        assert (event.action, event.by, event.object_type, event.object_id) == (
            A.EXPORTED, hr_north, "roles.system", north.pk)
        assert event.detail.endswith(f"filters: system={north.pk}")

    def test_the_action_plan_csv_and_pdf_name_the_framework(self, client, cmo_office,
                                                            framework):
        as_user(client, cmo_office)
        client.get(reverse("governance:action-plan", args=[framework.pk]), {"export": "csv"})
        client.get(reverse("governance:action-plan-pdf", args=[framework.pk]))
        exported, printed = events()
        for event in (exported, printed):
            assert (event.by, event.object_type, event.object_id, event.object_repr) == (
                cmo_office, "governance.framework", framework.pk, framework.name)
        assert exported.action == A.EXPORTED and printed.action == A.PDF_DOWNLOADED
        assert printed.detail == "PDF: action-plan-NORTH.pdf; no filters"

    def test_reading_a_360_report_and_its_pdf_names_the_reader_and_the_cycle(
            self, client, report_cycle):
        appraiser = report_cycle.appraiser
        client.force_login(appraiser)
        assert client.get(reverse("appraisals:report", args=[report_cycle.pk])).status_code \
            == 200
        assert client.get(reverse("appraisals:report-pdf", args=[report_cycle.pk])) \
            .status_code == 200
        read, printed = events()
        assert (read.action, printed.action) == (A.REPORT_VIEWED, A.PDF_DOWNLOADED)
        for event in (read, printed):
            assert (event.by, event.object_type, event.object_id) == (
                appraiser, "appraisals.cycle", report_cycle.pk)

    def test_a_report_reading_says_nothing_of_its_raters(self, client, report_cycle):
        client.force_login(report_cycle.appraiser)
        client.get(reverse("appraisals:report", args=[report_cycle.pk]))
        client.get(reverse("appraisals:report-pdf", args=[report_cycle.pk]))
        raters = Rater.objects.filter(cycle=report_cycle)
        assert raters.count() == 10
        traces = {*raters.values_list("name", flat=True), *raters.values_list("email",
                                                                              flat=True)}
        for response in Response.objects.filter(cycle=report_cycle):
            traces |= {response.keep_doing_key, response.do_differently_key}
        for event in events():
            written = " ".join(str(value) for value in (
                event.object_type, event.object_id, event.object_repr, event.detail))
            assert not [trace for trace in traces if trace and trace in written.split()], \
                written
            assert event.object_type == "appraisals.cycle"

    def test_pages_that_send_nothing_record_nothing(self, client, hr_north, north, north_post,
                                                    framework):
        as_user(client, hr_north)
        for url in (reverse("appointments:post-list"), reverse("appointments:appointment-list"),
                    reverse("governance:investment"),
                    reverse("governance:action-plan", args=[framework.pk])):
            assert client.get(url).status_code == 200, url
        assert client.get(reverse("appointments:import-template")).status_code == 200
        assert not AuditEvent.objects.exists()

    def test_a_refused_download_records_nothing(self, client, outsider, framework,
                                                report_cycle, hr_north):
        as_user(client, outsider)
        assert client.get(reverse("governance:action-plan-pdf", args=[framework.pk])) \
            .status_code == 404
        assert client.get(reverse("governance:action-plan", args=[framework.pk]),
                          {"export": "csv"}).status_code == 404
        as_user(client, hr_north)  # sees the cycle's progress, never its report
        assert client.get(reverse("appraisals:report", args=[report_cycle.pk])).status_code \
            == 404
        assert not AuditEvent.objects.exists()

    def test_a_download_is_a_get_a_post_records_nothing(self, client, cmo_office, framework,
                                                        report_cycle):
        as_user(client, cmo_office)
        assert client.post(reverse("governance:action-plan-pdf", args=[framework.pk])) \
            .status_code == 405
        client.force_login(report_cycle.appraiser)
        for name in ("appraisals:report", "appraisals:report-pdf"):
            assert client.post(reverse(name, args=[report_cycle.pk])).status_code == 405
        assert not AuditEvent.objects.exists()

    @pytest.mark.parametrize("signed_in", [False, True])
    def test_the_published_register_records_nothing(self, client, hr_north, north,
                                                    north_appointment, signed_in):
        if signed_in:
            as_user(client, hr_north)
        for name in ("governance:register", "governance:register-csv", "governance:diversity",
                     "governance:diversity-csv", "governance:diversity-pdf"):
            response = client.get(reverse(name, args=[north.short_name]))
            assert response.status_code == 200, name
        assert not AuditEvent.objects.exists()


class TestEqualityData:
    def test_an_administrator_shown_a_persons_equality_data_is_recorded(
            self, client, admin_user, north_appointment):
        person = north_appointment.person
        EqualityProfile.objects.create(person=person, sex="female")
        client.force_login(admin_user)
        url = reverse("admin:appointments_person_change", args=[person.pk])
        assert "Equality profile" in client.get(url).content.decode()
        [event] = events()
        assert (event.action, event.by, event.object_type, event.object_id) == (
            A.EQUALITY_VIEWED, admin_user, "appointments.person", person.pk)

    def test_a_person_without_equality_data_records_nothing(self, client, admin_user,
                                                           north_appointment):
        client.force_login(admin_user)
        client.get(reverse("admin:appointments_person_change",
                           args=[north_appointment.person.pk]))
        assert not AuditEvent.objects.exists()

    def test_staff_who_are_not_shown_it_record_nothing(self, client, north_appointment):
        staff = with_totp(UserFactory(is_staff=True))
        staff.user_permissions.add(*Permission.objects.filter(
            codename__in=["view_person", "change_person"]))
        EqualityProfile.objects.create(person=north_appointment.person, sex="female")
        client.force_login(staff)
        assert client.get(reverse("admin:appointments_person_change",
                                  args=[north_appointment.person.pk])).status_code == 200
        assert not AuditEvent.objects.exists()

    def test_a_leader_reading_their_own_answers_records_nothing(self, client, leader,
                                                               north_appointment):
        EqualityProfile.objects.create(person=north_appointment.person, sex="female")
        assert as_user(client, leader).get(reverse("appointments:equality")).status_code == 200
        assert not AuditEvent.objects.exists()


# --- the log in the admin ------------------------------------------------------------------

class TestTheLog:
    @pytest.fixture
    def log(self, hr_north, cmo_office, north_post, north_appointment):
        other = PostFactory(title="Deputy Medical Director",
                            host_organisation=north_post.host_organisation)
        return {
            "hr_post": audit.record(action=A.AGREED, by=hr_north, obj=north_post),
            "cmo_post": audit.record(action=A.REFUSED, by=cmo_office, obj=north_post),
            "cmo_other": audit.record(action=A.AGREED, by=cmo_office, obj=other),
            "hr_export": audit.record(action=A.EXPORTED, by=hr_north, obj=Post),
            "cmo_appointment": audit.record(action=A.OVERRIDDEN, by=cmo_office,
                                            obj=north_appointment),
        }

    def _shown(self, client, **query):
        response = client.get(reverse("admin:ccpl_auditevent_changelist"), query)
        assert response.status_code == 200
        return {event.pk for event in response.context["cl"].result_list}

    def test_filtered_by_who_acted(self, client, admin_user, log, hr_north):
        client.force_login(admin_user)
        assert self._shown(client, by__id__exact=hr_north.pk) == {
            log["hr_post"].pk, log["hr_export"].pk}

    def test_filtered_by_kind_of_record_and_by_record(self, client, admin_user, log,
                                                      north_post):
        client.force_login(admin_user)
        assert self._shown(client, object_type="roles.post") == {
            log[key].pk for key in ("hr_post", "cmo_post", "cmo_other", "hr_export")}
        assert self._shown(client, object_type="roles.post", object_id=north_post.pk) == {
            log["hr_post"].pk, log["cmo_post"].pk}
        # The records of the chosen kind are offered by name.
        page = client.get(reverse("admin:ccpl_auditevent_changelist"),
                          {"object_type": "roles.post"}).content.decode()
        assert f"{north_post.title} ({north_post.pk})" in page
        assert "Deputy Medical Director" in page

    def test_searched_by_address_number_or_name(self, client, admin_user, log, hr_north,
                                               north_appointment):
        client.force_login(admin_user)
        assert self._shown(client, q=hr_north.email.upper()) == {
            log["hr_post"].pk, log["hr_export"].pk}
        assert self._shown(client, q=str(north_appointment.pk)) >= {log["cmo_appointment"].pk}
        assert self._shown(client, q="Deputy Medical") == {log["cmo_other"].pk}
        assert self._shown(client, q="99999999999999999999") == set()
        assert self._shown(client, q="²") == set()

    def test_browsed_by_date(self, client, admin_user, log):
        client.force_login(admin_user)
        assert len(self._shown(client, at__year=2026, at__month=11, at__day=23)) == 5
        assert self._shown(client, at__year=2025) == set()

    def test_the_searches_and_filters_read_an_index(self, log, admin_user, hr_north,
                                                     north_post):
        """Each way into the log is one indexed lookup, never a scan of the whole log."""
        model_admin = admin.site._registry[AuditEvent]
        request = RequestFactory().get("/")
        request.user = admin_user
        everything = AuditEvent.objects.all()
        ways = {
            "e-mail": model_admin.get_search_results(request, everything, hr_north.email)[0],
            "number": model_admin.get_search_results(request, everything, str(north_post.pk))[0],
            "who": everything.filter(by=hr_north),
            "record": everything.filter(object_type="roles.post", object_id=north_post.pk),
            "kind": everything.filter(object_type="roles.post"),
            "day": everything.filter(at__gte=datetime.datetime(2026, 11, 23, tzinfo=datetime.UTC),
                                     at__lt=datetime.datetime(2026, 11, 24, tzinfo=datetime.UTC)),
        }
        if connection.vendor == "postgresql":  # SQLite's LIKE reads no index; PostgreSQL's does
            ways["name"] = model_admin.get_search_results(request, everything, "Deputy")[0]
            # A table of five rows is read whole whatever its indexes: ask whether it could not.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL enable_seqscan = off")
        plans = {way: queryset.explain() for way, queryset in ways.items()}
        table = AuditEvent._meta.db_table
        scans = {way: plan for way, plan in plans.items()
                 if f"SCAN {table}" in plan or f"Seq Scan on {table}" in plan}
        assert not scans, scans
