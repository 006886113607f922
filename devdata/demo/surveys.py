"""Seed 002's annual temperature check (action 2.1): the Gloucestershire leads' survey against
the framework's five priorities, last year's and this year's, both closed, so the results page
has a trend. Written as the services would have written them (invitations to the leaders in
post on the day it opened, answers that keep nothing about who gave them), without sending any
e-mail. Loaded once: a framework that already has a survey is left alone."""

import datetime

from dateutil.relativedelta import relativedelta

from governance.models import Framework
from surveys.models import Answer, Invitation, Question, Response, Survey
from surveys.services import leaders_in_post

# Per priority, (agree, neither, disagree) last year and this year: the seed's first survey
# found a culture of shared learning and training in place, communication, protected time and
# recruitment wanting; this year communication and time have moved, recruitment not yet.
ANSWERS = {
    "last": [(12, 5, 10), (19, 0, 8), (8, 9, 10), (19, 8, 0), (8, 9, 10)],
    "this": [(17, 4, 10), (23, 8, 0), (13, 8, 10), (23, 0, 8), (9, 12, 10)],
}
COMMENTS = {
    1: ["The practitioner forum has helped messages travel both ways.",
        "Decisions still reach the professions late."],
    2: ["Learning sessions across organisations are worth the time."],
    3: ["Sessions are protected on paper but not in the rota.",
        "Analyst support for the programme has made a real difference."],
    4: ["Mentoring was easy to find this year."],
    5: ["Roles are still filled by word of mouth in places."],
}


def load(b):
    framework = Framework.objects.filter(system__short_name="GLOS").first()
    if framework is None or framework.surveys.exists():
        return
    opened = b.today - datetime.timedelta(days=40)
    _survey(b, framework, opened.year - 1, opened - relativedelta(years=1), ANSWERS["last"])
    _survey(b, framework, opened.year, opened, ANSWERS["this"])


def _survey(b, framework, year, opened_on, counts):
    closes_on = opened_on + datetime.timedelta(days=28)
    survey = b._save(Survey(system=framework.system, framework=framework, year=year,
                            opened_on=opened_on, opened_by=b.loader, closes_on=closes_on,
                            closed_at=_moment(closes_on + datetime.timedelta(days=1))))
    questions = Question.objects.bulk_create(
        [Question(survey=survey, priority=p, number=p.number, text=p.title)
         for p in framework.priorities.order_by("number")])
    leaders, _ = leaders_in_post(framework.system, opened_on)
    answered = min(len(leaders), sum(counts[0]))
    Invitation.objects.bulk_create([
        Invitation(survey=survey, person=person, email=email, invited_at=_moment(opened_on),
                   status=Invitation.Status.ANSWERED if n < answered else
                   Invitation.Status.INVITED)
        for n, (person, email) in enumerate(leaders)])
    # Each priority's ratings in an order of their own, so a response's answers are as unrelated
    # as real ones would be.
    ratings = []
    for agree, neither, disagree in counts:
        values = ([5] * (agree // 3) + [4] * (agree - agree // 3) + [3] * neither
                  + [2] * (disagree - disagree // 3) + [1] * (disagree // 3))
        b.random.shuffle(values)
        ratings.append(values[:answered])
    responses = Response.objects.bulk_create([Response(survey=survey) for _ in range(answered)])
    answers = []
    for question, values in zip(questions, ratings, strict=True):
        comments = COMMENTS.get(question.number, []) if year == opened_on.year else []
        for n, (response, value) in enumerate(zip(responses, values, strict=True)):
            answers.append(Answer(response=response, question=question, value=value,
                                  comment=comments[n] if n < len(comments) else ""))
    Answer.objects.bulk_create(answers)
    return survey


def _moment(day):
    return datetime.datetime.combine(day, datetime.time(9, 0), tzinfo=datetime.UTC)
