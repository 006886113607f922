from django.apps import AppConfig


class AppraisalsConfig(AppConfig):
    name = "appraisals"

    def ready(self):
        # Imported here, not at the top: models may be imported only once apps are ready.
        from ccpl.notifications import REGISTRY

        from . import reminders, services

        # Cycles past their closing date close before those due open, as ever.
        REGISTRY.add_daily_step(services.close_due_cycles)
        REGISTRY.add_daily_step(reminders.open_due_cycles)
        REGISTRY.add_finder(reminders.appraisals_due)
        REGISTRY.add_finder(reminders.rater_chasers)
        REGISTRY.add_private_link("appraisals.rater", reminders.RATER_KINDS,
                                  reminders.rater_email_with_link)
