from django.apps import AppConfig


class AppraisalsConfig(AppConfig):
    name = "appraisals"

    def ready(self):
        # Imported here, not at the top: Django loads apps.py before any app's models.
        from appointments import hooks

        from . import presenters, services

        hooks.add_extension_warning(services.extension_warnings)
        hooks.add_section("appointment", presenters.appointment_section)
