"""What appraisals add to other apps' pages (registered with appointments.hooks)."""

from appointments.hooks import Section

from .models import Cycle


def appointment_section(appointment, *, user, today):
    """The appointment page's 360° appraisals: each cycle with its stage and outcome, and the
    button that starts one for HR. Anyone who sees the appointment sees its cycles' progress
    (never their content)."""
    return Section("appraisals/_appointment_cycles.html", {
        "appointment": appointment,
        "cycles": Cycle.objects.filter(appointment=appointment).select_related("appraiser"),
        "can_open_cycle": appointment.can_edit and not appointment.is_closed
        and not appointment.has_term_ended,
    })
