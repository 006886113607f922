"""Every state change of appointments, people and recruitment, one keyword-only function each,
taking the acting user as ``by`` (docs/adr/0003). Views, the admin, imports and the demo all call
these; nothing else writes these tables.

- ``terms``: appoint, extend, end early, cease, bulk changes, decisions at the end of a term
- ``recruitment``: a vacancy from approval to recruit to the appointment it makes
- ``people``: people's records, their equality data, and inviting users to the register
- ``approvals``: who must agree recruitment, direct appointments and extensions (the routes),
  HR's requests and each party's decision, agreements recorded from outside, overrides
- ``contracts``: the end of a term as a state, consent above the commitment ceiling, honorary
  contracts
"""

from .approvals import (
    BulkExtension,
    add_deciders,
    agree_extension,
    apply_bulk_extension,
    configure_route,
    decide,
    decide_for,
    decline_extension,
    gate_failures,
    may_change_subject,
    override,
    plan_bulk_extension,
    record_outside_agreement,
    request_appointment,
    request_extension,
    request_for_decision,
    request_for_vacancy,
    route_for,
)
from .contracts import (
    Consent,
    approvers,
    end_lapsed_terms,
    is_over_ceiling,
    save_honorary_contract,
)
from .people import (
    Invitation,
    delete_equality,
    grant_appointment_view,
    invite,
    may_invite,
    save_equality,
    save_person,
    system_grantable_by,
)
from .recruitment import (
    accept_offer,
    decide_approval,
    make_offer,
    open_vacancy,
    record_advert,
    record_interview,
    record_shortlisting,
    withdraw_vacancy,
)
from .terms import (
    BulkPlan,
    PlannedChange,
    apply_bulk_change,
    appoint,
    cease,
    closure_errors,
    decide_term_end,
    default_end_date,
    end_early,
    extend,
    extension_errors,
    extension_warnings,
    plan_bulk_change,
)

__all__ = [
    "Consent", "approvers", "end_lapsed_terms", "is_over_ceiling", "save_honorary_contract",
    "BulkPlan", "Invitation", "PlannedChange", "grant_appointment_view", "may_invite",
    "system_grantable_by", "accept_offer", "agree_extension", "apply_bulk_change",
    "appoint", "cease", "closure_errors", "decide_approval", "decide_term_end",
    "decline_extension", "default_end_date", "delete_equality", "end_early", "extend",
    "extension_errors", "extension_warnings", "invite", "make_offer", "open_vacancy",
    "plan_bulk_change", "record_advert", "record_interview", "record_shortlisting",
    "save_equality", "save_person", "withdraw_vacancy", "BulkExtension",
    "apply_bulk_extension", "decide", "decide_for", "override", "plan_bulk_extension",
    "record_outside_agreement", "request_appointment", "request_extension",
    "request_for_decision", "request_for_vacancy", "route_for", "gate_failures",
    "may_change_subject", "add_deciders", "configure_route",
]
