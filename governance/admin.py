from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    Action,
    ActionUpdate,
    Attendance,
    BoardMemberReference,
    Body,
    DeclarationReturn,
    FitAndProperAssessment,
    FitAndProperCheck,
    FitnessDecision,
    Framework,
    Interest,
    Meeting,
    Priority,
    QuorumRule,
    Seat,
)


class SeatInline(admin.TabularInline):
    model = Seat
    extra = 1
    autocomplete_fields = ["post", "holder_account"]


@admin.register(Body)
class BodyAdmin(SimpleHistoryAdmin):
    list_display = ["name", "kind", "system", "spatial_level", "reports_to"]
    list_select_related = ["system", "reports_to"]
    list_filter = ["kind", "spatial_level", "system"]
    search_fields = ["name", "purpose"]
    autocomplete_fields = ["reports_to"]
    inlines = [SeatInline]


@admin.register(Seat)
class SeatAdmin(SimpleHistoryAdmin):
    list_display = ["body", "post", "role", "voting", "capability"]
    list_select_related = ["body", "post"]
    list_filter = ["role", "voting", "body__system"]
    search_fields = ["body__name", "post__title", "capability"]
    autocomplete_fields = ["body", "post", "holder_account"]


class PriorityInline(admin.StackedInline):
    model = Priority
    extra = 0


@admin.register(Framework)
class FrameworkAdmin(SimpleHistoryAdmin):
    list_display = ["name", "system", "adopted_on", "overseen_by"]
    list_select_related = ["system", "overseen_by"]
    list_filter = ["system"]
    search_fields = ["name"]
    autocomplete_fields = ["overseen_by"]
    inlines = [PriorityInline]


class ActionUpdateInline(admin.TabularInline):
    model = ActionUpdate
    extra = 0
    readonly_fields = ["by", "recorded_at"]


@admin.register(Action)
class ActionAdmin(SimpleHistoryAdmin):
    list_display = ["reference", "text", "priority", "term", "owners", "due_on", "status"]
    list_select_related = ["priority__framework"]
    list_filter = ["term", "status", "priority__framework__system"]
    search_fields = ["reference", "text"]
    autocomplete_fields = ["owner_posts", "owner_bodies"]
    inlines = [ActionUpdateInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("owner_posts", "owner_bodies")

    @admin.display(description="owners")
    def owners(self, obj):
        return obj.owner_names

    def save_formset(self, request, form, formset, change):
        updates = formset.save(commit=False)
        for update in updates:
            if isinstance(update, ActionUpdate) and update.by_id is None:
                update.by = request.user
            update.save()
        formset.save_m2m()


class InterestInline(admin.TabularInline):
    model = Interest
    extra = 0
    can_delete = False

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(DeclarationReturn)
class DeclarationReturnAdmin(admin.ModelAdmin):
    """Returns are made by the person or HR in the browser (a change is a new return); the
    admin reads them."""

    list_display = ["person", "made_on", "reason", "is_nil", "on_behalf", "recorded_by"]
    list_select_related = ["person", "recorded_by"]
    list_filter = ["reason", "is_nil", "on_behalf"]
    search_fields = ["person__family_name", "person__given_name", "interests__organisation"]
    date_hierarchy = "made_on"
    inlines = [InterestInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


class AttendanceInline(admin.TabularInline):
    model = Attendance
    extra = 0
    can_delete = False
    fields = ["member", "seat_title", "voting", "status", "deputy_name"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Meeting)
class MeetingAdmin(SimpleHistoryAdmin):
    """Meetings are recorded by HR in the browser, where the attendance is checked against who
    held each seat that day; the admin reads them and their history."""

    list_display = ["title", "body", "held_on", "recorded_by"]
    list_select_related = ["body", "recorded_by"]
    list_filter = ["body__system"]
    search_fields = ["title", "body__name"]
    date_hierarchy = "held_on"
    inlines = [AttendanceInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(QuorumRule)
class QuorumRuleAdmin(SimpleHistoryAdmin):
    """Set on the body's page in the browser (with its terms of reference); read here."""

    list_display = ["body", "fraction", "minimum", "executives", "clinicians", "lay_members",
                    "deputies_count"]
    list_select_related = ["body"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class FitAndProperCheckInline(ReadOnlyInline):
    model = FitAndProperCheck
    fields = ["item", "outcome", "checked_on", "checked_by", "evidence_reference",
              "recorded_at"]
    readonly_fields = fields


class FitnessDecisionInline(ReadOnlyInline):
    model = FitnessDecision
    fields = ["outcome", "reason", "by", "by_authority", "at"]
    readonly_fields = fields


@admin.register(FitAndProperAssessment)
class FitAndProperAssessmentAdmin(admin.ModelAdmin):
    """Assessments are opened by the daily sweep; HR record the checks, the holder attests and
    the chair signs off in the browser, through the services that enforce the order (no role
    skips a step, an administrator included). The admin reads them and their history."""

    list_display = ["appointment", "kind", "due_on", "attested_at", "signed_off_at", "outcome"]
    list_select_related = ["appointment__person", "appointment__post"]
    list_filter = ["kind", "outcome", "appointment__post__system"]
    search_fields = ["appointment__person__family_name", "appointment__post__title"]
    date_hierarchy = "due_on"
    inlines = [FitAndProperCheckInline, FitnessDecisionInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(BoardMemberReference)
class BoardMemberReferenceAdmin(admin.ModelAdmin):
    """Given in the browser by HR once the holder has left, and recorded as sent; read here."""

    list_display = ["appointment", "requested_by", "sent_to", "sent_on", "sent_by"]
    list_select_related = ["appointment__person", "appointment__post", "sent_by"]
    search_fields = ["appointment__person__family_name", "requested_by"]
    date_hierarchy = "sent_on"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
