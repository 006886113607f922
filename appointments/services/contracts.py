"""Contracts beyond a plain fixed term: the end of a term as a state, the consent that lets a
person hold more leadership time than their system's ceiling, and honorary contracts.

- A term whose last day has passed is moved to "term ended" by the daily sweep (the sweep is the
  actor: no user, its reason in the history), or at once by a decision to let it end; what must
  not outlive the term (a 360° cycle in progress) is closed first (``hooks.before_terms_end``).
  Extending an ended term to a day still to come makes it active again.
- ``appoint`` and ``extend`` call ``check_commitments`` once the new term is written, in their
  transaction: above the ceiling, the change is refused on the field unless an approver's
  consent (``Consent``) is given, which is then kept as evidence (``CommitmentConsent``).
"""

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from ccpl import access
from ccpl.models import User
from roles.models import Organisation, wte_text

from .. import commitments, hooks
from ..models import Appointment, CommitmentConsent, Person

SWEEP_REASON = "Term ended: its last day has passed (the daily sweep)"
LET_END_REASON = "Term ended: decided to let it end"
BATCH = 2000


# --- The end of a term -----------------------------------------------------------------------

def status_for(appointment, today=None):
    """The state a term's dates put it in when it is written: an active (or ended) term whose
    last day is behind today has ended; one that runs on is active."""
    today = today or timezone.localdate()
    Status = Appointment.Status
    if appointment.status not in (Status.ACTIVE, Status.TERM_ENDED) or not appointment.end_date:
        return appointment.status
    return Status.TERM_ENDED if appointment.end_date < today else Status.ACTIVE


def end_lapsed_terms(today=None):
    """The daily sweep's step: every active term whose last day is behind ``today`` moves to
    "term ended", in batches, each recorded in the history with the sweep as the actor. Safe to
    run twice: a term that has ended is no longer active. Returns how many ended."""
    today = today or timezone.localdate()
    ended = 0
    while True:
        with transaction.atomic():
            batch = list(Appointment.objects.due_to_end(today).select_for_update()
                         .order_by("pk")[:BATCH])
            if not batch:
                return ended
            _end(batch, by=None, reason=SWEEP_REASON)
            ended += len(batch)


def let_term_end(appointment, *, by, today=None):
    """A decision to let the term end closes it: at once if its last day has passed, otherwise
    the daily sweep does on the day after it. Called by ``decide_term_end``."""
    today = today or timezone.localdate()
    if appointment.status == Appointment.Status.ACTIVE and appointment.end_date \
            and appointment.end_date < today:
        _end([appointment], by=by, reason=LET_END_REASON)
    return appointment


def _end(appointments, *, by, reason):
    hooks.before_terms_end([a.pk for a in appointments])
    for appointment in appointments:
        appointment.status = Appointment.Status.TERM_ENDED
    bulk_update_with_history(appointments, Appointment, ["status"], default_user=by,
                             default_change_reason=reason)


# --- Commitments above the ceiling ------------------------------------------------------------

@dataclass(frozen=True)
class Consent:
    """An approver's consent to going above the commitment ceiling: who consented (a user
    holding the approval grant of the post's system) and why. Naming an approver is not their
    consent: it is given either by the approver making the change themselves, or through a
    request for agreement (``through_request``) that an approver agrees in the register (or
    that is recorded as agreed outside it, on its evidence)."""

    by: User | None
    reason: str
    through_request: bool = False


def approvers(system, *, by=None):
    """Who may consent for ``system``: its CMO/CNO office (the approval grant), and the acting
    user if they may."""
    found = access.grant_holders("System", access.APPROVE, [system.pk])[system.pk]
    if by is not None and may_consent(by, system) and by not in found:
        found.append(by)
    return found


def may_consent(user, system):
    return access.is_admin(user) or system.pk in access.granted_systems(user, access.APPROVE)


def check_commitments(appointment, *, start, end, consent, field, by, extension=None):
    """Whether ``appointment``'s person, with the term just written, holds more than the
    ceiling of the post's system on any day from ``start`` to ``end`` (None: no end). If so the
    change stands only with ``consent``: without it a field error; with it, the consent is
    recorded and returned. Called inside the caller's transaction, after the write, so a refusal
    undoes the write."""
    # Two changes for the same person at once are counted one after the other.
    Person.objects.select_for_update().filter(pk=appointment.person_id).first()
    system = appointment.post.system
    held = Appointment.objects.filter(person_id=appointment.person_id)
    top = commitments.peak(commitments.levels(held, since=start, until=end))
    ceiling = system.commitment_ceiling_wte
    if top is None or top.wte <= ceiling:
        return None
    if consent is None:
        raise ValidationError({field: ValidationError(
            f"{appointment.person} would hold {top.wte_text} WTE ({top.pas} PAs) of leadership "
            f"from {top.start:%-d %B %Y}, above the ceiling of {wte_text(ceiling)} WTE set by "
            f"{system}. To go ahead, an approver of {system} must consent: name them and say "
            "why.", code="over_ceiling")})
    errors = {}
    if consent.by is None:
        errors["consent_by"] = "Select the approver who consents."
    elif not may_consent(consent.by, system):
        errors["consent_by"] = (f"{consent.by.get_full_name()} cannot consent: only the CMO/CNO "
                                f"office of {system} can.")
    elif consent.by != by and not consent.through_request:
        errors["consent_by"] = (f"Only {consent.by.get_full_name()} can give their consent: "
                                "ask for the change as a request for the approvers to agree.")
    if not consent.reason.strip():
        errors["consent_reason"] = "Say why the approver consents to going above the ceiling."
    if errors:
        raise ValidationError(errors)
    return CommitmentConsent.objects.create(
        appointment=appointment, extension=extension, given_by=consent.by,
        reason=consent.reason.strip(), peak_wte=top.wte, peak_on=top.start,
        ceiling_wte=ceiling, recorded_by=by)


def ceiling_errors(changes):
    """For a batch of extensions [(appointment, new end)]: {appointment id: field → message}
    for each one that would take its person above the ceiling of its post's system (a bulk
    change has no consent to give: such a term is extended on its own page). Two queries,
    however many rows."""
    people = {a.person_id for a, _ in changes}
    held = {}
    for a in Appointment.objects.filter(person_id__in=people):
        held.setdefault(a.person_id, {})[a.pk] = a
    moved = {a.pk: new_end for a, new_end in changes}
    for terms in held.values():
        for pk, a in terms.items():
            if pk in moved and moved[pk] is not None:
                a.end_date = moved[pk]
    ceilings = dict(Appointment.objects.filter(pk__in=moved).values_list(
        "pk", "post__system__commitment_ceiling_wte"))
    errors = {}
    for appointment, new_end in changes:
        if new_end is None or appointment.end_date is None or new_end <= appointment.end_date:
            continue
        since = appointment.end_date + datetime.timedelta(days=1)
        top = commitments.peak(commitments.levels(held[appointment.person_id].values(),
                                                  since=since, until=new_end))
        ceiling = ceilings.get(appointment.pk)
        if top is not None and ceiling is not None and top.wte > ceiling:
            errors[appointment.pk] = {"new_end_date": (
                f"{appointment.person} would hold {top.wte_text} WTE from "
                f"{top.start:%-d %B %Y}, above the ceiling of {wte_text(ceiling)} WTE: extend "
                "this term on its own page, with an approver's consent.")}
    return errors


def is_over_ceiling(error):
    """Whether a service's refusal is the ceiling's (so the page asks for consent)."""
    return any(e.code == "over_ceiling" for errors in getattr(error, "error_dict", {}).values()
               for e in errors)


# --- Honorary contracts -------------------------------------------------------------------

def may_record_honorary(user, contract):
    """HR of the partner organisation, or of the partnership, the contract is held with."""
    if access.is_admin(user):
        return True
    if contract.organisation_id:
        return Organisation.objects.editable_by(user).filter(pk=contract.organisation_id).exists()
    return contract.partnership_id in access.granted_systems(user, access.EDIT)


@transaction.atomic
def save_honorary_contract(*, contract, by):
    """Record a new honorary contract or change one, with its history."""
    contract.reference = contract.reference.strip()
    contract.purpose = contract.purpose.strip()
    contract.full_clean()
    if not may_record_honorary(by, contract):
        raise PermissionDenied("Only HR of the partner it is held with records it.")
    contract._history_user = by
    contract.save()
    return contract

