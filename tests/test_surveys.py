"""The annual leadership survey (issue 14, part 5; seed 002, action 2.1): a system asks every
leader in post, by a private link, how far each priority of its framework holds; the results
are published by priority, with the trend, under the diversity summary's disclosure control."""

import datetime
import re

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from appointments.models import Appointment
from ccpl.models import Notification
from governance.models import Framework, Priority
from surveys import results, services
from surveys.models import Answer, Invitation, Response, Survey

from .factories import AppointmentFactory, PersonFactory, PostFactory
from .pages import date_fields, queries, shown

pytestmark = pytest.mark.django_db
D = datetime.date
LINK = re.compile(r"/s/([\w-]+)/")


@pytest.fixture
def framework(north):
    framework = Framework.objects.create(system=north, name="Leadership framework")
    for number, title in enumerate(["Voice in decisions", "Shared learning", "Protected time"],
                                   start=1):
        Priority.objects.create(framework=framework, number=number, title=title)
    return framework


@pytest.fixture
def leaders(north_trust, south_trust):
    """Twelve leaders in post in the north (one holding two posts), one whose term ended, one
    offered a post not yet started, and one in the south."""
    people = []
    for n in range(12):
        person = PersonFactory(work_email=f"lead{n}@nhs.example")
        AppointmentFactory(post=PostFactory(host_organisation=north_trust), person=person,
                           start_date=D(2025, 4, 1))
        people.append(person)
    AppointmentFactory(post=PostFactory(host_organisation=north_trust), person=people[0],
                       start_date=D(2026, 1, 1))
    AppointmentFactory(post=PostFactory(host_organisation=north_trust),
                       person=PersonFactory(work_email="ended@nhs.example"),
                       start_date=D(2022, 1, 1), end_date=D(2025, 12, 31))
    AppointmentFactory(post=PostFactory(host_organisation=north_trust),
                       person=PersonFactory(work_email="offered@nhs.example"),
                       start_date=D(2027, 1, 1), status=Appointment.Status.OFFERED)
    AppointmentFactory(post=PostFactory(host_organisation=south_trust),
                       person=PersonFactory(work_email="south@nhs.example"))
    return people


@pytest.fixture
def opened(framework, leaders, hr_north, django_capture_on_commit_callbacks):
    """The 2026 survey, opened by HR; {e-mail: token} of the links its invitations carried."""
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        survey, _ = services.open_survey(framework=framework, year=2026,
                                         closes_on=D(2026, 12, 21), by=hr_north)
    return survey, {m.to[0]: LINK.search(m.body).group(1) for m in mail.outbox}


def answer_all(client, token, value="4", comment=""):
    survey = Invitation.objects.get(token_hash=services.hash_token(token)).survey
    body = {}
    for question in survey.questions.all():
        body[f"q{question.pk}"] = value
        body[f"c{question.pk}"] = comment
    return client.post(reverse("surveys:answer", args=[token]), body)


class TestOpening:
    def test_every_leader_in_post_in_the_system_is_invited_once(self, opened):
        survey, links = opened
        assert sorted(links) == sorted(f"lead{n}@nhs.example" for n in range(12))
        assert [q.text for q in survey.questions.all()] == [
            "Voice in decisions", "Shared learning", "Protected time"]
        assert Notification.objects.filter(kind="survey_invitation", status="sent").count() == 12

    def test_the_link_is_made_when_the_email_is_sent_and_only_its_hash_is_kept(self, opened):
        survey, links = opened
        token = links["lead3@nhs.example"]
        row = Notification.objects.get(kind="survey_invitation",
                                       recipient_email="lead3@nhs.example")
        assert token not in row.body_text and token not in row.body_html
        invitation = Invitation.objects.get(survey=survey, email="lead3@nhs.example")
        assert invitation.token_hash == services.hash_token(token)
        assert not Invitation.objects.filter(token_hash=token).exists()

    def test_the_cmo_office_opens_a_survey_from_the_page(self, client, cmo_office, framework,
                                                         leaders,
                                                         django_capture_on_commit_callbacks):
        client.force_login(cmo_office)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("surveys:survey-create", args=[framework.pk]),
                                   {"year": "2026", **date_fields("closes_on", D(2026, 12, 21))})
        survey = Survey.objects.get()
        assert response.status_code == 302 and response.url == survey.get_absolute_url()
        assert survey.opened_by == cmo_office and survey.invitations.count() == 12

    @pytest.mark.parametrize("body, message", [
        ({"year": "2026", **date_fields("closes_on", D(2026, 11, 1))},
         "The closing date must be in the future."),
        ({"year": "1999", **date_fields("closes_on", D(2026, 12, 21))}, "Enter a year from 2000"),
        ({"year": "２０２６", **date_fields("closes_on", D(2026, 12, 21))},
         "Enter the year as 4 digits"),
    ])
    def test_bad_input_is_refused_with_a_message_and_writes_nothing(
            self, client, hr_north, framework, leaders, body, message):
        client.force_login(hr_north)
        response = client.post(reverse("surveys:survey-create", args=[framework.pk]), body)
        assert response.status_code == 200 and message in response.content.decode()
        assert not Survey.objects.exists() and not Notification.objects.exists()

    def test_a_second_survey_of_the_same_year_is_refused(self, client, opened, hr_north,
                                                         framework):
        client.force_login(hr_north)
        response = client.post(reverse("surveys:survey-create", args=[framework.pk]),
                               {"year": "2026", **date_fields("closes_on", D(2026, 12, 21))})
        assert "The 2026 survey of this framework has already been opened." in \
            response.content.decode()
        assert Survey.objects.count() == 1

    def test_nobody_outside_the_system_opens_its_survey(self, client, outsider, leader,
                                                       framework, leaders):
        for user in (outsider, leader):
            client.force_login(user)
            url = reverse("surveys:survey-create", args=[framework.pk])
            assert client.get(url).status_code == 404
            with pytest.raises(PermissionDenied):
                services.open_survey(framework=framework, year=2026, closes_on=D(2026, 12, 21),
                                     by=user)
        assert not Survey.objects.exists()


class TestAnswering:
    def test_a_leader_answers_once_without_signing_in(self, client, opened):
        survey, links = opened
        token = links["lead1@nhs.example"]
        page = client.get(reverse("surveys:answer", args=[token]))
        assert page.status_code == 200 and "Voice in decisions" in page.content.decode()
        assert page["Referrer-Policy"] == "no-referrer" and "no-store" in page["Cache-Control"]
        response = answer_all(client, token, "5", "More time for the role")
        assert "Thank you for your answers" in response.content.decode()
        assert Response.objects.filter(survey=survey).count() == 1
        assert Answer.objects.filter(comment="More time for the role").count() == 3
        again = client.get(reverse("surveys:answer", args=[token]))
        assert again.status_code == 404 and "This link does not work" in again.content.decode()
        assert client.post(reverse("surveys:answer", args=[token]), {}).status_code == 404
        assert Response.objects.filter(survey=survey).count() == 1

    def test_an_answer_keeps_nothing_that_leads_back_to_the_leader(self, client, opened):
        survey, links = opened
        answer_all(client, links["lead2@nhs.example"])
        response_fields = {f.name for f in Response._meta.get_fields()}
        assert response_fields == {"id", "survey", "key", "answers"}
        assert not hasattr(Response, "history") and not hasattr(Invitation, "history")
        invitation = Invitation.objects.get(email="lead2@nhs.example")
        assert invitation.token_hash == "" and invitation.status_shown == "Invited"

    def test_answering_writes_nothing_but_the_answers_and_the_dead_link(self, client, opened):
        """No time, no history row, no audit event, no ledger entry: the invitation changes only
        its status and its (now dead) link."""
        _, links = opened
        with CaptureQueriesContext(connection) as captured:
            answer_all(client, links["lead6@nhs.example"], "3", "Fine")
        writes = [q["sql"] for q in captured
                  if q["sql"].split()[0] in ("INSERT", "UPDATE", "DELETE")]
        tables = {re.search(r'(?:INTO|UPDATE|FROM) "?(\w+)"?', sql).group(1) for sql in writes}
        assert tables == {"surveys_response", "surveys_answer", "surveys_invitation"}
        update = next(sql for sql in writes if sql.startswith('UPDATE "surveys_invitation"'))
        assert set(re.findall(r'"(\w+)" = ', update.split(" WHERE ")[0])) == {
            "status", "token_hash"}

    def test_a_missing_rating_is_refused_and_nothing_is_written(self, client, opened):
        survey, links = opened
        token = links["lead4@nhs.example"]
        first = survey.questions.first()
        response = client.post(reverse("surveys:answer", args=[token]),
                               {f"q{first.pk}": "4", f"q{first.pk + 999}": "5"})
        assert response.status_code == 200
        assert "Rate priority 2." in response.content.decode()
        assert not Response.objects.exists()
        assert Invitation.objects.get(email="lead4@nhs.example").status == "invited"

    @pytest.mark.parametrize("value", ["6", "0", "²", "4\x00", "-1", "99999999999999999999"])
    def test_a_rating_off_the_scale_is_refused(self, client, opened, value):
        _, links = opened
        response = answer_all(client, links["lead5@nhs.example"], value)
        assert response.status_code == 200 and not Response.objects.exists()

    def test_a_made_up_link_finds_nothing(self, client, opened):
        assert client.get(reverse("surveys:answer", args=["x" * 43])).status_code == 404

    def test_the_service_refuses_an_answer_off_the_scale(self, opened):
        survey, _ = opened
        invitation = survey.invitations.first()
        with pytest.raises(ValidationError):
            services.answer(invitation=invitation,
                            answers={q.pk: (9, "") for q in survey.questions.all()})
        assert not Response.objects.exists()


def survey_mail():
    """The e-mails about the survey: the leaders are also owed other reminders (a declaration
    of interests), which these tests do not count."""
    return [m for m in mail.outbox if "survey" in m.subject.lower()]


class TestClosingAndReminders:
    def test_leaders_who_have_not_answered_are_reminded_each_week_once(self, client, opened,
                                                                       sweep_on):
        survey, links = opened
        answer_all(client, links["lead0@nhs.example"])
        mail.outbox.clear()
        sweep_on(D(2026, 11, 29))  # six days: not yet
        assert not survey_mail()
        sweep_on(D(2026, 11, 30))
        sweep_on(D(2026, 11, 30))  # a second sweep the same day sends nothing more
        sweep_on(D(2026, 12, 1))
        chased = sorted(m.to[0] for m in mail.outbox if "leadership survey" in m.subject)
        assert chased == sorted(f"lead{n}@nhs.example" for n in range(1, 12))
        # Each reminder carries a fresh link; the one before stops working.
        fresh = LINK.search(next(m.body for m in survey_mail()
                                 if m.to == ["lead1@nhs.example"])).group(1)
        assert client.get(reverse("surveys:answer", args=[links["lead1@nhs.example"]])
                          ).status_code == 404
        assert client.get(reverse("surveys:answer", args=[fresh])).status_code == 200
        mail.outbox.clear()
        sweep_on(D(2026, 12, 7))
        assert len([m for m in mail.outbox if m.subject.startswith("Reminder: the 2026")]) == 11
        assert set(Notification.objects.filter(kind="survey_chaser")
                   .values_list("milestone", flat=True)) == {"chase-1", "chase-2"}

    def test_the_survey_closes_after_its_closing_date_and_the_links_stop(self, client, opened,
                                                                         sweep_on):
        survey, links = opened
        sweep_on(D(2026, 12, 21))
        survey.refresh_from_db()
        assert not survey.is_closed
        mail.outbox.clear()
        sweep_on(D(2026, 12, 22))
        survey.refresh_from_db()
        assert survey.is_closed and survey.closed_by is None
        assert not survey_mail()  # no reminder about a closed survey
        assert client.get(reverse("surveys:answer", args=[links["lead1@nhs.example"]])
                          ).status_code == 404
        assert not survey.invitations.exclude(token_hash="").exists()

    def test_hr_close_the_survey_and_an_outsider_cannot(self, client, opened, hr_north,
                                                        outsider, leader):
        survey, _ = opened
        url = reverse("surveys:survey-close", args=[survey.pk])
        for user in (outsider, leader):
            client.force_login(user)
            assert client.post(url).status_code == 404
        client.force_login(hr_north)
        assert client.post(url).status_code == 302
        survey.refresh_from_db()
        assert survey.closed_by == hr_north
        assert client.post(url).status_code == 302  # already closed: a message, no change

    def test_the_survey_page_shows_numbers_never_who_answered(self, client, opened, hr_north):
        survey, links = opened
        answer_all(client, links["lead1@nhs.example"])
        client.force_login(hr_north)
        page = client.get(survey.get_absolute_url()).content.decode()
        assert "Answers received" in page and "lead1@nhs.example" not in page
        person = Invitation.objects.get(email="lead1@nhs.example").person
        assert shown(person.family_name) not in page


# --- Results ---------------------------------------------------------------------------------

def closed_survey(framework, year, ratings, by, comments=()):
    """A closed survey of ``framework`` whose answers are ``ratings``: one list of values per
    priority, as many values as leaders answered (written as the service writes them)."""
    survey = Survey.objects.create(system=framework.system, framework=framework, year=year,
                                   opened_on=D(year, 10, 1), closes_on=D(year, 10, 29),
                                   opened_by=by)
    questions = [survey.questions.create(priority=p, number=p.number, text=p.title)
                 for p in framework.priorities.order_by("number")]
    for n in range(len(ratings[0])):
        response = Response.objects.create(survey=survey)
        for question, values in zip(questions, ratings, strict=True):
            Answer.objects.create(response=response, question=question, value=values[n],
                                  comment=comments[n] if n < len(comments) else "")
    services.close_survey(survey=survey, by=by)
    return survey


class TestResults:
    def test_results_by_priority_with_the_trend(self, framework, hr_north):
        closed_survey(framework, 2025, [[4] * 15 + [2] * 15, [5] * 22 + [1] * 8, [3] * 30],
                      hr_north)
        survey = closed_survey(framework, 2026,
                               [[4] * 22 + [2] * 8, [5] * 15 + [1] * 15, [3] * 30], hr_north,
                               comments=["Good forum"])
        built = results.build(survey)
        voice, learning, time = built.priorities
        assert [(c.label, c.shown) for c in voice.table.cells] == [
            ("Agree or strongly agree", 20), ("Neither agree nor disagree", 0),
            ("Disagree or strongly disagree", 10)]
        assert (voice.agree_percent, voice.previous_percent, voice.trend) == (
            67, 50, "Up 17 points")
        assert (learning.agree_percent, learning.previous_percent, learning.trend) == (
            50, 67, "Down 17 points")
        assert voice.comments == ("Good forum",) and learning.comments == ("Good forum",)
        # Everyone in one group: not published, no headline, no comments.
        assert not time.table.is_published and time.agree_percent is None
        assert time.trend == "No comparison" and time.comments == ()
        assert built.previous.year == 2025 and built.answers_shown == "About 30"

    def test_fewer_than_ten_answers_publish_nothing(self, framework, hr_north):
        survey = closed_survey(framework, 2026, [[4] * 5 + [1] * 4] * 3, hr_north,
                               comments=["Only me"])
        built = results.build(survey)
        assert built.answers_shown == "Fewer than 10"
        assert all(not p.table.is_published and p.comments == () for p in built.priorities)

    def test_the_headline_comes_only_from_published_figures(self, framework, hr_north):
        survey = closed_survey(framework, 2026,
                               [[4] * 9 + [3] * 3 + [1] * 8, [4] * 20, [5] * 15 + [2] * 5],
                               hr_north)
        voice, unanimous, mostly = results.build(survey).priorities
        # 9 agree, 3 neither, 8 disagree: the 3 is hidden, and the 8 with it, so that the
        # hidden counts are not alone; the headline is 10 of 20 as published.
        assert [c.shown for c in voice.table.cells] == [10, "*", "*"]
        assert voice.agree_percent == 50
        assert not unanimous.table.is_published  # nobody outside the largest group
        assert mostly.agree_percent is None  # the 5 who disagree are hidden, and so the 15

    def test_the_trend_follows_the_priority_not_its_number(self, framework, hr_north):
        closed_survey(framework, 2025, [[4] * 8 + [1] * 12] * 3, hr_north)
        voice = framework.priorities.get(number=1)
        voice.number = 9  # renumbered since last year
        voice.save()
        survey = closed_survey(framework, 2026, [[4] * 12 + [1] * 8] * 3, hr_north)
        built = {p.text: p for p in results.build(survey).priorities}
        assert (built["Voice in decisions"].previous_percent,
                built["Voice in decisions"].agree_percent) == (50, 50)  # 10/20 rounded, twice
        assert built["Voice in decisions"].trend_direction == "same"

    def test_comments_are_listed_in_the_order_of_their_random_keys(self, framework, hr_north):
        texts = [f"Comment {n}" for n in range(20)]
        survey = closed_survey(framework, 2026, [[4] * 10 + [2] * 10] * 3, hr_north,
                               comments=texts)
        shown_order = results.build(survey).priorities[0].comments
        by_key = list(Answer.objects.filter(question__survey=survey, question__number=1)
                      .order_by("comment_key").values_list("comment", flat=True))
        assert list(shown_order) == by_key and sorted(shown_order) == sorted(texts)

    def test_the_cmo_office_hr_and_administrators_read_the_results_nobody_else(
            self, client, framework, hr_north, cmo_office, admin_user, outsider, leader):
        survey = closed_survey(framework, 2026, [[4] * 10 + [2] * 10] * 3, hr_north)
        url = reverse("surveys:results", args=[survey.pk])
        for user in (cmo_office, hr_north, admin_user):
            client.force_login(user)
            page = client.get(url)
            assert page.status_code == 200 and "Voice in decisions" in page.content.decode()
        for user in (outsider, leader):
            client.force_login(user)
            assert client.get(url).status_code == 404

    def test_no_results_while_the_survey_is_open(self, client, opened, cmo_office):
        survey, _ = opened
        client.force_login(cmo_office)
        assert client.get(reverse("surveys:results", args=[survey.pk])).status_code == 404

    def test_the_results_page_costs_the_same_queries_whatever_its_size(self, client, framework,
                                                                        cmo_office, hr_north):
        client.force_login(cmo_office)
        first = closed_survey(framework, 2024, [[4] * 10 + [2] * 10] * 3, hr_north)
        small = closed_survey(framework, 2025, [[4] * 10 + [2] * 10] * 3, hr_north)
        framework_b = Framework.objects.create(system=framework.system, name="Second")
        for number in range(1, 9):
            Priority.objects.create(framework=framework_b, number=number, title=f"P{number}")
        closed_survey(framework_b, 2025, [[4] * 30 + [2] * 30] * 8, hr_north)
        large = closed_survey(framework_b, 2026, [[5] * 40 + [2] * 25] * 8, hr_north,
                              comments=[f"Note {n}" for n in range(65)])
        # The session, the user, their grants on systems and (for the header) organisations,
        # the survey, its questions, its tallies, the search for an earlier survey, the
        # comments; and, when there is an earlier survey, its questions and tallies.
        assert queries(client, reverse("surveys:results", args=[first.pk])) == 8
        assert queries(client, reverse("surveys:results", args=[small.pk])) == 10
        assert queries(client, reverse("surveys:results", args=[large.pk])) == 10

    def test_the_list_of_surveys_costs_the_same_queries_whatever_its_length(
            self, client, framework, cmo_office, hr_north):
        client.force_login(cmo_office)
        closed_survey(framework, 2024, [[4] * 10 + [2] * 10] * 3, hr_north)
        few = queries(client, reverse("surveys:survey-list"))
        for year in (2021, 2022, 2023, 2025):
            closed_survey(framework, year, [[4] * 10 + [2] * 10] * 3, hr_north)
        # The session, the user, their grants on systems (remembered for the frameworks they
        # may survey) and on organisations (the header asks), the surveys, the frameworks.
        assert few == queries(client, reverse("surveys:survey-list")) == 5
