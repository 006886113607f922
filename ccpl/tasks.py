"""Celery's autodiscovery looks for tasks here. The ledger's tasks are defined beside what they
run, in ccpl.notifications (which queues them itself); their names are ccpl.tasks.*."""

from .notifications import send_notification, send_notifications, sweep_reminders

__all__ = ["send_notification", "send_notifications", "sweep_reminders"]
