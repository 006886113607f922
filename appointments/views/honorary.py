"""Honorary contracts in the browser: recorded from the person's page by HR of the partner (or
partnership) they are held with, each with its own page and history."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render

from ccpl import access
from ccpl.history import with_changes
from roles.models import edits_an_organisation

from .. import services
from ..forms import HonoraryContractForm
from ..models import HonoraryContract, Person


def _records_honorary(user):
    return edits_an_organisation(user) or bool(
        access.granted_systems(user, access.EDIT))


@login_required
def honorary_detail(request, pk):
    user = request.user
    contract = get_object_or_404(
        HonoraryContract.objects.visible_to(user)
        .select_related("person", "organisation", "partnership")
        .annotate(can_edit=access.flag(HonoraryContract.objects.editable_by(user))), pk=pk)
    return render(request, "appointments/honorary_detail.html", {
        "contract": contract,
        "history": with_changes(contract.history),
        "breadcrumbs": [("People", "/people/"),
                        (contract.person.full_name, contract.person.get_absolute_url())],
    })


@login_required
def honorary_create(request, pk):
    user = request.user
    person = get_object_or_404(Person.objects.visible_to(user), pk=pk)
    if not _records_honorary(user):
        raise Http404
    return _edit(request, HonoraryContract(person=person),
                 f"Record an honorary contract for {person.full_name}")


@login_required
def honorary_edit(request, pk):
    user = request.user
    contract = get_object_or_404(
        HonoraryContract.objects.visible_to(user).editable_by(user).select_related("person"),
        pk=pk)
    return _edit(request, contract, "Change the honorary contract")


def _edit(request, contract, title):
    form = HonoraryContractForm(request.POST or None, instance=contract, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            contract = services.save_honorary_contract(contract=form.instance, by=request.user)
        except ValidationError as error:
            form.add_service_errors(error, {"organisation": "held_with",
                                            "partnership": "held_with"})
        except PermissionDenied:
            form.add_error("held_with", "You do not record honorary contracts for this partner.")
        else:
            messages.success(request, f"{contract.kind_text} with {contract.held_with} has been "
                                      "saved.")
            return redirect(contract)
    person = contract.person
    return render(request, "form_page.html", {
        "form": form, "title": title, "button": "Save", "caption": person.full_name,
        "breadcrumbs": [("People", "/people/"), (person.full_name, person.get_absolute_url())],
    })
