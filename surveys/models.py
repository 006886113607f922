"""The annual leadership survey (seed 002, action 2.1): once a year a system asks every leader in
post how far each priority of its framework holds today, on a five-point scale with an optional
comment, by a private link that needs no account.

The 360° raters' rules hold here too (docs/adr/0008, 0014), built into the tables:
- an ``Invitation`` is the private link and nothing more: its token is stored only as a hash and
  dies when the leader answers; everyone but the leader sees "Invited", whatever they did;
- a ``Response`` records nothing that leads back to the leader: no link to the invitation, no time
  of answering, no history table; its answers are ordered, and its comments named, by random
  keys, never by ids;
- results are published only once the survey has closed, by priority, under the disclosure
  control of the published diversity summary (``surveys/results.py``).
"""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from appointments.models import Person
from ccpl import access, links
from ccpl.private_links import new_token, random_key
from governance.models import Framework, Priority
from roles.models import System

# Lowest first; the published tables fold it into three groups (results.GROUPS).
SCALE = [(1, "Strongly disagree"), (2, "Disagree"), (3, "Neither agree nor disagree"),
         (4, "Agree"), (5, "Strongly agree")]
SCALE_VALUES = [value for value, _ in SCALE]


class SurveyQuerySet(models.QuerySet):
    @access.scoped
    def visible_to(self, user):
        """Surveys of the systems whose register the user sees: the CMO/CNO office and HR."""
        return self.filter(system__in=access.granted_systems(user))

    @access.scoped
    def managed_by(self, user):
        """Surveys HR and the CMO/CNO office of the system open and close."""
        systems = {*access.granted_systems(user, access.EDIT),
                   *access.granted_systems(user, access.APPROVE)}
        return self.filter(system__in=sorted(systems))

    def closed(self):
        return self.filter(closed_at__isnull=False)


class Survey(models.Model):
    """One year's survey of a system's leaders against its framework's priorities."""

    DEFAULT_LENGTH = datetime.timedelta(days=28)

    system = models.ForeignKey(System, on_delete=models.PROTECT, related_name="surveys")
    framework = models.ForeignKey(Framework, on_delete=models.PROTECT, related_name="surveys")
    year = models.PositiveSmallIntegerField()
    opened_on = models.DateField(default=timezone.localdate)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                  null=True, related_name="+")
    closes_on = models.DateField()
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                  null=True, blank=True, related_name="+",
                                  help_text="Empty when it closed on its closing date.")
    chase_every_days = models.PositiveSmallIntegerField(default=7)
    history = HistoricalRecords()

    objects = SurveyQuerySet.as_manager()

    class Meta:
        ordering = ["system__name", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "year"], name="survey_once_a_year"),
            models.CheckConstraint(condition=Q(closes_on__gt=models.F("opened_on")),
                                   name="survey_closes_after_opening"),
        ]

    def __str__(self):
        return f"Leadership survey {self.year}: {self.system}"

    def get_absolute_url(self):
        return links.path("surveys:survey-detail", self.pk)

    @property
    def is_closed(self):
        return self.closed_at is not None

    @property
    def is_open(self):
        """Leaders can still answer."""
        return (not self.is_closed and self.closes_on is not None
                and timezone.localdate() <= self.closes_on)

    @property
    def status_label(self):
        if self.is_closed:
            return "Closed: results published"
        if self.is_open:
            return "Open"
        return "Past its closing date: it closes and its results are published overnight"


class Question(models.Model):
    """One priority of the framework as it was worded when the survey opened: a later change to
    the priority does not change what was asked. The trend follows the priority."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    priority = models.ForeignKey(Priority, on_delete=models.PROTECT, related_name="+")
    number = models.PositiveSmallIntegerField()
    text = models.CharField(max_length=300)

    class Meta:
        ordering = ["survey", "number"]
        constraints = [models.UniqueConstraint(fields=["survey", "priority"],
                                               name="one_question_per_priority")]

    def __str__(self):
        return f"{self.number}. {self.text}"


class InvitationQuerySet(models.QuerySet):
    def outstanding(self):
        return self.filter(status=Invitation.Status.INVITED)


class Invitation(models.Model):
    """A leader's private link to one year's survey; the token is stored only as its hash. The
    leader answers once: the link then dies and the answer keeps nothing that leads back here."""

    class Status(models.TextChoices):
        INVITED = "invited", "Invited"
        ANSWERED = "answered", "Answered"

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    email = models.EmailField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.INVITED)
    token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    invited_at = models.DateTimeField(default=timezone.now)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["survey", "pk"]
        constraints = [models.UniqueConstraint(fields=["survey", "person"],
                                               name="invited_once_per_survey")]

    def __str__(self):
        return f"Invitation to {self.survey}"

    @property
    def status_shown(self):
        """What anyone but the leader sees: "Invited", whatever they did with the link."""
        return self.Status.INVITED.label

    @property
    def takes_answers(self):
        return self.status == self.Status.INVITED and self.survey.is_open

    def new_token(self):
        """A fresh private link token; only its hash is kept, and the last link stops working."""
        token, self.token_hash = new_token()
        return token


class Response(models.Model):
    """One leader's answers: the survey and nothing else about who gave them or when. Its primary
    key follows the order of answering, so nothing shows it; ``key`` orders responses instead."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    key = models.CharField(max_length=24, default=random_key, editable=False)

    class Meta:
        ordering = ["survey", "key"]

    def __str__(self):
        return f"Response to survey {self.survey_id}"


class Answer(models.Model):
    """A rating of one priority, and the comment that came with it (if any), which the results
    list by its own random key: a leader's comments on two priorities are not paired up."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    value = models.PositiveSmallIntegerField(choices=SCALE)
    comment = models.TextField(blank=True)
    comment_key = models.CharField(max_length=24, default=random_key, editable=False)

    class Meta:
        ordering = ["question", "comment_key"]
        constraints = [
            models.UniqueConstraint(fields=["response", "question"],
                                    name="one_answer_per_priority"),
            models.CheckConstraint(condition=Q(value__gte=1, value__lte=5),
                                   name="answer_on_the_scale"),
        ]

    def __str__(self):
        return f"{self.question_id}: {self.value}"
