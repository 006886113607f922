"""Appointments in the browser: list and export, detail, appoint, extend, end, and the decision
at the end of a term."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from ccpl import audit
from ccpl.exports import csv_response, xlsx_response
from ccpl.history import with_changes
from ccpl.lists import list_links
from ccpl.models import Notification
from roles.models import Post, edits_an_organisation

from .. import hooks, services
from ..filters import AppointmentListFilter
from ..forms import AppointForm, DecisionForm, EndForm, ExtendForm, how_agreed
from ..models import Appointment, ApprovalRequest, ApprovalRoute, Extension, TermEndDecision

PAGE_SIZE = 25
EXPORT_HEADER = ["Leader", "Profession", "Post", "Host organisation", "System", "Start", "End",
                 "WTE", "Honorarium share", "Status", "Extensions", "Contract"]


@login_required
def appointment_list(request):
    today = timezone.localdate()
    filters = AppointmentListFilter(request.GET, Appointment.objects.visible_to(request.user),
                                    request=request)
    # A correlated count, worked out only for the rows shown (a join and GROUP BY would count
    # the extensions of every appointment before paging).
    extension_count = Subquery(
        Extension.objects.filter(appointment=OuterRef("pk")).order_by()
        .values("appointment").annotate(n=Count("pk")).values("n"))
    appointments = (filters.qs.select_related("person", "post__host_organisation",
                                              "post__system")
                    .annotate(extension_count=Coalesce(extension_count, 0)))
    export = request.GET.get("export")
    if export in ("csv", "xlsx"):
        rows = ([str(a.person), a.person.get_profession_display(), a.post.title,
                 a.post.host_organisation.name, a.post.system.name, a.start_date, a.end_date,
                 a.wte, a.honorarium_share, a.get_status_display(), a.extension_count,
                 a.get_contract_type_display()]
                for a in appointments.iterator(chunk_size=2000))
        respond = csv_response if export == "csv" else xlsx_response
        return audit.downloaded(request, respond(f"appointments-{today}", EXPORT_HEADER, rows),
                                obj=Appointment)
    page = Paginator(appointments, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "appointments/appointment_list.html", {
        "form": filters.form, "downloads": True, "page_obj": page,
        "appointments": page.object_list,
        "today": today,
        "can_appoint": Post.objects.editable_by(request.user).exists(),
        "can_import": edits_an_organisation(request.user),
        "can_bulk": Appointment.objects.extendable_by(request.user).exists(),
        **list_links(request, filters.chosen("sort", default="end"), ["end", "person", "post"]),
    })


def appointment_for(user, pk):
    """The appointment, if the user may see it, with what they may do to it (``can_edit``,
    ``can_extend``, ``can_agree``), in one query."""
    return get_object_or_404(
        Appointment.objects.visible_to(user).with_capabilities(user).select_related(
            "person", "post__host_organisation", "post__system", "post__role_type",
            "end_recorded_by", "covers__person", "home_organisation"),
        pk=pk)


@login_required
def appointment_detail(request, pk):
    user = request.user
    appointment = appointment_for(user, pk)
    live = not appointment.is_closed
    decisions = appointment.decisions.select_related("decided_by", "agreed_by", "extension")
    has_end = not appointment.is_permanent
    staff_view = appointment.can_edit or appointment.can_extend
    today = timezone.localdate()
    approvals = list(appointment.approval_requests.select_related(
        "route", "requested_by", "overridden_by", "extension").prefetch_related(
        "decisions__decided_by"))
    pending = next((a for a in approvals if a.is_pending), None)
    return render(request, "appointments/appointment_detail.html", {
        "appointment": appointment,
        "extensions": appointment.extensions.select_related("recorded_by", "bulk_change",
                                                            "approval"),
        "decisions": decisions,
        "approvals": approvals,
        "pending": pending,
        "pending_actions": pending.actions_for(user, may_change=appointment.can_extend)
        if pending else None,
        "can_extend": appointment.can_extend and live and has_end and pending is None
        and appointment.status != Appointment.Status.OFFERED,
        "can_end": appointment.can_edit and live,
        "can_decide": appointment.can_extend and live and has_end,
        "can_cover": appointment.can_edit and appointment.status == Appointment.Status.ACTIVE
        and not appointment.is_cover,
        "covered_by": appointment.covered_by.select_related("person").order_by("start_date"),
        "consents": appointment.commitment_consents.select_related(
            "given_by", "recorded_by", "extension"),
        "warnings": services.extension_warnings(appointment)
        if appointment.can_extend and live and has_end else [],
        "sections": hooks.sections("appointment", appointment, user=user, today=today),
        "history": with_changes(appointment.history) if staff_view else [],
        "notifications": (Notification.objects.about(appointment).select_related("recipient")
                          [:50] if staff_view else []),
        "breadcrumbs": [("Appointments", "/appointments/")],
    })


def _refused(form, error, user, aliases=None):
    """Put the service's refusal on the form; a refusal for going above the commitment
    ceiling also asks for an approver's consent."""
    form.add_service_errors(error, aliases)
    if services.is_over_ceiling(error) and not form.asks_consent():
        form.add_consent_fields(user)


@login_required
def appointment_create(request):
    user = request.user
    if not Post.objects.editable_by(user).exists():
        raise Http404
    form = AppointForm(request.POST or None, initial=AppointForm.chosen(request.GET, user=user),
                       user=user, ask_consent="consent_by" in request.POST)
    if request.method == "POST" and form.is_valid():
        data = form.without_consent()
        try:
            asked = services.request_appointment(
                post=data["post"], person=data["person"], start_date=data["start_date"],
                end_date=data["end_date"], wte=data["wte"],
                honorarium_share=data["honorarium_share"], status=data["status"],
                reason=data["reason"],
                contract_type=data["contract_type"] or Appointment.ContractType.FIXED_TERM,
                covers=data["covers"], home_organisation=data["home_organisation"],
                consent=form.consent(), **how_agreed(data), by=user,
            )
        except ValidationError as error:
            _refused(form, error, user)
        else:
            if asked.appointment_id:
                appointment = asked.appointment
                messages.success(request, f"{appointment.person} has been appointed to "
                                          f"{appointment.post} "
                                          + (f"until {appointment.term_end_text}."
                                             if appointment.end_date else "with no end date."))
                return redirect(appointment)
            messages.success(request, f"The appointment of {asked.person} to {asked.post} has "
                                      "been asked for: "
                                      f"{', '.join(asked.route.party_names())} will decide.")
            return redirect(asked)
    return render(request, "appointments/form_page.html", {
        "form": form, "title": "Appoint to a post", "button": "Appoint",
        "intro": "An appointment made without recruitment is agreed by the system's approvers "
                 "before it is made. To appoint someone recruited to a vacancy, make the offer "
                 "on the vacancy.",
        "breadcrumbs": [("Appointments", "/appointments/")],
    })


def _for_change(request, pk, queryset_method):
    queryset = getattr(Appointment.objects, queryset_method)(request.user)
    appointment = get_object_or_404(
        queryset.exclude(status__in=Appointment.CLOSED)
        .select_related("person", "post__role_type"), pk=pk)
    return appointment


@login_required
def appointment_extend(request, pk):
    """HR ask for an extension; the route's parties decide. Where the route allows it, an
    agreement already made outside the register is recorded here with its evidence, and an
    administrator may override the route with a reason."""
    appointment = _for_change(request, pk, "extendable_by")
    route = ApprovalRoute.of(appointment.post.system, ApprovalRoute.Subject.EXTENSION)
    form = ExtendForm(request.POST or None, user=request.user, route=route,
                      ask_consent="consent_by" in request.POST)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            asked = services.request_extension(
                appointment=appointment, new_end_date=data["new_end_date"],
                reason=data["reason"], consent=form.consent(), **how_agreed(data),
                by=request.user)
        except ValidationError as error:
            _refused(form, error, request.user)
        else:
            if asked.extension_id:
                extension = asked.extension
                messages.success(request, f"The term now ends on "
                                          f"{extension.new_end_date:%-d %B %Y} "
                                          f"(extension {extension.number}).")
            else:
                messages.success(request, "The extension has been asked for: "
                                          f"{', '.join(asked.route.party_names())} will decide.")
            return redirect(appointment)
    return render(request, "appointments/form_page.html", {
        "form": form, "title": "Extend the term", "button": "Extend the term",
        "appointment": appointment, "warnings": services.extension_warnings(appointment),
        "route": route,
        "breadcrumbs": [("Appointments", "/appointments/"),
                        (str(appointment), appointment.get_absolute_url())],
    })


@login_required
def appointment_end(request, pk):
    appointment = _for_change(request, pk, "editable_by")
    form = EndForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        close = services.cease if data["how"] == "cease" else services.end_early
        try:
            close(appointment=appointment, on=data["on"], reason=data["reason"], by=request.user)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"The appointment ends on {data['on']:%-d %B %Y}.")
            return redirect(appointment)
    return render(request, "appointments/form_page.html", {
        "form": form, "title": "End the appointment", "button": "End the appointment",
        "appointment": appointment,
        "breadcrumbs": [("Appointments", "/appointments/"),
                        (str(appointment), appointment.get_absolute_url())],
    })


@login_required
def appointment_decide(request, pk):
    appointment = _for_change(request, pk, "extendable_by")
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            decision = services.decide_term_end(appointment=appointment, by=request.user,
                                                **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error, {"on": "proposed_end_date"})
        else:
            if decision.status == TermEndDecision.Status.PENDING:
                asked = ApprovalRequest.objects.get(term_end_decision=decision)
                messages.success(request, "The extension has been proposed: "
                                          f"{', '.join(asked.route.party_names())} will be asked "
                                          "to agree it.")
            else:
                messages.success(request, f"Decision recorded: {decision.get_outcome_display()}.")
            return redirect(appointment)
    return render(request, "appointments/form_page.html", {
        "form": form, "title": "Decide what happens at the end of the term",
        "button": "Record the decision", "appointment": appointment,
        "warnings": services.extension_warnings(appointment),
        "breadcrumbs": [("Appointments", "/appointments/"),
                        (str(appointment), appointment.get_absolute_url())],
    })
