import secrets

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone

from . import access
from .notification_registry import REGISTRY


def new_calendar_token():
    return secrets.token_urlsafe(32)


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, email):
        return self.get(email__iexact=email)

    def create_user(self, email, password=None, **extra):
        if not email:
            raise ValueError("A user needs an e-mail address.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """Someone who signs in. The e-mail address is the login, compared without regard to case."""

    email = models.EmailField("e-mail address", max_length=254, unique=True)
    full_name = models.CharField(max_length=200, blank=True)
    is_staff = models.BooleanField(
        "administrator", default=False, help_text="Can sign in to the Django admin."
    )
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    weekly_digest = models.BooleanField(
        default=False,
        help_text="One e-mail a week of everything ending or overdue, instead of single reminders.",
    )
    invited_by = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        help_text="Who gave this person their account.",
    )
    calendar_token = models.CharField(
        max_length=64, unique=True, default=new_calendar_token, editable=False,
        help_text="The secret part of the user's private calendar feed address.",
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        ordering = ["email"]

    def __str__(self):
        return self.full_name or self.email

    def save(self, *args, **kwargs):
        # Stored lower-case so the unique index also holds regardless of case.
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)

    def get_full_name(self):
        return self.full_name or self.email

    def get_short_name(self):
        return self.full_name.split(" ")[0] if self.full_name else self.email


class NotificationQuerySet(models.QuerySet):
    @access.scoped
    def visible_to(self, user):
        """Reminders about what the user can see (each app says which of its objects, in
        REGISTRY.readers), and those sent to them. 360° invitations are about raters, whom only
        their own link reaches."""
        readable = models.Q(recipient=user)
        for object_type, ids_visible_to in REGISTRY.readers.items():
            readable |= models.Q(object_type=object_type, object_id__in=ids_visible_to(user))
        return self.filter(readable)

    def about(self, obj):
        return self.filter(object_type=obj._meta.label_lower, object_id=obj.pk)

    def unsent(self):
        return self.filter(status__in=[Notification.Status.QUEUED, Notification.Status.RETRYING])


class Notification(models.Model):
    """The ledger (an outbox) of every reminder and invitation: one row per object, kind,
    milestone and recipient, enforced by a unique constraint. Whoever writes a row first wins;
    a second sweep, a second beat or a redelivered task finds it there and sends nothing more."""

    class Kind(models.TextChoices):
        TERM_ENDING = "term_ending", "Term ending"
        TERM_ENDED = "term_ended", "Term ended without a decision"
        APPRAISAL_DUE = "appraisal_due", "Appraisal due"
        APPRAISAL_OVERDUE = "appraisal_overdue", "Appraisal overdue"
        RATER_INVITATION = "rater_invitation", "360° invitation"
        RATER_CHASER = "rater_chaser", "360° reminder"
        JD_REVIEW = "jd_review", "Job description review due"
        WEEKLY_DIGEST = "weekly_digest", "Weekly digest"
        ACCOUNT_INVITATION = "account_invitation", "Account invitation"
        APPROVAL_AWAITED = "approval_awaited", "Decision awaited"
        APPROVAL_ESCALATED = "approval_escalated", "Decision overdue"
        APPROVAL_DECIDED = "approval_decided", "Request decided"
        DECLARATION_DUE = "declaration_due", "Declaration of interests due"
        DECLARATION_OVERDUE = "declaration_overdue", "Declaration of interests overdue"
        TOR_REVIEW = "tor_review", "Terms of reference review due"
        SURVEY_INVITATION = "survey_invitation", "Leadership survey invitation"
        SURVEY_CHASER = "survey_chaser", "Leadership survey reminder"
        FPPT_DUE = "fppt_due", "Fit and proper person test due"
        FPPT_OVERDUE = "fppt_overdue", "Fit and proper person test overdue"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RETRYING = "retrying", "Retrying"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Not needed any more"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    milestone = models.CharField(
        max_length=40, help_text="Which reminder of the object this is, e.g. 90@2027-03-31."
    )
    object_type = models.CharField(max_length=60)
    object_id = models.PositiveBigIntegerField()
    recipient_email = models.EmailField()
    recipient = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="notifications"
    )
    subject = models.CharField(max_length=200)
    context = models.JSONField(
        default=dict, blank=True,
        help_text="What the e-mail is written from when it is sent: the records it names (by "
                  "type and id), dates and numbers.")
    body_text = models.TextField(
        blank=True, help_text="The e-mail as sent (a private link left out); empty until then.")
    body_html = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    queued_at = models.DateTimeField(
        null=True, blank=True,
        help_text="When a message to send it was last put on the queue; empty when none is.")
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_type", "object_id", "milestone", "recipient_email"],
                name="notification_once_per_recipient",
            ),
        ]
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["status", "queued_at"]),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} to {self.recipient_email} ({self.milestone})"

    @property
    def status_colour(self):
        """The NHS tag colour of the status: green sent, red failed, yellow still to go."""
        return {self.Status.SENT: "green", self.Status.FAILED: "red",
                self.Status.CANCELLED: "grey"}.get(self.status, "yellow")



class AppendOnly(Exception):
    """An audit event was about to be changed or removed: a mistake in the code, never a user's."""


class AuditEventQuerySet(models.QuerySet):
    """Audit events are appended, never changed: a bulk update or delete is refused like a
    change to one row."""

    def update(self, **kwargs):
        raise AppendOnly("Audit events are never changed.")

    def delete(self):
        raise AppendOnly("Audit events are never removed.")

    def about(self, obj):
        return self.filter(object_type=obj._meta.label_lower, object_id=obj.pk)


class AuditEvent(models.Model):
    """Something done that the change history does not show but an auditor must be able to
    see: register data leaving the register (a CSV or Excel export, a PDF), a 360° report read,
    individual equality data shown, and the decisions and overrides of approvals. Written by
    ``ccpl.audit.record``, never changed or removed: not through the model, a QuerySet, nor the
    admin (docs/adr/0005).

    It names who acted and what they acted on, never what the object held: a 360° report read is
    the reader and the cycle, nothing about its raters (docs/adr/0008)."""

    class Action(models.TextChoices):
        EXPORTED = "exported", "Exported to a spreadsheet"
        PDF_DOWNLOADED = "pdf_downloaded", "PDF downloaded"
        REPORT_VIEWED = "report_viewed", "360° report read"
        EQUALITY_VIEWED = "equality_viewed", "Individual equality data shown"
        AGREED = "agreed", "Agreed"
        REFUSED = "refused", "Refused"
        AGREEMENT_RECORDED = "agreement_recorded", "Agreement made outside the register recorded"
        OVERRIDDEN = "overridden", "Overridden by an administrator"

    at = models.DateTimeField("when", default=timezone.now, editable=False)
    action = models.CharField(max_length=30, choices=Action.choices)
    # PROTECT: an account with audit events is deactivated, never deleted, so the record keeps
    # who acted (and deleting it would otherwise have to change these rows).
    by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="audit_events",
        db_index=False,  # audit_by_idx (by, at) serves it
        verbose_name="who", help_text="Who acted; empty when nobody was signed in.",
    )
    object_type = models.CharField(
        max_length=60, blank=True, help_text="The kind of record, e.g. appraisals.cycle."
    )
    object_id = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="Empty for an export of many records."
    )
    object_repr = models.CharField(
        "object", max_length=200, blank=True, db_index=True,
        help_text="The record's name when the event happened.",
    )
    detail = models.TextField(blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        # Read in the admin; never added, changed or deleted there.
        default_permissions = ["view"]
        indexes = [
            models.Index(fields=["at"], name="audit_at_idx"),
            models.Index(fields=["by", "at"], name="audit_by_idx"),
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
            models.Index(fields=["object_id"], name="audit_object_id_idx"),
        ]

    def __str__(self):
        what = f" — {self.object_repr}" if self.object_repr else ""
        return f"{self.get_action_display()}{what}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnly("Audit events are never changed.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("Audit events are never removed.")


# --- Personal access tokens for the API --------------------------------------------------------

class AccessTokenQuerySet(models.QuerySet):
    def usable(self, now=None):
        """Tokens that still open the API: neither revoked nor expired."""
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True, expires_at__gt=now)


class AccessToken(models.Model):
    """A personal access token: how a program (a BI team's nightly extract, a trust's own
    tools) reads or changes the register through the API as the user who made it, seeing
    exactly what that user sees. Only a SHA-256 hash of the secret is stored; the secret is shown
    once, when the token is made. Every token expires; a revoked one never works again."""

    class Scope(models.TextChoices):
        READ = "read", "Read only"
        WRITE = "write", "Read and change"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="access_tokens")
    name = models.CharField(max_length=100, help_text="What the token is for, in your words.")
    scope = models.CharField(max_length=5, choices=Scope.choices, default=Scope.READ)
    digest = models.CharField(max_length=64, unique=True, editable=False,
                              help_text="SHA-256 of the secret, in hex.")
    hint = models.CharField(max_length=20, editable=False,
                            help_text="The secret's first characters, to tell tokens apart.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = AccessTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(expires_at__gt=models.F("created_at")),
                                   name="access_token_expires_after_creation"),
        ]

    def __str__(self):
        return f"{self.name} ({self.hint}…)"

    @property
    def is_revoked(self):
        return self.revoked_at is not None

    def is_usable(self, now=None):
        return (not self.is_revoked and self.expires_at is not None
                and self.expires_at > (now or timezone.now()))

    @property
    def state(self):
        """The token's state in words, for the account page."""
        if self.is_revoked:
            return "Revoked"
        return "Active" if self.is_usable() else "Expired"


class AccessTokenUse(models.Model):
    """One request made with a token: the record an auditor reads to see what a program did
    with a user's access. Appended, never changed; deleted ACCESS_TOKEN_USE_DAYS after it was
    made (services.forget_old_token_uses)."""

    token = models.ForeignKey(AccessToken, on_delete=models.CASCADE, related_name="uses")
    at = models.DateTimeField(default=timezone.now)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=300)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["token", "at"], name="token_use_token_at_idx"),
                   # the daily retention deletes by age, across every token
                   models.Index(fields=["at"], name="token_use_at_idx")]

    def __str__(self):
        return f"{self.method} {self.path} at {self.at:%Y-%m-%d %H:%M}"
