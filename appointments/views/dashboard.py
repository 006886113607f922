"""The home page: what each user needs to act on, from the register they can see."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .. import dashboard


@login_required
def home(request):
    return render(request, "appointments/dashboard.html", dashboard.build(request.user))
