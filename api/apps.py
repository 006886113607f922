from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "REST API"

    def ready(self):
        # Registers the token's security scheme with drf-spectacular.
        from . import schema  # noqa: F401
