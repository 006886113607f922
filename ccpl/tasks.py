"""Celery's autodiscovery looks for tasks here. The ledger's tasks are defined beside what they
run, in ccpl.notifications (which queues them itself); their names are ccpl.tasks.*."""

from celery import shared_task

from . import services
from .notifications import send_notification, send_notifications, sweep_reminders

__all__ = ["forget_old_token_uses", "send_notification", "send_notifications",
           "sweep_reminders"]


@shared_task(name="ccpl.tasks.forget_old_token_uses", ignore_result=True)
def forget_old_token_uses():
    """Daily (beat): the retention of the record of API requests. Safe to run again."""
    return services.forget_old_token_uses()
