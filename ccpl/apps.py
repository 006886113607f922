from django.apps import AppConfig


class CcplConfig(AppConfig):
    name = "ccpl"
    verbose_name = "Accounts and notifications"

    def ready(self):
        # Imported here, not at the top: Django loads apps.py before any app's models.
        from .accounts import invitation_with_link
        from .models import Notification
        from .notifications import REGISTRY

        REGISTRY.add_private_link("ccpl.user", [Notification.Kind.ACCOUNT_INVITATION],
                                  invitation_with_link)
