"""Where the apps built on appointments plug into its rules and pages.

Dependencies run one way (docs/adr/0002): appraisals and governance import appointments, never
the reverse. When an appointments page or rule needs what they know — the appraisal an extension
depends on (a warning, or a gate on routes that require it), the boards a person sits on — they
register a function here from their ``AppConfig.ready()``, and appointments calls whatever is
registered.
"""

from dataclasses import dataclass

_extension_warnings = []
_extension_gates = []
_sections = {"appointment": [], "person": []}
_before_terms_end = []


@dataclass(frozen=True)
class Section:
    """A part of an appointments page drawn by another app: a template and its context."""

    template: str
    context: dict


def add_extension_warning(check):
    """Register ``check(appointment) -> list of messages`` for HR to read before extending."""
    _extension_warnings.append(check)
    return check


def add_extension_gate(check):
    """Register ``check(appointment) -> list of messages``: why an extension may not be agreed
    now, on a route with the appraisal gate (appraisals: no signed-off satisfactory appraisal
    in the last 12 months). An empty list lets it through; an approver may still override a
    failure with a reason."""
    _extension_gates.append(check)
    return check


def add_section(page, build):
    """Register ``build(obj, *, user, today) -> Section or None`` for the ``page``, drawn in the
    page's own content. "appointment" pages pass the appointment fetched with its capabilities
    (``can_edit``…); "person" pages pass the person with ``posts_held``, the ids of the posts
    they hold today that the user can see."""
    _sections[page].append(build)
    return build


def add_before_terms_end(action):
    """Register ``action(appointment_ids)``, run just before terms are moved to "term ended" (by
    the daily sweep or a decision to let a term end), in the same transaction: what must not
    outlive the term ends first (appraisals closes the 360° cycles still in progress)."""
    _before_terms_end.append(action)
    return action


def extension_warnings(appointment):
    return [message for check in _extension_warnings for message in check(appointment)]


def extension_gate_failures(appointment):
    return [message for check in _extension_gates for message in check(appointment)]


def sections(page, obj, *, user, today):
    built = (build(obj, user=user, today=today) for build in _sections[page])
    return [section for section in built if section is not None]


def before_terms_end(appointment_ids):
    for action in _before_terms_end:
        action(appointment_ids)
