from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from ccpl.admin import ListedInline, RecordAdminMixin

from .models import (
    Cycle,
    Dimension,
    QuestionnaireTemplate,
    Rater,
    Redaction,
    Statement,
    TemplateVersion,
)


class DimensionInline(admin.StackedInline):
    model = Dimension
    extra = 0


class StatementInline(admin.TabularInline):
    model = Statement
    extra = 0


@admin.register(QuestionnaireTemplate)
class QuestionnaireTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "description"]
    search_fields = ["name"]


@admin.register(TemplateVersion)
class TemplateVersionAdmin(admin.ModelAdmin):
    """Questionnaires are administered here. A version in use by a cycle is not changed:
    publish a new version instead."""

    list_display = ["template", "number", "is_published", "created_at"]
    list_select_related = ["template"]
    list_filter = ["template", "is_published"]
    inlines = [DimensionInline]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.cycles.exists():
            return ["template", "number", "scale", "not_observed_label", "keep_doing_prompt",
                    "do_differently_prompt"]
        return []


@admin.register(Dimension)
class DimensionAdmin(admin.ModelAdmin):
    list_display = ["name", "version", "order"]
    list_select_related = ["version__template"]
    inlines = [StatementInline]


class RaterInline(ListedInline):
    model = Rater
    fields = ["name", "email", "group", "status", "invited_at"]
    show_change_link = False


@admin.register(Cycle)
class CycleAdmin(SimpleHistoryAdmin):
    """Cycles are opened from the appointment's page, which grants the appraiser and tells the
    leader, so there is no "add" here. Once a rater has answered, the appraiser, the stage and
    the anonymity threshold are read-only (and Cycle.clean() refuses them)."""

    list_display = ["appointment", "appraiser", "stage", "opened_on", "closes_on", "outcome"]
    list_select_related = ["appointment__person", "appointment__post", "appraiser"]
    list_filter = ["stage", "outcome", "appointment__post__system"]
    search_fields = ["appointment__person__family_name", "appointment__post__title"]
    inlines = [RaterInline]

    def has_add_permission(self, request):
        return False

    def get_readonly_fields(self, request, obj=None):
        readonly = ["appointment", "template_version", "opened_by"]
        if obj is not None and obj.has_rater_answers:
            readonly += Cycle.LOCKED_ONCE_ANSWERED
        return readonly


# Response and Answer are deliberately not in the admin: raters' answers are read only through
# the report, which applies the anonymity rules (appraisals/report.py). A list of responses
# would show them one by one, in the order of their ids, which is the order of answering.


@admin.register(Redaction)
class RedactionAdmin(RecordAdminMixin, admin.ModelAdmin):
    """The original text of removed comments: administrators only."""

    list_display = ["response", "field", "redacted_by", "redacted_at"]
    list_select_related = ["response", "redacted_by"]

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser
