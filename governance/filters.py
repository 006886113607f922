"""The filters of the governance lists and of the published register (see ``ccpl/filters.py``)."""

import django_filters
from django.db.models import Q

from ccpl.filters import FilterSet
from roles.models import System

from .models import Body


def _systems(request):
    return System.objects.visible_to(request.user)


def _bodies(request):
    return Body.objects.visible_to(request.user)


class BodyFilter(FilterSet):
    """Governance bodies, as on /governance/bodies/ and /api/v1/bodies/."""

    system = django_filters.ModelChoiceFilter(queryset=_systems, empty_label="Any",
                                              label="System")


class SeatFilter(FilterSet):
    """Seats on governance bodies, as on /api/v1/seats/."""

    system = django_filters.ModelChoiceFilter(field_name="body__system", queryset=_systems,
                                              empty_label="Any", label="System")
    body = django_filters.ModelChoiceFilter(queryset=_bodies, empty_label="Any", label="Body")


class RegisterFilter(FilterSet):
    """The published register of a system, as on /register/<system>/ and its API: no sign-in,
    so nothing here depends on the user."""

    q = django_filters.CharFilter(label="Search", max_length=100, method="search",
                                  help_text="Role or host organisation")

    def search(self, appointments, name, value: str):
        return appointments.filter(Q(post__title__icontains=value)
                                   | Q(post__host_organisation__name__icontains=value))
