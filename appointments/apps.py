from django.apps import AppConfig


class AppointmentsConfig(AppConfig):
    name = "appointments"

    def ready(self):
        # Imported here, not at the top: Django loads apps.py before any app's models.
        from ccpl.notifications import REGISTRY

        from . import reminders

        REGISTRY.add_readers("appointments.appointment", reminders.ids_visible_to)
        REGISTRY.add_finder(reminders.term_endings)
        REGISTRY.add_finder(reminders.terms_ended_without_decision)
        REGISTRY.add_finder(reminders.weekly_digests)
