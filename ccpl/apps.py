from django.apps import AppConfig


class CcplConfig(AppConfig):
    name = "ccpl"
    verbose_name = "Accounts and notifications"
