"""Appointments in the browser: list and export, detail, appoint, extend, end, and the decision
at the end of a term."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from appraisals.models import Cycle
from ccpl.exports import csv_response, xlsx_response
from ccpl.history import with_changes
from ccpl.lists import list_links
from ccpl.models import Notification
from roles.models import Organisation, Post

from .. import services
from ..forms import (
    AppointForm,
    AppointmentFilterForm,
    DecisionForm,
    DeclineForm,
    UIEndForm,
    UIExtendForm,
)
from ..models import Appointment, Extension, Person, TermEndDecision

PAGE_SIZE = 25
SORTS = {"end": ("end_date", "pk"), "-end": ("-end_date", "-pk"),
         "person": ("person__family_name", "person__given_name", "pk"),
         "-person": ("-person__family_name", "-person__given_name", "-pk"),
         "post": ("post__title", "pk"), "-post": ("-post__title", "-pk")}
EXPORT_HEADER = ["Leader", "Profession", "Post", "Host organisation", "System", "Start", "End",
                 "WTE", "Honorarium share", "Status", "Extensions"]


def filtered_appointments(form, appointments, today):
    """The appointments a list (or a bulk change) is about, from its filter form."""
    if not form.is_valid():
        return appointments.none()
    data = form.cleaned_data
    if data["q"]:
        text = data["q"]
        appointments = appointments.filter(
            Q(person__given_name__icontains=text) | Q(person__family_name__icontains=text)
            | Q(post__title__icontains=text))
    if data["system"]:
        appointments = appointments.filter(post__system=data["system"])
    if data["role_type"] and data["role_type"].isdigit():
        appointments = appointments.filter(post__role_type_id=int(data["role_type"]))
    match data["state"]:
        case "in_force":
            appointments = appointments.in_force(today)
        case "future":
            appointments = appointments.filter(start_date__gt=today)
        case "finished":
            appointments = appointments.filter(end_date__lt=today)
        case "offered":
            appointments = appointments.filter(status=Appointment.Status.OFFERED)
    if data["ending_within"]:
        appointments = appointments.ending_within(data["ending_within"], on=today)
    if data["undecided"]:
        appointments = appointments.undecided()
    return appointments


@login_required
def appointment_list(request):
    today = timezone.localdate()
    form = AppointmentFilterForm(request.GET or {}, user=request.user)
    appointments = filtered_appointments(form, Appointment.objects.visible_to(request.user),
                                         today)
    sort = (form.cleaned_data.get("sort") if form.is_valid() else "") or "end"
    # A correlated count, worked out only for the rows shown (a join and GROUP BY would count
    # the extensions of every appointment before paging).
    extension_count = Subquery(
        Extension.objects.filter(appointment=OuterRef("pk")).order_by()
        .values("appointment").annotate(n=Count("pk")).values("n"))
    appointments = (appointments.select_related("person", "post__host_organisation",
                                                "post__system")
                    .annotate(extension_count=Coalesce(extension_count, 0))
                    .order_by(*SORTS[sort]))
    export = request.GET.get("export")
    if export in ("csv", "xlsx"):
        rows = ([str(a.person), a.person.get_profession_display(), a.post.title,
                 a.post.host_organisation.name, a.post.system.name, a.start_date, a.end_date,
                 a.wte, a.honorarium_share, a.get_status_display(), a.extension_count]
                for a in appointments.iterator(chunk_size=2000))
        respond = csv_response if export == "csv" else xlsx_response
        return respond(f"appointments-{today}", EXPORT_HEADER, rows)
    page = Paginator(appointments, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "appointments/appointment_list.html", {
        "form": form, "page_obj": page, "appointments": page.object_list, "today": today,
        "can_appoint": Post.objects.editable_by(request.user).exists(),
        "can_import": Organisation.objects.editable_by(request.user).exists(),
        "can_bulk": Appointment.objects.extendable_by(request.user).exists(),
        **list_links(request, sort, ["end", "person", "post"]),
    })


@login_required
def appointment_detail(request, pk):
    user = request.user
    appointment = get_object_or_404(
        Appointment.objects.visible_to(user).select_related(
            "person", "post__host_organisation", "post__system", "post__role_type",
            "end_recorded_by"),
        pk=pk)
    editable = Appointment.objects.editable_by(user).filter(pk=pk).exists()
    extendable = Appointment.objects.extendable_by(user).filter(pk=pk).exists()
    can_agree = Appointment.objects.approvable_by(user).filter(pk=pk).exists()
    open_ = appointment.status in (Appointment.Status.ACTIVE, Appointment.Status.OFFERED)
    decisions = appointment.decisions.select_related("decided_by", "agreed_by", "extension")
    pending = next((d for d in decisions if d.status == TermEndDecision.Status.PENDING), None)
    staff_view = editable or extendable
    return render(request, "appointments/appointment_detail.html", {
        "appointment": appointment,
        "extensions": appointment.extensions.select_related("recorded_by", "bulk_change"),
        "decisions": decisions,
        "pending": pending,
        "can_extend": extendable and open_,
        "can_end": editable and open_,
        "can_decide": extendable and open_,
        "can_agree": can_agree and pending is not None,
        "warnings": services.extension_warnings(appointment) if extendable and open_ else [],
        "cycles": Cycle.objects.visible_to(user).filter(appointment=appointment)
        .select_related("appraiser"),
        "can_open_cycle": editable and open_,
        "history": with_changes(appointment.history) if staff_view else [],
        "notifications": (Notification.objects.about(appointment).select_related("recipient")
                          [:50] if staff_view else []),
        "breadcrumbs": [("Appointments", "/appointments/")],
    })


@login_required
def appointment_create(request):
    user = request.user
    if not Post.objects.editable_by(user).exists():
        raise Http404
    initial = {}
    for name, queryset in (("post", Post.objects.editable_by(user)),
                           ("person", Person.objects.visible_to(user))):
        value = request.GET.get(name, "")
        if value.isdigit() and queryset.filter(pk=int(value)).exists():
            initial[name] = int(value)
    form = AppointForm(request.POST or None, initial=initial, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            appointment = services.appoint(
                post=data["post"], person=data["person"], start_date=data["start_date"],
                end_date=data["end_date"], wte=data["wte"],
                honorarium_share=data["honorarium_share"], status=data["status"],
                agreement_parties=data["agreement_parties"], by=user,
            )
        except ValidationError as error:
            add_errors(form, error, {"post": "post", "person": "person"})
        else:
            messages.success(request, f"{appointment.person} has been appointed to "
                                      f"{appointment.post} until "
                                      f"{appointment.end_date:%-d %B %Y}.")
            return redirect(appointment)
    return render(request, "appointments/form_page.html", {
        "form": form, "title": "Appoint to a post", "button": "Appoint",
        "breadcrumbs": [("Appointments", "/appointments/")],
    })


def add_errors(form, error, aliases=None):
    """Put a service's ValidationError on the form fields it names (or at the top)."""
    aliases = aliases or {}
    if hasattr(error, "error_dict"):
        for field, messages_ in error.message_dict.items():
            target = aliases.get(field, field)
            for message in messages_:
                form.add_error(target if target in form.fields else None, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


def _for_change(request, pk, queryset_method):
    queryset = getattr(Appointment.objects, queryset_method)(request.user)
    appointment = get_object_or_404(
        queryset.select_related("person", "post__role_type"), pk=pk)
    if appointment.status in (Appointment.Status.ENDED, Appointment.Status.CEASED):
        raise Http404
    return appointment


@login_required
def appointment_extend(request, pk):
    appointment = _for_change(request, pk, "extendable_by")
    form = UIExtendForm(request.POST or None,
                        initial={"agreed_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            extension = services.extend(appointment=appointment, by=request.user,
                                        **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"The term now ends on {extension.new_end_date:%-d %B %Y} "
                                      f"(extension {extension.number}).")
            return redirect(appointment)
    return render(request, "appointments/form_page.html", {
        "form": form, "title": "Extend the term", "button": "Extend the term",
        "appointment": appointment, "warnings": services.extension_warnings(appointment),
        "breadcrumbs": [("Appointments", "/appointments/"),
                        (str(appointment), appointment.get_absolute_url())],
    })


@login_required
def appointment_end(request, pk):
    appointment = _for_change(request, pk, "editable_by")
    form = UIEndForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        close = services.cease if data["how"] == "cease" else services.end_early
        try:
            close(appointment=appointment, on=data["on"], reason=data["reason"], by=request.user)
        except ValidationError as error:
            add_errors(form, error)
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
    can_agree = Appointment.objects.approvable_by(request.user).filter(pk=pk).exists()
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            decision = services.decide_term_end(appointment=appointment, by=request.user,
                                                can_agree=can_agree, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error, {"on": "proposed_end_date"})
        else:
            if decision.status == TermEndDecision.Status.PENDING:
                messages.success(request, "The extension has been proposed. The CMO/CNO office "
                                          "will be asked to agree it.")
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


def _pending_decision(request, pk):
    decision = get_object_or_404(
        TermEndDecision.objects.awaiting_agreement().filter(
            appointment__in=Appointment.objects.approvable_by(request.user).values("pk"))
        .select_related("appointment__person", "appointment__post"),
        pk=pk)
    return decision


@login_required
@require_POST
def decision_agree(request, pk):
    decision = _pending_decision(request, pk)
    try:
        decision = services.agree_extension(decision=decision, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Extension agreed: the term now ends on "
                                  f"{decision.extension.new_end_date:%-d %B %Y}.")
    return redirect(decision.appointment)


@login_required
def decision_decline(request, pk):
    decision = _pending_decision(request, pk)
    form = DeclineForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.decline_extension(decision=decision, note=form.cleaned_data["note"],
                                   by=request.user)
        messages.success(request, "The extension has been declined.")
        return redirect(decision.appointment)
    return render(request, "appointments/form_page.html", {
        "form": form, "title": "Decline the extension", "button": "Decline the extension",
        "appointment": decision.appointment,
        "breadcrumbs": [("Appointments", "/appointments/"),
                        (str(decision.appointment), decision.appointment.get_absolute_url())],
    })
