from django import forms
from django.contrib import admin, messages
from django.db.models import Count
from guardian.admin import GuardedModelAdmin
from simple_history.admin import SimpleHistoryAdmin

from . import services
from .models import (
    Criterion,
    EstablishmentBudget,
    Function,
    JobDescription,
    Organisation,
    Post,
    RoleType,
    StatutoryDuty,
    System,
    wte_text,
)


def warn_if_over_budget(request, budget):
    """Over-allocation is allowed but never silent: say so whenever a change leaves a budget over
    its envelope."""
    if budget is None:
        return
    allocation = budget.allocation()
    if allocation.is_over:
        messages.warning(
            request,
            f"{budget.name} is over its envelope of {wte_text(allocation.envelope)} WTE: "
            f"{wte_text(allocation.established)} WTE established, "
            f"{wte_text(allocation.allocated)} WTE held today.",
        )


@admin.register(System)
class SystemAdmin(GuardedModelAdmin, SimpleHistoryAdmin):
    list_display = ["name", "short_name", "kind", "commitment_ceiling_wte", "organisation_count",
                    "post_count"]
    list_filter = ["kind"]
    search_fields = ["name", "short_name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            organisation_count=Count("organisations", distinct=True),
            post_count=Count("posts", distinct=True),
        )

    @admin.display(description="organisations", ordering="organisation_count")
    def organisation_count(self, obj):
        return obj.organisation_count

    @admin.display(description="posts", ordering="post_count")
    def post_count(self, obj):
        return obj.post_count


@admin.register(Organisation)
class OrganisationAdmin(GuardedModelAdmin, SimpleHistoryAdmin):
    list_display = ["name", "kind", "ods_code", "system_names", "is_employer"]
    list_filter = ["kind", "is_employer", "systems"]
    search_fields = ["name", "ods_code"]
    filter_horizontal = ["systems"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("systems")

    @admin.display(description="systems")
    def system_names(self, obj):
        return ", ".join(s.short_name for s in obj.systems.all())


@admin.register(RoleType)
class RoleTypeAdmin(SimpleHistoryAdmin):
    list_display = ["name", "is_statutory", "is_board_level", "default_wte",
                    "default_term_months", "default_honorarium", "max_extensions"]
    list_filter = ["is_statutory", "is_board_level"]
    search_fields = ["name"]


@admin.register(Function)
class FunctionAdmin(SimpleHistoryAdmin):
    list_display = ["name", "order"]
    search_fields = ["name"]


@admin.register(StatutoryDuty)
class StatutoryDutyAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(EstablishmentBudget)
class EstablishmentBudgetAdmin(SimpleHistoryAdmin):
    list_display = ["name", "system", "wte_envelope", "established", "allocated", "over"]
    list_filter = ["system"]
    list_select_related = ["system"]
    search_fields = ["name", "system__name"]

    def get_queryset(self, request):
        return super().get_queryset(request).with_allocation()

    @admin.display(description="established WTE")
    def established(self, obj):
        return obj.allocation().established

    @admin.display(description="held WTE today")
    def allocated(self, obj):
        return obj.allocation().allocated

    @admin.display(description="over envelope", boolean=True)
    def over(self, obj):
        return obj.allocation().is_over


class PostStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [
            ("filled", "Filled"),
            ("vacant", "Vacant"),
            ("ending_90", "Holder's term ends within 90 days"),
            ("disestablished", "Disestablished"),
        ]

    def queryset(self, request, queryset):
        match self.value():
            case "filled":
                return queryset.filled()
            case "vacant":
                return queryset.vacant()
            case "ending_90":
                return queryset.ending_within(90)
            case "disestablished":
                return queryset.filter(disestablished_on__isnull=False)
        return queryset


class PostAdminForm(forms.ModelForm):
    """The admin's post form: statutory duties its holders do not meet are refused, as on the
    browser's post page (roles.services.duty_refusals)."""

    class Meta:
        model = Post
        fields = "__all__"  # noqa: DJ007 — the admin passes its own fields to the form

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and "statutory_duties" in cleaned:
            for message in services.duty_refusals(self.instance, cleaned["statutory_duties"]):
                self.add_error("statutory_duties", message)
        return cleaned


@admin.register(Post)
class PostAdmin(SimpleHistoryAdmin):
    """Posts; appointments/admin.py adds who holds each one."""

    form = PostAdminForm

    list_display = ["title", "role_type", "system", "host_organisation", "wte", "pas",
                    "honorarium"]
    list_filter = [PostStatusFilter, "system", "role_type", "spatial_level", "functions",
                   "job_share_allowed"]
    list_select_related = ["role_type", "system", "host_organisation"]
    search_fields = ["title", "reference", "host_organisation__name"]
    show_full_result_count = False
    autocomplete_fields = ["host_organisation", "responsible_to", "also_accountable_to",
                           "budget", "role_type"]
    filter_horizontal = ["functions", "statutory_duties"]
    readonly_fields = ["pas"]
    fieldsets = [
        (None, {"fields": ["title", "reference", "role_type", "system", "host_organisation",
                           "responsible_to", "also_accountable_to", "spatial_level",
                           "functions"]}),
        ("Establishment", {"fields": ["wte", "pas", "budget", "job_share_allowed",
                                      "default_term_months", "created_on",
                                      "disestablished_on"]}),
        ("Honorarium", {"fields": ["honorarium", "honorarium_is_pool"]}),
        ("Duties and publication", {"fields": ["statutory_duties", "is_published",
                                                "is_significant_role"]}),
    ]

    @admin.display(description="PAs")
    def pas(self, obj):
        return obj.pas

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        warn_if_over_budget(request, form.instance.budget)


class CriterionInline(admin.TabularInline):
    model = Criterion
    extra = 0
    fields = ["category", "requirement", "text", "by_application", "by_interview",
              "by_presentation", "by_references", "order"]


@admin.register(JobDescription)
class JobDescriptionAdmin(SimpleHistoryAdmin):
    list_display = ["post", "version", "reviewed_on", "review_due_on"]
    list_select_related = ["post"]
    list_filter = ["post__system"]
    search_fields = ["post__title", "summary"]
    autocomplete_fields = ["post"]
    inlines = [CriterionInline]

    @admin.display(description="review due")
    def review_due_on(self, obj):
        return obj.review_due_on
