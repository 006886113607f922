from django.apps import AppConfig


class AppointmentsConfig(AppConfig):
    name = "appointments"

    def ready(self):
        # Imported here, not at the top: Django loads apps.py before any app's models.
        from ccpl.context_processors import add_page
        from ccpl.notifications import REGISTRY
        from roles.services import add_duty_check

        from . import approval_reminders, duties, reminders, services

        add_duty_check(duties.check_post_duties)
        REGISTRY.add_readers("appointments.appointment", reminders.ids_visible_to)
        # Terms whose last day has passed become "term ended" before anything is found due.
        REGISTRY.add_daily_step(services.end_lapsed_terms)
        REGISTRY.add_finder(reminders.term_endings)
        REGISTRY.add_finder(reminders.terms_ended_without_decision)
        REGISTRY.add_finder(reminders.weekly_digests)
        REGISTRY.add_readers("appointments.approvalrequest", approval_reminders.ids_visible_to)
        REGISTRY.add_finder(approval_reminders.awaiting_decisions)
        REGISTRY.add_finder(approval_reminders.overdue_decisions)
        add_page("Dashboard", "appointments:dashboard", order=10)
        add_page("Posts", "appointments:post-list", order=20)
        add_page("People", "appointments:person-list", order=30)
        add_page("Appointments", "appointments:appointment-list", order=40)
        add_page("Recruitment", "appointments:vacancy-list", order=50)
        add_page("Invite", "appointments:invite", order=90, shown_to=services.may_invite)
