"""Approval requests in the browser: a request with its parties' decisions, one party's
decision, an agreement made outside the register, and an administrator's override. Each page
finds the request through the user's QuerySet and calls one service (docs/adr/0003)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render

from ccpl import access
from ccpl.models import Notification

from .. import services
from ..forms import OutsideAgreementForm, OverrideForm, PartyDecisionForm
from ..models import ApprovalRequest, PartyDecision

RELATED = ["route__system", "requested_by", "overridden_by", "appointment__person",
           "appointment__post", "vacancy__post", "post", "person", "extension"]


def _request_for(user, pk):
    return get_object_or_404(ApprovalRequest.objects.visible_to(user).select_related(*RELATED),
                             pk=pk)


def _context(asked, user, **extra):
    decisions = list(asked.decisions.select_related("decided_by").order_by("position", "pk"))
    crumbs = [("Appointments", "/appointments/")]
    return {"asked": asked, "decisions": decisions,
            "gate": services.gate_failures(asked) if asked.is_pending else [],
            "breadcrumbs": crumbs, **extra}


def _done(request, asked, action):
    """Where a decision leaves the request, in words."""
    if asked.status == ApprovalRequest.Status.AGREED:
        messages.success(request, f"{action} Every party has agreed: "
                                  f"{asked.get_subject_display().lower()} is done.")
    elif asked.status == ApprovalRequest.Status.DECLINED:
        messages.success(request, f"{action} The request is declined.")
    else:
        waiting = [d.name for d in asked.decisions.filter(status="pending")]
        messages.success(request, f"{action} Still to decide: {', '.join(waiting)}.")


@login_required
def approval_detail(request, pk):
    """The request and each party's decision; for HR, the office and the deciders, the
    e-mails it has sent (each party once, the office once if a party was late)."""
    user = request.user
    asked = _request_for(user, pk)
    may_change = services.may_change_subject(user, asked)
    actions = asked.actions_for(user, may_change=may_change)
    staff = may_change or PartyDecision.objects.of_decider(user).filter(request=asked).exists()
    return render(request, "appointments/approval_detail.html", _context(
        asked, user, actions=actions,
        notifications=Notification.objects.about(asked).select_related("recipient")[:50]
        if staff else []))


@login_required
def approval_decide(request, pk):
    """One party's decision, taken by a user who decides for that party: 404 for anyone else.
    A decision someone else has just taken is shown, not taken again."""
    user = request.user
    decision = get_object_or_404(
        PartyDecision.objects.of_decider(user).select_related("request", "decided_by"), pk=pk)
    asked = _request_for(user, decision.request_id)
    open_to_decide = asked.is_pending and decision.status == PartyDecision.Status.PENDING
    gate = services.gate_failures(asked) if open_to_decide else []
    overridden = asked.decisions.exclude(gate_override_reason="").exists()
    form = PartyDecisionForm(request.POST or None,
                             gate_failures=gate if gate and not overridden else ())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        agree = data["decision"] == "agree"
        try:
            asked = services.decide(decision=decision, agree=agree, note=data["note"],
                                    evidence=data["evidence"],
                                    gate_override_reason=data.get("gate_override_reason", ""),
                                    by=user)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            _done(request, asked, f"{decision.name} {'agrees' if agree else 'declines'}.")
            return redirect(asked.subject_url)
    return render(request, "appointments/approval_form.html", _context(
        asked, user, form=form, decision=decision, open_to_decide=open_to_decide,
        title=f"Decide for {decision.name}", button="Record the decision"))


@login_required
def approval_outside(request, pk):
    """Record that the parties still to decide agreed outside the register: HR of the subject
    or the CMO/CNO office, and only on a route that allows it."""
    user = request.user
    asked = _request_for(user, pk)
    if not asked.actions_for(user, may_change=services.may_change_subject(user, asked)) \
            .record_outside:
        raise Http404
    form = OutsideAgreementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            asked = services.record_outside_agreement(request=asked, by=user,
                                                      **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error, {"how": "evidence"})
        else:
            _done(request, asked, "The agreement made outside the register is recorded.")
            return redirect(asked.subject_url)
    return render(request, "appointments/approval_form.html", _context(
        asked, user, form=form, open_to_decide=True,
        title="Record an agreement made outside the register", button="Record the agreement"))


@login_required
def approval_override(request, pk):
    """An administrator's override of the route, with a reason shown for good."""
    user = request.user
    if not access.is_admin(user):
        raise Http404
    asked = _request_for(user, pk)
    if not asked.is_pending:
        raise Http404
    form = OverrideForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            asked = services.override(request=asked, reason=form.cleaned_data["override_reason"],
                                      by=user)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, "The approval route is overridden: "
                                      f"{asked.get_subject_display().lower()} is done.")
            return redirect(asked.subject_url)
    return render(request, "appointments/approval_form.html", _context(
        asked, user, form=form, open_to_decide=True, title="Override the approval route",
        button="Override the approval route"))
