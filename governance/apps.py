from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "governance"

    def ready(self):
        # Imported here, not at the top: Django loads apps.py before any app's models.
        from appointments import hooks
        from ccpl.context_processors import add_page

        from . import presenters

        hooks.add_section("person", presenters.person_section)
        add_page("Governance", "governance:index", order=60)
