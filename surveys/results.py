"""The results of a year's leadership survey, by priority, with the trend from the last year.

The rules come before the code; they are those of the published diversity summary
(``governance.disclosure``), because the reader is the same: someone who knows who was invited,
possibly how some colleagues answered, and their own answer.

- Nothing is published while the survey is open: results that grow as answers come in would tie
  each change to whoever answered in between.
- Each priority's ratings are folded into three groups (agree, neither, disagree) and published
  through ``disclosure.protect``: no table of fewer than 10 answers, nor one with fewer than 3
  outside its largest group; counts from 1 to 7 suppressed, the others and the total rounded to
  the nearest 5, and hidden counts never alone nor fewer than 10 between them.
- The headline, the share who agree, is the published agree count over the published total (so
  it says nothing the table does not), and only when the agree count is shown. The trend
  compares it with the same priority's headline in the framework's last closed survey of an
  earlier year.
- Comments are shown only for a priority whose table is published, in the order of their random
  keys (``Answer.comment_key``): never by time, never beside their rating, and one leader's
  comments on two priorities are not paired up.
- The number of answers is shown rounded as the tables' totals are.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass

from django.db.models import Count

from governance.disclosure import FEWEST_PEOPLE, Table, protect, round_count

from .models import Answer, Question, Survey

GROUPS = [("Agree or strongly agree", {4, 5}), ("Neither agree nor disagree", {3}),
          ("Disagree or strongly disagree", {1, 2})]
AGREE = GROUPS[0][0]


@dataclass(frozen=True)
class PriorityResult:
    number: int
    text: str
    table: Table
    agree_percent: int | None
    previous_percent: int | None
    comments: tuple

    @property
    def trend(self):
        """The change in the share who agree since the last survey, in words."""
        if self.agree_percent is None or self.previous_percent is None:
            return "No comparison"
        change = self.agree_percent - self.previous_percent
        if change == 0:
            return "No change"
        points = "point" if abs(change) == 1 else "points"
        return f"{'Up' if change > 0 else 'Down'} {abs(change)} {points}"

    @property
    def trend_direction(self):
        if self.agree_percent is None or self.previous_percent is None:
            return "none"
        change = self.agree_percent - self.previous_percent
        return "up" if change > 0 else "down" if change < 0 else "same"


@dataclass(frozen=True)
class Results:
    survey: Survey
    previous: Survey | None
    answers_shown: str
    priorities: tuple


def build(survey):
    """The published results of a closed survey (a fixed number of queries, whatever its size)."""
    questions = list(survey.questions.all())
    tallies = _tallies(survey)
    previous = (Survey.objects.closed().filter(framework_id=survey.framework_id,
                                               year__lt=survey.year)
                .order_by("-year").first())
    earlier = _headlines(previous) if previous else {}
    comments = defaultdict(list)
    for question_id, text in (Answer.objects.filter(response__survey=survey)
                              .exclude(comment="").order_by("comment_key")
                              .values_list("question_id", "comment")):
        comments[question_id].append(text)
    priorities = []
    for question in questions:
        table = _table(question, tallies[question.pk])
        priorities.append(PriorityResult(
            number=question.number, text=question.text, table=table,
            agree_percent=_agree_percent(table), previous_percent=earlier.get(question.priority_id),
            comments=tuple(comments[question.pk]) if table.is_published else ()))
    answered = max((sum(t.values()) for t in tallies.values()), default=0)
    return Results(survey=survey, previous=previous, answers_shown=_answers_shown(answered),
                   priorities=tuple(priorities))


def _tallies(survey):
    """{question id: Counter({rating: answers})}, in one query."""
    tallies = defaultdict(Counter)
    for row in (Answer.objects.filter(response__survey=survey).order_by()
                .values("question_id", "value").annotate(n=Count("pk"))):
        tallies[row["question_id"]][row["value"]] = row["n"]
    return tallies


def _table(question, tally):
    return protect(f"Priority {question.number}",
                   [(label, sum(tally[v] for v in values)) for label, values in GROUPS])


def _agree_percent(table):
    """The agree count over the total, both as published: nothing the table does not say."""
    if not table.is_published:
        return None
    agree = next(cell for cell in table.cells if cell.label == AGREE)
    if agree.is_suppressed or not table.total:
        return None
    return round(agree.shown * 100 / table.total)


def _headlines(survey):
    """{priority id: share who agree} of an earlier survey, under the same rules."""
    tallies = _tallies(survey)
    return {question.priority_id: _agree_percent(_table(question, tallies[question.pk]))
            for question in Question.objects.filter(survey=survey)}


def _answers_shown(answered):
    if answered < FEWEST_PEOPLE:
        return f"Fewer than {FEWEST_PEOPLE}"
    return f"About {round_count(answered)}"
