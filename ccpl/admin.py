from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django.db.models import Max

from . import notifications, services
from .models import AccessToken, AccessTokenUse, AuditEvent, Notification, User


class ListedInline(admin.TabularInline):
    """Rows listed on their parent's page for reference: each is changed on its own page, or
    through the service that writes it, never added or removed here."""

    extra = 0
    can_delete = False
    show_change_link = True

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False


class RecordAdminMixin:
    """Records a service writes with who, when and why (an extension, a bulk change, a
    decision, a notification): the admin lists and shows them, and never adds or edits one."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class EmailUserCreationForm(UserCreationForm):
    class Meta:
        model = User
        fields = ["email", "full_name"]


class EmailUserChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = EmailUserChangeForm
    add_form = EmailUserCreationForm
    list_display = ["email", "full_name", "is_staff", "is_superuser", "is_active", "last_login"]
    list_filter = ["is_staff", "is_superuser", "is_active", "groups"]
    search_fields = ["email", "full_name"]
    ordering = ["email"]
    fieldsets = [
        (None, {"fields": ["email", "full_name", "password"]}),
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser", "groups",
                               "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"],
                "fields": ["email", "full_name", "password1", "password2"]}),
    ]


@admin.register(Notification)
class NotificationAdmin(RecordAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "kind", "milestone", "recipient_email", "status", "attempts",
                    "sent_at"]
    list_filter = ["kind", "status", "created_at"]
    search_fields = ["recipient_email", "subject"]
    date_hierarchy = "created_at"
    readonly_fields = ["e_mail"]

    @admin.display(description="E-mail (plain text)")
    def e_mail(self, notification):
        """The e-mail as it was sent; for a row not sent yet, as it would be written now (its
        e-mail is written when it is sent: docs/adr/0015)."""
        if notification.body_text or notification.pk is None:
            return notification.body_text
        written = notifications.write_bodies(notification)
        if written is None:
            return "Nothing to write: what it is about has been deleted."
        return f"Not sent yet. Written now, it reads:\n\n{written[0]}"


class ObjectTypeFilter(admin.SimpleListFilter):
    """The kinds of record the events are about, by their names (appraisals.cycle reads as
    "360° cycle")."""

    title = "kind of record"
    parameter_name = "object_type"

    def lookups(self, request, model_admin):
        types = (AuditEvent.objects.exclude(object_type="").order_by("object_type")
                 .values_list("object_type", flat=True).distinct())
        return [(label, _model_name(label)) for label in types]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(object_type=self.value())
        return queryset


def _model_name(label):
    try:
        return str(apps.get_model(label)._meta.verbose_name).capitalize()
    except (LookupError, ValueError):
        return label


class ObjectFilter(admin.SimpleListFilter):
    """One record of the chosen kind: every event about it. Offered once a kind is chosen; an
    address can name the record directly (?object_type=appraisals.cycle&object_id=12)."""

    title = "record"
    parameter_name = "object_id"
    SHOWN = 100

    def lookups(self, request, model_admin):
        kind = request.GET.get(ObjectTypeFilter.parameter_name)
        if not kind:
            return []
        objects = (AuditEvent.objects.filter(object_type=kind, object_id__isnull=False)
                   .values("object_id").annotate(name=Max("object_repr"))
                   .order_by("name", "object_id")[: self.SHOWN])
        return [(str(row["object_id"]), f"{row['name']} ({row['object_id']})")
                for row in objects]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        number = _record_number(value)
        return queryset.none() if number is None else queryset.filter(object_id=number)


BIGGEST_ID = 2**63 - 1


def _record_number(text):
    """The number typed, if it can be a record's id (ASCII digits that fit the column)."""
    if text.isascii() and text.isdigit() and len(text) <= 19 and int(text) <= BIGGEST_ID:
        return int(text)
    return None


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit log: read by administrators, filtered by who acted and by the record acted on,
    never added to, changed or deleted here (nor anywhere: the model refuses it)."""

    list_display = ["at", "action", "by", "object_type", "object_id", "object_repr", "detail"]
    list_filter = ["action", ("by", admin.RelatedOnlyFieldListFilter), ObjectTypeFilter,
                   ObjectFilter]
    list_select_related = ["by"]
    date_hierarchy = "at"
    search_fields = ["object_repr"]  # the search box; get_search_results says how it is read
    search_help_text = ("Search by the e-mail address of who acted, the number of a record, or "
                        "the start of a record's name.")
    fields = ["at", "action", "by", "object_type", "object_id", "object_repr", "detail"]
    readonly_fields = fields

    def get_search_results(self, request, queryset, search_term):
        """Each kind of search is one lookup on an index: the e-mail address (stored lower
        case) exactly, a record's number exactly, the start of a record's name."""
        term = search_term.strip()
        if not term:
            return queryset, False
        if "@" in term:
            return queryset.filter(by__email=term.lower()), False
        number = _record_number(term)
        if number is not None:
            return queryset.filter(object_id=number), False
        return queryset.filter(object_repr__startswith=term), False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- Single sign-on (allauth's socialaccount) --------------------------------------------------
# Providers come from the environment (ccpl/oidc.py) and no tokens are kept, so their admin
# pages would only mislead. A connection between an account and a provider's identity is shown,
# and can be deleted (the person is connected again at their next sign-in through it).

for _model in (SocialApp, SocialToken, SocialAccount):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


@admin.register(SocialAccount)
class SocialAccountAdmin(admin.ModelAdmin):
    list_display = ["user", "provider", "uid", "date_joined", "last_login"]
    list_filter = ["provider"]
    list_select_related = ["user"]
    search_fields = ["user__email", "uid"]
    fields = ["user", "provider", "uid", "date_joined", "last_login", "extra_data"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# --- API tokens: read here, revoked here, never made or changed here --------------------------

class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AccessToken)
class AccessTokenAdmin(ReadOnlyAdmin):
    """Who holds which API token, what it may do, until when, and when it was last used. An
    administrator revokes one (a lost laptop, a leaver) through the account page's service;
    tokens are made only by their owners, on the account page."""

    list_display = ["name", "user", "scope", "hint", "created_at", "expires_at", "revoked_at",
                    "last_used_at"]
    list_filter = ["scope", ("user", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["user"]
    search_fields = ["name", "user__email"]
    fields = ["name", "user", "scope", "hint", "created_at", "expires_at", "revoked_at",
              "revoked_by", "last_used_at"]
    readonly_fields = fields
    actions = ["revoke"]

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        for token in queryset:
            services.revoke_access_token(token=token, by=request.user)
        self.message_user(request, "The selected tokens no longer work.")


@admin.register(AccessTokenUse)
class AccessTokenUseAdmin(ReadOnlyAdmin):
    """Every request made with an API token: what a program did with someone's access."""

    list_display = ["at", "token", "token_user", "method", "path", "ip_address"]
    list_filter = ["method", ("token__user", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["token__user"]
    date_hierarchy = "at"
    fields = ["at", "token", "method", "path", "ip_address"]
    readonly_fields = fields

    @admin.display(description="user")
    def token_user(self, use):
        return use.token.user
