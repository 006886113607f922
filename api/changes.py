"""The API's changes: appoint, ask for an extension, decide for a party (agree or decline an
extension, an appointment or recruitment), end an appointment, and decide what happens at the
end of a term. Each is what the browser's page does: the object is found through the same
QuerySet (404 for anything else), the input is validated by the page's own form, and the page's
service makes the change — so every rule, approval route and audit event holds. A refusal
answers 400 with the form's and the service's messages, field by field, and writes nothing."""

import re

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from appointments import services
from appointments.forms import (
    AppointForm,
    DecisionForm,
    EndForm,
    ExtendForm,
    PartyDecisionForm,
    how_agreed,
)
from appointments.models import (
    Appointment,
    ApprovalRequest,
    ApprovalRoute,
    PartyDecision,
    TermEndDecision,
)
from ccpl.forms import DateField
from roles.models import Post

from . import serializers

ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
REFUSED = OpenApiResponse(description="The change is refused: the body names each field (or "
                                      "non_field_errors) and why. Nothing was written.")
NOT_FOUND = OpenApiResponse(description="No such record among those the user may change.")
READ_ONLY_TOKEN = OpenApiResponse(description="The token may only read.")
BAD_PAGE = OpenApiResponse(description="The page size or the cursor is not valid.")


def as_form_data(body):
    """A JSON object as the values a browser would post: one string per field."""
    if not isinstance(body, dict):
        raise ValidationError({"non_field_errors": ["Send a JSON object."]})
    data = {}
    for key, value in body.items():
        if isinstance(value, bool):
            data[key] = "on" if value else ""
        elif value is None:
            data[key] = ""
        elif isinstance(value, int | float | str):
            data[key] = str(value)
        else:
            raise ValidationError({key: ["Send one value, not a list or an object."]})
    return data


def validated(form):
    """The form's cleaned data, its dates read as YYYY-MM-DD (the pages' date fields take day,
    month and year), or 400 with its errors."""
    errors = {}
    for name, field in form.fields.items():
        if isinstance(field, DateField):
            value = form.data.pop(name, "")
            match = ISO_DATE.fullmatch(value)
            if match:
                year, month, day = match.groups()
                form.data.update({f"{name}_day": day, f"{name}_month": month,
                                  f"{name}_year": year})
            elif value:
                errors[name] = ["Enter the date as YYYY-MM-DD."]
    if errors:
        raise ValidationError(errors)
    if not form.is_valid():
        raise ValidationError(form_errors(form))
    return form.cleaned_data


def form_errors(form):
    return {("non_field_errors" if field == "__all__" else field): [e["message"] for e in errs]
            for field, errs in form.errors.get_json_data().items()}


def refused(form, error, aliases=None):
    """A service's refusal as a 400, on the fields it names."""
    form.add_service_errors(error, aliases)
    raise ValidationError(form_errors(form))


def approval_response(asked):
    asked = ApprovalRequest.objects.prefetch_related("decisions").get(pk=asked.pk)
    return Response(serializers.ApprovalRequestSerializer(asked).data,
                    status=status.HTTP_201_CREATED)


def _open(queryset, pk):
    return get_object_or_404(
        queryset.exclude(status__in=Appointment.CLOSED).select_related("post__system",
                                                                       "person"), pk=pk)


class AppointmentChanges:
    """The changes to appointments, on the appointments endpoint."""

    @extend_schema(summary="Appoint to a post without recruitment (as /appointments/new/)",
                   request=serializers.AppointInput,
                   responses={201: serializers.ApprovalRequestSerializer, 400: REFUSED,
                              403: OpenApiResponse(description="The token may only read, or "
                                                               "the user appoints to no post.")})
    def create(self, request):
        user = request.user
        if not Post.objects.editable_by(user).exists():
            raise PermissionDenied("Only HR of a post's organisation or system appoint to it.")
        data = as_form_data(request.data)
        form = AppointForm(data, user=user, ask_consent="consent_by" in data)
        validated(form)
        cleaned = form.without_consent()
        try:
            asked = services.request_appointment(
                post=cleaned["post"], person=cleaned["person"],
                start_date=cleaned["start_date"], end_date=cleaned["end_date"],
                wte=cleaned["wte"], honorarium_share=cleaned["honorarium_share"],
                status=cleaned["status"], reason=cleaned["reason"],
                contract_type=cleaned["contract_type"] or Appointment.ContractType.FIXED_TERM,
                covers=cleaned["covers"], home_organisation=cleaned["home_organisation"],
                consent=form.consent(), **how_agreed(cleaned), by=user)
        except DjangoValidationError as error:
            refused(form, error)
        return approval_response(asked)

    @extend_schema(summary="Ask for an extension (as the extend page)",
                   request=serializers.ExtendInput,
                   responses={201: serializers.ApprovalRequestSerializer, 400: REFUSED,
                              403: READ_ONLY_TOKEN, 404: NOT_FOUND})
    @action(detail=True, methods=["post"], url_path="extensions", url_name="extend")
    def extend(self, request, pk):
        appointment = _open(Appointment.objects.extendable_by(request.user), pk)
        route = ApprovalRoute.of(appointment.post.system, ApprovalRoute.Subject.EXTENSION)
        data = as_form_data(request.data)
        form = ExtendForm(data, user=request.user, route=route,
                          ask_consent="consent_by" in data)
        cleaned = validated(form)
        try:
            asked = services.request_extension(
                appointment=appointment, new_end_date=cleaned["new_end_date"],
                reason=cleaned["reason"], consent=form.consent(), **how_agreed(cleaned),
                by=request.user)
        except DjangoValidationError as error:
            refused(form, error)
        return approval_response(asked)

    @extend_schema(summary="End an appointment early or cease it (as the end page)",
                   request=serializers.EndInput,
                   responses={200: serializers.AppointmentSerializer, 400: REFUSED,
                              403: READ_ONLY_TOKEN, 404: NOT_FOUND})
    @action(detail=True, methods=["post"], url_path="end", url_name="end")
    def end(self, request, pk):
        appointment = _open(Appointment.objects.editable_by(request.user), pk)
        form = EndForm(as_form_data(request.data))
        cleaned = validated(form)
        close = services.cease if cleaned["how"] == "cease" else services.end_early
        try:
            close(appointment=appointment, on=cleaned["on"], reason=cleaned["reason"],
                  by=request.user)
        except DjangoValidationError as error:
            refused(form, error)
        return Response(serializers.AppointmentSerializer(
            self.get_queryset().get(pk=appointment.pk)).data)

    @extend_schema(summary="Decide what happens at the end of the term (as the decide page)",
                   request=serializers.TermEndInput,
                   responses={201: serializers.TermEndDecisionSerializer, 400: REFUSED,
                              403: READ_ONLY_TOKEN, 404: NOT_FOUND})
    @action(detail=True, methods=["post"], url_path="term-end-decisions",
            url_name="decide-term-end")
    def decide_term_end(self, request, pk):
        appointment = _open(Appointment.objects.extendable_by(request.user), pk)
        form = DecisionForm(as_form_data(request.data))
        cleaned = validated(form)
        try:
            decision = services.decide_term_end(appointment=appointment, by=request.user,
                                                **cleaned)
        except DjangoValidationError as error:
            refused(form, error, {"on": "proposed_end_date"})
        decision = TermEndDecision.objects.get(pk=decision.pk)
        return Response(serializers.TermEndDecisionSerializer(decision).data,
                        status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="The parties' decisions the user decides for",
                       responses={200: serializers.PartyDecisionSerializer(many=True),
                                  400: BAD_PAGE}),
    retrieve=extend_schema(responses={200: serializers.PartyDecisionSerializer,
                                      404: NOT_FOUND}),
)
class DecisionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                      viewsets.GenericViewSet):
    """Decisions on requests for agreement (an extension, a direct appointment, approval to
    recruit) that the user takes for a party: as a user the party names, as the system's CMO/CNO
    office, or as the appointee."""

    serializer_class = serializers.PartyDecisionSerializer

    def get_queryset(self):
        return PartyDecision.objects.of_decider(self.request.user).select_related("request")

    @extend_schema(summary="Agree or decline, for the party (as the decision page)",
                   request=serializers.DecideInput,
                   responses={201: serializers.ApprovalRequestSerializer, 400: REFUSED,
                              403: READ_ONLY_TOKEN, 404: NOT_FOUND})
    @action(detail=True, methods=["post"], url_path="decide", url_name="decide")
    def decide(self, request, pk):
        user = request.user
        decision = get_object_or_404(
            PartyDecision.objects.of_decider(user).select_related("request", "decided_by"),
            pk=pk)
        asked = get_object_or_404(ApprovalRequest.objects.visible_to(user),
                                  pk=decision.request_id)
        open_to_decide = asked.is_pending and decision.status == PartyDecision.Status.PENDING
        gate = services.gate_failures(asked) if open_to_decide else []
        overridden = asked.decisions.exclude(gate_override_reason="").exists()
        form = PartyDecisionForm(as_form_data(request.data),
                                 gate_failures=gate if gate and not overridden else ())
        cleaned = validated(form)
        try:
            asked = services.decide(decision=decision, agree=cleaned["decision"] == "agree",
                                    note=cleaned["note"], evidence=cleaned["evidence"],
                                    gate_override_reason=cleaned.get("gate_override_reason", ""),
                                    by=user)
        except DjangoValidationError as error:
            refused(form, error)
        return approval_response(asked)
