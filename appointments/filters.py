"""The filters of the lists of appointments, people and vacancies (see ``ccpl/filters.py``)."""

import django_filters
from django import forms
from django.db.models import F, Q
from django.utils import timezone

from ccpl.filters import CheckboxFilter, FilterSet, SortFilter
from roles.models import RoleType, System

from .models import Appointment, Profession, Vacancy


def _systems(request):
    return System.objects.visible_to(request.user)


# A permanent appointment (no end date) sorts after every end.
APPOINTMENT_SORTS = {
    "end": (F("end_date").asc(nulls_last=True), "pk"),
    "-end": (F("end_date").desc(nulls_first=True), "-pk"),
    "person": ("person__family_name", "person__given_name", "pk"),
    "-person": ("-person__family_name", "-person__given_name", "-pk"),
    "post": ("post__title", "pk"), "-post": ("-post__title", "-pk"),
}


class AppointmentFilter(FilterSet):
    """Appointments, as on /appointments/, the bulk change and /api/v1/appointments/."""

    q = django_filters.CharFilter(label="Search", max_length=100, method="search",
                                  help_text="Leader's name or post title")
    system = django_filters.ModelChoiceFilter(field_name="post__system", queryset=_systems,
                                              empty_label="Any", label="System")
    state = django_filters.ChoiceFilter(
        label="Status", empty_label="Any", method="in_state",
        choices=[("in_force", "Held today"), ("future", "Starting later"),
                 ("finished", "Finished"), ("offered", "Offered")])
    ending_within = django_filters.ChoiceFilter(
        label="Term ending within", empty_label="Any time", method="ending",
        choices=[(30, "30 days"), (90, "90 days"), (180, "180 days"), (365, "12 months")])
    undecided = CheckboxFilter(label="Only terms with no decision yet", method="without_decision")
    role_type = django_filters.ModelChoiceFilter(field_name="post__role_type",
                                                 queryset=RoleType.objects.all(),
                                                 label="Role type", widget=forms.HiddenInput)

    def search(self, appointments, name, value: str):
        return appointments.filter(
            Q(person__given_name__icontains=value) | Q(person__family_name__icontains=value)
            | Q(post__title__icontains=value))

    def in_state(self, appointments, name, value: str):
        today = timezone.localdate()
        match value:
            case "in_force":
                return appointments.in_force(today)
            case "future":
                return appointments.filter(start_date__gt=today)
            case "finished":
                return appointments.filter(end_date__lt=today)
            case "offered":
                return appointments.filter(status=Appointment.Status.OFFERED)
        return appointments

    def ending(self, appointments, name, value: int):
        # The choice arrives as its text ("90"); the hint gives the API's schema its type.
        return appointments.ending_within(int(value), on=timezone.localdate())

    def without_decision(self, appointments, name, value: bool):
        return appointments.undecided() if value else appointments


class AppointmentListFilter(AppointmentFilter):
    """The appointments page: the filters, and the order its column headers choose."""

    sort = SortFilter(APPOINTMENT_SORTS, default="end")


PERSON_SORTS = {"name": ("family_name", "given_name", "pk"),
                "-name": ("-family_name", "-given_name", "-pk"),
                "profession": ("profession", "family_name", "pk"),
                "-profession": ("-profession", "-family_name", "-pk")}


class PersonFilter(FilterSet):
    """People, as on /people/ and /api/v1/people/."""

    q = django_filters.CharFilter(label="Search", max_length=100, method="search",
                                  help_text="Name, e-mail address or registration number")
    profession = django_filters.ChoiceFilter(choices=Profession.choices, empty_label="Any",
                                             label="Profession")

    def search(self, people, name, value: str):
        return people.filter(Q(given_name__icontains=value) | Q(family_name__icontains=value)
                             | Q(work_email__icontains=value)
                             | Q(registration_number__icontains=value))


class PersonListFilter(PersonFilter):
    """The people page: the filters, and the order its column headers choose."""

    sort = SortFilter(PERSON_SORTS, default="name")


class VacancyFilter(FilterSet):
    """Vacancies, as on /recruitment/ and /api/v1/vacancies/: the open ones unless the state
    says otherwise."""

    STATES = [("open", "Open"), ("filled", "Filled"), ("withdrawn", "Withdrawn"), ("all", "All")]

    state = django_filters.ChoiceFilter(choices=STATES, empty_label=None, method="in_state",
                                        label="Status", help_text="Open unless said otherwise")
    system = django_filters.ModelChoiceFilter(field_name="post__system", queryset=_systems,
                                              empty_label="Any", label="System")

    def in_state(self, vacancies, name, value: str):
        return vacancies if value == "all" else vacancies.filter(status=value)

    def filter_queryset(self, vacancies):
        vacancies = super().filter_queryset(vacancies)
        if not self.form.cleaned_data.get("state"):
            vacancies = vacancies.filter(status=Vacancy.Status.OPEN)
        return vacancies

    @property
    def chosen_state(self):
        return self.chosen("state", default="open")
