"""People, their fixed-term appointments to posts, and the extensions of those terms."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords

from ccpl import access, links
from roles.models import Organisation, Post, wte_text

from .registration import RegistrationBody, validate_registration

ZERO = Decimal("0")


class Profession(models.TextChoices):
    DOCTOR = "doctor", "Doctor"
    NURSE = "nurse", "Nurse"
    MIDWIFE = "midwife", "Midwife"
    AHP = "ahp", "Allied health professional"
    PHARMACIST = "pharmacist", "Pharmacist"
    SOCIAL_WORKER = "social_worker", "Social worker"
    PSYCHOLOGIST = "psychologist", "Psychologist"
    HEALTHCARE_SCIENTIST = "healthcare_scientist", "Healthcare scientist"
    PHYSICIAN_ASSOCIATE = "physician_associate", "Physician associate"
    DENTIST = "dentist", "Dentist"
    OPTOMETRIST = "optometrist", "Optometrist"
    PUBLIC_HEALTH = "public_health", "Public health professional"
    ACADEMIC = "academic", "Academic (non-clinical)"
    OTHER = "other", "Other"


class PersonQuerySet(models.QuerySet):
    @access.scoped
    def visible_to(self, user):
        """People who hold (or held) a post the user can see, people employed by an organisation
        the user can see, and the user's own record."""
        return self.filter(
            Q(pk__in=Appointment.objects.visible_to(user).values("person"))
            | Q(substantive_employer__in=Organisation.objects.visible_to(user).values("pk"))
            | Q(user=user)
        )

    @access.scoped
    def editable_by(self, user):
        return self.filter(
            Q(pk__in=Appointment.objects.editable_by(user).values("person"))
            | Q(substantive_employer__in=Organisation.objects.editable_by(user).values("pk"))
        )


class Person(models.Model):
    """A leader (or candidate leader), independent of any one post."""

    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    work_email = models.EmailField("work e-mail", blank=True)
    phone = models.CharField(max_length=40, blank=True)
    profession = models.CharField(max_length=30, choices=Profession.choices)
    registration_body = models.CharField(
        max_length=10, choices=RegistrationBody.choices, blank=True
    )
    registration_number = models.CharField(max_length=20, blank=True)
    substantive_employer = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="employees"
    )
    # A doctor's licence and revalidation: what the Responsible Officer duty asks of its holder.
    licence_to_practise = models.BooleanField(
        "holds a licence to practise", default=False,
        help_text="A doctor's GMC licence to practise, as well as their registration.")
    designated_body = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True,
        related_name="connected_doctors", verbose_name="designated body",
        help_text="The organisation a doctor has their prescribed connection to, for "
                  "revalidation.")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="person", help_text="The account the leader signs in with, if any.",
    )
    consent_to_publish = models.BooleanField(
        "consents to publication", default=False,
        help_text="Name may appear on the public register of who holds these roles.",
    )
    history = HistoricalRecords()

    objects = PersonQuerySet.as_manager()

    class Meta:
        ordering = ["family_name", "given_name", "pk"]
        indexes = [models.Index(fields=["family_name", "given_name", "id"])]  # the default order
        verbose_name_plural = "people"
        constraints = [
            models.UniqueConstraint(
                Lower("work_email"), condition=~Q(work_email=""), name="person_email_unique_ci"
            ),
            models.CheckConstraint(
                condition=Q(registration_body="") | ~Q(registration_number=""),
                name="person_registration_pair",
            ),
        ]

    def __str__(self):
        return self.full_name

    def get_absolute_url(self):
        return links.path("appointments:person-detail", self.pk)

    @property
    def full_name(self):
        return f"{self.given_name} {self.family_name}"

    def clean(self):
        super().clean()
        self.work_email = self.work_email.strip().lower()
        self.registration_number = self.registration_number.strip().upper()
        errors = validate_registration(self.registration_body, self.registration_number)
        if self.work_email and Person.objects.exclude(pk=self.pk).filter(
            work_email__iexact=self.work_email
        ).exists():
            errors["work_email"] = "Another person already has this work e-mail address."
        if errors:
            raise ValidationError(errors)


class EqualityProfile(models.Model):
    """Self-declared equality data: special-category data, kept apart from the person (and out of
    the history tables others can read) so it can be withheld and erased. Used only for aggregate
    statistics; never shown beside an appointment or appraisal."""

    class AgeBand(models.TextChoices):
        UNDER_30 = "under_30", "Under 30"
        AGE_30_39 = "30_39", "30 to 39"
        AGE_40_49 = "40_49", "40 to 49"
        AGE_50_59 = "50_59", "50 to 59"
        AGE_60_PLUS = "60_plus", "60 and over"
        NOT_STATED = "not_stated", "Prefer not to say"

    class Sex(models.TextChoices):
        FEMALE = "female", "Female"
        MALE = "male", "Male"
        OTHER = "other", "Describes themself another way"
        NOT_STATED = "not_stated", "Prefer not to say"

    class Ethnicity(models.TextChoices):
        """The NHS Data Dictionary ethnic category codes."""

        A = "A", "White - British"
        B = "B", "White - Irish"
        C = "C", "White - Any other White background"
        D = "D", "Mixed - White and Black Caribbean"
        E = "E", "Mixed - White and Black African"
        F = "F", "Mixed - White and Asian"
        G = "G", "Mixed - Any other mixed background"
        H = "H", "Asian or Asian British - Indian"
        J = "J", "Asian or Asian British - Pakistani"
        K = "K", "Asian or Asian British - Bangladeshi"
        L = "L", "Asian or Asian British - Any other Asian background"
        M = "M", "Black or Black British - Caribbean"
        N = "N", "Black or Black British - African"
        P = "P", "Black or Black British - Any other Black background"
        R = "R", "Other ethnic groups - Chinese"
        S = "S", "Other ethnic groups - Any other ethnic group"
        Z = "Z", "Not stated"
        NOT_KNOWN = "99", "Not known"

    class Disability(models.TextChoices):
        YES = "yes", "Yes"
        NO = "no", "No"
        NOT_STATED = "not_stated", "Prefer not to say"

    person = models.OneToOneField(
        Person, on_delete=models.CASCADE, primary_key=True, related_name="equality"
    )
    age_band = models.CharField(max_length=12, choices=AgeBand.choices, blank=True)
    sex = models.CharField(max_length=12, choices=Sex.choices, blank=True)
    ethnic_category = models.CharField(max_length=2, choices=Ethnicity.choices, blank=True)
    disability = models.CharField(max_length=12, choices=Disability.choices, blank=True)
    objects_to_statistics = models.BooleanField(
        default=False, help_text="Leave this person out of every diversity statistic."
    )
    declared_on = models.DateField(default=datetime.date.today)

    class Meta:
        permissions = [("view_equality_data", "See individual equality data")]

    def __str__(self):
        return f"Equality data for person {self.person_id}"


class HonoraryContractQuerySet(models.QuerySet):
    """Honorary contracts are reached through the people who hold them, and changed by HR of
    the partner (or partnership) they are held with."""

    def visible_to(self, user):
        return self.filter(person__in=Person.objects.visible_to(user).values("pk"))

    @access.scoped
    def editable_by(self, user):
        return self.filter(
            Q(organisation__in=Organisation.objects.editable_by(user).values("pk"))
            | Q(partnership__in=access.granted_systems(user, access.EDIT))
        )

    def in_force(self, on=None):
        on = on or timezone.localdate()
        return self.filter(start_date__lte=on).filter(
            Q(end_date__gte=on) | Q(end_date__isnull=True))

    def counts_by_partner(self):
        """[(partner name, how many people hold one with it, whether it is an organisation)],
        partnerships first, then the most held: how many leaders hold honorary status or
        contracts with each partner."""
        rows = (self.order_by().values("partnership__name", "organisation__name")
                .annotate(people=models.Count("person", distinct=True)))
        return sorted(((r["partnership__name"] or r["organisation__name"], r["people"],
                        r["partnership__name"] is None) for r in rows),
                      key=lambda row: (row[2], -row[1], row[0]))


class HonoraryContract(models.Model):
    """An honorary contract, or honorary status, that a person holds with a partner: what lets a
    leader employed by one partner work in another (an NHS honorary contract for a university
    academic), or a partnership's honorary status for its leaders (an academic health
    partnership employs nobody). Not an appointment: no post, no WTE, no term rules; its own
    record, with its own history."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT,
                               related_name="honorary_contracts")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True,
        related_name="honorary_contracts", verbose_name="partner organisation",
    )
    partnership = models.ForeignKey(
        "roles.System", on_delete=models.PROTECT, null=True, blank=True,
        related_name="honorary_contracts",
        help_text="Honorary status with a partnership as a whole (it employs nobody).",
    )
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True,
                                help_text="The last day, if the contract has one.")
    reference = models.CharField(max_length=60, blank=True,
                                 help_text="The partner's reference, e.g. a passport number.")
    purpose = models.CharField("what it is for", max_length=300)
    history = HistoricalRecords()

    objects = HonoraryContractQuerySet.as_manager()

    class Meta:
        ordering = ["person", "-start_date", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(organisation__isnull=False, partnership__isnull=True)
                | Q(organisation__isnull=True, partnership__isnull=False),
                name="honorary_with_one_partner",
                violation_error_message="An honorary contract is held with one partner "
                                        "organisation or one partnership.",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="honorary_end_after_start",
                violation_error_message="The last day cannot be before the first.",
            ),
        ]

    def __str__(self):
        person = self.person if self.person_id else "(nobody yet)"
        return f"{self.kind_text} with {self.held_with or '(no partner yet)'} — {person}"

    def get_absolute_url(self):
        return links.path("appointments:honorary-detail", self.pk)

    @property
    def held_with(self):
        return self.organisation or self.partnership

    @property
    def kind_text(self):
        return "Honorary status" if self.partnership_id else "Honorary contract"

    def is_in_force(self, on=None):
        on = on or timezone.localdate()
        return self.start_date <= on and (self.end_date is None or on <= self.end_date)

    def clean(self):
        super().clean()
        errors = {}
        if self.organisation_id and self.partnership_id:
            errors["organisation"] = "Choose the partner organisation or the partnership, not both."
        elif not (self.organisation_id or self.partnership_id):
            errors["organisation"] = "Choose the partner organisation or the partnership."
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors["end_date"] = "The last day cannot be before the first."
        if errors:
            raise ValidationError(errors)


def _ending_within(days, on):
    # A permanent appointment (no end date) is never ending.
    return Q(status=Appointment.Status.ACTIVE, start_date__lte=on, end_date__gte=on,
             end_date__lte=on + datetime.timedelta(days=days))


def _not_ended_before(day):
    return Q(end_date__gte=day) | Q(end_date__isnull=True)


class AppointmentQuerySet(models.QuerySet):
    @access.scoped
    def visible_to(self, user):
        return self.filter(
            Q(post__system__in=access.granted_systems(user))
            | Q(post__host_organisation__in=access.granted_organisations(user))
            | Q(pk__in=self.model.objects.granted_individually(user).values_list("pk", flat=True))
        )

    def granted_individually(self, user):
        """The exceptions: the leader's own appointments, and appointments granted one by one
        (an appraiser on the appointment of the leader they appraise)."""
        if not access.is_signed_in(user):
            return self.none()
        return self.filter(pk__in=access.remembered(
            user, "appointments", lambda: _individual_appointments(user)))

    @access.scoped
    def editable_by(self, user):
        return self.filter(
            Q(post__system__in=access.granted_systems(user, access.EDIT))
            | Q(post__host_organisation__in=access.granted_organisations(user, access.EDIT))
        )

    @access.scoped
    def extendable_by(self, user):
        """Appointments the user may extend: HR who edit them and the CMO/CNO office."""
        return self.filter(
            Q(pk__in=self.model.objects.editable_by(user).values("pk"))
            | Q(pk__in=self.model.objects.approvable_by(user).values("pk"))
        )

    @access.scoped
    def approvable_by(self, user):
        """Appointments whose extensions the user may agree (the CMO/CNO office)."""
        return self.filter(post__system__in=access.granted_systems(user, access.APPROVE))

    def with_capabilities(self, user):
        """Annotate what the user may do to each appointment, in the same query: ``can_edit``
        (HR: end it, start a 360°), ``can_agree`` (the CMO/CNO office: agree extensions) and
        ``can_extend`` (either)."""
        objects = self.model.objects
        can_edit = access.flag(objects.editable_by(user))
        can_agree = access.flag(objects.approvable_by(user))
        return self.annotate(can_edit=can_edit, can_agree=can_agree).annotate(
            can_extend=models.ExpressionWrapper(
                models.Q(can_edit=True) | models.Q(can_agree=True),
                output_field=models.BooleanField()))

    def live(self):
        """Appointments that are, or will be, held: not yet closed early, term not yet ended."""
        return self.filter(status__in=Appointment.LIVE)

    def in_force(self, on=None):
        """Held on the day: accepted, started and not yet ended (a permanent appointment has no
        end). About any day, past ones included, so it reads the dates; what is true *today* is
        also the state (``term_ended``, ``lapsed``)."""
        on = on or timezone.localdate()
        return self.exclude(status=Appointment.Status.OFFERED).filter(start_date__lte=on).filter(
            _not_ended_before(on))

    def not_ended_before(self, day):
        """Terms that run to ``day`` or later: ending on or after it, or permanent."""
        return self.filter(_not_ended_before(day))

    def term_ended(self):
        """Terms that reached their end date (the daily sweep, or a decision to let them end,
        moved them to "term ended")."""
        return self.filter(status=Appointment.Status.TERM_ENDED)

    def due_to_end(self, today=None):
        """Active terms whose last day is behind ``today``: what the daily sweep moves to "term
        ended"."""
        today = today or timezone.localdate()
        return self.filter(status=Appointment.Status.ACTIVE, end_date__lt=today)

    def ending_within(self, days, on=None):
        """Active terms ending between the day and ``days`` later (inclusive)."""
        return self.filter(_ending_within(days, on or timezone.localdate()))

    def ending_counts(self, windows, on=None):
        """{days: how many active terms end within that many days} for each of ``windows``, in
        one query."""
        on = on or timezone.localdate()
        counts = self.aggregate(**{
            f"within_{days}": models.Count("pk", filter=_ending_within(days, on))
            for days in windows
        })
        return {days: counts[f"within_{days}"] for days in windows}

    def closed(self):
        """Ended early or ceased: nothing more can happen to them."""
        return self.filter(status__in=Appointment.CLOSED)

    def without_successor(self):
        """No later term has been recorded on the same post."""
        return self.exclude(models.Exists(Appointment.objects.filter(
            post=models.OuterRef("post"), start_date__gt=models.OuterRef("start_date"))))

    def lapsed(self, on=None, *, within_days):
        """Terms that reached their end in the last ``within_days`` days (the day included) with
        no decision, no extension and no successor, on a post that still exists: someone must
        decide what happens to the post."""
        on = on or timezone.localdate()
        return (self.term_ended().filter(end_date__lte=on,
                                         end_date__gte=on - datetime.timedelta(days=within_days),
                                         post__disestablished_on__isnull=True)
                .undecided().without_successor())

    def overlapping(self, start, end):
        """Terms that share a day with ``start`` to ``end`` (None: no end, permanent)."""
        overlap = self.filter(_not_ended_before(start))
        return overlap if end is None else overlap.filter(start_date__lte=end)

    def undecided(self):
        """No standing decision (extend, re-advertise or let end) about the current end of the
        term. A decision is about one end date: once a term is extended, its new end needs a
        decision of its own."""
        return self.exclude(
            models.Exists(
                TermEndDecision.objects.standing().filter(
                    appointment=models.OuterRef("pk"), term_end_date=models.OuterRef("end_date")
                )
            )
        )


class Appointment(models.Model):
    """A person in a post on a contract: a fixed term (the default), a permanent post (no end
    date, still reviewed every year), acting or interim cover of another appointment on the same
    post (within its dates, and allowed to overlap it and it only), or a secondment from a home
    organisation for a fixed term. ``end_date`` is the last day of the term; it moves later only
    through an Extension, and earlier only by ending or ceasing the appointment, both of which
    record when and why. When the last day has passed the daily sweep moves the term to "term
    ended"."""

    class Status(models.TextChoices):
        OFFERED = "offered", "Offered"
        ACTIVE = "active", "Active"
        TERM_ENDED = "term_ended", "Term ended"
        ENDED = "ended", "Ended early"
        CEASED = "ceased", "Ceased"

    class ContractType(models.TextChoices):
        FIXED_TERM = "fixed_term", "Fixed term"
        PERMANENT = "permanent", "Permanent"
        COVER = "cover", "Acting or interim cover"
        SECONDMENT = "secondment", "Secondment"

    # Ended early or ceased: closed for good. Offered or active: live, still to be held. A term
    # that ended is neither: it can still be decided on (extended late, re-advertised, let end).
    CLOSED = (Status.ENDED, Status.CEASED)
    LIVE = (Status.OFFERED, Status.ACTIVE)

    post = models.ForeignKey(Post, on_delete=models.PROTECT, related_name="appointments")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="appointments")
    contract_type = models.CharField(max_length=12, choices=ContractType.choices,
                                     default=ContractType.FIXED_TERM)
    covers = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="covered_by",
        verbose_name="covers", help_text="For acting or interim cover: the appointment covered.",
    )
    home_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="For a secondment: the organisation the secondee comes from.",
    )
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True,
                                help_text="The last day of the term (none for a permanent post).")
    wte = models.DecimalField(
        "WTE", max_digits=4, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    honorarium_share = models.DecimalField(
        max_digits=10, decimal_places=2, default=ZERO, validators=[MinValueValidator(ZERO)],
        help_text="This appointee's part of the post's annual honorarium.",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    agreement_parties = models.CharField(
        max_length=300, blank=True,
        help_text="Who is party to the agreement, e.g. appointee, partnership executive, employer.",
    )
    # Set together when an appointment is ended early or ceased.
    scheduled_end_date = models.DateField(
        null=True, blank=True, help_text="The end of the term before it was ended early."
    )
    end_reason = models.TextField(blank=True)
    end_recorded_at = models.DateTimeField(null=True, blank=True)
    end_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    history = HistoricalRecords()

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date", "pk"]
        indexes = [
            models.Index(fields=["-start_date", "id"]),  # the default order, for the admin's pages
            # Who holds a system's posts, read from the index alone: the subquery behind every
            # "people the user can see" (24 ms as a scan of every appointment, 3 ms from this).
            models.Index(fields=["post", "person"]),
            models.Index(fields=["end_date", "status"]),
            models.Index(fields=["post", "start_date"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gt=models.F("start_date")),
                name="appointment_end_after_start",
                violation_error_message="The end of the term must be after its start.",
            ),
            # Only a permanent appointment has no end; it gets one only when it is closed.
            models.CheckConstraint(
                condition=Q(end_date__isnull=False) | Q(contract_type="permanent"),
                name="appointment_end_unless_permanent",
                violation_error_message="Enter the last day of the term.",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | ~Q(contract_type="permanent")
                | Q(status__in=["ended", "ceased"]),
                name="appointment_permanent_has_no_end",
                violation_error_message="A permanent appointment has no end date.",
            ),
            models.CheckConstraint(
                condition=Q(contract_type="cover", covers__isnull=False)
                | (~Q(contract_type="cover") & Q(covers__isnull=True)),
                name="appointment_cover_names_what_it_covers",
                violation_error_message="Cover names the appointment it covers, and only cover "
                                        "does.",
            ),
            models.CheckConstraint(
                condition=Q(contract_type="secondment", home_organisation__isnull=False)
                | (~Q(contract_type="secondment") & Q(home_organisation__isnull=True)),
                name="appointment_secondment_has_home",
                violation_error_message="A secondment names the organisation the secondee "
                                        "comes from, and only a secondment does.",
            ),
            models.CheckConstraint(
                condition=Q(wte__gt=0) & Q(wte__lte=1), name="appointment_wte_range"
            ),
            models.CheckConstraint(
                condition=Q(honorarium_share__gte=0), name="appointment_honorarium_gte_0"
            ),
            models.CheckConstraint(
                condition=(
                    Q(status__in=["ended", "ceased"], end_recorded_at__isnull=False)
                    & ~Q(end_reason="")
                )
                | Q(status__in=["offered", "active", "term_ended"], end_recorded_at__isnull=True,
                    end_reason=""),
                name="appointment_closure_recorded",
                violation_error_message="An ended or ceased appointment records when and why.",
            ),
        ]

    def __str__(self):
        return f"{self.person} — {self.post}"

    def get_absolute_url(self):
        return links.path("appointments:appointment-detail", self.pk)

    @property
    def original_end_date(self):
        """The end of the term as first agreed, before any extension."""
        first = self.extensions.order_by("number").first()
        return first.old_end_date if first else (self.scheduled_end_date or self.end_date)

    @property
    def status_tag(self):
        """(words, NHS tag colour) for the appointment's state, as lists show it. The state says
        whether the term has ended (the daily sweep records it), not a comparison of dates."""
        if self.status == self.Status.OFFERED:
            return ("Offered", "yellow")
        if self.is_closed or self.status == self.Status.TERM_ENDED:
            return (self.get_status_display(), "grey")
        if self.start_date is None:  # not saved yet
            return (self.get_status_display(), "")
        if self.start_date > timezone.localdate():
            return ("Starts later", "blue")
        if self.is_cover:
            return ("Acting", "green")
        return ("Active", "green")

    @property
    def is_closed(self):
        """Ended early or ceased: it can no longer be extended, ended or decided on."""
        return self.status in self.CLOSED

    @property
    def is_permanent(self):
        return self.contract_type == self.ContractType.PERMANENT

    @property
    def is_cover(self):
        return self.contract_type == self.ContractType.COVER

    @property
    def has_term_ended(self):
        return self.status == self.Status.TERM_ENDED

    def is_in_force(self, on=None):
        on = on or timezone.localdate()
        return (self.status != self.Status.OFFERED and self.start_date <= on
                and (self.end_date is None or on <= self.end_date))

    def days_to_end(self, on=None):
        """Days left in the term; None for a permanent appointment."""
        if self.end_date is None:
            return None
        return (self.end_date - (on or timezone.localdate())).days

    def clean(self):
        """The rules of a term: it ends after it starts (or, permanent, never), it fits its
        post, cover stays within what it covers, and it does not collide with other terms on the
        same post."""
        super().clean()
        if not (self.start_date and self.post_id and self.wte is not None):
            return
        errors = self._contract_errors()
        if errors:
            raise ValidationError(errors)
        if self.end_date is not None and self.end_date <= self.start_date:
            errors["end_date"] = "The end of the term must be after its start."
        post = self.post
        if self.wte > post.wte:
            errors["wte"] = (
                f"The appointment ({wte_text(self.wte)} WTE) is larger than the post "
                f"({wte_text(post.wte)} WTE)."
            )
        share = self.honorarium_share or ZERO
        if share and post.honorarium is None:
            errors["honorarium_share"] = "The post has no honorarium to share."
        elif post.honorarium is not None and share > post.honorarium:
            errors["honorarium_share"] = (
                f"The share (£{share:,.2f}) is more than the post's honorarium "
                f"(£{post.honorarium:,.2f})."
            )
        if not errors:
            errors.update(self._cover_errors())
        if not errors:
            errors.update(self._collisions())
        if errors:
            raise ValidationError(errors)

    def _contract_errors(self):
        """What each kind of contract must say: a permanent post no end, the rest an end; cover
        the appointment it covers; a secondment the home organisation."""
        Type, errors = self.ContractType, {}
        if self.contract_type == Type.PERMANENT:
            if self.end_date is not None and not self.is_closed:
                errors["end_date"] = "A permanent appointment has no end date: leave it blank."
        elif self.end_date is None:
            errors["end_date"] = "Enter the last day of the term."
        if self.contract_type == Type.COVER and self.covers_id is None:
            errors["covers"] = "Select the appointment this one covers."
        if self.contract_type != Type.COVER and self.covers_id is not None:
            errors["covers"] = "Only acting or interim cover covers another appointment."
        if self.contract_type == Type.SECONDMENT and self.home_organisation_id is None:
            errors["home_organisation"] = "Select the organisation the secondee comes from."
        if self.contract_type != Type.SECONDMENT and self.home_organisation_id is not None:
            errors["home_organisation"] = "Only a secondment has a home organisation."
        return errors

    def _cover_errors(self):
        """Cover is bounded by what it covers: the same post, another person, starting and
        ending within it, and taking no more time than it."""
        if not self.is_cover:
            return {}
        covered = self.covers
        if covered.post_id != self.post_id:
            return {"covers": f"Cover is on the post it covers: {covered.post}."}
        if covered.is_cover:
            return {"covers": "Choose the substantive appointment, not another cover."}
        if covered.person_id == self.person_id:
            return {"person": f"{self.person} cannot cover their own appointment."}
        if covered.status == self.Status.OFFERED or covered.is_closed:
            return {"covers": f"{covered.person}'s appointment is "
                              f"{covered.get_status_display().lower()}: only an appointment "
                              "that is held can be covered."}
        if self.start_date < covered.start_date or (
                covered.end_date is not None and self.end_date > covered.end_date):
            return {"start_date" if self.start_date < covered.start_date else "end_date": (
                f"Cover must start and end within the appointment it covers "
                f"({covered.start_date:%-d %B %Y} to {covered.term_end_text})."
            )}
        if self.wte > covered.wte:
            return {"wte": (f"Cover takes at most the time of the appointment it covers "
                            f"({wte_text(covered.wte)} WTE).")}
        return {}

    @property
    def term_end_text(self):
        """The last day of the term in words, or that there is none."""
        return f"{self.end_date:%-d %B %Y}" if self.end_date else "no end date (permanent)"

    def _collisions(self):
        """Other terms on the post that share a day with this one. Cover stands in for the
        appointment it covers: it may overlap that one (and only that one, unless the post
        allows job share), and it is never counted a second time beside it."""
        others = [
            a for a in Appointment.objects.filter(post_id=self.post_id).exclude(pk=self.pk)
            .overlapping(self.start_date, self.end_date).select_related("person")
            # This appointment's own cover, or the appointment this one covers.
            if not (self.pk and a.covers_id == self.pk) and a.pk != self.covers_id
        ]
        if not others:
            return {}
        post = self.post
        same_person = [a for a in others if a.person_id == self.person_id]
        if same_person:
            other = same_person[0]
            return {"start_date": (
                f"{other.person} already holds this post from {other.start_date:%-d %B %Y} to "
                f"{other.term_end_text}; terms for the same person cannot overlap."
            )}
        if not post.job_share_allowed:
            other = others[0]
            if self.is_cover:
                return {"post": (
                    f"{post} does not allow job share: cover may overlap only the appointment "
                    f"it covers, and {other.person} holds the post from "
                    f"{other.start_date:%-d %B %Y} to {other.term_end_text}."
                )}
            return {"post": (
                f"{post} does not allow job share and {other.person} holds it from "
                f"{other.start_date:%-d %B %Y} to {other.term_end_text}."
            )}
        # Covers stand in for the holders they cover, who are counted already.
        others = [a for a in others if not a.is_cover]
        errors = {}
        peak_wte = _peak(self, others, lambda a: a.wte)
        if peak_wte > post.wte:
            errors["wte"] = (
                f"With the other holders the post would be filled to {wte_text(peak_wte)} WTE; "
                f"it is {wte_text(post.wte)} WTE."
            )
        if post.honorarium is not None:
            peak_share = _peak(self, others, lambda a: a.honorarium_share or ZERO)
            if peak_share > post.honorarium:
                errors["honorarium_share"] = (
                    f"With the other holders' shares the honorarium would be £{peak_share:,.2f}; "
                    f"the {'pool' if post.honorarium_is_pool else 'honorarium'} is "
                    f"£{post.honorarium:,.2f}."
                )
        return errors


def last_day(appointment):
    """The last day of a term, with a permanent one running on indefinitely."""
    return appointment.end_date or datetime.date.max


def _peak(appointment, others, amount):
    """The largest total of ``amount`` held on any one day of ``appointment``'s term."""
    events = []
    for a in [appointment, *others]:
        start = max(a.start_date, appointment.start_date)
        end = min(last_day(a), last_day(appointment))
        if start <= end:
            events.append((start, 0, amount(a)))
            if end < datetime.date.max:
                events.append((end + datetime.timedelta(days=1), -1, -amount(a)))
    total = peak = ZERO
    # On the same day, terms ending the day before are removed before new ones are added.
    for _day, _order, change in sorted(events, key=lambda e: (e[0], e[1])):
        total += change
        peak = max(peak, total)
    return peak


def _individual_appointments(user):
    """The ids of the user's own appointments and of those granted to them one by one, in one
    query (every page that reads appointments asks it first)."""
    own = Appointment.objects.filter(person__user=user).order_by().values_list("pk")
    granted = (AppointmentUserObjectPermission.objects.filter(user=user).order_by()
               .values_list("content_object_id"))
    return sorted({pk for (pk,) in own.union(granted)})


class AppointmentUserObjectPermission(UserObjectPermissionBase):
    """Per-appointment grants: the exceptions to system/organisation access."""

    content_object = models.ForeignKey(Appointment, on_delete=models.CASCADE)


class AppointmentGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Appointment, on_delete=models.CASCADE)


class BulkChange(models.Model):
    """One bulk extension or cessation, applied all or nothing to a set of appointments."""

    class Kind(models.TextChoices):
        EXTEND = "extend", "Extend to a new end date"
        CEASE = "cease", "Cease on a date"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    on_date = models.DateField(help_text="The new end date, or the day the appointments cease.")
    reason = models.TextField()
    agreed_by = models.CharField(max_length=300)
    agreed_on = models.DateField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    appointment_count = models.PositiveIntegerField(default=0)
    appointments = models.ManyToManyField("Appointment", related_name="bulk_changes",
                                          blank=True)

    class Meta:
        ordering = ["-recorded_at"]

    def __str__(self):
        on = f"{self.on_date:%-d %b %Y}" if self.on_date else "(date not set)"
        return f"{self.get_kind_display()} {on} ({self.appointment_count})"


class Extension(models.Model):
    """A recorded move of a term's end date to later, with who agreed and when."""

    appointment = models.ForeignKey(
        Appointment, on_delete=models.CASCADE, related_name="extensions"
    )
    number = models.PositiveSmallIntegerField()
    old_end_date = models.DateField()
    new_end_date = models.DateField()
    reason = models.TextField()
    agreed_by = models.CharField(
        max_length=300, help_text="e.g. appointee, partnership executive group and partners"
    )
    agreed_on = models.DateField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    bulk_change = models.ForeignKey(
        BulkChange, on_delete=models.PROTECT, null=True, blank=True, related_name="extensions"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["appointment", "number"]
        constraints = [
            models.UniqueConstraint(fields=["appointment", "number"], name="extension_number"),
            models.CheckConstraint(
                condition=Q(new_end_date__gt=models.F("old_end_date")),
                name="extension_moves_end_later",
                violation_error_message="An extension must move the end of the term later.",
            ),
        ]

    def __str__(self):
        return f"Extension {self.number}: {self.old_end_date} → {self.new_end_date}"

    @property
    def months(self):
        if self.new_end_date is None or self.old_end_date is None:
            return None
        delta = self.new_end_date - self.old_end_date
        return round(delta.days / 30.44, 1)


class CommitmentConsent(models.Model):
    """An approver's consent to a person holding more leadership time than their system's
    ceiling, given for an appointment or an extension: evidence of who agreed, when and why,
    kept beside what it allowed (docs/adr/0005)."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE,
                                    related_name="commitment_consents")
    extension = models.OneToOneField(Extension, on_delete=models.CASCADE, null=True, blank=True,
                                     related_name="commitment_consent")
    given_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 related_name="+", help_text="The approver who consented.")
    given_at = models.DateTimeField(default=timezone.now)
    reason = models.TextField()
    peak_wte = models.DecimalField("peak WTE", max_digits=5, decimal_places=2)
    peak_on = models.DateField(help_text="The first day the peak is held.")
    ceiling_wte = models.DecimalField("ceiling WTE", max_digits=4, decimal_places=2)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, related_name="+")

    class Meta:
        ordering = ["given_at", "pk"]

    def __str__(self):
        if self.peak_wte is None or self.ceiling_wte is None:
            return "Consent above the commitment ceiling"
        return (f"{wte_text(self.peak_wte)} WTE, above the ceiling of "
                f"{wte_text(self.ceiling_wte)} WTE")


class VacancyQuerySet(models.QuerySet):
    """Vacancies are reached through their posts, like everything else."""

    def visible_to(self, user):
        return self.filter(post__in=Post.objects.visible_to(user).values("pk"))

    def editable_by(self, user):
        return self.filter(post__in=Post.objects.editable_by(user).values("pk"))

    @access.scoped
    def approvable_by(self, user):
        """Vacancies whose approval to recruit the user may give: the CMO/CNO office."""
        return self.filter(post__system__in=access.granted_systems(user, access.APPROVE))

    def with_capabilities(self, user):
        """Annotate ``can_edit`` (HR: each recruitment step) and ``can_approve`` (the CMO/CNO
        office: approval to recruit), in the same query."""
        objects = self.model.objects
        return self.annotate(can_edit=access.flag(objects.editable_by(user)),
                             can_approve=access.flag(objects.approvable_by(user)))

    def open(self):
        return self.filter(status=Vacancy.Status.OPEN)

    def awaiting_approval(self):
        """Open, and waiting for the CMO/CNO office to approve recruitment."""
        return self.open().filter(approval=Vacancy.Approval.REQUESTED)


class Vacancy(models.Model):
    """A post to be filled: opened when a term-end decision is to re-advertise, or by HR. It is
    recruited to only once the CMO/CNO office approves, and ends in the appointment it made."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        FILLED = "filled", "Filled"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class Approval(models.TextChoices):
        REQUESTED = "requested", "Awaiting approval to recruit"
        APPROVED = "approved", "Approved to recruit"
        DECLINED = "declined", "Not approved"

    post = models.ForeignKey(Post, on_delete=models.PROTECT, related_name="vacancies")
    reason = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    opened_on = models.DateField(default=datetime.date.today)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # Approval to recruit, by the CMO/CNO office.
    approval = models.CharField(max_length=10, choices=Approval.choices,
                                default=Approval.REQUESTED)
    approval_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    approval_on = models.DateField(null=True, blank=True)
    approval_note = models.TextField(blank=True)
    # The plan: when the role is to be advertised, onboarded and started.
    advertise_from = models.DateField("advertise from", null=True, blank=True)
    onboarding_from = models.DateField("onboarding from", null=True, blank=True)
    expected_start = models.DateField("envisaged start date", null=True, blank=True)
    # What happened.
    advert_reference = models.CharField(
        max_length=40, blank=True, help_text="e.g. the NHS Jobs reference."
    )
    advertised_where = models.CharField(max_length=300, blank=True)
    advertised_on = models.DateField(null=True, blank=True)
    closes_on = models.DateField("closing date", null=True, blank=True)
    shortlisted_on = models.DateField(null=True, blank=True)
    interview_on = models.DateField("interview date", null=True, blank=True)
    offer_on = models.DateField("offer made on", null=True, blank=True)
    appointment = models.OneToOneField(
        Appointment, on_delete=models.SET_NULL, null=True, blank=True, related_name="vacancy",
        help_text="The appointment that filled the vacancy.",
    )
    history = HistoricalRecords()

    objects = VacancyQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_on", "pk"]
        verbose_name_plural = "vacancies"
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_on__isnull=True) | Q(advertised_on__isnull=True)
                | Q(closes_on__gte=models.F("advertised_on")),
                name="vacancy_closes_after_advert",
                violation_error_message="The closing date cannot be before the advert.",
            ),
            models.CheckConstraint(
                condition=Q(approval="approved") | Q(advertised_on__isnull=True),
                name="vacancy_advert_needs_approval",
                violation_error_message="A vacancy is advertised only once approved.",
            ),
        ]

    def __str__(self):
        return f"Vacancy: {self.post} (opened {self.opened_on:%-d %b %Y})"

    def get_absolute_url(self):
        return links.path("appointments:vacancy-detail", self.pk)

    STAGES = [
        ("opened", "Opened"),
        ("approved", "Approved to recruit"),
        ("advertised", "Advertised"),
        ("closed", "Closed to applications"),
        ("shortlisted", "Shortlisted"),
        ("interviewed", "Interviewed"),
        ("offered", "Offer made"),
        ("started", "Started"),
    ]

    def stage_dates(self):
        """Each stage of the recruitment with the day it was reached (None if not yet)."""
        appointment = self.appointment
        return {
            "opened": self.opened_on,
            "approved": self.approval_on if self.approval == self.Approval.APPROVED else None,
            "advertised": self.advertised_on,
            "closed": self.closes_on,
            "shortlisted": self.shortlisted_on,
            "interviewed": self.interview_on,
            "offered": self.offer_on,
            "started": appointment.start_date if appointment and appointment.status in (
                Appointment.Status.ACTIVE, Appointment.Status.TERM_ENDED) else None,
        }

    @property
    def next_step(self):
        """What has to happen next ("approval", "advert", "shortlist", "interview", "offer",
        "accept"), or None when nothing can: withdrawn, filled, or not approved."""
        if self.status != self.Status.OPEN or self.approval == self.Approval.DECLINED:
            return None
        if self.approval == self.Approval.REQUESTED:
            return "approval"
        if not self.advertised_on:
            return "advert"
        if not self.shortlisted_on:
            return "shortlist"
        if not self.interview_on:
            return "interview"
        if not self.appointment_id:
            return "offer"
        return "accept"

    @property
    def stage_colour(self):
        """The NHS tag colour of ``stage``: green once filled, grey when it went nowhere."""
        if self.status == self.Status.FILLED:
            return "green"
        if self.status == self.Status.WITHDRAWN or self.approval == self.Approval.DECLINED:
            return "grey"
        return ""

    @property
    def stage(self):
        """The furthest stage reached, as words."""
        if self.status == self.Status.WITHDRAWN:
            return "Withdrawn"
        if self.approval == self.Approval.DECLINED:
            return "Not approved"
        if self.status == self.Status.FILLED:
            return "Filled"
        if self.approval == self.Approval.REQUESTED:
            return self.Approval.REQUESTED.label
        dates, today = self.stage_dates(), timezone.localdate()
        for key, label in reversed(self.STAGES):
            if dates[key] and dates[key] <= today:
                return label
        return self.Approval.APPROVED.label


class ApplicantCount(models.Model):
    """How many applied and were shortlisted, by profession: numbers only, never who, so the
    system can see whether its recruitment reaches beyond medicine."""

    vacancy = models.ForeignKey(Vacancy, on_delete=models.CASCADE, related_name="applicants")
    profession = models.CharField(max_length=30, choices=Profession.choices)
    applied = models.PositiveIntegerField(default=0)
    shortlisted = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["vacancy", "profession"]
        constraints = [
            models.UniqueConstraint(fields=["vacancy", "profession"],
                                    name="applicants_one_row_per_profession"),
            models.CheckConstraint(condition=Q(shortlisted__lte=models.F("applied")),
                                   name="applicants_shortlist_within_applied",
                                   violation_error_message="More shortlisted than applied."),
        ]

    def __str__(self):
        return f"{self.get_profession_display()}: {self.applied} applied"


# --- Approval routes: who must agree, and what each party decided ----------------------------
# See docs/adr/0009. A route says, for one system and one subject (approval to recruit, a
# direct appointment, an extension), which parties must agree and on what terms; a request
# carries one PartyDecision per party. The writes are in services/approvals.py.


class ApprovalRoute(models.Model):
    """Which parties must agree one kind of change in one system, and on what terms.

    A system that has configured no route for a subject follows the default one
    (``ApprovalRoute.default``): a single party, the system's CMO/CNO office, which is whoever
    holds the ``approve_extensions`` grant on the system; no agreement may be recorded from
    outside the register and no appraisal gate. It is written as a route the first time it is
    needed (and for every system that existed when routes came in), so an administrator sees
    it, and changes it, in the admin like any other."""

    class Subject(models.TextChoices):
        RECRUITMENT = "recruitment", "Approval to recruit"
        APPOINTMENT = "appointment", "A direct appointment, without recruitment"
        EXTENSION = "extension", "An extension of a term"

    DEFAULT_PARTY = "CMO/CNO office"

    system = models.ForeignKey("roles.System", on_delete=models.CASCADE,
                               related_name="approval_routes")
    subject = models.CharField(max_length=12, choices=Subject.choices)
    allows_outside_agreement = models.BooleanField(
        "an agreement made outside the register may be recorded", default=False,
        help_text="HR may then record that the parties agreed elsewhere (at a board or "
                  "executive group meeting), with the evidence, such as the minute reference, "
                  "and the date, which cannot be in the future.")
    appraisal_gate = models.BooleanField(
        "extensions need a satisfactory appraisal", default=False,
        help_text="An extension cannot be agreed without a signed-off satisfactory appraisal "
                  "in the last 12 months, unless an approver overrides the check with a reason. "
                  "For extensions only.")
    escalate_after_days = models.PositiveSmallIntegerField(
        "escalate after (days)", default=7,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="A party that has not decided after this many days is reported to the "
                  "system's CMO/CNO office.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["system__name", "subject"]
        constraints = [
            models.UniqueConstraint(fields=["system", "subject"],
                                    name="approval_route_one_per_subject"),
        ]

    def __str__(self):
        return f"{self.get_subject_display()} — {self.system}"

    @classmethod
    def default(cls, system, subject):
        """The route of a system that has configured none for ``subject`` (unsaved; its one
        party is ``DEFAULT_PARTY``, decided by the CMO/CNO office)."""
        return cls(system=system, subject=subject)

    @classmethod
    def of(cls, system, subject):
        """The system's route for ``subject`` as it stands: the configured one, or the default
        (unsaved) one. For pages that say what a request will need; requests use
        ``services.route_for``, which writes the default down."""
        return (cls.objects.filter(system=system, subject=subject).prefetch_related("parties")
                .first() or cls.default(system, subject))

    def party_names(self):
        if self.pk is None:
            return [self.DEFAULT_PARTY]
        return [party.name for party in self.parties.all()]

    def clean(self):
        super().clean()
        if self.appraisal_gate and self.subject != self.Subject.EXTENSION:
            raise ValidationError({"appraisal_gate": "The appraisal check applies to "
                                                     "extensions only."})


class ApprovalParty(models.Model):
    """One party that must agree on a route, and who may decide for it in the browser."""

    class DecidedBy(models.TextChoices):
        OFFICE = "office", "The system's CMO/CNO office (whoever may agree extensions there)"
        USERS = "users", "The users named here"
        APPOINTEE = "appointee", "The appointee, with their own account"

    route = models.ForeignKey(ApprovalRoute, on_delete=models.CASCADE, related_name="parties")
    name = models.CharField(max_length=100, help_text="e.g. Chief Medical Officer, the "
                                                      "partnership's Executive Group, a partner")
    decided_by = models.CharField(max_length=10, choices=DecidedBy.choices,
                                  default=DecidedBy.USERS)
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="approval_parties",
        help_text="Who may decide for this party, when it is decided by the users named here. "
                  "Each must hold a grant on the register, so they sign in with an "
                  "authenticator app. With nobody named, the party's agreement can only be "
                  "recorded from outside the register (where the route allows) or overridden.")
    position = models.PositiveSmallIntegerField(default=0)
    history = HistoricalRecords(m2m_fields=[users])

    class Meta:
        ordering = ["route", "position", "pk"]
        verbose_name_plural = "approval parties"
        constraints = [
            models.UniqueConstraint(fields=["route", "name"], name="approval_party_name"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        if (self.decided_by == self.DecidedBy.APPOINTEE and self.route_id
                and self.route.subject == ApprovalRoute.Subject.RECRUITMENT):
            raise ValidationError({"decided_by": "Approval to recruit has no appointee yet."})


class ApprovalRequestQuerySet(models.QuerySet):
    @access.scoped
    def visible_to(self, user):
        """Requests about what the user can see (the appointment, the vacancy, the post of a
        direct appointment), and those they decide on."""
        return self.filter(
            Q(appointment__in=Appointment.objects.visible_to(user).values("pk"))
            | Q(vacancy__in=Vacancy.objects.visible_to(user).values("pk"))
            | Q(post__in=Post.objects.visible_to(user).values("pk"))
            | Q(pk__in=PartyDecision.objects.of_decider(user).values("request"))
        )

    def pending(self):
        return self.filter(status=ApprovalRequest.Status.PENDING)


class ApprovalRequest(models.Model):
    """A change that waits for the parties of its route: an extension (with its term-end
    decision), approval to recruit to a vacancy, or a direct appointment. It is applied, through
    the same services as ever, once every party has agreed; one party declining declines it."""

    class Status(models.TextChoices):
        PENDING = "pending", "Awaiting agreement"
        AGREED = "agreed", "Agreed"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class How(models.TextChoices):
        REGISTER = "register", "Agreed in the register"
        OUTSIDE = "outside", "Agreed outside the register, recorded with its evidence"
        OVERRIDE = "override", "Administrator's override"

    route = models.ForeignKey(ApprovalRoute, on_delete=models.PROTECT, related_name="requests")
    subject = models.CharField(max_length=12, choices=ApprovalRoute.Subject.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    how = models.CharField(max_length=10, choices=How.choices, blank=True)
    reason = models.TextField(blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    # An extension: the appointment, the end proposed, and what it became.
    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, null=True,
                                    blank=True, related_name="approval_requests")
    term_end_decision = models.OneToOneField("TermEndDecision", on_delete=models.SET_NULL,
                                             null=True, blank=True, related_name="approval")
    proposed_end_date = models.DateField(null=True, blank=True)
    extension = models.OneToOneField(Extension, on_delete=models.SET_NULL, null=True,
                                     blank=True, related_name="approval")
    bulk_change = models.ForeignKey(BulkChange, on_delete=models.PROTECT, null=True,
                                    blank=True, related_name="approval_requests")
    # Approval to recruit.
    vacancy = models.OneToOneField(Vacancy, on_delete=models.CASCADE, null=True, blank=True,
                                   related_name="approval_request")
    # A direct appointment: what will be appointed once agreed (``appointment`` then holds it).
    post = models.ForeignKey(Post, on_delete=models.PROTECT, null=True, blank=True,
                             related_name="appointment_requests")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="appointment_requests")
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    wte = models.DecimalField("WTE", max_digits=4, decimal_places=2, null=True, blank=True)
    honorarium_share = models.DecimalField(max_digits=10, decimal_places=2, null=True,
                                           blank=True)
    offered = models.BooleanField(default=False, help_text="Appointed as offered, not yet "
                                                           "accepted.")
    contract_type = models.CharField(max_length=12, choices=Appointment.ContractType.choices,
                                     default=Appointment.ContractType.FIXED_TERM)
    covers = models.ForeignKey(Appointment, on_delete=models.CASCADE, null=True, blank=True,
                               related_name="cover_requests")
    home_organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, null=True,
                                          blank=True, related_name="+")
    # An offer from a vacancy that waits for an approver's consent above the commitment ceiling:
    # once agreed, the appointment is the vacancy's offer.
    offer_for = models.ForeignKey(Vacancy, on_delete=models.CASCADE, null=True, blank=True,
                                  related_name="offer_requests")
    # An approver's consent to going above the commitment ceiling, given with the request and
    # applied with it (an appointment or an extension).
    consent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    consent_reason = models.TextField(blank=True)
    # An administrator's override of the route: always with a reason, shown for good.
    override_reason = models.TextField(blank=True)
    overridden_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                      null=True, blank=True, related_name="+")
    overridden_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    objects = ApprovalRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(subject="extension")
                | Q(appointment__isnull=False, proposed_end_date__isnull=False),
                name="approval_extension_names_its_term"),
            models.CheckConstraint(condition=~Q(subject="recruitment") | Q(vacancy__isnull=False),
                                   name="approval_recruitment_names_its_vacancy"),
            models.CheckConstraint(
                condition=~Q(subject="appointment")
                | Q(post__isnull=False, person__isnull=False, start_date__isnull=False),
                name="approval_appointment_names_who_and_where"),
            models.CheckConstraint(
                condition=~Q(how="override") | (Q(overridden_at__isnull=False)
                                                & ~Q(override_reason="")),
                name="approval_override_has_a_reason",
                violation_error_message="An override records who, when and why."),
        ]

    def __str__(self):
        return f"{self.get_subject_display()}: {self.about}"

    def get_absolute_url(self):
        return links.path("appointments:approval-detail", self.pk)

    @property
    def about(self):
        """What is asked for, in words."""
        if self.subject == ApprovalRoute.Subject.EXTENSION:
            return (f"{self.appointment}, to end {self.proposed_end_date:%-d %B %Y}"
                    if self.proposed_end_date else str(self.appointment))
        if self.subject == ApprovalRoute.Subject.RECRUITMENT:
            return str(self.vacancy.post) if self.vacancy_id else ""
        return f"{self.person} to {self.post}" if self.post_id else ""

    @property
    def subject_url(self):
        """The page of what the request is about."""
        if self.subject == ApprovalRoute.Subject.RECRUITMENT:
            return self.vacancy.get_absolute_url()
        if self.appointment_id:
            return self.appointment.get_absolute_url()
        return self.post.get_absolute_url()

    @property
    def system(self):
        return self.route.system

    @property
    def is_pending(self):
        return self.status == self.Status.PENDING

    @property
    def is_override(self):
        return self.how == self.How.OVERRIDE

    @property
    def waiting_for(self):
        """The names of the parties still to decide (from prefetched decisions, if any)."""
        return [d.name for d in self.decisions.all() if d.status == PartyDecision.Status.PENDING]

    @property
    def status_colour(self):
        return {self.Status.AGREED: "green", self.Status.DECLINED: "red",
                self.Status.WITHDRAWN: "grey"}.get(self.status, "yellow")

    def actions_for(self, user, *, may_change):
        """What ``user`` may do to this request now; the request's pages offer exactly these
        and the services check the same rules. ``may_change``: whether they are HR of what
        the request is about or its system's CMO/CNO office (``services.may_change_subject``)."""
        return ApprovalActions.of(self, user, may_change=may_change)


@dataclass(frozen=True)
class ApprovalActions:
    decide: list  # the PartyDecisions the user may take now
    record_outside: bool
    override: bool

    @classmethod
    def of(cls, request, user, *, may_change):
        pending = request.is_pending
        decide = list(PartyDecision.objects.decidable_by(user).filter(request=request)
                      .order_by("position", "pk")) if pending else []
        return cls(
            decide=decide,
            record_outside=pending and request.route.allows_outside_agreement and may_change,
            override=pending and access.is_admin(user),
        )

    @property
    def any(self):
        return bool(self.decide or self.record_outside or self.override)


class PartyDecisionQuerySet(models.QuerySet):
    def of_decider(self, user):
        """The parties' decisions ``user`` decides for: as a user the party names, as the
        system's CMO/CNO office, or as the appointee. An administrator is none of these unless
        named: administrators override, with a reason, and never decide silently for a party."""
        if not access.is_signed_in(user):
            return self.none()
        DecidedBy = ApprovalParty.DecidedBy
        named = ApprovalParty.users.through.objects.filter(
            approvalparty=models.OuterRef("party"), user=user)
        return self.filter(
            Q(party__decided_by=DecidedBy.USERS) & models.Exists(named)
            | Q(party__decided_by=DecidedBy.OFFICE,
                request__route__system__in=access.granted_systems(user, access.APPROVE))
            | Q(party__decided_by=DecidedBy.APPOINTEE, request__appointment__person__user=user)
            | Q(party__decided_by=DecidedBy.APPOINTEE, request__appointment__isnull=True,
                request__person__user=user)
        )

    def decidable_by(self, user):
        """Those the user may take now: still to decide, on a request still pending."""
        return self.of_decider(user).filter(status=PartyDecision.Status.PENDING,
                                            request__status=ApprovalRequest.Status.PENDING)

    def awaiting(self):
        return self.filter(status=PartyDecision.Status.PENDING,
                           request__status=ApprovalRequest.Status.PENDING)


class PartyDecision(models.Model):
    """One party's decision on a request: who decided, when, and on what evidence. Written once,
    from pending to agreed or declined, by the services."""

    class Status(models.TextChoices):
        PENDING = "pending", "Still to decide"
        AGREED = "agreed", "Agreed"
        DECLINED = "declined", "Declined"

    request = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE,
                                related_name="decisions")
    party = models.ForeignKey(ApprovalParty, on_delete=models.PROTECT, related_name="decisions")
    name = models.CharField(max_length=100, help_text="The party's name when it was asked.")
    position = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+",
                                   help_text="Who decided, or who recorded an agreement made "
                                             "outside the register.")
    decided_at = models.DateTimeField(null=True, blank=True)
    agreed_on = models.DateField(null=True, blank=True, help_text="The day the party decided "
                                                                  "(outside: the meeting's).")
    outside = models.BooleanField("agreed outside the register", default=False)
    evidence = models.CharField(max_length=200, blank=True,
                                help_text="e.g. the minute reference of the meeting.")
    note = models.TextField(blank=True)
    gate_override_reason = models.TextField(
        blank=True, help_text="Why the extension was agreed without a satisfactory appraisal.")

    objects = PartyDecisionQuerySet.as_manager()

    class Meta:
        ordering = ["request", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["request", "party"],
                                    name="party_decides_once_per_request"),
            models.CheckConstraint(
                condition=Q(status="pending") | Q(decided_at__isnull=False),
                name="party_decision_recorded",
                violation_error_message="A decision records when it was made."),
        ]

    def __str__(self):
        return f"{self.name}: {self.get_status_display()}"

    def get_absolute_url(self):
        return links.path("appointments:approval-decide", self.pk)

    @property
    def status_colour(self):
        return {self.Status.AGREED: "green", self.Status.DECLINED: "red"}.get(self.status,
                                                                             "yellow")


class TermEndDecisionQuerySet(models.QuerySet):
    def standing(self):
        """Decisions that still hold: awaiting agreement or agreed."""
        return self.filter(
            status__in=[TermEndDecision.Status.PENDING, TermEndDecision.Status.AGREED]
        )

    def awaiting_agreement(self):
        return self.filter(status=TermEndDecision.Status.PENDING)


class TermEndDecision(models.Model):
    """What happens when a term ends: extend it, re-advertise the post, or let it end. An
    extension proposed by HR waits for the CMO/CNO office to agree it; the other outcomes stand
    as soon as they are recorded."""

    class Outcome(models.TextChoices):
        EXTEND = "extend", "Extend the term"
        READVERTISE = "readvertise", "Re-advertise the post"
        LET_END = "let_end", "Let the term end"

    class Status(models.TextChoices):
        PENDING = "pending", "Awaiting agreement"
        AGREED = "agreed", "Agreed"
        DECLINED = "declined", "Declined"
        SUPERSEDED = "superseded", "Replaced by a later decision"

    appointment = models.ForeignKey(
        Appointment, on_delete=models.CASCADE, related_name="decisions"
    )
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    term_end_date = models.DateField(help_text="The end of the term this decision is about.")
    proposed_end_date = models.DateField(null=True, blank=True)
    note = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.AGREED)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)
    agreed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    agreed_at = models.DateTimeField(null=True, blank=True)
    extension = models.OneToOneField(
        Extension, on_delete=models.SET_NULL, null=True, blank=True, related_name="decision"
    )
    vacancy = models.OneToOneField(
        Vacancy, on_delete=models.SET_NULL, null=True, blank=True, related_name="decision"
    )
    history = HistoricalRecords()

    objects = TermEndDecisionQuerySet.as_manager()

    class Meta:
        ordering = ["-decided_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(outcome="extend") | Q(proposed_end_date__isnull=False),
                name="decision_extend_has_date",
            ),
        ]

    def __str__(self):
        return f"{self.get_outcome_display()} — {self.appointment}"
