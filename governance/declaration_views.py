"""Declarations of interest in the browser: a leader's own declarations (and HR's view of the
people whose records they keep), the forms that make a new return, and the published register
of interests per system."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from ccpl.exports import csv_response

from . import declarations, services
from .forms import EndInterestForm, InterestForm
from .models import Body, Interest, declarants
from .views import BODY_CRUMBS, GOVERNANCE, _published_system

DECLARATIONS = ("Declarations of interest", "/declarations/")
PAGE_SIZE = 50
PUBLISHED_PAGE_SIZE = 100


@login_required
def index(request):
    user, today = request.user, timezone.localdate()
    own = getattr(user, "person", None)
    people = declarations.people_keeping(user, today)
    page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page")) if people is not None \
        else None
    return render(request, "governance/declarations.html", {
        "own": own, "own_status": declarations.status_of(own, today) if own else None,
        "page_obj": page,
        "people": declarations.with_status(list(page.object_list), today) if page else None,
        "breadcrumbs": [GOVERNANCE],
    })


@login_required
def body_interests(request, pk):
    """Every interest the members of a body declared in their latest return, published or not:
    for its chair, HR of its system and administrators; 404 for anyone else. On its own page,
    not the body's, which a large board's hundreds of returns would make slow to read."""
    today = timezone.localdate()
    body = get_object_or_404(Body.objects.visible_to(request.user), pk=pk)
    if not declarations.may_read_members_interests(request.user, body, today):
        raise Http404
    return render(request, "governance/body_interests.html", {
        "body": body, "members_interests": declarations.members_interests(body, today),
        "breadcrumbs": [*BODY_CRUMBS, (body.name, body.get_absolute_url())],
    })


def _person(request, pk):
    return get_object_or_404(declarants(request.user).select_related("user"), pk=pk)


@login_required
def person_declarations(request, pk):
    person = _person(request, pk)
    today = timezone.localdate()
    returns = list(person.declaration_returns.select_related("recorded_by")
                   .prefetch_related("interests").order_by("-made_on", "-pk"))
    latest = returns[0] if returns else None
    interests = list(latest.interests.all()) if latest else []
    return render(request, "governance/person_declarations.html", {
        "person": person, "is_self": person.user_id == request.user.pk,
        "status": declarations.status_of(person, today), "latest": latest,
        "interests": interests, "holds_any": any(i.is_held(today) for i in interests),
        "earlier": returns[1:], "today": today, "breadcrumbs": [GOVERNANCE, DECLARATIONS],
    })


def _form_page(request, person, form, title, button):
    return render(request, "form_page.html", {
        "form": form, "title": title, "caption": f"Declarations of interest — {person}",
        "button": button,
        "breadcrumbs": [GOVERNANCE, DECLARATIONS,
                        (str(person), reverse("governance:person-declarations",
                                              args=[person.pk]))]})


def _done(request, person, made, text):
    if made.on_behalf:
        text += " It is recorded as made on their behalf."
    messages.success(request, text)
    return redirect("governance:person-declarations", pk=person.pk)


@login_required
def interest_add(request, pk):
    person = _person(request, pk)
    form = InterestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            made = services.declare_interest(person=person, by=request.user,
                                             **form.interest_fields)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            return _done(request, person, made, "The interest has been declared.")
    return _form_page(request, person, form, "Declare an interest", "Declare the interest")


def _current_interest(request, pk):
    return get_object_or_404(Interest.objects.visible_to(request.user).current()
                             .select_related("declaration_return__person"), pk=pk)


@login_required
def interest_edit(request, pk):
    interest = _current_interest(request, pk)
    person = interest.declaration_return.person
    form = InterestForm(request.POST or None, instance=interest)
    if request.method == "POST" and form.is_valid():
        try:
            made = services.change_interest(interest=interest, by=request.user,
                                            **form.interest_fields)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            return _done(request, person, made, "The change has been declared; the earlier "
                                                "declaration is kept in the history.")
    return _form_page(request, person, form, "Change an interest", "Declare the change")


@login_required
def interest_end(request, pk):
    interest = _current_interest(request, pk)
    person = interest.declaration_return.person
    form = EndInterestForm(request.POST or None,
                           initial={"to_date": interest.to_date or timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            made = services.end_interest(interest=interest, by=request.user,
                                         to_date=form.cleaned_data["to_date"])
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            return _done(request, person, made, "The end of the interest has been declared.")
    return _form_page(request, person, form, f"End the interest: {interest.organisation}",
                      "Declare the end")


@login_required
@require_POST
def declaration_confirm(request, pk):
    person = _person(request, pk)
    made = services.confirm_declaration(person=person, by=request.user)
    return _done(request, person, made, "The nil return has been recorded." if made.is_nil
                 else "The declaration has been confirmed as complete.")


# --- the published register of interests (no sign-in) ----------------------------------------

def register_interests(request, short_name):
    system = _published_system(short_name)
    today = timezone.localdate()
    page = Paginator(declarations.published_interests(system, today),
                     PUBLISHED_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "governance/register_interests.html", {
        "system": system, "page_obj": page,
        "rows": declarations.published_rows(page.object_list, system, today),
        "breadcrumbs": [("Published registers", reverse("governance:register-index")),
                        (system.name, reverse("governance:register", args=[short_name]))],
    })


def register_interests_csv(request, short_name):
    system = _published_system(short_name)
    today = timezone.localdate()
    rows = declarations.published_rows(declarations.published_interests(system, today), system,
                                       today)
    return csv_response(f"interests-{system.short_name}-{today}", declarations.PUBLISHED_HEADER,
                        [[r["name"], "; ".join(r["roles"]), r["kind"], r["organisation"],
                          r["description"], r["from_date"], r["to_date"] or "",
                          r["action_taken"]] for r in rows])
