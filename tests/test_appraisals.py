"""360° appraisals: the cycle from opening to sign-off, private links, anonymity, the report and
its PDF."""

import datetime
import io
import re

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from pypdf import PdfReader

from appraisals import report, services
from appraisals.models import Answer, Cycle, Rater, Redaction, Response, Statement
from ccpl import pdf, pdf_fetcher
from ccpl.models import Notification
from ccpl.notifications import sweep

from .factories import AppointmentFactory, PersonFactory, PostFactory, UserFactory
from .pages import shown

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def people(north_trust, leader):
    """A leader responsible to a director who has an account (their default appraiser)."""
    director_user = UserFactory(email="director@example.org", full_name="Dana Director")
    director_post = PostFactory(host_organisation=north_trust, title="Clinical Director")
    AppointmentFactory(post=director_post, start_date=D(2024, 1, 1), end_date=D(2028, 12, 31),
                       person=PersonFactory(user=director_user,
                                            work_email="director@nhs.example"))
    post = PostFactory(host_organisation=north_trust, responsible_to=director_post)
    appointment = AppointmentFactory(
        post=post, start_date=D(2024, 4, 1), end_date=D(2027, 3, 31),
        person=PersonFactory(user=leader, work_email="leader@nhs.example"))
    return appointment, director_user


@pytest.fixture
def cycle(people, hr_north, django_capture_on_commit_callbacks):
    appointment, _ = people
    with django_capture_on_commit_callbacks(execute=True):
        return services.open_cycle(appointment=appointment, by=hr_north)


def every_statement(cycle, value=3):
    return {s.pk: value for s in Statement.objects.filter(
        dimension__version=cycle.template_version)}


def nominate_all(cycle, by, peers=3, team=3, partners=3):
    n = 0
    for group, count in (("manager", 1), ("peer", peers), ("team", team),
                         ("partner", partners)):
        for _ in range(count):
            n += 1
            services.nominate(cycle=cycle, group=group, name=f"Rater {n}",
                              email=f"rater{n}@nhs.example", by=by)


def links_in_outbox():
    return re.findall(r"http://\S+/r/([\w-]+)/", " ".join(m.body for m in mail.outbox))


@pytest.fixture
def collecting(cycle, leader, people, django_capture_on_commit_callbacks):
    """Nominations approved and invitations sent; returns {email: token}."""
    _, director = people
    nominate_all(cycle, leader)
    services.submit_nominations(cycle=cycle, by=leader)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.approve_nominations(cycle=cycle, by=director)
    return {m.to[0]: re.search(r"/r/([\w-]+)/", m.body).group(1) for m in mail.outbox}


class TestOpening:
    def test_the_appraiser_defaults_to_the_responsible_to_post_holder(self, cycle, people):
        assert cycle.appraiser == people[1]
        assert cycle.template_version.template.name == "NHS Healthcare Leadership Model"
        assert people[1].has_perm("appointments.view_appointment", cycle.appointment)

    def test_the_leader_is_told_to_start(self, cycle):
        assert any("Your 360° appraisal has started" in m.subject for m in mail.outbox)

    def test_a_leader_without_an_account_is_refused(self, north_trust, hr_north):
        appointment = AppointmentFactory(post=PostFactory(host_organisation=north_trust))
        with pytest.raises(ValidationError, match="has no account yet"):
            services.open_cycle(appointment=appointment, by=hr_north,
                                appraiser=UserFactory())

    def test_the_same_appraiser_three_times_in_five_years_is_flagged(self, people, hr_north):
        appointment, director = people
        cycles = []
        for year in (2022, 2023, 2024):
            cycles.append(Cycle.objects.create(
                appointment=appointment, appraiser=director, opened_on=D(year, 3, 1),
                closes_on=D(year, 4, 1), stage="signed_off",
                template_version=services.QuestionnaireTemplate.objects.first()
                .current_version()))
        assert "has appraised" in services.rotation_warning(cycles[-1])
        assert services.rotation_warning(cycles[1]) == ""


class TestNominations:
    @pytest.mark.parametrize(("email", "message"), [
        ("leader@nhs.example", "cannot nominate yourself"),
        ("leader@example.org", "cannot nominate yourself"),
        ("not-an-address", "Enter an e-mail address"),
    ])
    def test_bad_nominations_are_refused(self, cycle, leader, email, message):
        with pytest.raises(ValidationError, match=message):
            services.nominate(cycle=cycle, group="peer", name="X", email=email, by=leader)
        assert not cycle.raters.exists()

    def test_a_duplicate_is_refused(self, cycle, leader):
        services.nominate(cycle=cycle, group="peer", name="P", email="p@nhs.example", by=leader)
        with pytest.raises(ValidationError, match="already nominated"):
            services.nominate(cycle=cycle, group="team", name="P", email="P@NHS.example",
                              by=leader)

    def test_the_form_says_what_is_missing(self, cycle, leader):
        services.nominate(cycle=cycle, group="peer", name="P", email="p@nhs.example", by=leader)
        gaps = services.nomination_gaps(cycle)
        assert "Line manager: add 1 more (at least 1)." in gaps
        assert "Peers: add 2 more (at least 3)." in gaps
        assert "In all: add 7 more (at least 8)." in gaps
        with pytest.raises(ValidationError):
            services.submit_nominations(cycle=cycle, by=leader)

    def test_the_appraiser_approves_and_each_rater_gets_a_private_link(self, collecting):
        assert len(collecting) == 10
        assert len(set(collecting.values())) == 10

    def test_no_usable_link_is_stored(self, collecting):
        tokens = set(collecting.values())
        stored = " ".join(Notification.objects.values_list("body_text", flat=True))
        stored += " ".join(Rater.objects.values_list("token_hash", flat=True))
        assert not any(token in stored for token in tokens)


class TestRaterLinks:
    def test_a_rater_saves_comes_back_and_submits_once(self, client, cycle, collecting):
        token = collecting["rater2@nhs.example"]
        url = reverse("appraisals:rater", args=[token])
        response = client.get(url)
        assert response.status_code == 200
        assert response.headers["Referrer-Policy"] == "no-referrer"
        first = Statement.objects.filter(dimension__version=cycle.template_version).first()
        client.post(url, {f"s{first.pk}": "4", "keep_doing": "Listening", "save": "1"})
        page = client.get(url).content.decode()
        assert "Listening" in page and 'value="4" id=' in page
        data = {f"s{pk}": "3" for pk in every_statement(cycle)}
        client.post(url, {**data, "keep_doing": "Listening", "submit": "1"})
        assert Response.objects.filter(cycle=cycle, is_self=False).count() == 1
        again = client.post(url, {**data, "submit": "1"})
        assert again.status_code == 404
        assert "This link does not work" in again.content.decode()
        assert Response.objects.filter(cycle=cycle, is_self=False).count() == 1
        assert "_auth_user_id" not in client.session

    def test_submitting_with_gaps_is_explained(self, client, cycle, collecting):
        url = reverse("appraisals:rater", args=[collecting["rater2@nhs.example"]])
        page = client.post(url, {"submit": "1"}).content.decode()
        assert "Answer every statement before you submit" in page

    @pytest.mark.parametrize("how", ["tampered", "revoked", "closed", "declined"])
    def test_links_that_no_longer_work_say_so_plainly(self, client, cycle, collecting, people,
                                                      how):
        token = collecting["rater3@nhs.example"]
        rater = Rater.objects.get(email="rater3@nhs.example")
        if how == "tampered":
            token = token[:-2] + ("aa" if not token.endswith("aa") else "bb")
        elif how == "revoked":
            services.revoke_rater(rater=rater, by=people[1])
        elif how == "closed":
            services.close_cycle(cycle=cycle, by=people[1])
        else:
            client.post(reverse("appraisals:rater", args=[token]), {"decline": "1"})
        response = client.get(reverse("appraisals:rater", args=[token]))
        assert response.status_code == 404
        page = response.content.decode()
        assert "This link does not work" in page
        assert shown(cycle.leader) not in page

    def test_a_chaser_carries_a_fresh_link_and_the_old_one_stops_working(
        self, client, cycle, collecting, django_capture_on_commit_callbacks
    ):
        old = collecting["rater4@nhs.example"]
        mail.outbox.clear()
        with time_machine.travel(datetime.datetime(2026, 12, 1, 7, 0), tick=False), \
                django_capture_on_commit_callbacks(execute=True):
            sweep(today=D(2026, 12, 1))
        chasers = [m for m in mail.outbox if m.subject.startswith("Reminder: your feedback")]
        assert {m.to[0] for m in chasers} == set(collecting)
        new = re.search(r"/r/([\w-]+)/", next(m.body for m in chasers
                                              if m.to == ["rater4@nhs.example"])).group(1)
        assert new != old
        assert client.get(reverse("appraisals:rater", args=[old])).status_code == 404
        assert client.get(reverse("appraisals:rater", args=[new])).status_code == 200


def respond(cycle, group, value, keep="", different="", keys=None):
    """A rater's response, with the comments' random keys given as (keep doing, do differently)
    where a test needs a known order."""
    keys = {"keep_doing_key": keys[0], "do_differently_key": keys[1]} if keys else {}
    response = Response.objects.create(cycle=cycle, group=group, keep_doing=keep,
                                       do_differently=different, **keys)
    services._store_answers(response, every_statement(cycle, value))
    return response


class TestAnonymity:
    def test_a_group_of_exactly_the_threshold_is_shown(self, cycle):
        for _ in range(3):
            respond(cycle, "peer", 2)
        built = report.build(cycle)
        assert [c.label for c in built.columns] == ["Peers"]
        assert built.rows[0].by_group["peer"] == 2

    def test_a_group_below_the_threshold_is_pooled_when_that_makes_the_minimum(self, cycle):
        respond(cycle, "peer", 2)
        respond(cycle, "peer", 2)
        respond(cycle, "team", 4)
        built = report.build(cycle)
        assert [c.label for c in built.columns] == ["Other raters"]
        assert "shown together as 'Other raters'" in built.notes[0]

    def test_a_group_below_the_threshold_is_left_out_of_every_figure(self, cycle):
        for _ in range(3):
            respond(cycle, "team", 3)
        respond(cycle, "partner", 1)
        respond(cycle, "partner", 1)
        built = report.build(cycle)
        assert [c.label for c in built.columns] == ["Team and direct reports"]
        assert built.rows[0].others_score == 3  # the partners cannot be worked back out
        assert sum(built.rows[0].distribution.values()) == 3 * 3
        assert "left out of the report" in built.notes[0]

    def test_the_line_manager_is_labelled_as_not_anonymous(self, cycle):
        respond(cycle, "manager", 4)
        assert report.build(cycle).columns[0].label == "Line manager (not anonymous)"

    def test_comments_are_in_the_order_of_their_random_keys(self, cycle):
        respond(cycle, "peer", 2, keep="first", different="one", keys=("c", "x"))
        respond(cycle, "peer", 2, keep="second", different="two", keys=("a", "z"))
        respond(cycle, "peer", 2, keep="third", different="three", keys=("b", "y"))
        built = report.build(cycle)
        assert built.keep_doing == ["second", "third", "first"]
        # Each comment by its own key: one rater's two comments are not paired up.
        assert built.do_differently == ["one", "three", "two"]

    def test_a_response_keeps_nothing_that_leads_back_to_its_rater(self):
        fields = {f.name for f in Response._meta.get_fields()}
        assert not fields & {"rater", "email", "name", "created_at", "submitted_at"}
        assert not any(hasattr(model, "history") for model in (Response, Answer, Rater))

    def test_the_leader_never_sees_who_answered(self, client, leader, cycle, collecting):
        url = reverse("appraisals:rater", args=[collecting["rater2@nhs.example"]])
        client.post(url, {**{f"s{pk}": "3" for pk in every_statement(cycle)}, "submit": "1"})
        client.force_login(leader)
        page = client.get(cycle.get_absolute_url()).content.decode()
        assert ">Answered<" not in page and "Invited" not in page
        assert "1 of 3" in page  # counts per group only

    def test_hr_sees_progress_but_never_the_report(self, client, hr_north, cycle, people):
        respond(cycle, "peer", 2)
        services.close_cycle(cycle=cycle, by=people[1])
        client.force_login(hr_north)
        assert client.get(cycle.get_absolute_url()).status_code == 200
        assert client.get(reverse("appraisals:report", args=[cycle.pk])).status_code == 404
        assert client.get(reverse("appraisals:report-pdf", args=[cycle.pk])).status_code == 404


class TestReportAndSignOff:
    @pytest.fixture
    def closed(self, cycle, leader, people):
        services.save_self_assessment(cycle=cycle, answers=every_statement(cycle, 4),
                                      submit=True, by=leader)
        for _ in range(3):
            respond(cycle, "peer", 2, keep="Calm in a crisis",
                    different="Delegate more; you know who I am, Sam")
        return services.close_cycle(cycle=cycle, by=people[1])

    def test_the_appraiser_reads_it_first_and_the_leader_only_after_release(
        self, client, closed, leader, people
    ):
        client.force_login(leader)
        assert client.get(reverse("appraisals:report", args=[closed.pk])).status_code == 404
        client.force_login(people[1])
        page = client.get(reverse("appraisals:report", args=[closed.pk])).content.decode()
        assert "Peers (3)" in page and "Remove this comment" in page
        services.release_report(cycle=closed, by=people[1])
        client.force_login(leader)
        page = client.get(reverse("appraisals:report", args=[closed.pk])).content.decode()
        assert "Remove this comment" not in page
        assert "<svg class=\"app-report-chart\"" in page

    def test_a_redacted_comment_is_gone_from_the_report_and_kept_for_administrators(
        self, client, closed, people, admin_user
    ):
        target = closed.responses.filter(is_self=False).first()
        with pytest.raises(ValidationError):
            services.redact(response=target, field="do_differently", reason="", by=people[1])
        services.redact(response=target, field="do_differently",
                        reason="Identifies the rater", by=people[1])
        built = report.build(closed)
        assert built.do_differently.count("Delegate more; you know who I am, Sam") == 2
        assert Redaction.objects.get().original_text.startswith("Delegate more")
        client.force_login(admin_user)
        url = reverse("admin:appraisals_redaction_change", args=[Redaction.objects.get().pk])
        assert "you know who I am" in client.get(url).content.decode()

    def test_outcome_and_sign_off_feed_the_extension_warning(self, closed, leader, people):
        from appointments.services import extension_warnings

        appraiser = people[1]
        services.release_report(cycle=closed, by=appraiser)
        with pytest.raises(ValidationError):
            services.record_outcome(cycle=closed, meeting_on=None, outcome="", objectives="",
                                    development_actions="", by=appraiser)
        services.record_outcome(cycle=closed, meeting_on=D(2026, 11, 20),
                                outcome="satisfactory", objectives="Lead the stroke pathway",
                                development_actions="Coaching", by=appraiser)
        assert any("No appraisal" in w for w in extension_warnings(closed.appointment))
        services.sign_off(cycle=closed, by=leader)
        services.sign_off(cycle=closed, by=appraiser)
        closed.refresh_from_db()
        assert closed.stage == "signed_off"
        assert not any("appraisal" in w.lower() for w in extension_warnings(closed.appointment))

    def test_the_pdf_shows_the_same_figures_as_the_page(self, client, closed, people):
        client.force_login(people[1])
        page = client.get(reverse("appraisals:report", args=[closed.pk])).content.decode()
        response = client.get(reverse("appraisals:report-pdf", args=[closed.pk]))
        assert response["Content-Type"] == "application/pdf"
        text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
        built = report.build(closed)
        for row in built.rows:
            assert row.name in text and row.name in page
            assert (row.self_score, row.others_score, row.gap) == (4, 2, 2)
        assert "Peers (3)" in text and "Peers (3)" in page
        assert "you rated yourself 4, your raters 2" in text.replace("\n", " ")
        assert "you rated yourself 4, your raters 2" in page

    def test_the_pdf_fetches_nothing_a_comment_asks_for(self, closed, people):
        hostile = ('<img src="file:///etc/passwd"> <link rel=stylesheet '
                   'href="http://169.254.169.254/latest"> @import url(http://169.254.169.254/);'
                   ' <style>@import url("file:///etc/shadow")</style>')
        respond(closed, "peer", 3, keep=hostile)
        fetcher = pdf_fetcher.StaticOnlyURLFetcher()
        document = pdf.render_pdf("appraisals/report_pdf.html",
                                  {"cycle": closed, "report": report.build(closed)},
                                  fetcher=fetcher)
        assert fetcher.fetched == ["http://127.0.0.1:8000/static/css/report-pdf.css"]
        text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(document)).pages)
        assert 'src="file:///etc/passwd"' in text.replace("\n", " ")
        assert "root:x:0:0" not in text

    def test_the_fetcher_refuses_files_and_the_network(self):
        fetcher = pdf_fetcher.StaticOnlyURLFetcher()
        for url in ("file:///etc/passwd", "http://169.254.169.254/", "https://example.org/x.css",
                    "http://127.0.0.1:8000/static/../../etc/passwd",
                    "http://127.0.0.1:8000/admin/"):
            with pytest.raises((pdf_fetcher.RefusedURL, ValueError)):
                fetcher.fetch(url)
        served = fetcher.fetch("http://127.0.0.1:8000/static/css/report-pdf.css")
        assert b"@page" in served.read()
        assert fetcher.fetch("data:text/plain,hello").read() == b"hello"


class TestOpeningManyAtOnce:
    def test_cycles_open_in_one_go_and_skip_what_cannot_have_one(self, people, north_trust,
                                                                 hr_north,
                                                                 django_capture_on_commit_callbacks):
        appointment, _ = people
        without_account = AppointmentFactory(post=PostFactory(host_organisation=north_trust))
        from appointments.models import Appointment

        with django_capture_on_commit_callbacks(execute=True):
            opened, skipped = services.open_cycles(
                appointments=Appointment.objects.filter(pk__in=[appointment.pk,
                                                                without_account.pk]),
                by=hr_north)
        assert [c.appointment for c in opened] == [appointment]
        assert skipped == [(without_account, "the leader has no account")]
        assert any("Your 360° appraisal has started" in m.subject for m in mail.outbox)

    def test_the_sweep_opens_a_cycle_two_months_before_the_anniversary(self, people,
                                                                        django_capture_on_commit_callbacks):
        appointment, _ = people  # started 1 April 2024
        with django_capture_on_commit_callbacks(execute=True):
            sweep(today=D(2026, 1, 15))
            assert not Cycle.objects.exists()
            sweep(today=D(2026, 2, 1))
        assert Cycle.objects.get().appointment == appointment
