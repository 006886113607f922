"""Meetings of bodies in the browser: HR record a meeting's attendance in one form, and see
whether it was quorate; the body's terms of reference and quorum rule."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from ccpl import access

from . import declarations, meetings, services
from .forms import AttendanceCorrectionForm, MeetingForm, TermsForm
from .models import Body, Meeting, QuorumRule
from .views import BODY_CRUMBS


def _body_crumbs(body):
    return [*BODY_CRUMBS, (body.name, body.get_absolute_url())]


@login_required
def meeting_create(request, pk):
    body = get_object_or_404(Body.objects.editable_by(request.user).select_related("system"),
                             pk=pk)
    form = MeetingForm(request.POST or None,
                       members=services.members_on(body, timezone.localdate()))
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.record_meeting(
                body=body, held_on=form.cleaned_data["held_on"],
                title=form.cleaned_data["title"], attendance=form.attendance, by=request.user)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            verdict = meetings.evaluate(QuorumRule.objects.filter(body=body).first(),
                                        list(meeting.attendances.all()))
            messages.success(request, f"The attendance at {meeting} has been recorded: "
                                      f"{verdict.text}.")
            return redirect(meeting)
    return render(request, "form_page.html", {
        "form": form, "title": "Record a meeting", "caption": body.name,
        "button": "Record the attendance", "breadcrumbs": _body_crumbs(body),
    })


@login_required
def meeting_detail(request, pk):
    meeting = get_object_or_404(
        Meeting.objects.visible_to(request.user)
        .select_related("body__system", "body__quorum_rule", "recorded_by")
        .annotate(can_edit=access.flag(Meeting.objects.editable_by(request.user))), pk=pk)
    attendances = list(meeting.attendances.select_related("person"))
    rule = getattr(meeting.body, "quorum_rule", None)
    today = timezone.localdate()
    interests = (declarations.attendees_interests(attendances)
                 if declarations.may_read_members_interests(request.user, meeting.body, today)
                 else None)
    return render(request, "governance/meeting_detail.html", {
        "meeting": meeting, "body": meeting.body, "attendances": attendances,
        "members_interests": interests,
        "verdict": meetings.evaluate(rule, attendances), "rule_text": meetings.rule_text(rule),
        "corrections": meetings.corrections(meeting),
        "breadcrumbs": _body_crumbs(meeting.body),
    })


@login_required
def meeting_edit(request, pk):
    meeting = get_object_or_404(Meeting.objects.editable_by(request.user)
                                .select_related("body__quorum_rule"), pk=pk)
    attendances = list(meeting.attendances.all())
    rule = getattr(meeting.body, "quorum_rule", None)
    was = meetings.evaluate(rule, attendances)
    form = AttendanceCorrectionForm(request.POST or None, attendances=attendances,
                                    initial={"title": meeting.title})
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.correct_attendance(
                meeting=meeting, title=form.cleaned_data["title"], attendance=form.attendance,
                reason=form.cleaned_data["reason"], by=request.user)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            now = meetings.evaluate(rule, list(meeting.attendances.all()))
            messages.success(request, f"The record of {meeting} has been corrected: "
                                      f"{now.text}" + (f" (it was: {was.text})."
                                                       if now.text != was.text else "."))
            return redirect(meeting)
    return render(request, "form_page.html", {
        "form": form, "title": "Correct the attendance", "caption": str(meeting),
        "button": "Save the correction",
        "breadcrumbs": [*_body_crumbs(meeting.body), (str(meeting), meeting.get_absolute_url())],
    })


@login_required
def body_terms(request, pk):
    body = get_object_or_404(Body.objects.editable_by(request.user)
                             .select_related("quorum_rule"), pk=pk)
    rule = getattr(body, "quorum_rule", None) or QuorumRule(body=body)
    form = TermsForm(request.POST or None, initial={
        "terms_of_reference": body.terms_of_reference, "tor_reviewed_on": body.tor_reviewed_on,
        **{name: getattr(rule, name) for name in services.RULE_FIELDS}})
    if request.method == "POST" and form.is_valid():
        try:
            services.save_terms(body=body, by=request.user,
                                terms_of_reference=form.cleaned_data["terms_of_reference"],
                                tor_reviewed_on=form.cleaned_data["tor_reviewed_on"],
                                rule=form.rule)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"The terms of reference of {body} have been saved.")
            return redirect(body)
    return render(request, "form_page.html", {
        "form": form, "title": "Terms of reference and quorum", "caption": body.name,
        "button": "Save", "breadcrumbs": _body_crumbs(body),
    })
