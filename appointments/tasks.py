"""Background work for appointments: large bulk changes, with their progress in the cache."""

import datetime

from celery import shared_task
from django.core.cache import cache
from django.core.exceptions import ValidationError

from ccpl.models import User

from . import services
from .models import Appointment, BulkChange

KEEP_SECONDS = 60 * 60


@shared_task(acks_late=True, ignore_result=True)
def apply_bulk_change_task(token, user_id, params):
    """Apply a confirmed bulk change (all or nothing) and report progress under ``token``."""
    key = f"bulk-progress:{token}"
    state = cache.get(key) or {"user": user_id, "total": len(params["ids"])}

    def progress(done, total):
        cache.set(key, {**state, "state": "running", "done": done, "total": total},
                  KEEP_SECONDS)

    user = User.objects.get(pk=user_id)
    appointments = Appointment.objects.extendable_by(user).filter(pk__in=params["ids"])
    try:
        if appointments.count() != len(params["ids"]):
            raise ValidationError("Some of the appointments are no longer yours to change.")
        on_date = datetime.date.fromisoformat(params["on_date"])
        agreed_on = (datetime.date.fromisoformat(params["agreed_on"])
                     if params.get("agreed_on") else None)
        if params["kind"] == BulkChange.Kind.EXTEND:
            # Every row through its own approval route (services/approvals.py).
            batch = services.apply_bulk_extension(
                appointments=list(appointments), on_date=on_date, reason=params["reason"],
                how=params.get("how") or "request", evidence=params.get("evidence") or "",
                agreed_on=agreed_on, override_reason=params.get("override_reason") or "",
                by=user, progress=progress)
        else:
            batch = services.apply_bulk_change(
                appointments=list(appointments), kind=params["kind"], on_date=on_date,
                reason=params["reason"], agreed_by=params["agreed_by"], agreed_on=agreed_on,
                by=user, progress=progress)
    except ValidationError as error:
        cache.set(key, {**state, "state": "failed", "done": 0, "errors": error.messages},
                  KEEP_SECONDS)
        return "failed"
    cache.set(key, {**state, "state": "done", "done": state["total"], "bulk_change": batch.pk},
              KEEP_SECONDS)
    return "done"
