"""The Celery app. Workers and beat read their configuration from Django settings (CELERY_*)."""

import os
from logging import getLogger
from logging.config import dictConfig

from celery import Celery, signals
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ccpl.settings")

app = Celery("ccpl")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.setup_logging.connect
def _log_through_django_settings(loglevel=None, **kwargs):
    """The worker and beat log through the project's LOGGING (JSON with LOG_FORMAT=json, every
    record with its task id), not through handlers of Celery's own; ``--loglevel`` still sets
    the level."""
    dictConfig(settings.LOGGING)
    if loglevel:
        getLogger().setLevel(loglevel)
