"""People in the browser: list, detail, create and edit, and the leader's own equality data."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from ccpl import access
from ccpl.history import with_changes
from ccpl.lists import list_links
from roles.models import edits_an_organisation

from .. import commitments, hooks, services
from ..filters import PersonListFilter
from ..forms import EqualityForm, PersonForm
from ..models import Appointment, EqualityProfile, HonoraryContract, Person

PAGE_SIZE = 25


@login_required
def person_list(request):
    filters = PersonListFilter(request.GET, Person.objects.visible_to(request.user),
                               request=request)
    people = filters.qs.select_related("substantive_employer").prefetch_related(
        Prefetch("appointments", to_attr="held",
                 queryset=Appointment.objects.in_force().select_related("post")))
    page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "appointments/person_list.html", {
        "form": filters.form, "page_obj": page, "people": page.object_list,
        "can_create": edits_an_organisation(request.user),
        **list_links(request, filters.chosen("sort", default="name"), ["name", "profession"]),
    })


@login_required
def person_detail(request, pk):
    user = request.user
    person = get_object_or_404(
        Person.objects.visible_to(user).select_related("substantive_employer", "user")
        .annotate(can_edit=access.flag(Person.objects.editable_by(user))), pk=pk)
    is_self = person.user_id == user.pk
    appointments = list(Appointment.objects.visible_to(user).filter(person=person)
                        .select_related("post__host_organisation", "post__system")
                        .order_by("-start_date"))
    today = timezone.localdate()
    person.posts_held = [a.post_id for a in appointments if a.is_in_force(today)]
    honorary = list(person.honorary_contracts.select_related("organisation", "partnership")
                    .annotate(can_edit=access.flag(HonoraryContract.objects.editable_by(user)))
                    .order_by("-start_date", "pk"))
    return render(request, "appointments/person_detail.html", {
        "person": person,
        "appointments": appointments,
        "commitments": _commitments(appointments, today) if appointments else None,
        "honorary": honorary,
        "can_add_honorary": edits_an_organisation(user)
        or bool(access.granted_systems(user, access.EDIT)),
        "sections": hooks.sections("person", person, user=user, today=today),
        "can_edit": person.can_edit or is_self,
        "is_self": is_self,
        "history": with_changes(person.history),
        "breadcrumbs": [("People", "/people/")],
    })


def _commitments(appointments, today):
    """The chart of the person's leadership time in the appointments the user sees, against
    the lowest ceiling of the systems they hold (or will hold) posts in."""
    systems = {a.post.system for a in appointments if a.end_date is None or a.end_date >= today}
    system = min(systems, key=lambda s: (s.commitment_ceiling_wte, s.name), default=None)
    return commitments.chart(
        appointments, today=today,
        ceiling=system.commitment_ceiling_wte if system else None,
        ceiling_system=str(system) if system else "")


@login_required
def person_create(request):
    if not edits_an_organisation(request.user):
        raise Http404
    return _edit(request, Person(), "Add a person")


@login_required
def person_edit(request, pk):
    user = request.user
    person = get_object_or_404(Person.objects.visible_to(user), pk=pk)
    if Person.objects.editable_by(user).filter(pk=pk).exists():
        return _edit(request, person, f"Change {person.full_name}")
    if person.user_id == user.pk:
        # A leader keeps their own contact details up to date, and nothing else.
        return _edit(request, person, "Change your contact details", leader_only=True)
    raise Http404


def _edit(request, person, title, leader_only=False):
    form = PersonForm(request.POST or None, instance=person, user=request.user,
                      leader_only=leader_only)
    if request.method == "POST" and form.is_valid():
        try:
            person = services.save_person(person=form.instance, by=request.user)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"{person.full_name} has been saved.")
            return redirect(person)
    return render(request, "form_page.html", {
        "form": form, "title": title, "button": "Save",
        "breadcrumbs": [("People", "/people/")] + (
            [(person.full_name, person.get_absolute_url())] if person.pk else []),
    })


@login_required
def equality_edit(request):
    """A leader declares (or withdraws) their own equality data. Nobody else sees it: it is
    used only for aggregate statistics."""
    person = getattr(request.user, "person", None)
    if person is None:
        raise Http404
    profile = EqualityProfile.objects.filter(person=person).first() or EqualityProfile(
        person=person)
    if request.method == "POST" and "withdraw" in request.POST:
        services.delete_equality(person=person, by=request.user)
        messages.success(request, "Your equality data has been deleted.")
        return redirect("account")
    form = EqualityForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        services.save_equality(profile=form.instance, by=request.user)
        messages.success(request, "Thank you. Your answers are used only in statistics that "
                                  "cannot identify anyone.")
        return redirect("account")
    return render(request, "appointments/equality_form.html", {
        "form": form, "has_profile": bool(profile.pk),
        "breadcrumbs": [("Your account", "/account/")],
    })
