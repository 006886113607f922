"""How the posts serve the system: governance bodies and their seats, and the framework of
priorities with its action plan that the CMO/CNO office reports on."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from ccpl import access, links
from roles.models import Post, SpatialLevel, System


class SystemScopedQuerySet(models.QuerySet):
    """Governance belongs to a system: whoever sees the system's register sees it; HR and the
    CMO/CNO office of the system keep it up to date."""

    system_field = "system"

    @access.scoped
    def visible_to(self, user):
        return self.filter(**{f"{self.system_field}__in": access.granted_systems(user)})

    @access.scoped
    def editable_by(self, user):
        systems = {*access.granted_systems(user, access.EDIT),
                   *access.granted_systems(user, access.APPROVE)}
        return self.filter(**{f"{self.system_field}__in": sorted(systems)})


class Body(models.Model):
    """A board, committee, council, network or leadership group. Its seats are filled by posts, so
    membership follows whoever holds the post."""

    class Kind(models.TextChoices):
        BOARD = "board", "Board"
        COMMITTEE = "committee", "Committee"
        COUNCIL = "council", "Council"
        NETWORK = "network", "Network"
        GROUP = "group", "Leadership group"

    system = models.ForeignKey(System, on_delete=models.PROTECT, related_name="bodies")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    spatial_level = models.CharField(
        max_length=30, choices=SpatialLevel.choices, default=SpatialLevel.SYSTEM
    )
    purpose = models.TextField(blank=True)
    reports_to = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="sub_bodies"
    )
    history = HistoricalRecords()

    objects = SystemScopedQuerySet.as_manager()

    class Meta:
        ordering = ["system__name", "name"]
        verbose_name_plural = "bodies"
        constraints = [
            models.UniqueConstraint(fields=["system", "name"], name="body_unique_name"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return links.path("governance:body-detail", self.pk)

    def clean(self):
        super().clean()
        if self.reports_to_id and self.system_id and self.reports_to.system_id != self.system_id:
            raise ValidationError({"reports_to": "A body reports to a body of the same system."})
        if self.reports_to_id and self.pk and self.reports_to_id == self.pk:
            raise ValidationError({"reports_to": "A body cannot report to itself."})


class Seat(models.Model):
    """A place on a body held by a post, with the post's role there, the capability it brings, and
    whether its holder votes (a trust's Chief Medical Officer is a voting member of the board;
    someone in attendance never votes)."""

    class Role(models.TextChoices):
        CHAIR = "chair", "Chair"
        CO_CHAIR = "co_chair", "Co-chair"
        MEMBER = "member", "Member"
        ATTENDEE = "attendee", "In attendance"

    body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="seats")
    post = models.ForeignKey(Post, on_delete=models.PROTECT, related_name="seats")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    capability = models.CharField(
        max_length=200, blank=True,
        help_text="What the post brings to the body, e.g. quality and safety, population health.",
    )
    voting = models.BooleanField(
        "has a vote", default=False,
        help_text="Whoever holds the post votes on the body's decisions.",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["body", "role", "post__title"]
        constraints = [
            models.UniqueConstraint(fields=["body", "post"], name="seat_one_per_post"),
            models.CheckConstraint(
                condition=~Q(role="attendee", voting=True), name="seat_attendee_does_not_vote",
                violation_error_message="Someone in attendance does not vote.",
            ),
        ]

    def __str__(self):
        return f"{self.post} — {self.role_text}, {self.body}"

    @property
    def remove_url(self):
        return links.path("governance:seat-remove", self.body_id, self.pk)

    @property
    def chairs(self):
        """Chairs or co-chairs the body."""
        return self.role in (self.Role.CHAIR, self.Role.CO_CHAIR)

    @property
    def role_text(self):
        """The role as the body's papers say it: "Member (voting)"."""
        role = self.get_role_display()
        return f"{role} (voting)" if self.voting else role

    def clean(self):
        super().clean()
        if self.body_id and self.post_id and self.body.system_id != self.post.system_id:
            raise ValidationError({"post": "The post belongs to another system."})
        if self.voting and self.role == self.Role.ATTENDEE:
            raise ValidationError({"voting": "Someone in attendance does not vote: choose "
                                             "member, chair or co-chair."})


class Framework(models.Model):
    """A system's framework for clinical and care professional leadership: its priorities, and
    the action plan that delivers them."""

    system = models.ForeignKey(System, on_delete=models.PROTECT, related_name="frameworks")
    name = models.CharField(max_length=200)
    adopted_on = models.DateField(default=datetime.date.today)
    overseen_by = models.ForeignKey(
        Body, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        help_text="The body that receives progress reports on the action plan.",
    )
    history = HistoricalRecords()

    objects = SystemScopedQuerySet.as_manager()

    class Meta:
        ordering = ["system__name", "-adopted_on"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return links.path("governance:action-plan", self.pk)


class Priority(models.Model):
    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="priorities")
    number = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=300)
    history = HistoricalRecords()

    class Meta:
        ordering = ["framework", "number"]
        verbose_name_plural = "priorities"
        constraints = [
            models.UniqueConstraint(fields=["framework", "number"], name="priority_number"),
        ]

    def __str__(self):
        return f"{self.number}. {self.title}"


class Term(models.TextChoices):
    SHORT = "short", "Short term (0–6 months)"
    MEDIUM = "medium", "Medium term (6–12 months)"
    LONG = "long", "Long term (12–18 months)"


class Status(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    ON_TRACK = "on_track", "On track"
    AT_RISK = "at_risk", "At risk"
    OFF_TRACK = "off_track", "Off track"
    COMPLETE = "complete", "Complete"


# Red, amber, green: how the board report colours a status.
RAG = {
    Status.NOT_STARTED: ("Not started", "grey"),
    Status.ON_TRACK: ("Green", "green"),
    Status.AT_RISK: ("Amber", "yellow"),
    Status.OFF_TRACK: ("Red", "red"),
    Status.COMPLETE: ("Complete", "blue"),
}


NO_OWNER = "Select at least one post or body to own the action."


class ActionQuerySet(SystemScopedQuerySet):
    system_field = "priority__framework__system"


class Action(models.Model):
    """One action of the plan, owned by one or more posts and bodies of the framework's system:
    many are owned jointly ("CMO / CNO" is two posts), some by a body, some by both ("Directors
    of People with the CMO and CNO"). Owners are set by ``services.save_action``, which requires
    at least one."""

    priority = models.ForeignKey(Priority, on_delete=models.CASCADE, related_name="actions")
    reference = models.CharField(max_length=10, help_text="e.g. 1.2")
    text = models.TextField("action")
    term = models.CharField(max_length=6, choices=Term.choices)
    owner_posts = models.ManyToManyField(
        Post, blank=True, related_name="actions", verbose_name="posts that own it"
    )
    owner_bodies = models.ManyToManyField(
        Body, blank=True, related_name="actions", verbose_name="bodies that own it"
    )
    due_on = models.DateField("due date")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NOT_STARTED)
    history = HistoricalRecords(m2m_fields=[owner_posts, owner_bodies])

    objects = ActionQuerySet.as_manager()

    class Meta:
        ordering = ["priority", "reference", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["priority", "reference"], name="action_reference"),
        ]

    def __str__(self):
        return f"{self.reference} {self.text[:60]}"

    @property
    def owners(self):
        """The posts then the bodies that own the action, each by name (reads what
        ``prefetch_related("owner_posts", "owner_bodies")`` fetched)."""
        posts = sorted(self.owner_posts.all(), key=lambda post: (post.title, post.pk))
        bodies = sorted(self.owner_bodies.all(), key=lambda body: (body.name, body.pk))
        return [*posts, *bodies]

    @property
    def owner_names(self):
        """The owners as a sentence: "Chief Medical Officer and Chief Nursing Officer"."""
        names = [str(owner) for owner in self.owners]
        if len(names) < 2:
            return "".join(names) or "No owner recorded"
        return f"{', '.join(names[:-1])} and {names[-1]}"

    @property
    def rag(self):
        return RAG[self.status]

    def is_overdue(self, on=None):
        return self.status != Status.COMPLETE and self.due_on < (on or timezone.localdate())


class ActionUpdate(models.Model):
    """A dated progress update; the action takes the status of its latest update."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="updates")
    on = models.DateField("date of update", default=datetime.date.today)
    status = models.CharField(max_length=12, choices=Status.choices)
    note = models.TextField("progress")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                           related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-on", "-recorded_at", "-pk"]

    def __str__(self):
        return f"{self.action.reference} {self.on}: {self.get_status_display()}"
