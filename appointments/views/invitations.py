"""Inviting users: administrators and HR give leaders, HR colleagues, CMO/CNO offices and
appraisers an account that sees what they need."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render

from .. import services
from ..forms import InviteForm


@login_required
def invite(request):
    if not services.may_invite(request.user):
        raise Http404
    form = InviteForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.invite(by=request.user, **data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"{user.email} has been invited and will get an e-mail "
                                      "with a link to choose a password.")
            return redirect("appointments:invite")
    return render(request, "appointments/invite.html", {"form": form})
