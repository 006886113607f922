from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from ccpl import access, audit
from ccpl.admin import ListedInline, RecordAdminMixin
from roles.admin import PostAdmin, warn_if_over_budget
from roles.models import Post

from . import duties, services
from .forms import BulkChangeForm, EndForm, ExtendForm, how_agreed
from .models import (
    ApplicantCount,
    Appointment,
    ApprovalParty,
    ApprovalRequest,
    ApprovalRoute,
    BulkChange,
    CommitmentConsent,
    EqualityProfile,
    Extension,
    HonoraryContract,
    PartyDecision,
    Person,
    TermEndDecision,
    Vacancy,
)


def sees_equality_data(user):
    return user.has_perm("appointments.view_equality_data")


class EqualityInline(admin.StackedInline):
    """Shown only to those allowed to see individual equality data; each time it is shown, an
    audit event records who saw whose (PersonAdmin.change_view)."""

    model = EqualityProfile
    can_delete = True
    extra = 0

    def _allowed(self, request):
        return sees_equality_data(request.user)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request)

    def has_change_permission(self, request, obj=None):
        return self._allowed(request)

    def has_add_permission(self, request, obj=None):
        return self._allowed(request)

    def has_delete_permission(self, request, obj=None):
        return self._allowed(request)


class AppointmentInline(ListedInline):
    model = Appointment
    fields = ["post", "start_date", "end_date", "wte", "status"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("post")


class PersonAdminForm(forms.ModelForm):
    """The admin's person form, refused like the browser's when the change would leave the
    person holding a statutory duty they no longer meet (appointments/duties.py)."""

    class Meta:
        model = Person
        fields = "__all__"  # noqa: DJ007 — the admin passes its own fields to the form

    def _post_clean(self):
        super()._post_clean()
        for message in duties.person_refused(self.instance):
            self.add_error(None, message)


@admin.register(Person)
class PersonAdmin(SimpleHistoryAdmin):
    form = PersonAdminForm
    list_display = ["full_name", "profession", "registration", "substantive_employer",
                    "work_email", "appointment_count"]
    list_filter = ["profession", "registration_body", "consent_to_publish"]
    list_select_related = ["substantive_employer"]
    search_fields = ["given_name", "family_name", "work_email", "registration_number"]
    autocomplete_fields = ["substantive_employer", "user"]
    inlines = [EqualityInline, AppointmentInline]

    # The national register holds tens of thousands of people: no count of the whole table
    # beside the filtered one, and counts of appointments only for the page shown.
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related(
            Prefetch("appointments", queryset=Appointment.objects.only("pk", "person_id")))

    @admin.display(description="name", ordering="family_name")
    def full_name(self, obj):
        return obj.full_name

    @admin.display(description="registration")
    def registration(self, obj):
        return f"{obj.registration_body} {obj.registration_number}".strip() or "—"

    @admin.display(description="appointments")
    def appointment_count(self, obj):
        return len(obj.appointments.all())

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if response.status_code == 200 and sees_equality_data(request.user):
            person = Person.objects.filter(pk=object_id, equality__isnull=False).first()
            if person is not None:
                audit.record(action=audit.Action.EQUALITY_VIEWED, by=request.user, obj=person)
        return response


class HolderInline(ListedInline):
    model = Appointment
    fields = ["person", "start_date", "end_date", "wte", "honorarium_share", "status"]
    verbose_name_plural = "holders (appoint, extend and end from the appointment)"


# Posts belong to roles, which knows nothing of appointments: the post's admin gains its holders
# here, where appointments are known.
admin.site.unregister(Post)


@admin.register(Post)
class PostWithHoldersAdmin(PostAdmin):
    list_display = [*PostAdmin.list_display, "current_holders"]
    inlines = [*PostAdmin.inlines, HolderInline]

    def get_queryset(self, request):
        in_force = Appointment.objects.in_force(timezone.localdate()).select_related("person")
        return super().get_queryset(request).prefetch_related(
            Prefetch("appointments", queryset=in_force, to_attr="holders")
        )

    @admin.display(description="held by")
    def current_holders(self, obj):
        return ", ".join(str(a.person) for a in obj.holders) or "Vacant"


class EndingWithinFilter(admin.SimpleListFilter):
    title = "term ending within"
    parameter_name = "ending_within"

    def lookups(self, request, model_admin):
        return [("30", "30 days"), ("90", "90 days"), ("180", "180 days"), ("365", "12 months")]

    def queryset(self, request, queryset):
        if self.value() in {"30", "90", "180", "365"}:
            return queryset.ending_within(int(self.value()))
        return queryset


class InForceFilter(admin.SimpleListFilter):
    title = "in force"
    parameter_name = "in_force"

    def lookups(self, request, model_admin):
        return [("today", "Held today"), ("past", "Finished"), ("future", "Not started")]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        match self.value():
            case "today":
                return queryset.in_force(today)
            case "past":
                return queryset.filter(end_date__lt=today)
            case "future":
                return queryset.filter(start_date__gt=today)
        return queryset


class ExtensionInline(ListedInline):
    """Extensions are recorded through "Extend", never typed in, so the old end is always kept."""

    model = Extension
    fields = ["number", "old_end_date", "new_end_date", "reason", "agreed_by", "agreed_on",
              "recorded_by", "recorded_at", "bulk_change"]
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("recorded_by", "bulk_change")


@admin.register(Appointment)
class AppointmentAdmin(SimpleHistoryAdmin):
    list_display = ["person", "post", "system", "start_date", "end_date", "wte",
                    "honorarium_share", "status", "extension_count"]
    # Not the host organisation: 1,470 of them nationally would make a filter nobody can scan
    # and a page that renders each one; search finds an organisation's posts instead.
    list_filter = [EndingWithinFilter, InForceFilter, "status", "post__system",
                   "post__role_type"]
    list_select_related = ["person", "post", "post__system"]
    search_fields = ["person__given_name", "person__family_name", "post__title",
                     "post__host_organisation__name"]
    autocomplete_fields = ["post", "person", "covers", "home_organisation"]
    show_full_result_count = False
    date_hierarchy = "end_date"
    inlines = [ExtensionInline]
    actions = ["bulk_change"]
    change_form_template = "admin/appointments/appointment/change_form.html"

    def get_queryset(self, request):
        # Extensions counted for the page shown, not annotated over all 60,000 rows.
        return super().get_queryset(request).prefetch_related(
            Prefetch("extensions", queryset=Extension.objects.only("pk", "appointment_id")))

    def has_add_permission(self, request):
        # An appointment is made through its approval route (a request the parties agree, an
        # agreement recorded from outside where the route allows, or an administrator's
        # override with a reason), on the register's pages: never typed in here.
        return False

    def get_readonly_fields(self, request, obj=None):
        closure = ["scheduled_end_date", "end_reason", "end_recorded_at", "end_recorded_by"]
        if obj is None:
            return closure
        # The end moves only through Extend / End so that every change is recorded with why;
        # the contract is what was agreed at appointment.
        return ["post", "person", "end_date", "status", "contract_type", "covers",
                "home_organisation", *closure]

    @admin.display(description="system", ordering="post__system__name")
    def system(self, obj):
        return obj.post.system.short_name

    @admin.display(description="extensions")
    def extension_count(self, obj):
        return len(obj.extensions.all())

    def save_model(self, request, obj, form, change):
        if change:
            obj._history_user = request.user
            super().save_model(request, obj, form, change)
            return
        created = services.appoint(
            post=obj.post, person=obj.person, start_date=obj.start_date, end_date=obj.end_date,
            wte=obj.wte, honorarium_share=obj.honorarium_share, status=obj.status,
            agreement_parties=obj.agreement_parties, contract_type=obj.contract_type,
            covers=obj.covers, home_organisation=obj.home_organisation, by=request.user,
        )
        obj.pk = created.pk
        obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        warn_if_over_budget(request, form.instance.post.budget)

    # --- Extend and end, one appointment at a time ------------------------------------------
    # The browser's forms and services (views/appointments.py), in the admin's page.

    def get_urls(self):
        return [
            path("<int:pk>/extend/", self.admin_site.admin_view(self.extend_view),
                 name="appointments_appointment_extend"),
            path("<int:pk>/end/", self.admin_site.admin_view(self.end_view),
                 name="appointments_appointment_end"),
            *super().get_urls(),
        ]

    def _get_for_change(self, request, pk):
        appointment = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.has_change_permission(request, appointment):
            raise PermissionDenied
        return appointment

    def extend_view(self, request, pk):
        """The browser's extend page: asked of the route's parties, recorded from an outside
        agreement, or overridden by the administrator with a reason."""
        appointment = self._get_for_change(request, pk)

        def extend(data):
            asked = services.request_extension(
                appointment=appointment, new_end_date=data["new_end_date"],
                reason=data["reason"], **how_agreed(data), by=request.user)
            if not asked.extension_id:
                return (f"The extension has been asked for: "
                        f"{', '.join(asked.route.party_names())} will decide.")
            extension = asked.extension
            return (f"Extended to {extension.new_end_date:%-d %B %Y} (extension "
                    f"{extension.number}; the term ended {extension.old_end_date:%-d %B %Y}).")

        route = ApprovalRoute.of(appointment.post.system, ApprovalRoute.Subject.EXTENSION)
        form = ExtendForm(_posted(request), user=request.user, route=route)
        return self._action(request, appointment, form, extend, title="Extend the term",
                            warnings=services.extension_warnings(appointment))

    def end_view(self, request, pk):
        appointment = self._get_for_change(request, pk)

        def end(data):
            close = services.cease if data["how"] == "cease" else services.end_early
            close(appointment=appointment, on=data["on"], reason=data["reason"], by=request.user)
            return f"The appointment ends on {data['on']:%-d %B %Y}."

        return self._action(request, appointment, EndForm(_posted(request)), end,
                            title="End the appointment")

    def _action(self, request, appointment, form, run, **context):
        """Run the service on the form's data, and show its errors on the form if it refuses."""
        if form.is_bound and form.is_valid():
            try:
                done = run(form.cleaned_data)
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                self.message_user(request, done, messages.SUCCESS)
                return redirect(reverse("admin:appointments_appointment_change",
                                        args=[appointment.pk]))
        return TemplateResponse(request, "admin/appointments/appointment/action.html", {
            **self.admin_site.each_context(request), "opts": self.model._meta,
            "original": appointment, "form": form, **context,
        })

    # --- Bulk extension ---------------------------------------------------------------------
    # The browser's form and services (views/bulk.py) on the appointments ticked in the list.

    @admin.action(description="Extend or cease the selected appointments (with a preview)")
    def bulk_change(self, request, queryset):
        appointments = list(queryset.select_related("person", "post__system", "post__role_type")
                            .order_by("end_date", "pk"))
        submitted = "preview" in request.POST or "apply" in request.POST
        form = BulkChangeForm(request.POST if submitted else None, user=request.user)
        plan = None
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            extend = data["kind"] == BulkChange.Kind.EXTEND
            if "apply" in request.POST:
                try:
                    if extend:
                        batch = services.apply_bulk_extension(
                            appointments=appointments, on_date=data["on_date"],
                            reason=data["reason"], **how_agreed(data), by=request.user)
                    else:
                        batch = services.apply_bulk_change(
                            appointments=appointments, kind=data["kind"],
                            on_date=data["on_date"], reason=data["reason"],
                            agreed_by=data["agreed_by"], agreed_on=data["agreed_on"],
                            by=request.user)
                except ValidationError as error:
                    form.add_service_errors(error)
                else:
                    self.message_user(
                        request, f"{batch.get_kind_display()}: {batch.appointment_count} "
                        f"appointments changed (bulk change {batch.pk}).", messages.SUCCESS,
                    )
                    return None
            if extend:
                plan = services.plan_bulk_extension(
                    appointments=appointments, on_date=data["on_date"],
                    how=how_agreed(data)["how"], by=request.user)
            else:
                plan = services.plan_bulk_change(
                    appointments=appointments, kind=data["kind"], on_date=data["on_date"])
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Extend or cease appointments",
            "appointments": appointments,
            "form": form,
            "plan": plan,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/appointments/appointment/bulk_change.html", context)


def _posted(request):
    # A POST with nothing in it is still a submission: it gets the form's errors back.
    return request.POST if request.method == "POST" else None


@admin.register(CommitmentConsent)
class CommitmentConsentAdmin(RecordAdminMixin, admin.ModelAdmin):
    """Consent above the commitment ceiling: evidence, listed and never edited."""

    list_display = ["appointment", "extension", "peak_wte", "peak_on", "ceiling_wte",
                    "given_by", "given_at", "recorded_by"]
    list_select_related = ["appointment__person", "appointment__post", "extension",
                           "given_by", "recorded_by"]
    list_filter = ["appointment__post__system"]
    search_fields = ["appointment__person__family_name", "appointment__post__title", "reason"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(HonoraryContract)
class HonoraryContractAdmin(SimpleHistoryAdmin):
    list_display = ["person", "organisation", "partnership", "start_date", "end_date",
                    "reference"]
    list_select_related = ["person", "organisation", "partnership"]
    list_filter = ["partnership", "organisation__kind"]
    search_fields = ["person__given_name", "person__family_name", "organisation__name",
                     "partnership__name", "reference"]
    autocomplete_fields = ["person", "organisation", "partnership"]

    def save_model(self, request, obj, form, change):
        try:
            services.save_honorary_contract(contract=obj, by=request.user)
        except ValidationError as error:
            # The admin's form has run the model's rules already; what is left is who may.
            raise PermissionDenied(" ".join(error.messages)) from error


@admin.register(Extension)
class ExtensionAdmin(RecordAdminMixin, SimpleHistoryAdmin):
    list_display = ["appointment", "number", "old_end_date", "new_end_date", "agreed_by",
                    "agreed_on", "recorded_by", "bulk_change"]
    list_select_related = ["appointment__person", "appointment__post", "recorded_by",
                           "bulk_change"]
    list_filter = ["agreed_on", "appointment__post__system"]
    search_fields = ["appointment__person__family_name", "appointment__post__title", "reason"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BulkChange)
class BulkChangeAdmin(RecordAdminMixin, admin.ModelAdmin):
    list_display = ["pk", "kind", "on_date", "appointment_count", "agreed_by", "agreed_on",
                    "recorded_by", "recorded_at"]
    list_select_related = ["recorded_by"]
    list_filter = ["kind"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TermEndDecision)
class TermEndDecisionAdmin(RecordAdminMixin, SimpleHistoryAdmin):
    list_display = ["appointment", "outcome", "proposed_end_date", "status", "decided_by",
                    "decided_at", "agreed_by"]
    list_select_related = ["appointment__person", "appointment__post", "decided_by", "agreed_by"]
    list_filter = ["outcome", "status", "appointment__post__system"]
    search_fields = ["appointment__person__family_name", "appointment__post__title"]


class ApplicantCountInline(admin.TabularInline):
    model = ApplicantCount
    extra = 0


@admin.register(Vacancy)
class VacancyAdmin(SimpleHistoryAdmin):
    list_display = ["post", "status", "approval", "opened_on", "advert_reference",
                    "closes_on", "appointment"]
    list_select_related = ["post", "opened_by", "appointment__person", "appointment__post"]
    list_filter = ["status", "approval", "post__system"]
    search_fields = ["post__title", "advert_reference"]
    autocomplete_fields = ["post", "appointment"]
    inlines = [ApplicantCountInline]


# --- Approval routes: configured here; requests and decisions are records --------------------

class ApprovalPartyForm(forms.ModelForm):
    class Meta:
        model = ApprovalParty
        fields = ["name", "decided_by", "users", "position"]

    def clean(self):
        data = super().clean()
        users = data.get("users") or []
        if data.get("decided_by") == ApprovalParty.DecidedBy.USERS:
            unguarded = [u for u in users if not (u.is_superuser or access.holds_any_grant(u))]
            if unguarded:
                self.add_error("users", "Give these users a grant on the register first, so "
                                        "they sign in with an authenticator app: "
                               + ", ".join(u.email for u in unguarded) + ".")
        elif users:
            self.add_error("users", "Name users only for a party decided by the users named.")
        return data


class ApprovalPartyInline(admin.TabularInline):
    model = ApprovalParty
    form = ApprovalPartyForm
    extra = 0
    min_num = 1
    autocomplete_fields = ["users"]


@admin.register(ApprovalRoute)
class ApprovalRouteAdmin(SimpleHistoryAdmin):
    """Who must agree what, per system. A system with no route for a subject follows the
    default one (its CMO/CNO office alone), written here the first time it is needed."""

    list_display = ["system", "subject", "parties", "allows_outside_agreement",
                    "appraisal_gate", "escalate_after_days"]
    list_filter = ["subject", "allows_outside_agreement", "appraisal_gate", "system"]
    list_select_related = ["system"]
    search_fields = ["system__name", "system__short_name", "parties__name"]
    inlines = [ApprovalPartyInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("parties")

    @admin.display(description="parties")
    def parties(self, obj):
        return ", ".join(party.name for party in obj.parties.all())


class PartyDecisionInline(ListedInline):
    model = PartyDecision
    fields = ["name", "status", "decided_by", "decided_at", "agreed_on", "outside", "evidence",
              "note", "gate_override_reason"]
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("decided_by")


@admin.register(ApprovalRequest)
class ApprovalRequestAdmin(RecordAdminMixin, SimpleHistoryAdmin):
    list_display = ["pk", "subject", "route", "status", "how", "requested_by", "requested_at"]
    list_select_related = ["route__system", "requested_by"]
    list_filter = ["subject", "status", "how", "route__system"]
    inlines = [PartyDecisionInline]

    def has_delete_permission(self, request, obj=None):
        return False
