"""360° appraisals in the browser: the cycle page for the leader, the appraiser and HR; the
questionnaire; the report and its PDF; and the rater's private page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from appointments.models import Appointment
from ccpl import audit, pdf
from ccpl.middleware import mfa_exempt
from ccpl.models import User
from ccpl.private_links import private

from . import report, services
from .forms import NominationForm, OpenCycleForm, OutcomeForm, QuestionnaireForm, RedactForm
from .models import Cycle, Rater, Response


def _cycle(request, pk, queryset=None):
    """The cycle, if the user may see it, with whether they manage it as HR (``is_hr``), in one
    query: ``cycle.actions_for(user)`` then says what they may do."""
    queryset = queryset if queryset is not None else Cycle.objects.visible_to(request.user)
    return get_object_or_404(
        queryset.with_hr(request.user).select_related(
            "appointment__person__user", "appointment__post", "appraiser",
            "template_version__template"), pk=pk)


def _cycle_as(request, pk, *roles):
    """The cycle, for a user who is one of ``roles`` to it ("leader", "appraiser", "hr"). To
    anyone else a step answers 404, as a page they may not see would, whatever else of the
    cycle they may see: a refused step writes nothing and never looks like a success. The
    services check the same roles, and the stage."""
    cycle = _cycle(request, pk)
    can = cycle.actions_for(request.user)
    if not any(getattr(can, f"is_{role}") for role in roles):
        raise Http404
    return cycle


def _cycle_page(request, cycle, **forms):
    """The cycle page, with ``forms`` (a nomination or outcome form with its errors) in place of
    the blank ones the user's actions would show."""
    can = cycle.actions_for(request.user)
    raters = list(cycle.raters.all()) if can.see_raters else None
    context = {
        "cycle": cycle, "can": can, "raters": raters,
        "progress": services.progress(cycle),
        "gaps": services.nomination_gaps(cycle, [r for r in raters
                                                 if r.status != Rater.Status.REVOKED])
        if raters is not None else [],
        "rotation": services.rotation_warning(cycle) if not can.is_leader else "",
        "nomination_form": NominationForm() if can.nominate else None,
        "outcome_form": OutcomeForm(initial={
            "meeting_on": cycle.meeting_on, "outcome": cycle.outcome,
            "objectives": cycle.objectives, "development_actions": cycle.development_actions})
        if can.record_outcome else None,
        "breadcrumbs": [(str(cycle.appointment), cycle.appointment.get_absolute_url())],
        **forms,
    }
    return render(request, "appraisals/cycle_detail.html", context)


@login_required
def cycle_create(request, appointment_pk):
    appointment = get_object_or_404(
        Appointment.objects.editable_by(request.user).select_related("post", "person"),
        pk=appointment_pk)
    default = services.default_appraiser(appointment)
    appraisers = User.objects.filter(is_active=True).filter(
        Q(person__appointments__post__system=appointment.post.system) | Q(is_superuser=True)
    ).exclude(pk=appointment.person.user_id).distinct().order_by("full_name", "email")
    template = services.QuestionnaireTemplate.objects.filter(
        name=services.DEFAULT_TEMPLATE).first()
    form = OpenCycleForm(request.POST or None, appraisers=appraisers, initial={
        "appraiser": default.pk if default else None,
        "closes_on": timezone.localdate() + Cycle.DEFAULT_LENGTH,
        "template_version": template.current_version().pk if template else None,
    })
    if request.method == "POST" and form.is_valid():
        try:
            cycle = services.open_cycle(appointment=appointment, by=request.user,
                                        **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"The 360° appraisal has started. {appointment.person} "
                                      "has been asked to complete a self-assessment.")
            return redirect(cycle)
    return render(request, "form_page.html", {
        "form": form, "title": "Start a 360° appraisal", "button": "Start the appraisal",
        "caption": str(appointment),
        "breadcrumbs": [("Appointments", "/appointments/"),
                        (str(appointment), appointment.get_absolute_url())],
    })


@login_required
def cycle_detail(request, pk):
    return _cycle_page(request, _cycle(request, pk))


@login_required
def self_assessment(request, pk):
    cycle = _cycle(request, pk, Cycle.objects.filter(appointment__person__user=request.user))
    if not cycle.is_in_progress:
        messages.info(request, "This appraisal is closed.")
        return redirect(cycle)
    if cycle.self_submitted_at:
        messages.info(request, "You have already submitted your self-assessment.")
        return redirect(cycle)
    own = Response.objects.filter(cycle=cycle, is_self=True).prefetch_related("answers").first()
    initial = {a.statement_id: a.value for a in own.answers.all()} if own else {}
    form = QuestionnaireForm(request.POST or None, version=cycle.template_version,
                             initial_answers=initial,
                             initial={"keep_doing": own.keep_doing if own else "",
                                      "do_differently": own.do_differently if own else ""})
    if request.method == "POST" and form.is_valid():
        submit = "submit" in request.POST
        try:
            services.save_self_assessment(
                cycle=cycle, answers=form.answers(), keep_doing=form.cleaned_data["keep_doing"],
                do_differently=form.cleaned_data["do_differently"], submit=submit,
                by=request.user)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, "Your self-assessment has been submitted." if submit
                             else "Your answers have been saved. You can come back to them.")
            return redirect(cycle)
    return render(request, "appraisals/questionnaire.html", {
        "form": form, "cycle": cycle, "title": "Your self-assessment",
        "intro": "Rate yourself on each behaviour. Your appraiser will compare your view with "
                 "your raters' views.",
        "breadcrumbs": [("Your 360° appraisal", cycle.get_absolute_url())],
    })


@login_required
@require_POST
def nominate(request, pk):
    cycle = _cycle_as(request, pk, "leader", "appraiser")
    form = NominationForm(request.POST)
    if form.is_valid():
        try:
            rater = services.nominate(cycle=cycle, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"{rater.name} has been added.")
            return redirect(cycle)
    return _cycle_page(request, cycle, nomination_form=form)


def _post_action(request, cycle, action, success):
    """One step that needs no form: do it, say how it went, back to the cycle."""
    try:
        action()
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, success)
    return redirect(cycle)


def _rater(request, pk, rater_pk, *roles):
    cycle = _cycle_as(request, pk, *roles)
    return cycle, get_object_or_404(cycle.raters, pk=rater_pk)


@login_required
@require_POST
def remove_nomination(request, pk, rater_pk):
    cycle, rater = _rater(request, pk, rater_pk, "leader", "appraiser")
    return _post_action(request, cycle,
                        lambda: services.remove_nomination(rater=rater, by=request.user),
                        f"{rater.name} has been removed.")


@login_required
@require_POST
def revoke(request, pk, rater_pk):
    cycle, rater = _rater(request, pk, rater_pk, "appraiser", "hr")
    return _post_action(request, cycle,
                        lambda: services.revoke_rater(rater=rater, by=request.user),
                        f"{rater.name}'s link has been withdrawn.")


@login_required
@require_POST
def submit_nominations(request, pk):
    cycle = _cycle_as(request, pk, "leader")
    return _post_action(request, cycle,
                        lambda: services.submit_nominations(cycle=cycle, by=request.user),
                        "Your nominations have gone to your appraiser for approval.")


@login_required
@require_POST
def approve_nominations(request, pk):
    cycle = _cycle_as(request, pk, "appraiser")
    return _post_action(request, cycle,
                        lambda: services.approve_nominations(cycle=cycle, by=request.user),
                        "The raters have been approved and invited.")


@login_required
@require_POST
def close(request, pk):
    cycle = _cycle_as(request, pk, "appraiser", "hr")
    return _post_action(request, cycle, lambda: services.close_cycle(cycle=cycle, by=request.user),
                        "The appraisal is closed and the report has gone to the appraiser.")


@login_required
@require_POST
def release(request, pk):
    cycle = _cycle_as(request, pk, "appraiser")
    return _post_action(request, cycle,
                        lambda: services.release_report(cycle=cycle, by=request.user),
                        "The report has been released to the leader.")


@login_required
@require_POST
def sign_off(request, pk):
    cycle = _cycle_as(request, pk, "leader", "appraiser")
    return _post_action(request, cycle, lambda: services.sign_off(cycle=cycle, by=request.user),
                        "You have signed off the appraisal.")


@login_required
@require_POST
def record_outcome(request, pk):
    cycle = _cycle(request, pk, Cycle.objects.filter(appraiser=request.user))
    form = OutcomeForm(request.POST)
    if form.is_valid():
        try:
            services.record_outcome(cycle=cycle, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, "The outcome has been recorded. You and the leader can "
                                      "now sign it off.")
            return redirect(cycle)
    return _cycle_page(request, cycle, outcome_form=form)


def _report_cycle(request, pk):
    cycle = _cycle(request, pk, Cycle.objects.reportable_to(request.user))
    if not cycle.has_report:
        raise Http404
    return cycle


@login_required
@require_safe
@never_cache
def report_page(request, pk):
    cycle = _report_cycle(request, pk)
    can_redact = cycle.actions_for(request.user).redact
    response = render(request, "appraisals/report.html", {
        "cycle": cycle, "report": report.build(cycle),
        "can_redact": can_redact,
        "comments": _comments(cycle) if can_redact else [],
        "breadcrumbs": [("The 360° appraisal", cycle.get_absolute_url())],
    })
    # Who read which cycle's report; nothing about its raters (docs/adr/0008).
    audit.record(action=audit.Action.REPORT_VIEWED, by=request.user, obj=cycle)
    return response


def _comments(cycle):
    """The comments the appraiser may still remove before release, as (key, text), in the
    report's own order. The key is the comment's random key, never the response's id."""
    responses = list(cycle.responses.filter(is_self=False).prefetch_related("redactions"))
    removed = {response.key_of(redaction.field) for response in responses
               for redaction in response.redactions.all()}
    return [(key, text) for field in Response.COMMENT_FIELDS
            for key, text in report.comments(responses, field) if key not in removed]


@login_required
@require_safe
@never_cache
def report_pdf(request, pk):
    cycle = _report_cycle(request, pk)
    document = pdf.render_pdf("appraisals/report_pdf.html",
                              {"cycle": cycle, "report": report.build(cycle)})
    response = HttpResponse(document, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="360-report-{cycle.pk}.pdf"'
    return audit.downloaded(request, response, obj=cycle)


@login_required
def redact(request, pk, key):
    cycle = _cycle(request, pk, Cycle.objects.filter(appraiser=request.user,
                                                     stage=Cycle.Stage.CLOSED))
    answer = get_object_or_404(cycle.responses.with_comment(key))
    field = answer.field_of(key)
    form = RedactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.redact(response=answer, field=field, reason=form.cleaned_data["reason"],
                            by=request.user)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, "The comment has been removed from the report.")
            return redirect("appraisals:report", pk=cycle.pk)
    return render(request, "appraisals/redact.html", {
        "form": form, "cycle": cycle, "text": getattr(answer, field),
        "breadcrumbs": [("The report", reverse("appraisals:report", args=[cycle.pk]))],
    })


# --- The rater's private page ----------------------------------------------------------------

# No CSRF check here: the page is authorised by the secret in its address, not by a cookie a
# forged request could ride on, and with Referrer-Policy: no-referrer browsers send
# "Origin: null", which Django's CSRF check would refuse.
@csrf_exempt
@mfa_exempt
@never_cache
def rater_page(request, token):
    """What a rater sees from their e-mail: no account, no sign-in, this questionnaire only."""
    rater = services.rater_for_token(token)
    if rater is None:
        return private(render(request, "appraisals/link_not_working.html", status=404))
    cycle = rater.cycle
    draft = rater.draft or {}
    initial_answers = {int(k): v for k, v in draft.get("answers", {}).items()}
    if request.method == "POST" and "decline" in request.POST:
        services.decline(rater=rater)
        return private(render(request, "appraisals/rater_done.html", {"declined": True}))
    form = QuestionnaireForm(request.POST or None, version=cycle.template_version,
                             initial_answers=initial_answers,
                             initial={"keep_doing": draft.get("keep_doing", ""),
                                      "do_differently": draft.get("do_differently", "")})
    saved = False
    if request.method == "POST" and form.is_valid():
        submit = "submit" in request.POST
        try:
            services.save_rater_answers(
                rater=rater, answers=form.answers(), keep_doing=form.cleaned_data["keep_doing"],
                do_differently=form.cleaned_data["do_differently"], submit=submit)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            if submit:
                return private(render(request, "appraisals/rater_done.html", {}))
            saved = True
    return private(render(request, "appraisals/rater_questionnaire.html", {
        "form": form, "cycle": cycle, "rater": rater, "saved": saved,
    }))
