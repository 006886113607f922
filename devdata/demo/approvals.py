"""Who agrees what in the demo, as the seeds say, configured through the same services as the
admin's route pages: in North Central London the Chief Medical Officer and the Chief Nursing
Officer agree jointly (recruitment, direct appointments and extensions); in King's Health
Partners an extension is agreed by the partnership's Executive Group, each partner and the
appointee, may be recorded from the Executive Group's minutes, and needs a satisfactory annual
appraisal. One extension waits in each, and the vacancy waiting for approval to recruit is
asked of North Central London's officers. The demo accounts of the two officers are named as
deciders when they are made (accounts.py)."""

from dateutil.relativedelta import relativedelta

from appointments import services
from appointments.models import (
    Appointment,
    ApprovalParty,
    ApprovalRequest,
    ApprovalRoute,
    TermEndDecision,
    Vacancy,
)
from roles.models import System

Subject = ApprovalRoute.Subject
USERS, APPOINTEE = ApprovalParty.DecidedBy.USERS, ApprovalParty.DecidedBy.APPOINTEE
NCL_PARTIES = ["Chief Medical Officer", "Chief Nursing Officer"]
KHP_PARTIES = ["KHP Executive Group", "Guy's and St Thomas'", "King's College Hospital",
               "South London and Maudsley", "King's College London"]


def load(builder):
    """Configure the routes once (the first time the worlds are loaded) and ask for what waits."""
    ncl = System.objects.filter(short_name="NCL").first()
    khp = System.objects.filter(short_name="KHP").first()
    if ncl is None or khp is None or ApprovalRoute.objects.filter(
            system=ncl, parties__name=NCL_PARTIES[0]).exists():
        return
    for subject in (Subject.RECRUITMENT, Subject.APPOINTMENT, Subject.EXTENSION):
        services.configure_route(system=ncl, subject=subject,
                                 parties=[(name, USERS, []) for name in NCL_PARTIES],
                                 escalate_after_days=7, by=builder.loader)
    services.configure_route(
        system=khp, subject=Subject.EXTENSION,
        parties=[*((name, USERS, []) for name in KHP_PARTIES), ("The appointee", APPOINTEE, [])],
        allows_outside_agreement=True, appraisal_gate=True, escalate_after_days=14,
        by=builder.loader)
    for subject in (Subject.RECRUITMENT, Subject.APPOINTMENT):
        services.configure_route(system=khp, subject=subject,
                                 parties=[(name, USERS, []) for name in KHP_PARTIES[:1]],
                                 allows_outside_agreement=True, by=builder.loader)
    _waiting_extension(builder, ncl, "Clinical Lead — Barnet place", years=1,
                       reason="Continuity for the borough's winter plan.")
    _waiting_extension(builder, khp, "CAG Leader — Women and children's health", years=3,
                       reason="A further three-year term, as the CAG's strategy runs to then.")
    for vacancy in Vacancy.objects.filter(post__system=ncl).awaiting_approval():
        services.request_for_vacancy(vacancy)


def _waiting_extension(builder, system, title, *, years, reason):
    appointment = (Appointment.objects.filter(post__system=system, post__title=title)
                   .live().order_by("-end_date").first())
    if appointment is None or ApprovalRequest.objects.filter(appointment=appointment).exists():
        return
    # A term-end decision to extend: the request HR's extend page makes, by the demo loader.
    services.decide_term_end(appointment=appointment, outcome=TermEndDecision.Outcome.EXTEND,
                             proposed_end_date=appointment.end_date + relativedelta(years=years),
                             note=reason, by=builder.loader)
