from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "governance"

    def ready(self):
        # Imported here, not at the top: Django loads apps.py before any app's models.
        from appointments import hooks
        from ccpl.context_processors import add_page
        from ccpl.notifications import REGISTRY

        from . import fppt_reminders, fppt_services, presenters, reminders

        hooks.add_section("person", presenters.person_section)
        hooks.add_section("person", presenters.declarations_section)
        REGISTRY.add_readers("governance.declarationreturn", reminders.returns_visible_to)
        REGISTRY.add_finder(reminders.declarations_due)
        REGISTRY.add_readers("governance.body", reminders.bodies_visible_to)
        REGISTRY.add_finder(reminders.terms_of_reference_reviews)
        REGISTRY.add_readers("governance.fitandproperassessment",
                             fppt_reminders.assessments_visible_to)
        REGISTRY.add_daily_step(fppt_services.open_due_assessments)
        REGISTRY.add_finder(fppt_reminders.fppt_assessments)
        add_page("Governance", "governance:index", order=60)
