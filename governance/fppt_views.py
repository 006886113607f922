"""The Fit and Proper Person Test in the browser: the dashboard of who is due, overdue and
incomplete; an assessment with its checks, attestation, sign-off and finding; the forms that HR,
the holder and the chair each use for their own step. Whoever may not see an assessment gets a
404, and so does whoever sees it but may not take the step a form is for."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from appointments.models import Appointment
from ccpl import audit, pdf
from ccpl.exports import csv_response

from . import fppt, fppt_services
from .fppt_forms import AttestForm, CheckForm, ReferenceForm, ReviewForm, SignOffForm
from .models import (
    ATTESTATION,
    BoardMemberReference,
    FitAndProperAssessment,
    FitAndProperCheck,
)
from .views import GOVERNANCE

FPPT = ("Fit and proper person test", "/fppt/")


@login_required
def dashboard(request):
    today = timezone.localdate()
    counts = fppt.counts(request.user, today)
    return render(request, "governance/fppt/dashboard.html", {
        "lists": fppt.dashboard(request.user, today), "counts": counts,
        "summary": [("Overdue", counts["overdue"], "red"), ("Due", counts["due"], "yellow"),
                    ("Opened ahead", counts["incomplete"], "blue"),
                    (f"Signed off in {today.year}", counts["signed_off"], "green")],
        "item_count": len(FitAndProperCheck.Item.choices), "year": today.year,
        "breadcrumbs": [GOVERNANCE],
    })


def _assessment(request, pk, *, with_checks=False):
    assessments = FitAndProperAssessment.objects.visible_to(request.user).select_related(
        "appointment__person", "appointment__post__system", "attested_by", "signed_off_by")
    if with_checks:
        assessments = assessments.prefetch_related(Prefetch(
            "checks", queryset=FitAndProperCheck.objects.select_related("checked_by")))
    return get_object_or_404(assessments, pk=pk)


@login_required
def assessment_detail(request, pk):
    assessment = _assessment(request, pk, with_checks=True)
    user, today = request.user, timezone.localdate()
    return render(request, "governance/fppt/assessment_detail.html", {
        "assessment": assessment, "status": assessment.status(today),
        "rows": fppt.check_rows(assessment), "missing": fppt.missing_items(assessment),
        "decisions": list(assessment.decisions.select_related("by")),
        "is_holder": assessment.appointment.person.user_id == user.pk,
        "can_check": FitAndProperAssessment.objects.checkable_by(user)
        .filter(pk=assessment.pk).exists(),
        "authority": fppt.sign_off_authority(user, assessment, today),
        "references": list(assessment.appointment.board_references.select_related("sent_by")),
        "may_give_reference": fppt.has_left(assessment.appointment, today)
        and Appointment.objects.editable_by(user).filter(pk=assessment.appointment_id).exists(),
        "breadcrumbs": [GOVERNANCE, FPPT],
    })


def _form_page(request, assessment, form, title, button, **extra):
    return render(request, "governance/fppt/form.html", {
        "form": form, "title": title, "button": button, "assessment": assessment,
        "caption": f"Fit and proper person test — {assessment.appointment.person}", **extra,
        "breadcrumbs": [GOVERNANCE, FPPT, (str(assessment.appointment.person),
                                           reverse("governance:fppt-detail",
                                                   args=[assessment.pk]))]})


def _posted(request):
    """The form's data on a POST, even an empty one (an unticked attestation posts nothing)."""
    return request.POST if request.method == "POST" else None


def _done(request, assessment, text):
    messages.success(request, text)
    return redirect("governance:fppt-detail", pk=assessment.pk)


@login_required
def check_record(request, pk, item):
    assessment = _assessment(request, pk)
    if item not in FitAndProperCheck.Item.values or not FitAndProperAssessment.objects \
            .checkable_by(request.user).filter(pk=assessment.pk).exists():
        raise Http404
    label = FitAndProperCheck.Item(item).label
    recorded = assessment.checks.filter(item=item).first()
    initial = {"outcome": recorded.outcome, "checked_on": recorded.checked_on,
               "evidence_reference": recorded.evidence_reference} if recorded else {}
    form = CheckForm(_posted(request), item=item, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            fppt_services.record_check(assessment=assessment, item=item, by=request.user,
                                       **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            return _done(request, assessment, f"The check has been recorded: {label}.")
    return _form_page(request, assessment, form, label, "Record the check")


@login_required
def attest(request, pk):
    assessment = _assessment(request, pk)
    if assessment.appointment.person.user_id != request.user.pk:
        raise Http404
    form = AttestForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            fppt_services.attest(assessment=assessment, confirmed=form.cleaned_data["confirmed"],
                                 by=request.user)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            return _done(request, assessment, "You have attested that you are a fit and proper "
                                              "person.")
    return _form_page(request, assessment, form, "Attest that you are fit and proper",
                      "Sign the attestation", statement=ATTESTATION)


@login_required
def sign_off(request, pk):
    assessment = _assessment(request, pk)
    today = timezone.localdate()
    authority = fppt.sign_off_authority(request.user, assessment, today)
    if authority is None:
        raise Http404
    form = SignOffForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            fppt_services.sign_off(assessment=assessment, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            return _done(request, assessment, "The year has been signed off.")
    return _form_page(request, assessment, form, "Sign off the year", "Sign off",
                      authority=authority, missing=fppt.missing_items(assessment))


@login_required
def review(request, pk):
    assessment = _assessment(request, pk)
    form = ReviewForm(_posted(request))
    may = FitAndProperAssessment.objects.checkable_by(request.user).filter(
        pk=assessment.pk).exists() or fppt.sign_off_authority(
        request.user, assessment, timezone.localdate())
    if not may:
        raise Http404
    if request.method == "POST" and form.is_valid():
        try:
            fppt_services.place_under_review(assessment=assessment, by=request.user,
                                             reason=form.cleaned_data["reason"])
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            return _done(request, assessment, "The finding is now under review.")
    return _form_page(request, assessment, form, "Put the finding under review",
                      "Put under review")


def _return(request):
    today = timezone.localdate()
    year = fppt.return_year(request.GET.get("year"), today)
    return today, year, fppt.return_rows(fppt.annual_return(request.user, year))


@login_required
@require_safe
def annual_return_csv(request):
    today, year, rows = _return(request)
    response = csv_response(f"fppt-annual-return-{year}", fppt.RETURN_HEADER, rows)
    return audit.downloaded(request, response, obj=FitAndProperAssessment)


@login_required
@require_safe
def annual_return_pdf(request):
    today, year, rows = _return(request)
    document = pdf.render_pdf("governance/fppt/return_pdf.html", {
        "year": year, "today": today, "header": fppt.RETURN_HEADER, "rows": rows})
    response = HttpResponse(document, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="fppt-annual-return-{year}.pdf"'
    return audit.downloaded(request, response, obj=FitAndProperAssessment)


# --- board member references -------------------------------------------------------------------

@login_required
def reference_create(request, pk):
    appointment = get_object_or_404(
        fppt.in_scope(Appointment.objects.editable_by(request.user))
        .select_related("person", "post"), pk=pk)
    if not fppt.has_left(appointment, timezone.localdate()):
        raise Http404
    form = ReferenceForm(_posted(request), initial={
        "roles_and_dates": f"{appointment.post}, {appointment.start_date:%-d %B %Y} to "
                           f"{appointment.end_date:%-d %B %Y}" if appointment.end_date else ""})
    if request.method == "POST" and form.is_valid():
        try:
            reference = fppt_services.issue_reference(appointment=appointment, by=request.user,
                                                      **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"The reference has been recorded as sent to "
                                      f"{reference.requested_by}.")
            return redirect("governance:fppt-reference", pk=reference.pk)
    return render(request, "form_page.html", {
        "form": form, "title": "Give a board member reference", "button": "Record as sent",
        "caption": f"{appointment.person} — {appointment.post}",
        "breadcrumbs": [GOVERNANCE, FPPT]})


@login_required
def reference_detail(request, pk):
    reference = get_object_or_404(
        BoardMemberReference.objects.visible_to(request.user)
        .select_related("appointment__person", "appointment__post", "sent_by"), pk=pk)
    return render(request, "governance/fppt/reference_detail.html", {
        "reference": reference, "breadcrumbs": [GOVERNANCE, FPPT]})
