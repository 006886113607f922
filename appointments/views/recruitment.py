"""Recruitment in the browser: the vacancies and their timeline across posts, and each step from
approval to recruit to the appointment it makes."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Sum
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ccpl.lists import list_links
from roles.models import Post

from .. import services
from ..filters import VacancyFilter
from ..forms import (
    AdvertForm,
    ApprovalForm,
    InterviewForm,
    OfferForm,
    ShortlistForm,
    VacancyForm,
    WithdrawForm,
)
from ..models import ApplicantCount, ApprovalRequest, PartyDecision, Profession, Vacancy

PAGE_SIZE = 25
CRUMBS = [("Recruitment", "/recruitment/")]


@login_required
def vacancy_list(request):
    user = request.user
    filters = VacancyFilter(request.GET, Vacancy.objects.visible_to(user), request=request)
    vacancies = filters.qs.select_related(
        "post__host_organisation", "post__system", "appointment__person").order_by(
        "status", "expected_start", "opened_on", "pk")
    page = Paginator(vacancies, PAGE_SIZE).get_page(request.GET.get("page"))
    applicants = _applicants_by_profession(vacancies)
    system = filters.chosen("system")
    return render(request, "appointments/vacancy_list.html", {
        "form": filters.form, "page_obj": page, "vacancies": page.object_list,
        "states": filters.STATES,
        "state": filters.chosen("state", default="open"),
        "systems": filters.form.fields["system"].queryset,
        "system": str(system.pk) if system else "",
        "timeline": _timeline(list(page.object_list)),
        "applicants": applicants,
        "can_open": Post.objects.editable_by(user).exists(),
        "query_without_page": list_links(request, "", [])["query_without_page"],
    })


def _applicants_by_profession(vacancies):
    """Applicants and shortlisted by profession over the listed vacancies: one query."""
    rows = (ApplicantCount.objects.filter(vacancy__in=vacancies.values("pk"))
            .values("profession").annotate(applied=Sum("applied"), shortlisted=Sum("shortlisted"))
            .order_by("-applied", "profession"))
    labels = dict(Profession.choices)
    rows = [{"profession": labels[r["profession"]], "applied": r["applied"],
             "shortlisted": r["shortlisted"]} for r in rows]
    total = sum(r["applied"] for r in rows)
    beyond = sum(r["applied"] for r in rows if r["profession"] != labels[Profession.DOCTOR])
    return {"rows": rows, "total": total,
            "beyond_medicine": round(beyond / total * 100) if total else None}


# The recruitment timeline across posts, like a phased recruitment plan: advertising, selection
# and onboarding as bars from the recorded (or else planned) dates up to the start.
WIDTH, LABEL_WIDTH, ROW = 760, 220, 28


def _timeline(vacancies):
    rows = []
    for vacancy in vacancies:
        advertised = vacancy.advertised_on or vacancy.advertise_from
        closes = vacancy.closes_on
        onboarding = vacancy.offer_on or vacancy.onboarding_from
        start = (vacancy.appointment.start_date if vacancy.appointment_id
                 else vacancy.expected_start)
        phases = []
        if advertised and (closes or onboarding):
            phases.append(("advert", "Advertising", advertised, closes or onboarding))
        if (closes or advertised) and onboarding and onboarding > (closes or advertised):
            phases.append(("selection", "Selection", closes or advertised, onboarding))
        if onboarding and start and start > onboarding:
            phases.append(("onboarding", "Onboarding", onboarding, start))
        if phases:
            rows.append({"vacancy": vacancy, "phases": phases, "start": start})
    if not rows:
        return None
    first = min(p[2] for r in rows for p in r["phases"]).replace(day=1)
    last = max(p[3] for r in rows for p in r["phases"])
    span = max((last - first).days, 1)
    scale = (WIDTH - LABEL_WIDTH - 10) / span

    def x(day):
        return round(LABEL_WIDTH + (day - first).days * scale, 1)

    for index, row in enumerate(rows):
        row["y"] = 24 + index * ROW
        row["bars"] = [{"kind": kind, "label": label, "from": start, "to": end, "x": x(start),
                        "width": max(round(x(end) - x(start), 1), 2)}
                       for kind, label, start, end in row["phases"]]
    months, day = [], first
    while day <= last:
        months.append({"x": x(day), "label": day.strftime("%b %Y")})
        day = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    step = max(1, len(months) // 8)
    today = timezone.localdate()
    return {"rows": rows, "width": WIDTH, "height": 34 + len(rows) * ROW,
            "months": months[::step],
            "today_x": x(today) if first <= today <= last else None}


@login_required
def vacancy_create(request):
    if not Post.objects.editable_by(request.user).exists():
        raise Http404
    form = VacancyForm(request.POST or None, initial=VacancyForm.chosen(request.GET,
                                                                       user=request.user),
                       user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            vacancy = services.open_vacancy(by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            waiting = vacancy.approval_request.waiting_for
            messages.success(request, f"The vacancy for {vacancy.post} is open. Recruitment "
                                      "is approved before it is advertised"
                                      + (f": {', '.join(waiting)} will decide." if waiting
                                         else "."))
            return redirect(vacancy)
    return render(request, "form_page.html", {
        "form": form, "title": "Open a vacancy", "button": "Open the vacancy",
        "breadcrumbs": CRUMBS,
    })


@login_required
def vacancy_detail(request, pk):
    user = request.user
    vacancy = get_object_or_404(
        Vacancy.objects.visible_to(user).with_capabilities(user).select_related(
            "post__host_organisation", "post__system", "appointment__person", "opened_by",
            "approval_by"), pk=pk)
    dates = vacancy.stage_dates()
    asked = (ApprovalRequest.objects.filter(vacancy=vacancy)
             .select_related("route__system", "requested_by", "overridden_by", "vacancy__post")
             .prefetch_related("decisions__decided_by").first())
    return render(request, "appointments/vacancy_detail.html", {
        "vacancy": vacancy, "can_edit": vacancy.can_edit,
        "asked": asked, "decisions": asked.decisions.all() if asked else [],
        "actions": asked.actions_for(user, may_change=vacancy.can_edit or vacancy.can_approve)
        if asked else None,
        "stages": [(label, dates[key]) for key, label in Vacancy.STAGES],
        "applicants": vacancy.applicants.all(),
        "next_step": vacancy.next_step,
        "offer_waiting": vacancy.offer_requests.pending().select_related("person").first()
        if vacancy.next_step == "offer" else None,
        "breadcrumbs": CRUMBS,
    })


def _step(request, pk, *, queryset, form_class, title, button, run, form_kwargs=None,
          template="form_page.html"):
    """One step of a recruitment: a form, a service, and back to the vacancy."""
    vacancy = get_object_or_404(queryset(request.user).select_related("post"), pk=pk)
    form_kwargs = form_kwargs(vacancy) if form_kwargs else {}
    form = form_class(request.POST or None, **form_kwargs)
    if request.method == "POST" and form.is_valid():
        try:
            message = run(vacancy, form)
        except ValidationError as error:
            form.add_service_errors(error)
            if services.is_over_ceiling(error) and not form.asks_consent():
                form.add_consent_fields(request.user)  # an offer above the ceiling
        else:
            messages.success(request, message)
            return redirect(vacancy)
    return render(request, template, {
        "form": form, "title": title, "button": button, "vacancy": vacancy,
        "caption": str(vacancy.post),
        "breadcrumbs": [*CRUMBS, (str(vacancy.post), vacancy.get_absolute_url())],
    })


def _editable(user):
    return Vacancy.objects.editable_by(user)


def _decidable(user):
    """Vacancies whose approval to recruit the user decides on for a party of the route."""
    return Vacancy.objects.filter(pk__in=PartyDecision.objects.decidable_by(user)
                                  .filter(request__vacancy__isnull=False)
                                  .values("request__vacancy"))


@login_required
def vacancy_approval(request, pk):
    def run(vacancy, form):
        approve = form.cleaned_data["decision"] == "approve"
        services.decide_approval(vacancy=vacancy, approve=approve,
                                    note=form.cleaned_data["note"], by=request.user)
        return "Recruitment is approved." if approve else "Recruitment is not approved."
    return _step(request, pk, queryset=_decidable, form_class=ApprovalForm,
                 title="Approval to recruit", button="Record the decision", run=run)


@login_required
def vacancy_advert(request, pk):
    def run(vacancy, form):
        services.record_advert(vacancy=vacancy, by=request.user, **form.cleaned_data)
        return "The advert has been recorded."
    return _step(request, pk, queryset=_editable, form_class=AdvertForm,
                 title="Record the advert", button="Save the advert", run=run)


@login_required
def vacancy_shortlist(request, pk):
    def run(vacancy, form):
        services.record_shortlisting(vacancy=vacancy, counts=form.counts(),
                                        shortlisted_on=form.cleaned_data["shortlisted_on"],
                                        by=request.user)
        return "The shortlisting has been recorded."

    def existing(vacancy):
        return {"existing": {a.profession: (a.applied, a.shortlisted)
                             for a in vacancy.applicants.all()}}
    return _step(request, pk, queryset=_editable, form_class=ShortlistForm,
                 title="Record the shortlisting", button="Save the shortlisting", run=run,
                 form_kwargs=existing, template="appointments/vacancy_shortlist.html")


@login_required
def vacancy_interview(request, pk):
    def run(vacancy, form):
        services.record_interview(vacancy=vacancy, by=request.user, **form.cleaned_data)
        return "The interview date has been recorded."
    return _step(request, pk, queryset=_editable, form_class=InterviewForm,
                 title="Record the interview", button="Save the interview date", run=run)


@login_required
def vacancy_offer(request, pk):
    def run(vacancy, form):
        made = services.make_offer(vacancy=vacancy, by=request.user, consent=form.consent(),
                                   **form.without_consent())
        if isinstance(made, ApprovalRequest) and made.is_pending:
            return (f"The offer to {made.person} goes above their commitment ceiling: it is "
                    f"made once {', '.join(made.waiting_for) or 'the approvers'} agree in the "
                    "register, with the approver's consent.")
        return (f"{made.person if isinstance(made, ApprovalRequest) else made.appointment.person}"
                " has been offered the post. Record their "
                "acceptance when they accept.")
    return _step(request, pk, queryset=_editable, form_class=OfferForm,
                 title="Make an offer", button="Make the offer", run=run,
                 form_kwargs=lambda vacancy: {"user": request.user,
                                              "ask_consent": "consent_by" in request.POST})


@login_required
def vacancy_withdraw(request, pk):
    def run(vacancy, form):
        services.withdraw_vacancy(vacancy=vacancy, by=request.user, **form.cleaned_data)
        return "The vacancy has been withdrawn."
    return _step(request, pk, queryset=_editable, form_class=WithdrawForm,
                 title="Withdraw the vacancy", button="Withdraw the vacancy", run=run)


@login_required
@require_POST
def vacancy_accept(request, pk):
    vacancy = get_object_or_404(Vacancy.objects.editable_by(request.user), pk=pk)
    try:
        vacancy = services.accept_offer(vacancy=vacancy, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(vacancy)
    messages.success(request, f"{vacancy.appointment.person} has accepted; the vacancy is "
                              "filled.")
    return redirect(vacancy.appointment)
