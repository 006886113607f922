from django.apps import AppConfig


class CcplConfig(AppConfig):
    name = "ccpl"
    verbose_name = "Accounts and notifications"

    def ready(self):
        # Imported here, not at the top: Django loads apps.py before any app's models.
        from . import access
        from .accounts import invitation_with_link
        from .context_processors import add_page
        from .models import Notification
        from .notifications import REGISTRY

        REGISTRY.add_private_link("ccpl.user", [Notification.Kind.ACCOUNT_INVITATION],
                                  invitation_with_link)
        # The reminders log opens for everyone, but only staff roles have reminders about others.
        add_page("Reminders", "notification-list", order=80,
                 shown_to=lambda user: user.is_superuser or access.holds_any_grant(user))
        add_page("Admin", "admin:index", order=100, shown_to=lambda user: user.is_staff)
