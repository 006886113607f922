"""Who is told about a request awaiting agreement, and what the daily sweep finds due about
them: each party still to decide hears once per request (as it is asked, and again only if it
was missed), and a party that has not decided after its route's number of days is reported,
once, to the system's CMO/CNO office. Once the request is agreed, declined or overridden, the
one who asked for it is told, once. Registered with the ledger in
``AppointmentsConfig.ready()``; services/approvals.py sends the first notices at once."""

from collections import defaultdict

from django.utils import timezone

from ccpl import access
from ccpl.models import Notification
from ccpl.notifications import Due, chunks, notify_now

from .models import ApprovalParty, ApprovalRequest, PartyDecision

Kind = Notification.Kind
DecidedBy = ApprovalParty.DecidedBy


def ids_visible_to(user):
    """The requests whose e-mails the user may read: those they may see."""
    return ApprovalRequest.objects.visible_to(user).values("pk")


def _awaiting():
    return (PartyDecision.objects.awaiting()
            .select_related("party", "request__route__system", "request__requested_by",
                            "request__appointment__person__user", "request__appointment__post",
                            "request__vacancy__post", "request__post", "request__person__user")
            .order_by("pk"))


def deciders(decisions):
    """{decision pk: [(e-mail, user)]}: who may take each decision, in a fixed number of
    queries however many decisions."""
    decisions = list(decisions)
    systems = {d.request.route.system_id for d in decisions
               if d.party.decided_by == DecidedBy.OFFICE}
    offices = access.grant_holders("System", access.APPROVE, systems) if systems else {}
    named = defaultdict(list)
    rows = ApprovalParty.users.through.objects.filter(
        approvalparty_id__in={d.party_id for d in decisions
                              if d.party.decided_by == DecidedBy.USERS},
        user__is_active=True).select_related("user")
    for row in rows:
        named[row.approvalparty_id].append(row.user)
    found = {}
    for decision in decisions:
        request = decision.request
        match decision.party.decided_by:
            case DecidedBy.OFFICE:
                users = offices.get(request.route.system_id, [])
            case DecidedBy.USERS:
                users = named[decision.party_id]
            case _:
                person = request.appointment.person if request.appointment_id else request.person
                users = [person.user] if person.user_id and person.user.is_active else []
        found[decision.pk] = sorted({(u.email.lower(), u) for u in users},
                                    key=lambda pair: pair[0])
    return found


def awaiting_dues(decisions):
    """One e-mail to each who may decide for each party still to decide."""
    decisions = list(decisions)
    who = deciders(decisions)
    for decision in decisions:
        request = decision.request
        context = {"request": request, "decision": decision,
                   "subject": f"Your decision is needed: {request.get_subject_display().lower()}"
                              f" — {request.about}"}
        for email, user in who[decision.pk]:
            yield Due(Kind.APPROVAL_AWAITED, f"party-{decision.party_id}", request, email, user,
                      context)


def awaiting_decisions(today, digest_users):
    """Every party still to decide (sent once: those told when asked are not told again)."""
    for chunk in chunks(_awaiting()):
        yield from awaiting_dues(chunk)


def overdue_decisions(today, digest_users):
    """Parties that have not decided within their route's days: the CMO/CNO office of the
    system is told, once per party and request."""
    for chunk in chunks(_awaiting()):
        late = []
        for decision in chunk:
            asked = timezone.localtime(decision.request.requested_at).date()
            days = (today - asked).days
            if days >= decision.request.route.escalate_after_days:
                late.append((decision, days))
        if not late:
            continue
        offices = access.grant_holders("System", access.APPROVE,
                                       {d.request.route.system_id for d, _ in late})
        for decision, days in late:
            request = decision.request
            context = {"request": request, "decision": decision, "days": days,
                       "subject": f"Overdue: {decision.name} has not decided in {days} days — "
                                  f"{request.about}"}
            for user in offices[request.route.system_id]:
                yield Due(Kind.APPROVAL_ESCALATED, f"party-{decision.party_id}", request,
                          user.email.lower(), user, context)


def tell_requester(request, *, by):
    """E-mail who asked for ``request`` that it has been agreed, declined or overridden, once
    (one ledger row per request), when the transaction commits. Not when they closed it
    themselves (their own agreement, an outside agreement they recorded), nor when they have no
    active account to read it with."""
    asker = request.requested_by
    if asker is None or not asker.is_active or not asker.email or asker == by:
        return None
    outcome = "Overridden" if request.is_override else request.get_status_display()
    context = {"request": request, "outcome": outcome, "by": by,
               "decisions": list(request.decisions.select_related("decided_by")
                                 .order_by("position", "pk")),
               "subject": f"{outcome}: {request.get_subject_display().lower()} — "
                          f"{request.about}"}
    return notify_now(kind=Kind.APPROVAL_DECIDED, milestone="closed", obj=request,
                      email=asker.email.lower(), user=asker, context=context)
