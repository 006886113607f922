"""How the posts serve the system: governance bodies and their seats, and the framework of
priorities with its action plan that the CMO/CNO office reports on."""

import datetime
from collections import defaultdict
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from appointments.models import Appointment, Person
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


class BodyQuerySet(SystemScopedQuerySet):
    """A body is seen with its system's register, and by its chair: whoever chairs or
    co-chairs it today (``SeatQuerySet.chaired_by``: through a post they hold, or as the named
    holder of a seat linked to their account) sees the body (its page, its meetings and its
    members' declared interests) read-only, even without a grant on the system."""

    @access.scoped
    def visible_to(self, user):
        return self.filter(Q(system__in=access.granted_systems(user))
                           | Q(pk__in=self.model.objects.chaired_by(user).values("pk")))

    def chaired_by(self, user, on=None):
        """The bodies ``user`` chairs or co-chairs on the day (today)."""
        return self.filter(pk__in=Seat.objects.chaired_by(user, on).values("body"))


class SeatQuerySet(models.QuerySet):
    """The one rule of who chairs a body on a day: whoever holds, in force that day, a post
    with a chair or co-chair seat on it, and the named holder of a chair or co-chair seat not
    filled by a post (a trust's non-executive chair) whose seat is linked to their account."""

    def chairing(self):
        return self.filter(role__in=Seat.CHAIRS)

    def chaired_by(self, user, on=None):
        """The chair and co-chair seats ``user`` holds on the day (today)."""
        if not access.is_signed_in(user):
            return self.none()
        held = Appointment.objects.in_force(on).filter(person__user=user).values("post")
        return self.chairing().filter(Q(post__in=held) | Q(holder_account=user))

    def chairs_by_body(self, on=None):
        """{body id: [active users who chair it on the day]} over the chair and co-chair seats
        of this queryset, in two queries: the holders of the chairs' posts in force that day,
        and the accounts linked to named chairs."""
        seats = list(self.chairing().select_related("holder_account")
                     .only("body_id", "post_id", "holder_account"))
        holders = defaultdict(list)
        for appointment in Appointment.objects.in_force(on).filter(
                post__in={s.post_id for s in seats if s.post_id},
                person__user__is_active=True).select_related("person__user").order_by("pk"):
            holders[appointment.post_id].append(appointment.person.user)
        chairs = defaultdict(list)
        for seat in seats:
            if seat.post_id:
                chairs[seat.body_id] += holders[seat.post_id]
            elif seat.holder_account is not None and seat.holder_account.is_active:
                chairs[seat.body_id].append(seat.holder_account)
        return chairs


_PERSON_NAMES = ["id", "given_name", "family_name"]  # in the order of Person's columns


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
    terms_of_reference = models.TextField(
        blank=True, help_text="Where the terms of reference are kept, or a summary of them.")
    tor_reviewed_on = models.DateField(
        "terms of reference last reviewed", null=True, blank=True,
        help_text="They are reviewed every year; HR are reminded a month before.")
    history = HistoricalRecords()

    objects = BodyQuerySet.as_manager()

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

    @property
    def tor_review_due_on(self):
        return self.tor_reviewed_on + relativedelta(years=1) if self.tor_reviewed_on else None

    def holders_on(self, day):
        """{post id: [people holding it on ``day``]} for the posts with a seat on this body,
        co-holders in the order they took the post up. One query of four columns: each person
        is read with their names only, the rest deferred (a body of a national system has
        hundreds of holders)."""
        rows = (Appointment.objects.in_force(day).filter(post__seats__body=self)
                .order_by("start_date", "pk")
                .values_list("post_id", "person_id", "person__given_name", "person__family_name"))
        holders = defaultdict(list)
        for post_id, *person in rows:
            holders[post_id].append(Person.from_db(rows.db, _PERSON_NAMES, person))
        return holders

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

    CHAIRS = (Role.CHAIR, Role.CO_CHAIR)

    body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="seats")
    post = models.ForeignKey(Post, on_delete=models.PROTECT, related_name="seats", null=True,
                             blank=True)
    # A seat not filled by a post (an expert by experience, a partner's representative) is
    # held by a named person instead.
    holder_name = models.CharField(
        "held by", max_length=200, blank=True,
        help_text="For a seat not filled by a post: the name of the person who holds it.")
    holder_description = models.CharField(
        "who they are", max_length=200, blank=True,
        help_text="e.g. expert by experience in dentistry, representative of the care sector.")
    # A named holder with an account (a trust's non-executive chair) signs in as what the seat
    # makes them: a named chair reads the body and signs off its members' Fit and Proper
    # Person Test. SET_NULL, not PROTECT: removing an account takes the powers away with it,
    # which is the safe direction, and must not be blocked by the seats it held; the seat and
    # its named holder stay, and the seat's history keeps the link it had.
    holder_account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="named_seats", verbose_name="their account",
        help_text="For a seat not filled by a post: the account of the person who holds it, "
                  "so that a named chair reads the body and signs off as its chair.")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    capability = models.CharField(
        max_length=200, blank=True,
        help_text="What the post brings to the body, e.g. quality and safety, population health.",
    )
    voting = models.BooleanField(
        "has a vote", default=False,
        help_text="Whoever holds the post votes on the body's decisions.",
    )
    # What the seat counts as in the body's quorum ("including one executive and one
    # clinician"): a Chief Medical Officer's seat is both.
    executive = models.BooleanField("counts as an executive", default=False)
    clinical = models.BooleanField("counts as a clinical or care professional", default=False)
    lay = models.BooleanField("counts as a lay member or expert by experience", default=False)
    history = HistoricalRecords()

    objects = SeatQuerySet.as_manager()

    class Meta:
        ordering = ["body", "role", "post__title"]
        constraints = [
            models.UniqueConstraint(fields=["body", "post"], name="seat_one_per_post"),
            models.CheckConstraint(
                condition=~Q(role="attendee", voting=True), name="seat_attendee_does_not_vote",
                violation_error_message="Someone in attendance does not vote.",
            ),
            models.CheckConstraint(
                condition=Q(post__isnull=False, holder_name="")
                | Q(post__isnull=True) & ~Q(holder_name=""),
                name="seat_post_or_named_holder",
                violation_error_message="A seat is filled by a post or held by a named person, "
                                        "not both.",
            ),
            models.CheckConstraint(
                condition=Q(holder_account__isnull=True) | Q(post__isnull=True),
                name="seat_account_only_for_named_holder",
                violation_error_message="Only a seat held by a named person is linked to an "
                                        "account: a seat filled by a post follows its holder.",
            ),
        ]

    def __str__(self):
        return f"{self.title} — {self.role_text}, {self.body}"

    @property
    def title(self):
        """The post that fills the seat, or the named person who holds it."""
        return self.post.title if self.post_id else self.holder_name

    @property
    def categories(self):
        """What the seat counts as in the quorum, in words."""
        return [label for flag, label in ((self.executive, "executive"),
                                          (self.clinical, "clinician"), (self.lay, "lay"))
                if flag]

    @property
    def remove_url(self):
        return links.path("governance:seat-remove", self.body_id, self.pk)

    @property
    def chairs(self):
        """Chairs or co-chairs the body."""
        return self.role in self.CHAIRS

    @property
    def role_text(self):
        """The role as the body's papers say it: "Member (voting)"."""
        role = self.get_role_display()
        return f"{role} (voting)" if self.voting else role

    def clean(self):
        super().clean()
        self.holder_name = self.holder_name.strip()
        if self.post_id and self.holder_name:
            raise ValidationError({"holder_name": "A seat filled by a post is held by whoever "
                                                  "holds the post: leave the name empty."})
        if self.post_id and self.holder_account_id:
            raise ValidationError({"holder_account": "Only a seat held by a named person is "
                                                     "linked to an account: a seat filled by a "
                                                     "post follows whoever holds the post."})
        if not self.post_id and not self.holder_name:
            raise ValidationError({"post": "Select the post that fills the seat, or enter the "
                                           "name of the person who holds it."})
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


# --- declarations of interest ----------------------------------------------------------------
# NHS England's conflicts-of-interest guidance: every leader declares their interests (or that
# they have none) on appointment, whenever something changes, and every year; the organisation
# publishes what each person agreed to publish and keeps an ended interest on the register for
# six months after it ended.

PUBLISHED_AFTER_END = relativedelta(months=6)


class ReturnQuerySet(models.QuerySet):
    """Declarations belong to the person who makes them: they see and make their own; HR who
    keep the person's record (their system's or organisation's) see them and may record one on
    their behalf; administrators see everything. Nobody else — not the CMO/CNO office, not an
    appraiser — reads them here (the chair of a body sees its members' on the body's page)."""

    person_field = "person"

    @access.scoped
    def visible_to(self, user):
        return self.filter(
            Q(**{f"{self.person_field}__in": Person.objects.editable_by(user).values("pk")})
            | Q(**{f"{self.person_field}__user": user}))

    editable_by = visible_to

    def latest_per_person(self):
        """Each person's latest return (the one that says what they declare today)."""
        later = self.model.objects.filter(person=models.OuterRef("person")).filter(
            Q(made_on__gt=models.OuterRef("made_on"))
            | Q(made_on=models.OuterRef("made_on"), pk__gt=models.OuterRef("pk")))
        return self.exclude(models.Exists(later))


class DeclarationReturn(models.Model):
    """One return of a person's interests, made on a day for a reason: it lists every interest
    the person declares that day, or none (a nil return). A change makes a new return; earlier
    returns are never changed, so the list of returns is the history."""

    class Reason(models.TextChoices):
        APPOINTMENT = "appointment", "On appointment"
        CHANGE = "change", "A change of interests"
        ANNUAL = "annual", "Annual declaration"

    person = models.ForeignKey(Person, on_delete=models.PROTECT,
                               related_name="declaration_returns")
    made_on = models.DateField("date made")
    reason = models.CharField(max_length=12, choices=Reason.choices)
    is_nil = models.BooleanField("nil return", default=False,
                                 help_text="The person declared that they have no interests.")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, related_name="+")
    on_behalf = models.BooleanField(
        "recorded on their behalf", default=False,
        help_text="Recorded by HR for the person, not by the person themself.")
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = ReturnQuerySet.as_manager()

    class Meta:
        ordering = ["person", "-made_on", "-pk"]
        indexes = [models.Index(fields=["person", "made_on"])]

    def __str__(self):
        who = self.person if self.person_id else "Nobody yet"
        return f"{who}: {self.get_reason_display().lower()}, {self.made_on}"

    @property
    def next_due_on(self):
        return self.made_on + relativedelta(years=1) if self.made_on else None


class InterestQuerySet(ReturnQuerySet):
    person_field = "declaration_return__person"

    def current(self):
        """The interests of people's latest returns."""
        return self.filter(declaration_return__in=DeclarationReturn.objects.latest_per_person())

    def published(self, on=None):
        """What may appear on the public register: the person agreed, and the interest is held
        today or ended less than six months ago."""
        on = on or timezone.localdate()
        return self.filter(publish=True).filter(
            Q(to_date__isnull=True) | Q(to_date__gte=on - PUBLISHED_AFTER_END))


class Interest(models.Model):
    """One interest as a return declared it. When a later return carries it on (changed or not),
    it is a new row with the same ``first_declared_on``: the rows of one interest across returns
    are its history."""

    class Kind(models.TextChoices):
        FINANCIAL = "financial", "Financial"
        PROFESSIONAL = "professional", "Non-financial professional"
        PERSONAL = "personal", "Non-financial personal"
        INDIRECT = "indirect", "Indirect"

    declaration_return = models.ForeignKey(DeclarationReturn, on_delete=models.CASCADE,
                                           related_name="interests")
    kind = models.CharField("type of interest", max_length=12, choices=Kind.choices)
    description = models.TextField(help_text="What the interest is, e.g. a paid advisory role.")
    organisation = models.CharField("organisation or party concerned", max_length=200)
    from_date = models.DateField("held from")
    to_date = models.DateField("held until", null=True, blank=True,
                               help_text="Leave empty while the interest is held.")
    action_taken = models.TextField(
        "how it is managed", blank=True,
        help_text="e.g. leaves the meeting for any item about the organisation.")
    publish = models.BooleanField(
        "may be published", default=False,
        help_text="The person agrees to this interest appearing, with their name, on the "
                  "public register.")
    first_declared_on = models.DateField()

    objects = InterestQuerySet.as_manager()

    class Meta:
        ordering = ["declaration_return", "from_date", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(to_date__isnull=True)
                                   | Q(to_date__gte=models.F("from_date")),
                                   name="interest_ends_after_it_starts",
                                   violation_error_message="An interest ends after it starts."),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.organisation}"

    def is_held(self, on=None):
        return self.to_date is None or self.to_date >= (on or timezone.localdate())

    def clean(self):
        super().clean()
        if self.from_date and self.to_date and self.to_date < self.from_date:
            raise ValidationError({"to_date": "The interest must end on or after the day it "
                                              "started."})


def declarants(user):
    """The people whose declarations ``user`` may read and record: themself, and for HR the
    people whose record they keep (everyone, for an administrator)."""
    if not access.is_signed_in(user):
        return Person.objects.none()
    if user.is_superuser:
        return Person.objects.all()
    return Person.objects.filter(Q(pk__in=Person.objects.editable_by(user).values("pk"))
                                 | Q(user=user))


def declaration_status(*, last_made_on, latest_start, today):
    """(words, NHS tag colour) of where a person's declaration stands: due on appointment when
    no return was made since their latest term started, due a year after the last return,
    overdue a month after either."""
    if latest_start is not None and (last_made_on is None or last_made_on < latest_start):
        due = latest_start
    elif last_made_on is not None:
        due = last_made_on + relativedelta(years=1)
    else:
        return ("No post held", "grey")
    if today > due + datetime.timedelta(days=DECLARATION_GRACE_DAYS):
        return (f"Overdue since {due:%-d %B %Y}", "red")
    if today >= due:
        return (f"Due since {due:%-d %B %Y}", "yellow")
    return (f"Up to date: next due {due:%-d %B %Y}", "green")


DECLARATION_GRACE_DAYS = 30



# --- meetings, attendance and quorum ---------------------------------------------------------

class QuorumRule(models.Model):
    """When a meeting of the body is quorate, as its terms of reference say: at least a share of
    its voting members present (and at least a number of them), including some who count as
    executives, clinicians or lay members ("half the voting members, including one executive
    and one clinician"). Evaluated by ``governance.quorum``."""

    body = models.OneToOneField(Body, on_delete=models.CASCADE, related_name="quorum_rule")
    fraction = models.DecimalField(
        "share of voting members", max_digits=3, decimal_places=2, default=Decimal("0.50"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
        help_text="e.g. 0.5 for half the voting members.")
    minimum = models.PositiveSmallIntegerField(
        "at least this many voting members", default=0, validators=[MaxValueValidator(500)])
    executives = models.PositiveSmallIntegerField(
        "of whom executives", default=0, validators=[MaxValueValidator(50)])
    clinicians = models.PositiveSmallIntegerField(
        "of whom clinical or care professionals", default=0,
        validators=[MaxValueValidator(50)])
    lay_members = models.PositiveSmallIntegerField(
        "of whom lay members or experts by experience", default=0,
        validators=[MaxValueValidator(50)])
    deputies_count = models.BooleanField(
        "a deputy counts towards the quorum", default=True,
        help_text="A named deputy sent by a member counts as that member.")
    history = HistoricalRecords()

    def __str__(self):
        return f"Quorum of {self.body}" if self.body_id else "Quorum"


class MeetingQuerySet(SystemScopedQuerySet):
    """A meeting is seen with its body (by its chair too); kept by who keeps the body."""

    system_field = "body__system"

    @access.scoped
    def visible_to(self, user):
        return self.filter(body__in=Body.objects.visible_to(user).values("pk"))


class Meeting(models.Model):
    """A meeting of a body, with who attended from each seat."""

    body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="meetings")
    held_on = models.DateField("date of the meeting")
    title = models.CharField(max_length=200)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, related_name="+")
    history = HistoricalRecords()

    objects = MeetingQuerySet.as_manager()

    class Meta:
        ordering = ["body", "-held_on", "-pk"]
        indexes = [models.Index(fields=["body", "held_on"])]

    def __str__(self):
        return f"{self.title}, {self.held_on:%-d %B %Y}" if self.held_on else self.title

    def get_absolute_url(self):
        return links.path("governance:meeting-detail", self.pk)


class Attendance(models.Model):
    """Who held a seat at a meeting and whether they came. What the seat was (its member,
    vote and what it counts as) is kept as it was that day, so a later change to the seat or
    its holder does not rewrite the minutes."""

    class Status(models.TextChoices):
        PRESENT = "present", "Present"
        APOLOGIES = "apologies", "Sent apologies"
        DEPUTY = "deputy", "Sent a deputy"
        ABSENT = "absent", "Absent"

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendances")
    seat = models.ForeignKey(Seat, on_delete=models.SET_NULL, null=True, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="attendances")
    member = models.CharField(max_length=300, help_text="Who held the seat that day.")
    seat_title = models.CharField(max_length=200)
    voting = models.BooleanField(default=False)
    executive = models.BooleanField(default=False)
    clinical = models.BooleanField(default=False)
    lay = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices)
    deputy_name = models.CharField("deputy", max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["meeting", "-voting", "seat_title", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "seat"], name="attendance_once_per_seat"),
            models.CheckConstraint(
                condition=Q(status="deputy") & ~Q(deputy_name="")
                | ~Q(status="deputy") & Q(deputy_name=""),
                name="attendance_deputy_named",
                violation_error_message="A deputy is named, and only a deputy."),
        ]

    def __str__(self):
        return f"{self.member}: {self.get_status_display()}"

    @property
    def attended(self):
        return self.status == self.Status.PRESENT

    @property
    def status_text(self):
        if self.status == self.Status.DEPUTY:
            return f"Sent a deputy: {self.deputy_name}"
        return self.get_status_display()


# --- the Fit and Proper Person Test ------------------------------------------------------------
# NHS England's FPPT Framework (in force since 30 September 2023): every board member, and every
# holder of a post a system marks as a significant role, is assessed in full on appointment and
# again every year; the holder attests that they are fit and proper; the chair signs off the
# year. Reading rules are in ``governance.fppt``, writes in ``governance.fppt_services``.

# An appointment shorter than this (interim cover of a few weeks) is recorded without the test.
FPPT_FULL_TEST_FROM = datetime.timedelta(weeks=6)
# An assessment is opened this long before it falls due, and overdue this long after.
FPPT_NOTICE_DAYS = 30
FPPT_GRACE_DAYS = 30

ATTESTATION = (
    "I confirm that I am a fit and proper person to hold this post: I am of good character, I "
    "have the qualifications, competence, skills and experience the post needs, I am able by "
    "reason of my health to do it after any reasonable adjustments, I have not been responsible "
    "for, contributed to or facilitated serious misconduct or mismanagement, and none of the "
    "grounds of unfitness in the regulations applies to me. I will tell the chair at once if "
    "anything changes.")


class FitnessOutcome(models.TextChoices):
    UNDER_REVIEW = "under_review", "Under review"
    FIT = "fit", "Fit and proper"
    NOT_FIT = "not_fit", "Not fit and proper"


class FPPTQuerySet(models.QuerySet):
    """FPPT records are seen by the holder, HR who keep the holder's appointment, the chair of
    a board the post sits on, and administrators: nobody else, and never the public."""

    appointment_field = "appointment"

    @access.scoped
    def visible_to(self, user):
        # Three short lists of records, each found from its own index (the holder's own, HR's
        # and the chair's), not one condition of three ORs that PostgreSQL can only test row by
        # row over every appointment of the country.
        field = self.appointment_field
        found = [self.model.objects.filter(**{lookup: value}).order_by().values("pk")
                 for lookup, value in ((f"{field}__person__user", user),
                                       (f"{field}__post__in", _posts_kept_by(user)),
                                       (f"{field}__post__in", posts_chaired_by(user)))]
        return self.filter(pk__in=found[0].union(*found[1:]))

    @access.scoped
    def checkable_by(self, user):
        """HR of the holder's appointment record the checks."""
        return self.filter(**{f"{self.appointment_field}__post__in": _posts_kept_by(user)})


def _posts_kept_by(user):
    """The posts whose appointments HR keep (an appointment is editable exactly when its post
    is): a system's 900 posts, not its 2,700 appointments, to match each record against."""
    return Post.objects.editable_by(user).values("pk")


def posts_chaired_by(user, on=None):
    """The posts with a seat on a board that ``user`` chairs or co-chairs today (through a post
    they hold, or as its named chair): the posts whose holders' years they sign off."""
    boards = Seat.objects.chaired_by(user, on).filter(body__kind=Body.Kind.BOARD).values("body")
    return Seat.objects.filter(body__in=boards, post__isnull=False).values("post")


def is_open():
    """An assessment not yet signed off that needs the test."""
    return Q(signed_off_at__isnull=True) & ~Q(kind=FitAndProperAssessment.Kind.NOT_REQUIRED)


def standing(on):
    """{list: condition} of where an open assessment stands on the day ``on``, by when it fell
    due: overdue (more than FPPT_GRACE_DAYS ago), due, or incomplete (opened ahead of the day it
    falls due). The dashboard's lists and the summary's counts both read these."""
    overdue_before = on - datetime.timedelta(days=FPPT_GRACE_DAYS)
    return {"overdue": Q(due_on__lt=overdue_before),
            "due": Q(due_on__gte=overdue_before, due_on__lte=on),
            "incomplete": Q(due_on__gt=on)}


class AssessmentQuerySet(FPPTQuerySet):
    def open(self):
        """Not yet signed off, and needing the test."""
        return self.filter(is_open())


class FitAndProperAssessment(models.Model):
    """One year's Fit and Proper Person Test of a holder's appointment: in full on appointment,
    then every year on the anniversary of its start. Complete when every check is recorded, the
    holder has attested and the chair has signed it off, in that order. An appointment of under
    six weeks (interim cover) is recorded as not needing the test."""

    class Kind(models.TextChoices):
        ON_APPOINTMENT = "appointment", "On appointment"
        ANNUAL = "annual", "Annual"
        NOT_REQUIRED = "not_required", "Not required: interim under six weeks"

    appointment = models.ForeignKey(Appointment, on_delete=models.PROTECT,
                                    related_name="fppt_assessments")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    due_on = models.DateField("due on")
    opened_at = models.DateTimeField(default=timezone.now)
    attested_at = models.DateTimeField(null=True, blank=True)
    attested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")
    attestation = models.TextField("statement attested", blank=True)
    signed_off_at = models.DateTimeField(null=True, blank=True)
    signed_off_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                      null=True, blank=True, related_name="+")
    signed_off_as = models.CharField(
        "signed off as", max_length=200, blank=True,
        help_text="The authority of who signed off: the chair of which board, or administrator.")
    outcome = models.CharField("fit and proper", max_length=12, choices=FitnessOutcome.choices,
                               default=FitnessOutcome.UNDER_REVIEW)

    objects = AssessmentQuerySet.as_manager()

    class Meta:
        ordering = ["appointment", "-due_on"]
        verbose_name = "fit and proper person assessment"
        constraints = [
            models.UniqueConstraint(fields=["appointment", "due_on"],
                                    name="fppt_one_assessment_per_year"),
            models.CheckConstraint(
                condition=Q(attested_at__isnull=True, attested_by__isnull=True)
                | Q(attested_at__isnull=False, attested_by__isnull=False),
                name="fppt_attested_by_whom_and_when"),
            models.CheckConstraint(
                condition=Q(signed_off_at__isnull=True, signed_off_by__isnull=True)
                | Q(signed_off_at__isnull=False, signed_off_by__isnull=False,
                    attested_at__isnull=False),
                name="fppt_signed_off_after_attestation"),
        ]
        indexes = [models.Index(fields=["due_on"], name="fppt_due_on_idx")]

    def __str__(self):
        if not (self.appointment_id and self.due_on):
            return "Fit and proper person assessment"
        return f"FPPT {self.get_kind_display().lower()} {self.due_on:%Y}: {self.appointment}"

    def get_absolute_url(self):
        return links.path("governance:fppt-detail", self.pk)

    @property
    def needs_test(self):
        return self.kind != self.Kind.NOT_REQUIRED

    @property
    def is_complete(self):
        return not self.needs_test or self.signed_off_at is not None

    @property
    def overdue_from(self):
        return self.due_on + datetime.timedelta(days=FPPT_GRACE_DAYS) if self.due_on else None

    def status(self, today):
        """(words, NHS tag colour) of where the assessment stands on ``today``."""
        if not self.needs_test:
            return ("Not required", "grey")
        if self.signed_off_at:
            return (f"Signed off {timezone.localdate(self.signed_off_at):%-d %B %Y}", "green")
        if today >= self.overdue_from:
            return (f"Overdue since {self.overdue_from:%-d %B %Y}", "red")
        if today >= self.due_on:
            return (f"Due since {self.due_on:%-d %B %Y}", "yellow")
        return (f"Due {self.due_on:%-d %B %Y}", "blue")


class CheckQuerySet(FPPTQuerySet):
    appointment_field = "assessment__appointment"


class FitAndProperCheck(models.Model):
    """One check of the framework, as HR recorded it: the outcome, the date, who checked and
    where the evidence is kept. The DBS check is recorded as its outcome and the date of the
    certificate only: nothing of the certificate's content is ever kept here."""

    class Item(models.TextChoices):
        EMPLOYMENT = "employment", "Employment history and references"
        QUALIFICATIONS = "qualifications", "Qualifications and professional registration"
        DBS = "dbs", "DBS check"
        INSOLVENCY = "insolvency", "Insolvency and bankruptcy register"
        DIRECTORS = "directors", "Disqualified directors register"
        CHARITY = "charity", "Charity trustee removal"
        TRIBUNAL = "tribunal", "Employment tribunal judgements"
        SOCIAL_MEDIA = "social_media", "Social media"
        SETTLEMENTS = "settlements", "Settlement agreements"
        DECLARATIONS = "declarations", "Health and conduct declarations"

    class Outcome(models.TextChoices):
        SATISFACTORY = "satisfactory", "Satisfactory"
        CONCERN = "concern", "Concern found"
        NOT_APPLICABLE = "not_applicable", "Not applicable"

    assessment = models.ForeignKey(FitAndProperAssessment, on_delete=models.CASCADE,
                                   related_name="checks")
    item = models.CharField("check", max_length=16, choices=Item.choices)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    checked_on = models.DateField("date checked",
                                  help_text="For the DBS check: the date of the certificate.")
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    evidence_reference = models.CharField(
        max_length=200, blank=True,
        help_text="Where the evidence is kept, e.g. a file reference in the personnel record.")
    recorded_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    objects = CheckQuerySet.as_manager()

    class Meta:
        ordering = ["assessment", "item"]
        verbose_name = "fit and proper person check"
        constraints = [
            models.UniqueConstraint(fields=["assessment", "item"], name="fppt_check_once"),
            models.CheckConstraint(condition=~Q(item="dbs") | Q(evidence_reference=""),
                                   name="fppt_dbs_outcome_and_date_only",
                                   violation_error_message="The DBS check is recorded as its "
                                   "outcome and certificate date only."),
        ]

    def __str__(self):
        return f"{self.get_item_display()}: {self.get_outcome_display()}"


class FitnessDecision(models.Model):
    """A change of the overall "fit and proper" finding of an assessment: who, when, why. The
    assessment carries the latest; these rows are its history."""

    assessment = models.ForeignKey(FitAndProperAssessment, on_delete=models.CASCADE,
                                   related_name="decisions")
    outcome = models.CharField(max_length=12, choices=FitnessOutcome.choices)
    reason = models.TextField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    by_authority = models.CharField("as", max_length=200)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["assessment", "-at", "-pk"]

    def __str__(self):
        return f"{self.get_outcome_display()} ({self.at:%Y-%m-%d})"


class ReferenceQuerySet(FPPTQuerySet):
    pass


class BoardMemberReference(models.Model):
    """The board member reference the framework asks for when a director leaves a board post,
    under its standard headings, issued on request to another NHS body. Recorded as sent: by
    whom, to whom, when; once sent it is not changed (a correction is a new reference)."""

    appointment = models.ForeignKey(Appointment, on_delete=models.PROTECT,
                                    related_name="board_references")
    requested_by = models.CharField("NHS body that asked", max_length=200)
    requested_on = models.DateField("date of the request")
    sent_to = models.CharField("sent to", max_length=200,
                               help_text="The person or office at that body it was sent to.")
    roles_and_dates = models.TextField(
        "roles held and dates", help_text="Board roles held here, with the dates of each.")
    reason_for_leaving = models.TextField("reason for leaving", blank=True)
    misconduct = models.TextField(
        "serious misconduct or mismanagement",
        help_text="Any finding that they were responsible for, contributed to or facilitated "
                  "serious misconduct or mismanagement, or 'None'.")
    investigations = models.TextField(
        "investigations open or unfinished on leaving",
        help_text="Any investigation of their conduct that had not concluded, or 'None'.")
    disciplinary = models.TextField(
        "disciplinary findings and regulatory action",
        help_text="Any formal disciplinary finding, or referral to a regulator, or 'None'.")
    concerns = models.TextField(
        "concerns raised about them",
        help_text="Grievances or concerns raised about their conduct, and what came of them, "
                  "or 'None'.")
    other = models.TextField("anything else relevant to their fitness", blank=True)
    sent_on = models.DateField("date sent")
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        ordering = ["appointment", "-sent_on", "-pk"]

    def __str__(self):
        return f"Board member reference to {self.requested_by}" if self.requested_by \
            else "Board member reference"

    def get_absolute_url(self):
        return links.path("governance:fppt-reference", self.pk)

    HEADINGS = ("roles_and_dates", "reason_for_leaving", "misconduct", "investigations",
                "disciplinary", "concerns", "other")

    @property
    def headings(self):
        """(heading, what was written) in the framework's order."""
        return [(self._meta.get_field(name).verbose_name.capitalize(), getattr(self, name))
                for name in self.HEADINGS]
