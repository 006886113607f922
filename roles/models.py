"""The establishment: systems, partner organisations, the catalogue of role types, and posts."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q, Sum
from django.utils import timezone
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords

from ccpl import access, links

PAS_PER_WTE = 10
ZERO = Decimal("0")


def wte_text(value):
    """A WTE as people write it: 0.4, not 0.40."""
    return f"{Decimal(value).normalize():f}"

ods_code_validator = RegexValidator(
    r"^[A-Z0-9]{3,6}$", "An ODS code is 3 to 6 capital letters and digits, for example RJ1."
)


reminder_days_validator = RegexValidator(
    r"^\d{1,3}(,\d{1,3})*$", "Enter whole numbers of days separated by commas, e.g. 180,90,30."
)


class GrantableQuerySet(models.QuerySet):
    """Systems and organisations: visible to whoever holds a grant on them."""

    grant_lookup = None  # the access function that lists granted primary keys

    @access.scoped
    def visible_to(self, user):
        return self.filter(pk__in=self.grant_lookup(user, access.VIEW))

    @access.scoped
    def editable_by(self, user):
        return self.filter(pk__in=self.grant_lookup(user, access.EDIT))


class SystemQuerySet(GrantableQuerySet):
    grant_lookup = staticmethod(access.granted_systems)


class System(models.Model):
    """The boundary that owns posts: an integrated care system or an academic health partnership.
    Access is granted here."""

    class Kind(models.TextChoices):
        ICS = "ics", "Integrated care system"
        AHP = "ahp", "Academic health partnership"
        TRUST = "trust", "Single organisation"

    name = models.CharField(max_length=200, unique=True)
    short_name = models.CharField(max_length=40, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.ICS)
    commitment_ceiling_wte = models.DecimalField(
        "commitment ceiling (WTE)", max_digits=4, decimal_places=2, default=Decimal("1.00"),
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("2.00"))],
        help_text="The most leadership time one person may hold across all their appointments "
                  "on any day. Appointing or extending above it needs an approver's consent.",
    )
    history = HistoricalRecords()

    objects = SystemQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        permissions = [(codename, label) for codename, label in access.GRANTS.items()]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.short_name,)


class OrganisationQuerySet(GrantableQuerySet):
    grant_lookup = staticmethod(access.granted_organisations)

    @access.scoped
    def visible_to(self, user):
        """Organisations a user can see: those granted directly and every partner of a granted
        system (an HR team sees who its system's partners are)."""
        return self.filter(
            Q(pk__in=access.granted_organisations(user))
            | Q(systems__in=access.granted_systems(user))
        ).distinct()

    @access.scoped
    def editable_by(self, user):
        return self.filter(
            Q(pk__in=access.granted_organisations(user, access.EDIT))
            | Q(systems__in=access.granted_systems(user, access.EDIT))
        ).distinct()


def edits_an_organisation(user):
    """Whether ``user`` may change the register of some organisation (HR, administrators): the
    header asks it to offer invitations and list pages to offer "Add", so it is asked once a
    request and remembered with the user's grants."""
    return access.remembered(user, "edits_an_organisation",
                             lambda: Organisation.objects.editable_by(user).exists())


class Organisation(models.Model):
    """A partner organisation. It may belong to more than one system (a trust can be a partner in
    its ICS and in an academic health partnership at the same time)."""

    class Kind(models.TextChoices):
        ICB = "icb", "Integrated care board"
        ACUTE = "acute", "Acute trust"
        MENTAL_HEALTH = "mental_health", "Mental health trust"
        COMMUNITY = "community", "Community trust"
        AMBULANCE = "ambulance", "Ambulance trust"
        UNIVERSITY = "university", "University"
        LOCAL_AUTHORITY = "local_authority", "Local authority"
        PCN = "pcn", "Primary care network"
        GP_FEDERATION = "gp_federation", "GP federation"
        VCSE = "vcse", "Voluntary, community or social enterprise"
        OTHER = "other", "Other"

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    ods_code = models.CharField(
        "ODS code", max_length=6, blank=True, validators=[ods_code_validator],
        help_text="The NHS Organisation Data Service code, where it has one.",
    )
    systems = models.ManyToManyField(System, related_name="organisations")
    is_employer = models.BooleanField(
        default=True, help_text="Whether appointees can hold a substantive contract here."
    )
    history = HistoricalRecords(m2m_fields=[systems])

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        permissions = [(codename, label) for codename, label in access.GRANTS.items()]
        constraints = [
            models.UniqueConstraint(
                fields=["ods_code"], condition=~Q(ods_code=""), name="organisation_ods_unique"
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        self.ods_code = (self.ods_code or "").strip().upper()
        super().clean()


class SystemUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(System, on_delete=models.CASCADE)


class SystemGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(System, on_delete=models.CASCADE)


class OrganisationUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Organisation, on_delete=models.CASCADE)


class OrganisationGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Organisation, on_delete=models.CASCADE)


class RoleType(models.Model):
    """The catalogue of leadership roles, with the defaults a new post of this type starts from."""

    name = models.CharField(max_length=120, unique=True)
    is_statutory = models.BooleanField(
        default=False, help_text="A role the organisation must have by law or regulation."
    )
    is_board_level = models.BooleanField(default=False)
    default_wte = models.DecimalField(
        "default WTE", max_digits=4, decimal_places=2, default=Decimal("0.40"),
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    default_term_months = models.PositiveSmallIntegerField(default=36)
    default_honorarium = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(ZERO)],
    )
    term_reminder_days = models.CharField(
        max_length=40, default="180,90,30", validators=[reminder_days_validator],
        help_text="Days before the end of a term to remind, comma-separated.",
    )
    max_extensions = models.PositiveSmallIntegerField(
        null=True, blank=True,
        help_text="Warn when an appointment reaches this many extensions. Blank: no cap.",
    )
    max_extension_months = models.PositiveSmallIntegerField(
        "longest extension (months)", default=60,
        validators=[MinValueValidator(1), MaxValueValidator(240)],
        help_text="One extension moves the end of a term at most this many months later.",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(default_wte__gt=0) & Q(default_wte__lte=1),
                name="roletype_default_wte_range",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def reminder_days(self):
        """The term-ending milestones, largest first."""
        return sorted({int(d) for d in self.term_reminder_days.split(",") if d}, reverse=True)

    def latest_extension_to(self, end_date):
        """The furthest a term ending on ``end_date`` may be extended to in one go."""
        return end_date + relativedelta(months=self.max_extension_months)


class Function(models.Model):
    """A system-leadership function a post serves (population health, care pathway
    transformation, ...)."""

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "name"]

    def __str__(self):
        return self.name


class StatutoryDuty(models.Model):
    """A duty held by whoever holds the post: Caldicott Guardian, Responsible Officer, DIPC...
    Some duties may be held only by someone who meets what the law asks of them
    (``eligibility``; the rule itself is in appointments/duties.py, which knows people)."""

    class Eligibility(models.TextChoices):
        LICENSED_DOCTOR = "licensed_doctor", (
            "A licensed medical practitioner with a prescribed connection to the organisation")
        SENIOR_PROFESSIONAL = "senior_professional", (
            "A senior health or social care professional, professionally registered")

    name = models.CharField(max_length=120, unique=True)
    eligibility = models.CharField(
        "who may hold it", max_length=20, choices=Eligibility.choices, blank=True,
        help_text="Left blank, anyone who holds the post may hold the duty.")

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "statutory duties"

    def __str__(self):
        return self.name


class SpatialLevel(models.TextChoices):
    SYSTEM = "system", "System (ICS)"
    PROVIDER_COLLABORATIVE = "provider_collaborative", "Provider collaborative"
    PLACE = "place", "Local care partnership / place"
    ORGANISATION = "organisation", "Organisation"


class EstablishmentBudgetQuerySet(models.QuerySet):
    @access.scoped
    def visible_to(self, user):
        return self.filter(system__in=access.granted_systems(user))

    def with_allocation(self, on=None):
        """Annotate established WTE (posts), allocated WTE and honoraria (appointments in force
        on the day) in the same query, so a list of budgets costs one query."""
        on = on or timezone.localdate()
        Appointment = apps.get_model("appointments", "Appointment")
        in_force = Appointment.objects.in_force(on).filter(post__budget=models.OuterRef("pk"))
        return self.annotate(
            established_wte=models.Subquery(
                Post.objects.filter(budget=models.OuterRef("pk"), disestablished_on__isnull=True)
                .order_by().values("budget").annotate(total=Sum("wte")).values("total"),
                output_field=models.DecimalField(),
            ),
            allocated_wte=models.Subquery(
                in_force.order_by().values("post__budget").annotate(total=Sum("wte"))
                .values("total"),
                output_field=models.DecimalField(),
            ),
        )


@dataclass(frozen=True)
class Allocation:
    envelope: Decimal
    established: Decimal
    allocated: Decimal

    @property
    def over_established(self):
        return self.established > self.envelope

    @property
    def over_allocated(self):
        return self.allocated > self.envelope

    @property
    def is_over(self):
        return self.over_established or self.over_allocated

    @property
    def remaining(self):
        return self.envelope - max(self.established, self.allocated)


class EstablishmentBudget(models.Model):
    """A WTE envelope over a group of posts ("Clinical Directors: 2.0 WTE across 5 roles").
    Posts and appointments may go over it, but the register always says so."""

    system = models.ForeignKey(System, on_delete=models.PROTECT, related_name="budgets")
    name = models.CharField(max_length=200)
    wte_envelope = models.DecimalField(
        "WTE envelope", max_digits=6, decimal_places=2, validators=[MinValueValidator(ZERO)]
    )
    honorarium_envelope = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(ZERO)],
    )
    history = HistoricalRecords()

    objects = EstablishmentBudgetQuerySet.as_manager()

    class Meta:
        ordering = ["system__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["system", "name"], name="budget_unique_name"),
            models.CheckConstraint(condition=Q(wte_envelope__gte=0), name="budget_envelope_gte_0"),
        ]

    def __str__(self):
        return f"{self.name} ({self.wte_envelope} WTE)"

    def allocation(self, on=None):
        """Envelope against what is established and what is held on the day. Uses the
        annotations of ``with_allocation()`` when present."""
        row = self
        if on is not None or not hasattr(self, "established_wte"):
            row = EstablishmentBudget.objects.with_allocation(on).get(pk=self.pk)
        cents = Decimal("0.01")
        return Allocation(
            envelope=self.wte_envelope,
            established=(row.established_wte or ZERO).quantize(cents),
            allocated=(row.allocated_wte or ZERO).quantize(cents),
        )


class PostQuerySet(models.QuerySet):
    @access.scoped
    def visible_to(self, user):
        """Posts in a system or hosted by an organisation the user holds a grant on, and the posts
        of their own appointments and of appointments they were granted one by one."""
        Appointment = apps.get_model("appointments", "Appointment")
        return self.filter(
            Q(system__in=access.granted_systems(user))
            | Q(host_organisation__in=access.granted_organisations(user))
            | Q(pk__in=list(Appointment.objects.granted_individually(user)
                            .values_list("post_id", flat=True)))
        )

    @access.scoped
    def editable_by(self, user):
        return self.filter(
            Q(system__in=access.granted_systems(user, access.EDIT))
            | Q(host_organisation__in=access.granted_organisations(user, access.EDIT))
        )

    def established(self):
        return self.filter(disestablished_on__isnull=True)

    def fppt_in_scope(self):
        """Posts whose holders take the Fit and Proper Person Test: board-level role types and
        posts a system marked as a significant role."""
        return self.filter(Q(role_type__is_board_level=True) | Q(is_significant_role=True))

    def vacant(self, on=None):
        """Established posts nobody holds on the day."""
        return self.established().exclude(self._held(on))

    def filled(self, on=None):
        return self.filter(self._held(on))

    def _held(self, on):
        """Whether someone holds the post on the day: a correlated EXISTS, which PostgreSQL
        answers from the post's own appointments (an anti-join for ``vacant``) instead of
        hashing every appointment in force nationally for each page."""
        Appointment = apps.get_model("appointments", "Appointment")
        return models.Exists(Appointment.objects.in_force(on).filter(post=models.OuterRef("pk")))

    def ending_within(self, days, on=None):
        """Posts whose holder's term ends within ``days`` of the day."""
        Appointment = apps.get_model("appointments", "Appointment")
        return self.filter(
            pk__in=Appointment.objects.ending_within(days, on=on).values("post")
        )


class Post(models.Model):
    """One establishment position, held by one person at a time (or by co-leads sharing it when
    job share is allowed)."""

    title = models.CharField(max_length=200)
    reference = models.CharField(max_length=40, blank=True)
    role_type = models.ForeignKey(RoleType, on_delete=models.PROTECT, related_name="posts")
    system = models.ForeignKey(System, on_delete=models.PROTECT, related_name="posts")
    host_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="hosted_posts",
        help_text="The partner that hosts the post (and usually pays the honorarium).",
    )
    wte = models.DecimalField(
        "WTE", max_digits=4, decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text="Whole-time equivalent of the post; 1.0 WTE is 10 programmed activities.",
    )
    honorarium = models.DecimalField(
        "annual honorarium", max_digits=10, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(ZERO)],
    )
    honorarium_is_pool = models.BooleanField(
        "honorarium is a pool", default=False,
        help_text="The honorarium is shared among the leadership team holding the post.",
    )
    default_term_months = models.PositiveSmallIntegerField(default=36)
    responsible_to = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="reports",
    )
    # A second line of accountability beside the line management: seed 001's place directors
    # are responsible to the CMO and report to their borough's director of integration too.
    # Appraisal and approvals follow responsible_to only; this is shown, not acted on.
    also_accountable_to = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="also_accountable_for",
        help_text="Other posts the holder answers to, beside the post they are responsible to "
                  "(e.g. a place director to the borough's director of integration).",
    )
    job_share_allowed = models.BooleanField(default=False)
    functions = models.ManyToManyField(Function, blank=True, related_name="posts")
    spatial_level = models.CharField(
        max_length=30, choices=SpatialLevel.choices, default=SpatialLevel.SYSTEM
    )
    statutory_duties = models.ManyToManyField(StatutoryDuty, blank=True, related_name="posts")
    budget = models.ForeignKey(
        EstablishmentBudget, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="posts", verbose_name="establishment budget",
    )
    is_published = models.BooleanField(
        default=True, help_text="Listed on the public transparency register."
    )
    # NHS England's Fit and Proper Person Test applies to board members, and the framework lets
    # a system extend it to other "significant roles" (deputy directors, clinical leaders).
    is_significant_role = models.BooleanField(
        "significant role", default=False,
        help_text="The Fit and Proper Person Test applies to its holders, as to board members.")
    created_on = models.DateField(default=datetime.date.today)
    disestablished_on = models.DateField(null=True, blank=True)
    history = HistoricalRecords(m2m_fields=[functions, statutory_duties, also_accountable_to])

    objects = PostQuerySet.as_manager()

    class Meta:
        ordering = ["title", "pk"]
        indexes = [
            models.Index(fields=["title", "id"], name="post_title_idx"),
            # A system's posts in their order, for the post list and the dashboard's vacant
            # posts: by title alone, PostgreSQL walked every post of the country's titles and
            # kept the system's (a system's vacant posts 10 -> 5 ms).
            models.Index(fields=["system", "title", "id"], name="post_system_title_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(wte__gt=0) & Q(wte__lte=1), name="post_wte_range"
            ),
            models.CheckConstraint(
                condition=Q(honorarium__isnull=True) | Q(honorarium__gte=0),
                name="post_honorarium_gte_0",
            ),
            models.CheckConstraint(
                condition=Q(honorarium_is_pool=False) | Q(honorarium__isnull=False),
                name="post_pool_has_amount",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return links.path("appointments:post-detail", self.pk)

    @property
    def pas(self):
        """Programmed activities, derived from WTE so the two can never disagree (none until
        the WTE is known, as on the admin's add form)."""
        if self.wte is None:
            return None
        return (self.wte * PAS_PER_WTE).normalize()

    def clean(self):
        super().clean()
        errors = {}
        if self.wte is not None and self.wte > 1:
            errors["wte"] = "A post cannot be more than 1.0 WTE; use several posts instead."
        if self.honorarium_is_pool and self.honorarium is None:
            errors["honorarium"] = "Enter the amount of the pool, or untick 'honorarium is a pool'."
        if (
            self.system_id and self.host_organisation_id
            and not self.host_organisation.systems.filter(pk=self.system_id).exists()
        ):
            errors["host_organisation"] = (
                f"{self.host_organisation} is not a partner in {self.system}."
            )
        if self.budget_id and self.system_id and self.budget.system_id != self.system_id:
            errors["budget"] = "The establishment budget belongs to another system."
        if self.responsible_to_id and self.pk and self._reports_to_itself():
            errors["responsible_to"] = "A post cannot be responsible to itself or to its reports."
        if errors:
            raise ValidationError(errors)

    def _reports_to_itself(self):
        seen = {self.pk}
        post = self.responsible_to
        while post is not None:
            if post.pk in seen:
                return True
            seen.add(post.pk)
            post = post.responsible_to
        return False


class JobDescriptionQuerySet(models.QuerySet):
    def current(self):
        """The latest version of each post's job description."""
        latest = (
            JobDescription.objects.filter(post=models.OuterRef("post")).order_by()
            .values("post").annotate(v=models.Max("version")).values("v")
        )
        return self.filter(version=models.Subquery(latest)).select_related("post")


class JobDescription(models.Model):
    """One version of a post's job description and person specification. The highest version is
    the current one; earlier versions stay readable."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="job_descriptions")
    version = models.PositiveSmallIntegerField(default=1)
    summary = models.TextField(help_text="What the role is for, in a few sentences.")
    responsibilities = models.TextField(blank=True, help_text="One responsibility per line.")
    reviewed_on = models.DateField(help_text="When the job description was last reviewed.")
    created_by = models.ForeignKey(
        "ccpl.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    objects = JobDescriptionQuerySet.as_manager()

    class Meta:
        ordering = ["post", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["post", "version"], name="job_description_version"),
        ]

    def __str__(self):
        return f"{self.post} — job description v{self.version}"

    @property
    def review_due_on(self):
        """Job descriptions are reviewed every year."""
        if self.reviewed_on is None:
            return None
        return self.reviewed_on + relativedelta(years=1)

    def is_review_overdue(self, today=None):
        due = self.review_due_on
        return due is not None and due < (today or timezone.localdate())

    def criteria_by_category(self):
        """[(category label, [criteria in order])], in the order the categories first appear."""
        groups = {}
        for criterion in self.criteria.all():
            groups.setdefault(criterion.get_category_display(), []).append(criterion)
        return list(groups.items())

    @property
    def responsibility_lines(self):
        return [line.strip() for line in self.responsibilities.splitlines() if line.strip()]


class Criterion(models.Model):
    """A line of the person specification: what is looked for and how it is assessed."""

    class Category(models.TextChoices):
        QUALIFICATIONS = "qualifications", "Education, qualifications and training"
        KNOWLEDGE = "knowledge", "Knowledge and skills"
        EXPERIENCE = "experience", "Experience"
        PERSONAL = "personal", "Personal characteristics"

    class Requirement(models.TextChoices):
        ESSENTIAL = "essential", "Essential"
        DESIRABLE = "desirable", "Desirable"

    job_description = models.ForeignKey(
        JobDescription, on_delete=models.CASCADE, related_name="criteria"
    )
    category = models.CharField(max_length=20, choices=Category.choices)
    text = models.CharField(max_length=500)
    requirement = models.CharField(
        max_length=10, choices=Requirement.choices, default=Requirement.ESSENTIAL
    )
    by_application = models.BooleanField("assessed by application", default=True)
    by_interview = models.BooleanField("assessed at interview", default=False)
    by_presentation = models.BooleanField("assessed by presentation", default=False)
    by_references = models.BooleanField("assessed by references", default=False)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["job_description", "category", "order", "pk"]
        verbose_name_plural = "criteria"

    def __str__(self):
        return self.text

    @property
    def assessed_by(self):
        """The person specification's short codes: AP application, I interview, P presentation,
        R references."""
        codes = [("AP", self.by_application), ("I", self.by_interview),
                 ("P", self.by_presentation), ("R", self.by_references)]
        return ", ".join(code for code, used in codes if used)
