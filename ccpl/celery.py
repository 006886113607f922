"""The Celery app. Workers and beat read their configuration from Django settings (CELERY_*)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ccpl.settings")

app = Celery("ccpl")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
