"""How the posts serve the system: governance bodies and their seats, and the framework of
priorities with its action plan that the CMO/CNO office reports on."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from ccpl import access
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
        return reverse("governance:body-detail", args=[self.pk])

    def clean(self):
        super().clean()
        if self.reports_to_id and self.system_id and self.reports_to.system_id != self.system_id:
            raise ValidationError({"reports_to": "A body reports to a body of the same system."})
        if self.reports_to_id and self.pk and self.reports_to_id == self.pk:
            raise ValidationError({"reports_to": "A body cannot report to itself."})


class Seat(models.Model):
    """A place on a body held by a post, with the post's role there and the capability it brings."""

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
    history = HistoricalRecords()

    class Meta:
        ordering = ["body", "role", "post__title"]
        constraints = [
            models.UniqueConstraint(fields=["body", "post"], name="seat_one_per_post"),
        ]

    def __str__(self):
        return f"{self.post} — {self.get_role_display()}, {self.body}"

    @property
    def chairs(self):
        """Chairs or co-chairs the body."""
        return self.role in (self.Role.CHAIR, self.Role.CO_CHAIR)

    def clean(self):
        super().clean()
        if self.body_id and self.post_id and self.body.system_id != self.post.system_id:
            raise ValidationError({"post": "The post belongs to another system."})


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
        return reverse("governance:action-plan", args=[self.pk])


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


class ActionQuerySet(SystemScopedQuerySet):
    system_field = "priority__framework__system"


class Action(models.Model):
    """One action of the plan, owned by a post or by a body."""

    priority = models.ForeignKey(Priority, on_delete=models.CASCADE, related_name="actions")
    reference = models.CharField(max_length=10, help_text="e.g. 1.2")
    text = models.TextField("action")
    term = models.CharField(max_length=6, choices=Term.choices)
    owner_post = models.ForeignKey(
        Post, on_delete=models.PROTECT, null=True, blank=True, related_name="actions"
    )
    owner_body = models.ForeignKey(
        Body, on_delete=models.PROTECT, null=True, blank=True, related_name="actions"
    )
    due_on = models.DateField("due date")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NOT_STARTED)
    history = HistoricalRecords()

    objects = ActionQuerySet.as_manager()

    class Meta:
        ordering = ["priority", "reference", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["priority", "reference"], name="action_reference"),
            models.CheckConstraint(
                condition=Q(owner_post__isnull=False, owner_body__isnull=True)
                | Q(owner_post__isnull=True, owner_body__isnull=False),
                name="action_one_owner",
                violation_error_message="An action is owned by a post or by a body.",
            ),
        ]

    def __str__(self):
        return f"{self.reference} {self.text[:60]}"

    @property
    def owner(self):
        return self.owner_post or self.owner_body

    @property
    def rag(self):
        return RAG[self.status]

    def is_overdue(self, on=None):
        return self.status != Status.COMPLETE and self.due_on < (on or timezone.localdate())

    def clean(self):
        super().clean()
        if bool(self.owner_post_id) == bool(self.owner_body_id):
            raise ValidationError({"owner_post": "Choose a post or a body to own the action."})
        system_id = self.priority.framework.system_id if self.priority_id else None
        owner = self.owner
        if system_id and owner is not None and owner.system_id != system_id:
            raise ValidationError({"owner_post": "The owner belongs to another system."})


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
