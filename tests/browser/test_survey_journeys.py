"""The annual leadership survey in a real browser (issue 14, part 5): a leader answers from the
link in their e-mail, without signing in; the CMO office reads the results by priority with
the trend from last year. Keyboard only, axe-core clean on every page, and the database checked
afterwards."""

import datetime

import pytest

from governance.models import Framework, Priority
from surveys import services
from surveys.models import Answer, Invitation, Response

from ..factories import AppointmentFactory, PersonFactory, PostFactory
from ..test_surveys import closed_survey
from .test_governance_journeys import sign_in as sign_in_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
D = datetime.date
PRIORITIES = ["A full range of professionals are part of decisions",
              "A culture of shared learning", "Protected time for the role"]


@pytest.fixture
def framework(north):
    framework = Framework.objects.create(system=north, name="Leadership framework")
    for number, title in enumerate(PRIORITIES, start=1):
        Priority.objects.create(framework=framework, number=number, title=title)
    return framework


def test_a_leader_answers_the_survey_from_the_link(journey, framework, north_trust, hr_north):
    person = PersonFactory(given_name="Lee", work_email="lee.lead@nhs.example")
    AppointmentFactory(person=person, post=PostFactory(host_organisation=north_trust),
                       start_date=D(2025, 4, 1))
    survey, _ = services.open_survey(framework=framework, year=2026, closes_on=D(2026, 12, 21),
                                     by=hr_north)
    invitation = Invitation.objects.get(survey=survey, person=person)
    token = invitation.new_token()  # as the e-mail's link would carry it
    invitation.save()
    page = journey.page

    journey.open(f"/s/{token}/")
    assert page.get_by_role("heading", name="Leadership survey 2026").is_visible()
    # Nothing rated: the error summary, and nothing written.
    journey.submit(page.get_by_role("button", name="Send my answers"))
    errors = page.locator(".nhsuk-error-summary")
    assert errors.get_by_role("link", name="Rate priority 1.").is_visible()
    assert page.title().startswith("Error:")
    assert not Response.objects.exists()

    questions = list(survey.questions.all())
    for question, rating in zip(questions, [3, 4, 1], strict=True):  # 0 is strongly disagree
        journey.choose(f"id_q{question.pk}", rating)
    journey.type_into(page.locator(f"#id_c{questions[2].pk}"), "Sessions get cancelled")
    journey.submit(page.get_by_role("button", name="Send my answers"))
    assert page.get_by_role("heading", name="Thank you for your answers").is_visible()

    response = Response.objects.get()
    assert sorted(Answer.objects.filter(response=response)
                  .values_list("question__number", "value", "comment")) == [
        (1, 4, ""), (2, 5, ""), (3, 2, "Sessions get cancelled")]
    invitation.refresh_from_db()
    assert (invitation.status, invitation.token_hash) == ("answered", "")
    # The link works once (its page, a 404, is in tests/test_surveys.py).
    assert services.invitation_for_token(token) is None


def test_the_cmo_office_reads_the_results_by_priority_with_the_trend(journey, framework,
                                                                     cmo_office):
    closed_survey(framework, 2025, [[4] * 15 + [2] * 15, [5] * 22 + [1] * 8, [3] * 30],
                  cmo_office)
    closed_survey(framework, 2026, [[4] * 22 + [2] * 8, [5] * 15 + [1] * 15, [3] * 30],
                  cmo_office, comments=["The forum works"])
    page = journey.page

    sign_in_staff(journey, cmo_office.email)
    journey.submit(page.get_by_role("link", name="Surveys", exact=True))
    journey.submit(page.get_by_role("link", name="2026: Leadership framework"))
    journey.submit(page.get_by_role("link", name="Results by priority, with the trend"))
    assert page.get_by_role("heading", name="Leadership survey 2026: results by priority"
                            ).is_visible()
    summary = page.get_by_role("table", name="Share who agree, by priority")
    rows = summary.locator("tbody tr")
    assert rows.nth(0).inner_text().split("\t") == [f"1. {PRIORITIES[0]}", "67%", "50%",
                                                    "Up 17 points"]
    assert rows.nth(1).inner_text().split("\t")[1:] == ["50%", "67%", "Down 17 points"]
    assert rows.nth(2).inner_text().split("\t")[1:] == ["Not published", "–", "No comparison"]
    assert page.get_by_text("The forum works").first.is_visible()
    assert page.get_by_text("Fewer than 3 people outside the largest group").is_visible()
