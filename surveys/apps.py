from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = "Leadership surveys"

    def ready(self):
        # Imported here, not at the top: Django loads apps.py before any app's models.
        from ccpl import access
        from ccpl.context_processors import add_page
        from ccpl.notifications import REGISTRY

        from . import reminders, services

        REGISTRY.add_daily_step(services.close_due_surveys)
        REGISTRY.add_finder(reminders.survey_chasers)
        REGISTRY.add_private_link("surveys.invitation", services.INVITATION_KINDS,
                                  services.invitation_email_with_link)
        add_page("Surveys", "surveys:survey-list", order=65,
                 shown_to=lambda user: user.is_superuser or access.holds_any_grant(user))
