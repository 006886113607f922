from django.apps import AppConfig


class RolesConfig(AppConfig):
    name = "roles"

    def ready(self):
        # Imported here, not at the top: Django loads apps.py before any app's models.
        from ccpl.notifications import REGISTRY

        from . import reminders

        REGISTRY.add_readers("roles.jobdescription", reminders.ids_visible_to)
        REGISTRY.add_finder(reminders.job_description_reviews)
