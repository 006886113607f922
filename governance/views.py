"""Governance in the browser: bodies and their seats, investment by function, and the action
plan with its board-report exports."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from ccpl import access, audit, pdf
from ccpl.exports import csv_response
from ccpl.lists import list_links
from roles.models import Post, System

from . import declarations, investment, meetings, plan, presenters, services, transparency
from .filters import BodyFilter, RegisterFilter
from .forms import ActionForm, SeatForm, SystemChoiceForm, UpdateForm
from .models import Action, ActionUpdate, Body, Framework

GOVERNANCE = ("Governance", "/governance/")
BODY_CRUMBS = [GOVERNANCE, ("Boards, committees and networks", "/governance/bodies/")]
PLAN_CRUMBS = [GOVERNANCE, ("Frameworks and action plans", "/governance/plans/")]


# What the members table shows: a body of a national system has hundreds of seats, and every
# column read is a field set on each of a thousand model instances.
SEAT_COLUMNS = ["body_id", "post_id", "holder_name", "holder_description", "holder_account_id",
                "role", "capability",
                "voting", "executive", "clinical", "lay", "post__title",
                "post__host_organisation__name"]


@login_required
def index(request):
    return render(request, "governance/index.html", {
        "body_count": Body.objects.visible_to(request.user).count(),
        "framework_count": Framework.objects.visible_to(request.user).count(),
        "sees_investment": _investment_systems(request.user).exists(),
        "breadcrumbs": [],
    })


# --- bodies and seats ------------------------------------------------------------------------

@login_required
def body_list(request):
    filters = BodyFilter(request.GET, Body.objects.visible_to(request.user), request=request)
    bodies = filters.qs.select_related("system", "reports_to").annotate(seat_count=Count("seats"))
    return render(request, "governance/body_list.html", {
        "form": filters.form, "bodies": bodies, "breadcrumbs": [GOVERNANCE],
    })


@login_required
def body_detail(request, pk):
    body = get_object_or_404(
        Body.objects.visible_to(request.user).select_related("system", "reports_to")
        .annotate(can_edit=access.flag(Body.objects.editable_by(request.user))), pk=pk)
    seats = list(body.seats.select_related("post__host_organisation")
                 .only(*SEAT_COLUMNS).order_by("role", "post__title"))
    today = timezone.localdate()
    return render(request, "governance/body_detail.html", {
        "body": body, "seats": seats,
        "member_rows": presenters.member_rows(seats, body.holders_on(today),
                                              can_edit=body.can_edit,
                                              csrf_token=get_token(request)),
        "can_edit": body.can_edit,
        "reads_interests": declarations.may_read_members_interests(request.user, body, today),
        **meetings.body_meetings(body),
        "sub_bodies": body.sub_bodies.all(),
        "actions": body.actions.select_related("priority"),
        "breadcrumbs": BODY_CRUMBS,
    })


@login_required
def seat_add(request, pk):
    """A seat on its own page: the form lists every post of the system, which the body page
    need not carry for a change made now and then."""
    body = get_object_or_404(Body.objects.editable_by(request.user), pk=pk)
    form = SeatForm(request.POST or None, body=body)
    if request.method == "POST" and form.is_valid():
        seat = services.add_seat(seat=form.instance, by=request.user)
        messages.success(request, f"{seat.title} now has a seat on {body}.")
        return redirect(body)
    return render(request, "form_page.html", {
        "form": form, "title": "Add a seat", "caption": body.name, "button": "Add the seat",
        "breadcrumbs": [*BODY_CRUMBS, (body.name, body.get_absolute_url())],
    })


@login_required
@require_POST
def seat_remove(request, pk, seat_pk):
    body = get_object_or_404(Body.objects.editable_by(request.user), pk=pk)
    seat = get_object_or_404(body.seats.select_related("post"), pk=seat_pk)
    services.remove_seat(seat=seat, by=request.user)
    messages.success(request, f"{seat.title} no longer has a seat on {body}.")
    return redirect(body)


# --- investment by function ------------------------------------------------------------------

def _investment_systems(user):
    """The systems whose investment the user may see; with none, the page answers 404 (a
    leader or an appraiser sees appointments, not a system)."""
    return System.objects.visible_to(user)


def _chosen_system(request):
    systems = _investment_systems(request.user)
    form = SystemChoiceForm(request.GET or None, systems=systems)
    if form.is_bound and form.is_valid():
        return form, form.cleaned_data["system"]
    system = systems.first()
    if system is None:
        raise Http404
    return SystemChoiceForm(initial={"system": system.pk}, systems=systems), system


@login_required
def investment_view(request):
    form, system = _chosen_system(request)
    posts = Post.objects.visible_to(request.user).established().filter(system=system)
    result = investment.by_function(posts)
    rows = list(result.rows())
    if request.GET.get("export") == "csv":
        header = ["Function", *[label for _, label in result.levels], "WTE", "Share of WTE (%)",
                  "Honoraria (£ a year)", "Share of honoraria (%)"]
        return audit.downloaded(request, csv_response(
            f"investment-{system.short_name}-{timezone.localdate()}", header, [
                [row["name"], *row["levels"], row["wte"], row["wte_share"], row["honoraria"],
                 row["honoraria_share"]] for row in rows]), obj=system)
    return render(request, "governance/investment.html", {
        "form": form, "system": system, "result": result, "rows": rows,
        "chart": result.chart(), "level_totals": result.level_totals(),
        "breadcrumbs": [GOVERNANCE],
    })


# --- frameworks and the action plan ----------------------------------------------------------

@login_required
def plan_list(request):
    frameworks = (Framework.objects.visible_to(request.user).select_related("system")
                  .annotate(action_count=Count("priorities__actions")))
    return render(request, "governance/plan_list.html", {"frameworks": frameworks,
                                                         "breadcrumbs": [GOVERNANCE]})


def _plan_context(framework):
    latest = ActionUpdate.objects.order_by("-on", "-recorded_at", "-pk")
    actions = list(
        Action.objects.filter(priority__framework=framework)
        .select_related("priority")
        .prefetch_related("owner_posts", "owner_bodies",
                          Prefetch("updates", queryset=latest, to_attr="latest_updates"))
    )
    rows, totals = plan.summary(framework)
    by_priority = []
    for priority in framework.priorities.all():
        by_priority.append((priority, [a for a in actions if a.priority_id == priority.pk]))
    return {
        "framework": framework, "summary_rows": rows, "summary_total": totals,
        "terms": plan.Term.choices, "by_priority": by_priority, "actions": actions,
        "status_counts": plan.status_counts(actions), "today": timezone.localdate(),
    }


def _framework(request, pk):
    return get_object_or_404(
        Framework.objects.visible_to(request.user).select_related("system", "overseen_by")
        .annotate(can_edit=access.flag(Framework.objects.editable_by(request.user)))
        .prefetch_related("priorities"), pk=pk)


@login_required
def action_plan(request, pk):
    framework = _framework(request, pk)
    context = _plan_context(framework)
    if request.GET.get("export") == "csv":
        header = ["Priority", "Reference", "Action", "Term", "Owners", "Due", "Status", "RAG",
                  "Latest update", "Latest update on"]
        rows = []
        for action in context["actions"]:
            update = action.latest_updates[0] if action.latest_updates else None
            rows.append([action.priority.number, action.reference, action.text,
                         action.get_term_display(), action.owner_names, action.due_on,
                         action.get_status_display(), action.rag[0],
                         update.note if update else "", update.on if update else ""])
        return audit.downloaded(request, csv_response(
            f"action-plan-{framework.system.short_name}-{timezone.localdate()}", header, rows),
            obj=framework)
    return render(request, "governance/action_plan.html", {
        **context,
        "can_edit": framework.can_edit,
        "breadcrumbs": PLAN_CRUMBS,
    })


@login_required
@require_safe
def action_plan_pdf(request, pk):
    framework = _framework(request, pk)
    document = pdf.render_pdf("governance/action_plan_pdf.html", _plan_context(framework))
    response = HttpResponse(document, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="action-plan-{framework.system.short_name}.pdf"')
    return audit.downloaded(request, response, obj=framework)


@login_required
def action_create(request, pk):
    framework = get_object_or_404(Framework.objects.editable_by(request.user), pk=pk)
    return _edit_action(request, framework, Action(), "Add an action")


@login_required
def action_edit(request, pk):
    action = get_object_or_404(Action.objects.editable_by(request.user)
                               .select_related("priority__framework"), pk=pk)
    return _edit_action(request, action.priority.framework, action,
                        f"Change action {action.reference}")


def _edit_action(request, framework, action, title):
    form = ActionForm(request.POST or None, instance=action, framework=framework)
    if request.method == "POST" and form.is_valid():
        try:
            action = services.save_action(action=form.instance, **form.owners, by=request.user)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"Action {action.reference} has been saved.")
            return redirect("governance:action-detail", pk=action.pk)
    return render(request, "form_page.html", {
        "form": form, "title": title, "caption": framework.name, "button": "Save action",
        "breadcrumbs": [*PLAN_CRUMBS,
                        (framework.name, framework.get_absolute_url())],
    })


@login_required
def action_detail(request, pk):
    action = get_object_or_404(
        Action.objects.visible_to(request.user)
        .select_related("priority__framework__system")
        .prefetch_related("owner_posts", "owner_bodies")
        .annotate(can_edit=access.flag(Action.objects.editable_by(request.user))), pk=pk)
    can_edit = action.can_edit
    form = UpdateForm(request.POST or None, initial={"on": timezone.localdate(),
                                                     "status": action.status})
    if request.method == "POST":
        if not can_edit:
            raise Http404
        if form.is_valid():
            try:
                services.record_update(action=action, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, f"Progress on {action.reference} has been recorded.")
                return redirect("governance:action-detail", pk=pk)
    framework = action.priority.framework
    return render(request, "governance/action_detail.html", {
        "action": action, "form": form if can_edit else None, "can_edit": can_edit,
        "updates": action.updates.select_related("by"), "today": timezone.localdate(),
        "breadcrumbs": [*PLAN_CRUMBS,
                        (framework.name, framework.get_absolute_url())],
    })


# --- the public register (no sign-in) --------------------------------------------------------

REGISTER_PAGE_SIZE = 50
REGISTER_HEADER = ["Role", "Role type", "Host organisation", "Held by", "Sits on",
                   "Term ends"]
DIVERSITY_HEADER = ["Table", "Group", "People"]


def _published_system(short_name):
    return get_object_or_404(transparency.published_systems(), short_name=short_name)


def register_index(request):
    systems = transparency.published_systems().order_by("name")
    return render(request, "governance/register_index.html", {"systems": systems})


def _register_filter(request, system):
    return RegisterFilter(request.GET, transparency.holdings(system), request=request)


def register(request, short_name):
    system = _published_system(short_name)
    filters = _register_filter(request, system)
    page = Paginator(filters.qs, REGISTER_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "governance/register.html", {
        "system": system, "page_obj": page, "rows": transparency.register_rows(page.object_list),
        "q": filters.chosen("q", default=""), "search_errors": filters.errors.get("q"),
        "query_without_page": list_links(request, "", [])["query_without_page"],
        "breadcrumbs": [("Published registers", reverse("governance:register-index"))],
    })


def register_csv(request, short_name):
    system = _published_system(short_name)
    rows = transparency.register_rows(_register_filter(request, system).qs)
    return csv_response(f"register-{system.short_name}-{timezone.localdate()}", REGISTER_HEADER, [
        [r["role"], r["role_type"], r["organisation"], r["name"], "; ".join(r["bodies"]),
         r["term_ends"]] for r in rows])


def _diversity(system):
    return transparency.diversity_summary(transparency.diversity_counts(system))


def diversity(request, short_name):
    system = _published_system(short_name)
    return render(request, "governance/diversity.html", {
        "system": system, "summary": _diversity(system), "today": timezone.localdate(),
        "breadcrumbs": [("Published registers", reverse("governance:register-index")),
                        (system.name, reverse("governance:register", args=[short_name]))],
    })


def diversity_csv(request, short_name):
    system = _published_system(short_name)
    return csv_response(f"diversity-{system.short_name}-{timezone.localdate()}",
                        DIVERSITY_HEADER, transparency.diversity_csv_rows(_diversity(system)))


def diversity_pdf(request, short_name):
    system = _published_system(short_name)
    document = transparency.diversity_pdf(system, _diversity(system))
    response = HttpResponse(document, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="diversity-{system.short_name}.pdf"'
    return response
