from django.apps import AppConfig


class AppraisalsConfig(AppConfig):
    name = "appraisals"

    def ready(self):
        # Imported here, not at the top: Django loads apps.py before any app's models.
        from appointments import hooks
        from ccpl.notifications import REGISTRY

        from . import presenters, reminders, services

        hooks.add_extension_warning(services.extension_warnings)
        hooks.add_extension_gate(services.extension_gate)
        # A cycle closes before its term ends, never after (the sweep, or a decision to let the
        # term end).
        hooks.add_before_terms_end(services.close_cycles_of_ending_terms)
        hooks.add_section("appointment", presenters.appointment_section)
        # Cycles past their closing date close before those due open, as ever.
        REGISTRY.add_daily_step(services.close_due_cycles)
        REGISTRY.add_daily_step(reminders.open_due_cycles)
        REGISTRY.add_finder(reminders.appraisals_due)
        REGISTRY.add_finder(reminders.rater_chasers)
        REGISTRY.add_private_link("appraisals.rater", reminders.RATER_KINDS,
                                  reminders.rater_email_with_link)
