"""Celery tasks: take ids, call one function, safe to run twice."""

from celery import shared_task
from django.utils.dateparse import parse_date

from . import reminders


@shared_task(acks_late=True, ignore_result=True)
def sweep_reminders(today=None):
    """The daily sweep (Celery beat). Finds what is due and queues it."""
    result, _ = reminders.sweep(today=parse_date(today) if today else None)
    return {"due": result.due, "recorded": result.recorded, "queued": result.queued}


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=reminders.MAX_ATTEMPTS)
def send_notification(self, notification_id):
    outcome = reminders.deliver(notification_id)
    if isinstance(outcome, int):
        raise self.retry(countdown=outcome)
    return outcome
