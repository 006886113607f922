"""The read endpoints. Each starts from the QuerySet the matching page starts from
(``Model.objects.visible_to(user)``), filters it with the page's own FilterSet, and fetches
what its rows show in a fixed number of queries per page."""

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, viewsets
from rest_framework.permissions import AllowAny

from appointments.filters import AppointmentFilter, PersonFilter, VacancyFilter
from appointments.models import Appointment, Extension, Person, Vacancy
from governance import transparency
from governance.filters import BodyFilter, RegisterFilter, SeatFilter
from governance.models import Body, Seat
from roles.filters import OrganisationFilter, PostFilter
from roles.models import Organisation, Post, System

from . import serializers
from .changes import AppointmentChanges
from .filters import ListFilterBackend, filtered

BAD_FILTER = OpenApiResponse(description="A filter, the page size or the cursor is not valid: "
                                         "the body names each parameter and what is wrong.")
NOT_FOUND = OpenApiResponse(description="No such record among those the user may see.")


def listed(summary, serializer):
    """The schema of a list endpoint (its query parameters come from its FilterSet), and of
    its detail."""
    return extend_schema_view(
        list=extend_schema(summary=summary,
                           responses={200: serializer(many=True), 400: BAD_FILTER}),
        retrieve=extend_schema(responses={200: serializer, 404: NOT_FOUND}),
    )


class RegisterViewSet(viewsets.ReadOnlyModelViewSet):
    """A list and a detail of what the user may see; ``filterset_class`` is the list page's
    FilterSet."""

    filter_backends = [ListFilterBackend]
    filterset_class = None


@listed("Systems the user may see", serializers.SystemSerializer)
class SystemViewSet(RegisterViewSet):
    """Systems (ICSs, partnerships) on which the user holds a grant."""

    serializer_class = serializers.SystemSerializer

    def get_queryset(self):
        return System.objects.visible_to(self.request.user)


@listed("Organisations the user may see", serializers.OrganisationSerializer)
class OrganisationViewSet(RegisterViewSet):
    """Partner organisations: those granted, and every partner of a granted system."""

    serializer_class = serializers.OrganisationSerializer
    filterset_class = OrganisationFilter

    def get_queryset(self):
        return Organisation.objects.visible_to(self.request.user).prefetch_related("systems")


@listed("Posts, with the filters of the posts page", serializers.PostSerializer)
class PostViewSet(RegisterViewSet):
    """Posts, as on /posts/ (current posts unless ?status=disestablished)."""

    serializer_class = serializers.PostSerializer
    filterset_class = PostFilter

    def get_queryset(self):
        return Post.objects.visible_to(self.request.user).select_related(
            "role_type", "system", "host_organisation")


@listed("People, with the filters of the people page", serializers.PersonSerializer)
class PersonViewSet(RegisterViewSet):
    """People, as on /people/. Equality data is never in the API."""

    serializer_class = serializers.PersonSerializer
    filterset_class = PersonFilter

    def get_queryset(self):
        return Person.objects.visible_to(self.request.user).select_related(
            "substantive_employer")


@listed("Appointments with their extensions, with the filters of the appointments page",
        serializers.AppointmentSerializer)
class AppointmentViewSet(AppointmentChanges, RegisterViewSet):
    """Appointments, as on /appointments/, each with its extensions."""

    serializer_class = serializers.AppointmentSerializer
    filterset_class = AppointmentFilter

    def get_queryset(self):
        return (Appointment.objects.visible_to(self.request.user)
                .select_related("person", "post__system", "post__host_organisation")
                .prefetch_related(Prefetch("extensions",
                                           queryset=Extension.objects.order_by("number"))))


@listed("Vacancies, with the filters of the recruitment page (open ones unless ?state= says "
        "otherwise)", serializers.VacancySerializer)
class VacancyViewSet(RegisterViewSet):
    """Vacancies, as on /recruitment/."""

    serializer_class = serializers.VacancySerializer
    filterset_class = VacancyFilter

    def get_queryset(self):
        return Vacancy.objects.visible_to(self.request.user).select_related("post__system")


@listed("Governance bodies of the systems the user may see", serializers.BodySerializer)
class BodyViewSet(RegisterViewSet):
    """Governance bodies, as on /governance/bodies/."""

    serializer_class = serializers.BodySerializer
    filterset_class = BodyFilter

    def get_queryset(self):
        return Body.objects.visible_to(self.request.user).select_related("system")


@listed("Seats on the governance bodies the user may see, each filled by a post",
        serializers.SeatSerializer)
class SeatViewSet(RegisterViewSet):
    """Seats on governance bodies, as on each body's page."""

    serializer_class = serializers.SeatSerializer
    filterset_class = SeatFilter

    def get_queryset(self):
        # A seat is seen with its body, as on the body's page.
        return Seat.objects.filter(
            body__in=Body.objects.visible_to(self.request.user).values("pk"),
        ).select_related("body", "post")


# --- The published register: no sign-in, the same rows as /register/ --------------------------

@extend_schema_view(list=extend_schema(
    summary="Systems with a published register", auth=[],
    responses={200: serializers.PublishedSystemSerializer(many=True), 400: BAD_FILTER}))
class PublishedSystemViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Systems with a published register, as on /register/; no sign-in."""

    serializer_class = serializers.PublishedSystemSerializer
    permission_classes = [AllowAny]
    authentication_classes = []

    def get_queryset(self):
        return transparency.published_systems()


class PublishedRegisterViewSet(viewsets.GenericViewSet):
    """The published register of one system: who holds its published roles, named only with
    their consent, and the bodies each post sits on."""

    serializer_class = serializers.RegisterRowSerializer
    permission_classes = [AllowAny]
    authentication_classes = []
    lookup_field = "short_name"

    @extend_schema(summary="The published register of a system, as on /register/<system>/",
                   operation_id="register_rows",
                   auth=[], parameters=[OpenApiParameter(
                       "q", OpenApiTypes.STR, OpenApiParameter.QUERY, required=False,
                       description=str(RegisterFilter.base_filters["q"].extra["help_text"]))],
                   responses={200: serializers.RegisterRowSerializer(many=True),
                              400: BAD_FILTER, 404: OpenApiResponse(
                                  description="No system with a published register has this "
                                              "short name.")})
    def rows(self, request, short_name):
        system = get_object_or_404(transparency.published_systems(), short_name=short_name)
        page = self.paginate_queryset(
            filtered(RegisterFilter, request, transparency.holdings(system)))
        rows = [{**row, "bodies": "; ".join(row["bodies"])}
                for row in transparency.register_rows(page)]
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)
