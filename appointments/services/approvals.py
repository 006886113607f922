"""Approvals: HR request, the parties of the system's route decide (docs/adr/0009).

Three things wait for agreement: approval to recruit to a vacancy, a direct appointment (one
made without recruitment) and an extension of a term. Each request names the route of its system
for its subject and carries one decision per party. Every party must agree; one declining
declines the request. When the last party agrees, the change is made by the same services as
ever (``terms.extend``, ``terms.appoint``, the vacancy's approval), with who agreed and when
written from the decisions, never typed. Two approvers deciding at once are taken one after the
other (the request is locked): the first decision stands and the second is told.

Besides deciding in the register, an agreement reached elsewhere (at an executive group's
meeting) may be recorded, where the route allows it, with its evidence and its date, which is
never in the future; and an administrator may override the route, with a reason that is shown
for good. On routes with the appraisal gate, an extension is agreed only with a signed-off
satisfactory appraisal in the last 12 months (appraisals registers the check with
``hooks.add_extension_gate``) unless an approver overrides the check with a reason.
"""

import datetime
from dataclasses import dataclass, field, replace

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ccpl import access, audit
from ccpl.notifications import record_and_send
from roles.models import Post

from .. import approval_reminders, hooks
from ..models import (
    Appointment,
    ApprovalParty,
    ApprovalRequest,
    ApprovalRoute,
    BulkChange,
    PartyDecision,
    TermEndDecision,
    Vacancy,
)
from . import contracts, terms

Subject = ApprovalRoute.Subject
Status = ApprovalRequest.Status
How = ApprovalRequest.How
Decided = PartyDecision.Status

# How a change is agreed, as the forms offer it.
REQUEST, OUTSIDE, OVERRIDE = "request", "outside", "override"
HOW_CHOICES = [
    (REQUEST, "Ask the approvers to agree it in the register"),
    (OUTSIDE, "Record an agreement already made outside the register"),
    (OVERRIDE, "Override the approval route (administrators only)"),
]


def _save(instance, by):
    instance._history_user = by
    instance.save()
    return instance


def _today():
    return timezone.localdate()


# --- Routes ----------------------------------------------------------------------------------

def route_for(system, subject):
    """The system's route for ``subject``. A system that has configured none gets the default
    (``ApprovalRoute.default``: its CMO/CNO office alone) written down now, so that every
    request names a route an administrator can see in the admin and change."""
    route = ApprovalRoute.objects.filter(system=system, subject=subject).first()
    if route is not None:
        return route
    try:
        with transaction.atomic():
            route = ApprovalRoute.default(system, subject)
            route.save()
            ApprovalParty.objects.create(route=route, name=ApprovalRoute.DEFAULT_PARTY,
                                         decided_by=ApprovalParty.DecidedBy.OFFICE)
    except IntegrityError:  # another request wrote it at the same moment
        route = ApprovalRoute.objects.get(system=system, subject=subject)
    return route


@transaction.atomic
def configure_route(*, system, subject, parties, allows_outside_agreement=False,
                    appraisal_gate=False, escalate_after_days=7, by):
    """Set who must agree ``subject`` in ``system``, as an administrator does on the route's
    admin page: ``parties`` is a list of (name, how it is decided, users who decide for it).
    A party already asked on a request stays; its decisions keep their name."""
    route = route_for(system, subject)
    route.allows_outside_agreement = allows_outside_agreement
    route.appraisal_gate = appraisal_gate
    route.escalate_after_days = escalate_after_days
    route.full_clean()
    _save(route, by)
    kept = []
    for position, (name, decided_by, users) in enumerate(parties):
        party = route.parties.filter(name=name).first() or ApprovalParty(route=route, name=name)
        party.decided_by, party.position = decided_by, position
        party.full_clean()
        _save(party, by)
        party.users.set(users)
        kept.append(party.pk)
    unused = route.parties.exclude(pk__in=kept)
    if unused.filter(decisions__isnull=False).exists():
        raise ValidationError({"parties": "A party that has been asked to decide stays on the "
                                          "route."})
    unused.delete()
    return route


@transaction.atomic
def add_deciders(*, system, subject, party, users, by):
    """Name more users who decide for ``party`` on the system's route for ``subject``."""
    party = ApprovalParty.objects.get(route=route_for(system, subject), name=party)
    if party.decided_by != ApprovalParty.DecidedBy.USERS:
        raise ValidationError({"users": f"{party} is not decided by named users."})
    party._history_user = by
    party.users.add(*users)
    return party


# --- Opening a request -----------------------------------------------------------------------

def _open(*, route, by, agree_own=True, notify=True, **fields):
    """A request on ``route`` with one pending decision per party. The requester's own parties
    (a CMO office asking) are agreed at once where they may be; the rest are told, unless
    ``notify`` is False (the caller tells them if the request is still pending once it is done
    with it)."""
    parties = list(route.parties.all())
    if not parties:
        raise ValidationError(f"The approval route for {route} names no party: an "
                              "administrator must add one before anything can be asked.")
    request = _save(ApprovalRequest(route=route, subject=route.subject, requested_by=by,
                                    **fields), by)
    PartyDecision.objects.bulk_create([
        PartyDecision(request=request, party=party, name=party.name, position=party.position)
        for party in parties])
    if agree_own and by is not None:
        _agree_own(request, by)
    if notify:
        _notify(request)
    return request


def _agree_own(request, by):
    """The requester's agreement for the parties they decide for, unless the appraisal gate
    stops it (then they decide, with a reason to override, like the others)."""
    if gate_failures(request):
        return
    mine = list(PartyDecision.objects.decidable_by(by).filter(request=request))
    for decision in mine:
        _record(decision, agree=True, by=by, note="Asked for it.")
    if mine:
        _apply_if_agreed(request, by)


def open_for_decision(*, decision, by, agree_own=True, bulk_change=None, consent=None,
                      notify=True):
    """The request behind a proposed extension (a term-end decision to extend), with the
    approver's consent when it goes above the commitment ceiling."""
    appointment = decision.appointment
    route = route_for(appointment.post.system, Subject.EXTENSION)
    return _open(route=route, by=by, agree_own=agree_own, notify=notify, appointment=appointment,
                 term_end_decision=decision, proposed_end_date=decision.proposed_end_date,
                 reason=decision.note, bulk_change=bulk_change, **_consent_fields(consent))


def open_for_vacancy(*, vacancy, by, agree_own=True):
    """The request for approval to recruit to a newly opened vacancy."""
    route = route_for(vacancy.post.system, Subject.RECRUITMENT)
    return _open(route=route, by=by, agree_own=agree_own, vacancy=vacancy,
                 reason=vacancy.reason)


def request_for_decision(decision):
    """The request of a pending extension decision, opened now if it has none (one recorded
    before approval routes, or written without the services)."""
    existing = ApprovalRequest.objects.filter(term_end_decision=decision).first()
    if existing or decision.status != TermEndDecision.Status.PENDING:
        return existing
    with transaction.atomic():
        return open_for_decision(decision=decision, by=decision.decided_by, agree_own=False)


def request_for_vacancy(vacancy):
    """The request for approval to recruit to ``vacancy``, opened now if it has none."""
    existing = ApprovalRequest.objects.filter(vacancy=vacancy).first()
    if existing or vacancy.approval != Vacancy.Approval.REQUESTED \
            or vacancy.status != Vacancy.Status.OPEN:
        return existing
    with transaction.atomic():
        return open_for_vacancy(vacancy=vacancy, by=vacancy.opened_by, agree_own=False)


def withdraw(*, request, by):
    """The request is no longer asked for (its decision was replaced, its vacancy withdrawn)."""
    request = ApprovalRequest.objects.select_for_update().get(pk=request.pk)
    if request.is_pending:
        request.status = Status.WITHDRAWN
        request.closed_at = timezone.now()
        _save(request, by)
    return request


# --- How a change is agreed: asked, recorded from outside, or overridden ---------------------

def how_errors(route, *, how, evidence, agreed_on, override_reason, by):
    """What is wrong with how a change is to be agreed, as field → message."""
    if how == OUTSIDE:
        if not route.allows_outside_agreement:
            return {"how": f"The approval route ({route}) does not allow an agreement made "
                           "outside the register to be recorded: ask the approvers to agree."}
        errors = {}
        if not evidence.strip():
            errors["evidence"] = ("Enter the evidence of the agreement, for example the "
                                  "minute reference of the meeting.")
        if agreed_on is None:
            errors["agreed_on"] = "Enter the date it was agreed."
        elif agreed_on > _today():
            errors["agreed_on"] = "The date it was agreed cannot be in the future."
        return errors
    if how == OVERRIDE:
        if not access.is_admin(by):
            return {"how": "Only an administrator may override the approval route."}
        if not override_reason.strip():
            return {"override_reason": "Give the reason for overriding the approval route."}
        return {}
    if how != REQUEST:
        return {"how": "Select how the change is agreed."}
    return {}


def _carry_out(request, *, how, evidence, agreed_on, override_reason, by):
    if not request.is_pending:
        return request  # the requester's own agreement was enough
    if how == OUTSIDE:
        return record_outside_agreement(request=request, evidence=evidence,
                                        agreed_on=agreed_on, by=by)
    if how == OVERRIDE:
        return override(request=request, reason=override_reason, by=by)
    return request


def _carry_out_and_notify(request, **agreement):
    """``_carry_out``, then the parties are e-mailed only if the request still awaits them: an
    agreement recorded from outside or an override asks nobody to decide."""
    request = _carry_out(request, **agreement)
    if request.is_pending:
        _notify(request)
    return request


def _consent_fields(consent):
    """The consent to going above the commitment ceiling, as the request keeps it."""
    if consent is None:
        return {}
    return {"consent_by": consent.by, "consent_reason": consent.reason.strip()}


def _consent(request, decisions, by):
    """The consent to going above the ceiling that comes with ``request``, as given. Agreed in
    the register, it is given by an approver who agreed (the one named, if they did): naming
    an approver is not their consent. Recorded from outside the register, it is the named
    approver's, on the same evidence; overridden, the administrator's."""
    if request.consent_by_id is None and not request.consent_reason:
        return None
    system = request.route.system
    given_by = request.consent_by
    if request.is_override:
        given_by = by
    elif not any(d.outside for d in decisions):
        agreed = [d.decided_by for d in decisions
                  if d.status == Decided.AGREED and d.decided_by is not None]
        able = [user for user in agreed if contracts.may_consent(user, system)]
        if given_by not in able:
            if not able:
                raise ValidationError(
                    f"Going above the commitment ceiling needs the consent of an approver of "
                    f"{system}, and nobody who agreed this request can give it.")
            given_by = able[-1]
    return contracts.Consent(by=given_by, reason=request.consent_reason, through_request=True)


@transaction.atomic
def request_extension(*, appointment, new_end_date, reason, how=REQUEST, evidence="",
                      agreed_on=None, override_reason="", consent=None, by):
    """Ask for an extension (the extend page): a term-end decision to extend and its request,
    agreed by the route's parties; or, where the route allows, an agreement already made
    outside the register; or an administrator's override. Refused, with nothing written, while
    another extension of the term awaits agreement."""
    terms._lock_post(appointment.post_id)
    appointment = (Appointment.objects.select_for_update(of=("self",))
                   .select_related("post__role_type", "post__system").get(pk=appointment.pk))
    if not Appointment.objects.extendable_by(by).filter(pk=appointment.pk).exists():
        raise PermissionDenied("Only HR and the CMO/CNO office of the system ask for "
                               "extensions.")
    route = ApprovalRoute.of(appointment.post.system, Subject.EXTENSION)
    errors = terms.extension_errors(appointment, new_end_date)
    if not reason.strip():
        errors["reason"] = "Enter the reason for the extension."
    waiting = appointment.approval_requests.pending().filter(subject=Subject.EXTENSION).first()
    if waiting is not None:
        errors.setdefault("new_end_date", (
            f"An extension to {waiting.proposed_end_date:%-d %B %Y} is already awaiting "
            "agreement: the approvers decide on it first."))
    errors.update(how_errors(route, how=how, evidence=evidence, agreed_on=agreed_on,
                             override_reason=override_reason, by=by))
    if how == OUTSIDE and route.appraisal_gate and "how" not in errors:
        failures = hooks.extension_gate_failures(appointment)
        if failures:
            errors["how"] = _gate_refusal(failures)
    if errors:
        raise ValidationError(errors)
    decision = terms.decide_term_end(appointment=appointment,
                                     outcome=TermEndDecision.Outcome.EXTEND,
                                     proposed_end_date=new_end_date, note=reason,
                                     consent=consent, notify=False, by=by)
    request = ApprovalRequest.objects.get(term_end_decision=decision)
    return _carry_out_and_notify(request, how=how, evidence=evidence, agreed_on=agreed_on,
                                 override_reason=override_reason, by=by)


class _Undo(Exception):
    pass


def appointment_errors(**fields):
    """Why ``terms.appoint(**fields)`` would be refused now, as field → message: it is tried
    and undone, so a request is checked against the very rules that will apply once agreed."""
    try:
        with transaction.atomic():
            terms.appoint(**fields)
            raise _Undo
    except _Undo:
        return {}
    except ValidationError as error:
        # The errors themselves, not their words: a refusal for going above the commitment
        # ceiling keeps its code, so the page asks for consent.
        if hasattr(error, "error_dict"):
            return dict(error.error_dict)
        return {NON_FIELD_ERRORS: error.error_list}


@transaction.atomic
def request_appointment(*, post, person, start_date, end_date=None, wte=None,
                        honorarium_share=None, status=Appointment.Status.ACTIVE, reason="",
                        contract_type=Appointment.ContractType.FIXED_TERM, covers=None,
                        home_organisation=None, consent=None, how=REQUEST, evidence="",
                        agreed_on=None, override_reason="", agree_own=True, offer_for=None,
                        by):
    """Ask to appoint ``person`` to ``post`` directly, without recruitment: the appointment is
    made once the route's parties agree (or as soon as an outside agreement is recorded, or an
    administrator overrides). The parties are e-mailed only if it is left awaiting them.
    ``agree_own=False`` records every party's agreement from outside, the requester's own
    parties included (an import of appointments agreed before the register held them).
    ``offer_for``: the vacancy whose offer this is (see ``recruitment.make_offer``)."""
    if not Post.objects.editable_by(by).filter(pk=post.pk).exists():
        raise PermissionDenied("Only HR of the post's organisation or system appoint to it.")
    route = ApprovalRoute.of(post.system, Subject.APPOINTMENT)
    fields = {"post": post, "person": person, "start_date": start_date, "end_date": end_date,
              "wte": wte, "honorarium_share": honorarium_share, "status": status,
              "contract_type": contract_type, "covers": covers,
              "home_organisation": home_organisation}
    errors = appointment_errors(
        **fields, consent=consent and replace(consent, through_request=True), by=by)
    errors.update(how_errors(route, how=how, evidence=evidence, agreed_on=agreed_on,
                             override_reason=override_reason, by=by))
    if errors:
        raise ValidationError(errors)
    request = _open(route=route_for(post.system, Subject.APPOINTMENT), by=by,
                    agree_own=agree_own, notify=False,
                    post=post, person=person, start_date=start_date, end_date=end_date,
                    wte=wte, honorarium_share=honorarium_share,
                    offered=status == Appointment.Status.OFFERED, reason=reason.strip(),
                    contract_type=contract_type, covers=covers,
                    home_organisation=home_organisation, offer_for=offer_for,
                    **_consent_fields(consent))
    return _carry_out_and_notify(request, how=how, evidence=evidence, agreed_on=agreed_on,
                                 override_reason=override_reason, by=by)


# --- Deciding --------------------------------------------------------------------------------

def _locked(request_id):
    return (ApprovalRequest.objects.select_for_update(of=("self",))
            .select_related("route__system").get(pk=request_id))


def may_decide(user, decision):
    return PartyDecision.objects.of_decider(user).filter(pk=decision.pk).exists()


def _must_be_pending(request):
    if request.is_pending:
        return
    last = request.decisions.exclude(decided_at=None).order_by("-decided_at").first()
    when = f" on {timezone.localtime(request.closed_at):%-d %B %Y}" if request.closed_at else ""
    if request.status == Status.DECLINED and last and last.decided_by:
        raise ValidationError(f"This request has already been declined, by "
                              f"{last.decided_by.get_full_name()} for {last.name}{when}.")
    raise ValidationError(f"This request is no longer awaiting agreement: it has been "
                          f"{request.get_status_display().lower()}{when}.")


def gate_failures(request):
    """Why the appraisal gate stops the extension now ([] when it does not apply or passes)."""
    if request.subject != Subject.EXTENSION or not request.route.appraisal_gate:
        return []
    return hooks.extension_gate_failures(request.appointment)


def _gate_refusal(failures):
    return (" ".join(failures) + " An approver must agree in the register, giving the "
            "reason for overriding the appraisal check.")


def _gate_overridden(request):
    return request.decisions.exclude(gate_override_reason="").exists()


@transaction.atomic
def decide(*, decision, agree, note="", evidence="", gate_override_reason="", by):
    """One party's decision, by a user who decides for it. The request is locked first: of two
    approvers deciding at once, the second finds the decision taken and is told who took it."""
    request = _locked(decision.request_id)
    decision = request.decisions.select_related("party", "decided_by").get(pk=decision.pk)
    if not may_decide(by, decision):
        raise PermissionDenied(f"Only those who decide for {decision.name} may decide here.")
    if decision.status != Decided.PENDING:
        who = decision.decided_by.get_full_name() if decision.decided_by else "someone"
        raise ValidationError(
            f"{who} has already {decision.get_status_display().lower()} for {decision.name} "
            f"on {timezone.localtime(decision.decided_at):%-d %B %Y at %H:%M}.")
    _must_be_pending(request)
    note, gate_override_reason = note.strip(), gate_override_reason.strip()
    if not agree and not note:
        raise ValidationError({"note": f"Say why {decision.name} does not agree."})
    failures = gate_failures(request) if agree else []
    if failures and not gate_override_reason and not _gate_overridden(request):
        raise ValidationError({"gate_override_reason": (
            " ".join(failures) + " To agree all the same, give your reason for overriding the "
            "appraisal check.")})
    _record(decision, agree=agree, by=by, note=note, evidence=evidence,
            gate_override_reason=gate_override_reason if failures else "")
    if agree:
        _apply_if_agreed(request, by)
    else:
        _decline(request, decision, by)
    return request


def _record(decision, *, agree, by, note="", evidence="", gate_override_reason="",
            outside=False, agreed_on=None):
    decision.status = Decided.AGREED if agree else Decided.DECLINED
    decision.decided_by = by
    decision.decided_at = timezone.now()
    decision.agreed_on = agreed_on or _today()
    decision.outside = outside
    decision.note = note
    decision.evidence = evidence.strip()[:200]
    decision.gate_override_reason = gate_override_reason
    decision.save()
    action = (audit.Action.AGREEMENT_RECORDED if outside
              else audit.Action.AGREED if agree else audit.Action.REFUSED)
    audit.record(action=action, by=by, obj=decision.request,
                 detail=f"{decision.name}" + (f": {note}" if note else ""))


@transaction.atomic
def decide_for(*, request, agree, note="", by):
    """Every party of ``request`` the user decides for, at once: the CMO/CNO office agreeing or
    declining from the pages that predate routes (a term's extension, approval to recruit)."""
    request = _locked(request.pk)
    mine = list(PartyDecision.objects.of_decider(by).filter(request=request))
    if not mine:
        parties = ", ".join(request.route.party_names())
        raise PermissionDenied(f"Only the parties of the route ({parties}) decide on this "
                               "request.")
    _must_be_pending(request)
    pending = [d for d in mine if d.status == Decided.PENDING]
    if not pending:
        raise ValidationError("You have already decided on this request.")
    for decision in pending:
        request = decide(decision=decision, agree=agree, note=note, by=by)
        if not request.is_pending:
            break
    return request


def agree_extension(*, decision, by):
    """The user's parties agree a proposed extension (the term is extended once every party
    has agreed)."""
    request = request_for_decision(decision)
    if request is None:
        raise ValidationError("This extension is not awaiting agreement.")
    decide_for(request=request, agree=True, by=by)
    return TermEndDecision.objects.get(pk=decision.pk)


def decline_extension(*, decision, note, by):
    request = request_for_decision(decision)
    if request is None:
        raise ValidationError("This extension is not awaiting agreement.")
    decide_for(request=request, agree=False, note=note, by=by)
    return TermEndDecision.objects.get(pk=decision.pk)


@transaction.atomic
def record_outside_agreement(*, request, evidence, agreed_on, by):
    """Every party still to decide agreed outside the register (at a meeting): recorded, where
    the route allows it, by HR or the CMO/CNO office, with the evidence and the date, which is
    never in the future. The appraisal gate applies: only an approver in the register may
    override it."""
    request = _locked(request.pk)
    if not may_change_subject(by, request):
        raise PermissionDenied("Only HR and the CMO/CNO office record agreements.")
    _must_be_pending(request)
    errors = how_errors(request.route, how=OUTSIDE, evidence=evidence, agreed_on=agreed_on,
                        override_reason="", by=by)
    if not errors and not _gate_overridden(request):
        failures = gate_failures(request)
        if failures:
            errors["how"] = _gate_refusal(failures)
    if errors:
        raise ValidationError(errors)
    for decision in request.decisions.filter(status=Decided.PENDING):
        _record(decision, agree=True, by=by, evidence=evidence, outside=True,
                agreed_on=agreed_on, note="Agreed outside the register.")
    _apply_if_agreed(request, by)
    return request


@transaction.atomic
def override(*, request, reason, by):
    """An administrator makes the change without the route's agreement. The reason is
    required and the request, the extension or appointment it makes, and the history of what
    it changed say so for good."""
    request = _locked(request.pk)
    if not access.is_admin(by):
        raise PermissionDenied("Only an administrator may override the approval route.")
    _must_be_pending(request)
    if not reason.strip():
        raise ValidationError({"override_reason": "Give the reason for overriding the "
                                                  "approval route."})
    request.how = How.OVERRIDE
    request.override_reason = reason.strip()
    request.overridden_by = by
    request.overridden_at = timezone.now()
    _apply(request, by)
    audit.record(action=audit.Action.OVERRIDDEN, by=by, obj=request,
                 detail=request.override_reason)
    return request


def may_change_subject(user, request):
    """HR of what the request is about, or the CMO/CNO office of its system (administrators
    are both)."""
    if request.subject == Subject.RECRUITMENT:
        objects, pk = Vacancy.objects, request.vacancy_id
    elif request.subject == Subject.EXTENSION:
        objects, pk = Appointment.objects, request.appointment_id
    else:
        return (Post.objects.editable_by(user).filter(pk=request.post_id).exists()
                or request.route.system_id in access.granted_systems(user, access.APPROVE)
                or access.is_admin(user))
    return (objects.editable_by(user).filter(pk=pk).exists()
            or objects.approvable_by(user).filter(pk=pk).exists())


# --- What an agreement or a refusal changes --------------------------------------------------

def _apply_if_agreed(request, by):
    if not request.decisions.exclude(status=Decided.AGREED).exists():
        _apply(request, by)


def _apply(request, by):
    """Make the change asked for, now that it is agreed (or overridden)."""
    decisions = list(request.decisions.select_related("decided_by").order_by("position", "pk"))
    if not request.how:
        request.how = How.OUTSIDE if any(d.outside for d in decisions) else How.REGISTER
    agreed_on = max((d.agreed_on for d in decisions if d.agreed_on and d.status == Decided.AGREED),
                    default=_today())
    if request.is_override:
        agreed_on = _today()
    agreed_by = agreed_by_text(request, decisions)
    if request.subject == Subject.EXTENSION:
        _extend(request, agreed_by=agreed_by, agreed_on=agreed_on,
                consent=_consent(request, decisions, by), by=by)
    elif request.subject == Subject.RECRUITMENT:
        _approve_recruitment(request, decisions, agreed_on=agreed_on, by=by)
    else:
        request.appointment = terms.appoint(
            post=request.post, person=request.person, start_date=request.start_date,
            end_date=request.end_date, wte=request.wte,
            honorarium_share=request.honorarium_share,
            status=Appointment.Status.OFFERED if request.offered else Appointment.Status.ACTIVE,
            contract_type=request.contract_type, covers=request.covers,
            home_organisation=request.home_organisation,
            consent=_consent(request, decisions, by), agreement_parties=agreed_by, by=by)
        _mark_history(request.appointment, request)
        if request.offer_for_id:
            _offer(request, by)
    request.status = Status.AGREED
    request.closed_at = timezone.now()
    _save(request, by)
    approval_reminders.tell_requester(request, by=by)


def _offer(request, by):
    """The agreed appointment is the offer of the vacancy it was asked for from."""
    vacancy = Vacancy.objects.select_for_update().get(pk=request.offer_for_id)
    if vacancy.status != Vacancy.Status.OPEN or vacancy.appointment_id:
        raise ValidationError(f"The vacancy for {request.post} is "
                              f"{vacancy.get_status_display().lower()} or has its offer "
                              "already: this offer can no longer be made.")
    vacancy.appointment = request.appointment
    vacancy.offer_on = _today()
    _save(vacancy, by)


def _extend(request, *, agreed_by, agreed_on, consent, by):
    decision = request.term_end_decision
    request.extension = terms.extend(
        appointment=request.appointment, new_end_date=request.proposed_end_date,
        reason=request.reason or "Extension agreed at the end of the term.",
        agreed_by=agreed_by, agreed_on=agreed_on, by=by, bulk_change=request.bulk_change,
        consent=consent)
    _mark_history(request.appointment, request)
    if decision is not None:
        decision = TermEndDecision.objects.select_for_update().get(pk=decision.pk)
        decision.status = TermEndDecision.Status.AGREED
        decision.agreed_by = by
        decision.agreed_at = timezone.now()
        decision.extension = request.extension
        _save(decision, by)


def _approve_recruitment(request, decisions, *, agreed_on, by):
    vacancy = Vacancy.objects.select_for_update().get(pk=request.vacancy_id)
    if vacancy.status != Vacancy.Status.OPEN:
        raise ValidationError(f"This vacancy is {vacancy.get_status_display().lower()}.")
    vacancy.approval = Vacancy.Approval.APPROVED
    vacancy.approval_by = by
    vacancy.approval_on = agreed_on
    vacancy.approval_note = _notes(request, decisions)
    vacancy.full_clean()
    _save(vacancy, by)


def _decline(request, decision, by):
    request.status = Status.DECLINED
    request.closed_at = timezone.now()
    _save(request, by)
    approval_reminders.tell_requester(request, by=by)
    declined = f"Declined by {decision.name}: {decision.note}"
    if request.subject == Subject.EXTENSION and request.term_end_decision_id:
        term = TermEndDecision.objects.select_for_update().get(pk=request.term_end_decision_id)
        term.status = TermEndDecision.Status.DECLINED
        term.agreed_by = by
        term.agreed_at = timezone.now()
        term.note = f"{term.note}\n\n{declined}".strip()
        _save(term, by)
    elif request.subject == Subject.RECRUITMENT:
        vacancy = Vacancy.objects.select_for_update().get(pk=request.vacancy_id)
        if vacancy.status == Vacancy.Status.OPEN:
            vacancy.approval = Vacancy.Approval.DECLINED
            vacancy.approval_by = by
            vacancy.approval_on = _today()
            vacancy.approval_note = declined
            vacancy.full_clean()
            _save(vacancy, by)


def agreed_by_text(request, decisions):
    """Who agreed, in words, for the record the change leaves (an extension's "agreed by", an
    appointment's parties to the agreement), from the decisions: never typed."""
    if request.is_override:
        text = (f"Administrator's override by {request.overridden_by.get_full_name()}: "
                f"{request.override_reason}")
    else:
        inside = [f"{d.decided_by.get_full_name() if d.decided_by else 'unknown'} ({d.name})"
                  for d in decisions if not d.outside]
        outside = [d for d in decisions if d.outside]
        parts = inside
        if outside:
            first = outside[0]
            parts = [*inside, f"{', '.join(d.name for d in outside)}, outside the register "
                              f"({first.evidence}, {first.agreed_on:%-d %b %Y})"]
        text = "; ".join(parts)
    return text if len(text) <= 300 else text[:299] + "…"


def _notes(request, decisions):
    if request.is_override:
        return f"Administrator's override: {request.override_reason}"
    return "\n".join(f"{d.name}: {d.note}" for d in decisions if d.note and not d.outside) \
        or agreed_by_text(request, decisions)


def _mark_history(appointment, request):
    """Say in the appointment's history on whose authority it changed."""
    record = appointment.history.order_by("-history_id").first()
    if record is None:
        return
    if request.is_override:
        reason = f"Administrator's override: {request.override_reason}"
    elif request.how == How.OUTSIDE:
        reason = "Agreed outside the register, recorded with its evidence"
    else:
        reason = f"Agreed by {', '.join(request.route.party_names())}"
    record.history_change_reason = reason[:100]
    record.save(update_fields=["history_change_reason"])


# --- Telling the approvers -------------------------------------------------------------------

def _notify(request):
    """E-mail each party still to decide, once (the ledger keeps it to once per party and
    request), when the transaction commits."""
    dues = approval_reminders.awaiting_dues(PartyDecision.objects.awaiting().filter(
        request=request))
    record_and_send(dues)


# --- Bulk extension --------------------------------------------------------------------------

@dataclass
class BulkRow:
    appointment: Appointment
    old_end_date: datetime.date
    new_end_date: datetime.date
    error: str = ""
    note: str = ""

    @property
    def is_valid(self):
        return not self.error


@dataclass
class BulkExtension:
    """What a bulk extension would do, row by row, before anything is written."""

    kind: str
    on_date: datetime.date
    how: str
    changes: list[BulkRow] = field(default_factory=list)

    @property
    def errors(self):
        return [c for c in self.changes if not c.is_valid]

    @property
    def is_valid(self):
        return bool(self.changes) and not self.errors


def plan_bulk_extension(*, appointments, on_date, how, by):
    """Preview a bulk extension: for every appointment, its end before and after, what its
    route still needs, or why it cannot (the rules of extensions, an extension already awaiting
    agreement, a route that does not take an outside agreement, and the appraisal gate where the
    extension would be agreed now). One row that cannot take it stops them all."""
    appointments = list(appointments)
    waiting = set(ApprovalRequest.objects.pending().filter(
        subject=Subject.EXTENSION, appointment__in=[a.pk for a in appointments])
        .values_list("appointment_id", flat=True))
    routes = {}
    plan = BulkExtension(kind=BulkChange.Kind.EXTEND, on_date=on_date, how=how)
    office = set(access.granted_systems(by, access.APPROVE)) if by else set()
    for appointment in appointments:
        system_id = appointment.post.system_id
        if system_id not in routes:
            route = ApprovalRoute.of(appointment.post.system, Subject.EXTENSION)
            routes[system_id] = (route, _parties(route))
        route, parties = routes[system_id]
        problems = list(terms.extension_errors(appointment, on_date).values())
        note = ""
        if appointment.pk in waiting:
            problems.append("Another extension of this term is already awaiting agreement.")
        if how == OUTSIDE and not route.allows_outside_agreement:
            problems.append(f"The approval route ({route}) does not allow an agreement made "
                            "outside the register to be recorded.")
        agreed_now = how == OUTSIDE or (how == REQUEST and _decides_all(
            by, route, parties, office, appointment))
        if route.appraisal_gate and agreed_now and not problems:
            problems += hooks.extension_gate_failures(appointment)
        if how == REQUEST and not agreed_now and not problems:
            note = f"Awaits {', '.join(route.party_names())}"
        plan.changes.append(BulkRow(appointment=appointment, old_end_date=appointment.end_date,
                                    new_end_date=on_date, error=" ".join(problems), note=note))
    return plan


def _parties(route):
    """(how the party decides, ids of its named users) for each party of ``route``."""
    if route.pk is None:
        return [(ApprovalParty.DecidedBy.OFFICE, set())]
    return [(party.decided_by, {user.pk for user in party.users.all()})
            for party in route.parties.prefetch_related("users")]


def _decides_all(user, route, parties, office, appointment):
    """Whether ``user`` decides for every party of ``route`` (their request is agreed at
    once)."""
    if user is None or not parties:
        return False
    DecidedBy = ApprovalParty.DecidedBy
    return all(
        route.system_id in office if decided_by == DecidedBy.OFFICE
        else appointment.person.user_id == user.pk if decided_by == DecidedBy.APPOINTEE
        else user.pk in users
        for decided_by, users in parties)


@transaction.atomic
def apply_bulk_extension(*, appointments, on_date, reason, how=REQUEST, evidence="",
                         agreed_on=None, override_reason="", by, progress=None):
    """A bulk extension, every row through its own route: asked for (and agreed at once where
    the requester decides for every party), recorded as agreed outside the register, or
    overridden. All rows or none: raises ValidationError naming every row that cannot."""
    progress = progress or (lambda done, total: None)
    ids = sorted(a.pk for a in appointments)
    locked = list(Appointment.objects.select_for_update(of=("self",)).filter(pk__in=ids)
                  .select_related("post__role_type", "post__system", "person"))
    plan = plan_bulk_extension(appointments=locked, on_date=on_date, how=how, by=by)
    errors = [f"{c.appointment}: {c.error}" for c in plan.errors]
    if not reason.strip():
        errors.append("Enter the reason for the change.")
    if not locked:
        errors.append("Choose at least one appointment.")
    # Each row's route was checked in the plan; here, only what the batch itself must give.
    route_errors = how_errors(ApprovalRoute(allows_outside_agreement=True), how=how,
                              evidence=evidence, agreed_on=agreed_on,
                              override_reason=override_reason, by=by)
    errors += list(route_errors.values())
    if errors:
        raise ValidationError(errors)
    summary = {REQUEST: "Each appointment's approval route",
               OUTSIDE: f"Agreed outside the register ({evidence.strip()})",
               OVERRIDE: f"Administrator's override: {override_reason.strip()}"}[how]
    batch = BulkChange.objects.create(
        kind=BulkChange.Kind.EXTEND, on_date=on_date, reason=reason.strip(),
        agreed_by=summary[:300], agreed_on=agreed_on if how == OUTSIDE else _today(),
        recorded_by=by, appointment_count=len(locked))
    batch.appointments.set(locked)
    progress(0, len(locked))
    for done, appointment in enumerate(locked, start=1):
        decision = terms.decide_term_end(appointment=appointment,
                                         outcome=TermEndDecision.Outcome.EXTEND,
                                         proposed_end_date=on_date, note=reason,
                                         bulk_change=batch, notify=False, by=by)
        request = ApprovalRequest.objects.get(term_end_decision=decision)
        _carry_out_and_notify(request, how=how, evidence=evidence, agreed_on=agreed_on,
                              override_reason=override_reason, by=by)
        if done % 50 == 0:
            progress(done, len(locked))
    progress(len(locked), len(locked))
    return batch
