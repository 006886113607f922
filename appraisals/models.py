"""360° appraisal cycles: a versioned questionnaire, the leader's self-assessment, raters who
answer by private link, an anonymous report, and the appraisal that an extension depends on.

Anonymity is built into the tables: a submitted response records the rater *group* and nothing
that leads back to the rater (no link to the nomination, no time of submission), and its
comments are named and ordered by random keys, never by its id. Nobody but the rater sees
whether a named rater has answered: the cycle page counts answers per group. Raters' drafts
live on their nomination only until they submit. Only the cycle keeps a change history (its
settings, stage and appraiser); a rater answering writes nothing to the cycle, so its history
says nothing about who answered when.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from simple_history.models import HistoricalRecords

from appointments.models import Appointment
from ccpl import access, links

# The link pieces live in ccpl.private_links, shared with the annual survey; hash_token is
# named here too, for the code and tests that read it from the raters' module.
from ccpl.private_links import hash_token as hash_token
from ccpl.private_links import new_token, random_key


class Group(models.TextChoices):
    MANAGER = "manager", "Line manager"
    PEER = "peer", "Peers"
    TEAM = "team", "Team and direct reports"
    PARTNER = "partner", "Partners and stakeholders"


class QuestionnaireTemplate(models.Model):
    """A questionnaire, such as the NHS Healthcare Leadership Model, in numbered versions."""

    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def current_version(self):
        return self.versions.filter(is_published=True).order_by("-number").first()


class TemplateVersion(models.Model):
    """One version of a questionnaire. A cycle keeps the version it started with, so a version
    in use is never changed: publish a new one instead."""

    template = models.ForeignKey(QuestionnaireTemplate, on_delete=models.PROTECT,
                                 related_name="versions")
    number = models.PositiveSmallIntegerField()
    scale = models.JSONField(
        help_text='The rating scale, lowest first: [[1, "Essential"], [2, "Proficient"], ...]')
    not_observed_label = models.CharField(max_length=60, default="Not observed")
    keep_doing_prompt = models.CharField(max_length=200,
                                         default="What should this leader keep doing?")
    do_differently_prompt = models.CharField(max_length=200,
                                             default="What could this leader do differently?")
    is_published = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["template", "-number"]
        constraints = [models.UniqueConstraint(fields=["template", "number"],
                                               name="template_version_number")]

    def __str__(self):
        return f"{self.template} v{self.number}"

    @property
    def scale_values(self):
        return [int(value) for value, _ in self.scale or []]

    @property
    def scale_labels(self):
        return {int(value): label for value, label in self.scale or []}


class Dimension(models.Model):
    version = models.ForeignKey(TemplateVersion, on_delete=models.CASCADE,
                                related_name="dimensions")
    order = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["version", "order"]

    def __str__(self):
        return self.name


class Statement(models.Model):
    """A behaviour raters score on the scale."""

    dimension = models.ForeignKey(Dimension, on_delete=models.CASCADE,
                                  related_name="statements")
    order = models.PositiveSmallIntegerField()
    text = models.CharField(max_length=300)

    class Meta:
        ordering = ["dimension", "order"]

    def __str__(self):
        return self.text


class CycleQuerySet(models.QuerySet):
    @access.scoped
    def visible_to(self, user):
        """Cycles of appointments the user can see (HR sees their status, not their content)."""
        return self.filter(
            Q(appointment__in=Appointment.objects.visible_to(user).values("pk"))
            | Q(appraiser=user)
        )

    @access.scoped
    def reportable_to(self, user):
        """Cycles whose report the user may read: the appraiser, the leader once released,
        administrators."""
        return self.filter(
            Q(appraiser=user)
            | Q(appointment__person__user=user, released_at__isnull=False)
        )

    @access.scoped
    def managed_by(self, user):
        """Cycles HR may open, close and chase."""
        return self.filter(appointment__in=Appointment.objects.editable_by(user).values("pk"))

    def in_progress(self):
        return self.filter(stage__in=Cycle.IN_PROGRESS)

    def with_hr(self, user):
        """Annotate ``is_hr``: whether the user may manage each cycle (see ``managed_by``), in
        the same query, for ``Cycle.actions_for``."""
        return self.annotate(is_hr=models.Exists(
            Cycle.objects.managed_by(user).filter(pk=models.OuterRef("pk"))))


class Cycle(models.Model):
    """A year's 360° appraisal of one appointment."""

    class Stage(models.TextChoices):
        NOMINATING = "nominating", "Leader completing self-assessment and nominations"
        APPROVING = "approving", "Appraiser approving nominations"
        COLLECTING = "collecting", "Raters answering"
        CLOSED = "closed", "Closed: report with the appraiser"
        RELEASED = "released", "Report released to the leader"
        SIGNED_OFF = "signed_off", "Signed off"

    class Outcome(models.TextChoices):
        SATISFACTORY = "satisfactory", "Satisfactory"
        NOT_SATISFACTORY = "not_satisfactory", "Not satisfactory"

    # Still gathering views (nominations, approval, answers), or finished with a report.
    IN_PROGRESS = (Stage.NOMINATING, Stage.APPROVING, Stage.COLLECTING)
    REPORTED = (Stage.CLOSED, Stage.RELEASED, Stage.SIGNED_OFF)
    # How long raters have to answer, unless HR chooses another closing date.
    DEFAULT_LENGTH = datetime.timedelta(days=42)

    appointment = models.ForeignKey(Appointment, on_delete=models.PROTECT,
                                    related_name="appraisal_cycles")
    appraiser = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="appraising")
    template_version = models.ForeignKey(TemplateVersion, on_delete=models.PROTECT,
                                         related_name="cycles")
    stage = models.CharField(max_length=12, choices=Stage.choices, default=Stage.NOMINATING)
    opened_on = models.DateField(default=timezone.localdate)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                  null=True, related_name="+")
    closes_on = models.DateField()
    # Minimum nominations, and the smallest group shown on its own in the report.
    min_manager = models.PositiveSmallIntegerField(default=1)
    min_peer = models.PositiveSmallIntegerField(default=3)
    min_team = models.PositiveSmallIntegerField(default=3)
    min_partner = models.PositiveSmallIntegerField(default=3)
    min_total = models.PositiveSmallIntegerField(default=8)
    anonymity_threshold = models.PositiveSmallIntegerField(default=3)
    chase_every_days = models.PositiveSmallIntegerField(default=7)

    self_submitted_at = models.DateTimeField(null=True, blank=True)
    nominations_submitted_at = models.DateTimeField(null=True, blank=True)
    nominations_approved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    meeting_on = models.DateField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    objectives = models.TextField(blank=True)
    development_actions = models.TextField(blank=True)
    outcome_recorded_at = models.DateTimeField(null=True, blank=True)
    leader_signed_at = models.DateTimeField(null=True, blank=True)
    appraiser_signed_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    objects = CycleQuerySet.as_manager()

    # Who reads the answers, how small a group may be shown, and where the cycle stands: once a
    # rater has answered, changing them by hand could expose that rater or hand their answers to
    # someone else. The services still move the stage on (close, release, sign off).
    LOCKED_ONCE_ANSWERED = ["appraiser", "stage", "anonymity_threshold"]

    class Meta:
        ordering = ["-opened_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(closes_on__gt=models.F("opened_on")),
                                   name="cycle_closes_after_opening"),
            models.CheckConstraint(
                condition=Q(outcome="") | Q(outcome_recorded_at__isnull=False),
                name="cycle_outcome_recorded"),
        ]

    def __str__(self):
        return f"360° appraisal {self.opened_on:%Y}: {self.appointment}"

    def get_absolute_url(self):
        return links.path("appraisals:cycle-detail", self.pk)

    @property
    def leader(self):
        return self.appointment.person

    def minimum(self, group):
        return getattr(self, f"min_{group}")

    @property
    def is_open_to_raters(self):
        return self.stage == self.Stage.COLLECTING and timezone.localdate() <= self.closes_on

    @property
    def has_rater_answers(self):
        """Whether any rater has submitted (the leader's self-assessment does not count)."""
        return self.pk is not None and self.responses.filter(is_self=False).exists()

    def clean(self):
        """Refuse a change by hand (the admin) to the locked fields once a rater has answered."""
        super().clean()
        if not self.has_rater_answers:
            return
        attnames = {name: self._meta.get_field(name).attname for name in self.LOCKED_ONCE_ANSWERED}
        stored = Cycle.objects.values(*attnames.values()).get(pk=self.pk)
        errors = {
            name: f"The {self._meta.get_field(name).verbose_name} cannot change once a rater "
                  "has answered."
            for name, attname in attnames.items() if getattr(self, attname) != stored[attname]
        }
        if errors:
            raise ValidationError(errors)

    @property
    def is_in_progress(self):
        return self.stage in self.IN_PROGRESS

    @property
    def has_report(self):
        return self.stage in self.REPORTED

    @property
    def takes_nominations(self):
        """Raters can still be added or removed (by the leader, then by the appraiser)."""
        return self.stage in (self.Stage.NOMINATING, self.Stage.APPROVING)

    @property
    def raters_invited(self):
        """The raters have their links: answers are coming in, or the cycle has closed."""
        return self.stage == self.Stage.COLLECTING or self.has_report

    def actions_for(self, user):
        """What ``user`` may do to this cycle now. The services check these before each step
        and the cycle page offers exactly these, so the rules are written once. HR's role comes
        from ``is_hr`` when the cycle was fetched ``with_hr(user)``, or else one query."""
        is_hr = getattr(self, "is_hr", None)
        if is_hr is None:
            is_hr = Cycle.objects.managed_by(user).filter(pk=self.pk).exists()
        return CycleActions.of(self, user, is_hr=is_hr)




@dataclass(frozen=True)
class CycleActions:
    """Who the user is to a cycle, and what that lets them do at its stage."""

    is_leader: bool
    is_appraiser: bool
    is_hr: bool
    self_assess: bool
    nominate: bool
    submit_nominations: bool
    approve_nominations: bool
    withdraw_links: bool
    close: bool
    read_report: bool
    redact: bool
    release: bool
    record_outcome: bool
    sign_off: bool

    @classmethod
    def of(cls, cycle, user, *, is_hr):
        Stage = Cycle.Stage
        stage = cycle.stage
        is_leader = user is not None and cycle.leader.user_id == user.pk
        is_appraiser = user is not None and cycle.appraiser_id == user.pk
        is_admin = access.is_admin(user)
        return cls(
            is_leader=is_leader, is_appraiser=is_appraiser, is_hr=is_hr,
            self_assess=is_leader and cycle.self_submitted_at is None and cycle.is_in_progress,
            nominate=(is_leader and stage == Stage.NOMINATING)
            or (is_appraiser and stage in (Stage.NOMINATING, Stage.APPROVING)),
            submit_nominations=is_leader and stage == Stage.NOMINATING,
            approve_nominations=is_appraiser and stage == Stage.APPROVING,
            withdraw_links=(is_appraiser or is_hr) and stage == Stage.COLLECTING,
            close=(is_appraiser or is_hr) and cycle.is_in_progress,
            read_report=cycle.has_report and (
                is_appraiser or is_admin or (is_leader and cycle.released_at is not None)),
            redact=is_appraiser and stage == Stage.CLOSED,
            release=is_appraiser and stage == Stage.CLOSED,
            record_outcome=is_appraiser and stage == Stage.RELEASED,
            sign_off=bool(cycle.outcome) and stage != Stage.SIGNED_OFF and (
                (is_leader and cycle.leader_signed_at is None)
                or (is_appraiser and cycle.appraiser_signed_at is None)),
        )

    @property
    def see_raters(self):
        """The leader sees their own nominations; the appraiser and HR also see whose link has
        been sent or withdrawn. Nobody sees who has answered (see ``Rater.LINK_SENT``): the
        chasers go to those who have not by themselves."""
        return self.is_leader or self.is_appraiser or self.is_hr


class RaterQuerySet(models.QuerySet):
    def outstanding(self):
        return self.filter(status=Rater.Status.INVITED)


class Rater(models.Model):
    """A nomination, and the rater's private link. The link's token is stored only as a hash;
    it opens this rater's questionnaire and nothing else, and never signs anyone in."""

    class Status(models.TextChoices):
        NOMINATED = "nominated", "Nominated"
        INVITED = "invited", "Invited"
        SUBMITTED = "submitted", "Answered"
        DECLINED = "declined", "Declined"
        REVOKED = "revoked", "Link withdrawn"

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="raters")
    group = models.CharField(max_length=10, choices=Group.choices)
    name = models.CharField(max_length=200)
    email = models.EmailField()
    organisation = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NOMINATED)
    added_by_appraiser = models.BooleanField(default=False)
    token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    invited_at = models.DateTimeField(null=True, blank=True)
    draft = models.JSONField(default=dict, blank=True,
                             help_text="Answers saved but not yet submitted.")

    # What raters did with their link (answered, declined) is shown to nobody: were the cycle
    # page to say who has answered, a comment could only have come from one of them, and a
    # group's figures from exactly those named people. It shows what was done to the link.
    LINK_SENT = (Status.INVITED, Status.SUBMITTED, Status.DECLINED)

    objects = RaterQuerySet.as_manager()

    class Meta:
        ordering = ["cycle", "group", "name"]
        constraints = [
            models.UniqueConstraint("cycle", Lower("email"), name="rater_once_per_cycle"),
        ]

    def __str__(self):
        return f"{self.name} ({self.get_group_display()})"

    @property
    def is_nominated(self):
        return self.status == self.Status.NOMINATED

    @property
    def is_invited(self):
        """Invited and not answered or declined yet: the link works."""
        return self.status == self.Status.INVITED

    @property
    def has_answered(self):
        return self.status == self.Status.SUBMITTED

    @property
    def link_sent(self):
        """Invited, whether the rater has answered, declined or done nothing since."""
        return self.status in self.LINK_SENT

    @property
    def status_shown(self):
        """The status the leader, the appraiser and HR see: "Invited" for every link sent,
        whatever the rater did with it."""
        return self.Status.INVITED.label if self.link_sent else self.get_status_display()

    def new_token(self):
        """A fresh private link token; only its hash is kept."""
        token, self.token_hash = new_token()
        return token


def comment_key():
    """A fresh key for one comment, from the operating system's CSPRNG. It names the comment in
    the appraiser's redaction link and orders it in the report, and since it is drawn at random
    it says nothing about when, or in what order, the comment was written."""
    return random_key()


class ResponseQuerySet(models.QuerySet):
    def with_comment(self, key):
        """The raters' response holding the comment named ``key`` (see ``comment_key``)."""
        return self.filter(is_self=False).filter(Q(keep_doing_key=key)
                                                 | Q(do_differently_key=key))


class Response(models.Model):
    """One submitted questionnaire: the group it came from and the answers, never who gave them.

    Its primary key follows the order of submission, so it is never shown: each comment has a
    random key of its own instead, which names it in the appraiser's redaction link and orders
    it in the report. The two comments of one response have unrelated keys, so the report's two
    lists of comments are in unrelated orders and do not pair one rater's comments up."""

    COMMENT_FIELDS = ("keep_doing", "do_differently")

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="responses")
    group = models.CharField(max_length=10, choices=Group.choices, blank=True)
    is_self = models.BooleanField(default=False)
    keep_doing = models.TextField(blank=True)
    do_differently = models.TextField(blank=True)
    keep_doing_key = models.CharField(max_length=24, default=comment_key, editable=False)
    do_differently_key = models.CharField(max_length=24, default=comment_key, editable=False)

    objects = ResponseQuerySet.as_manager()

    class Meta:
        # A random order, so that no query without an order of its own lists responses in the
        # order they were submitted.
        ordering = ["cycle", "keep_doing_key"]
        constraints = [
            models.UniqueConstraint(fields=["cycle"], condition=Q(is_self=True),
                                    name="one_self_assessment_per_cycle"),
            models.CheckConstraint(condition=Q(is_self=True) | ~Q(group=""),
                                   name="rater_response_has_group"),
        ]

    def __str__(self):
        return f"{'Self-assessment' if self.is_self else 'Response'} in cycle {self.cycle_id}"

    def key_of(self, field):
        """The random key of the comment in ``field``."""
        return getattr(self, f"{field}_key")

    def field_of(self, key):
        """Which of this response's comments ``key`` names."""
        return next(field for field in self.COMMENT_FIELDS if self.key_of(field) == key)


class Answer(models.Model):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="answers")
    value = models.PositiveSmallIntegerField(null=True, blank=True,
                                             help_text="Blank: not observed.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["response", "statement"],
                                               name="one_answer_per_statement")]

    def __str__(self):
        return f"{self.statement_id}: {self.value if self.value is not None else 'not observed'}"


class Redaction(models.Model):
    """A comment the appraiser removed before releasing the report (offensive, or it identifies
    a rater). The original text is kept here, for administrators only."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="redactions")
    field = models.CharField(max_length=20, choices=[("keep_doing", "Keep doing"),
                                                     ("do_differently", "Do differently")])
    original_text = models.TextField()
    reason = models.TextField()
    redacted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, related_name="+")
    redacted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["response", "field"],
                                               name="one_redaction_per_comment")]

    def __str__(self):
        return f"Redaction in cycle {self.response.cycle_id}"


REDACTED_TEXT = "[Removed by the appraiser before the report was released.]"
