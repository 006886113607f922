"""The state changes of governance: seats on bodies, the actions of a plan, and the dated
progress updates that move an action's status. Each checks that ``by`` keeps this system's
governance (HR or the CMO/CNO office), writes with ``by`` in the history, in one transaction."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from .models import Action, ActionUpdate, Body, Framework, Status


def _must_keep(queryset, obj, by):
    if not queryset.editable_by(by).filter(pk=obj.pk).exists():
        raise PermissionDenied("You cannot change the governance of this system.")


@transaction.atomic
def add_seat(*, seat, by):
    """Give a post a seat on a body (validated by the form): whoever holds the post sits there."""
    _must_keep(Body.objects, seat.body, by)
    seat.full_clean()
    seat._history_user = by
    seat.save()
    return seat


@transaction.atomic
def remove_seat(*, seat, by):
    _must_keep(Body.objects, seat.body, by)
    seat._history_user = by
    seat.delete()


@transaction.atomic
def save_action(*, action, by):
    """Save a new or changed action of a framework's plan (validated by the form)."""
    _must_keep(Framework.objects, action.priority.framework, by)
    action.full_clean()
    action._history_user = by
    action.save()
    return action


@transaction.atomic
def record_update(*, action, status, note, on=None, by):
    """Add a dated progress update; the action takes the status of the latest one."""
    _must_keep(Action.objects, action, by)
    on = on or timezone.localdate()
    errors = {}
    if not (note or "").strip():
        errors["note"] = "Enter what has happened since the last update."
    if on > timezone.localdate():
        errors["on"] = "The date of an update cannot be in the future."
    if status not in Status.values:
        errors["status"] = "Select the status."
    if errors:
        raise ValidationError(errors)
    action = Action.objects.select_for_update().get(pk=action.pk)
    update = ActionUpdate.objects.create(action=action, on=on, status=status, note=note.strip(),
                                         by=by)
    latest = action.updates.order_by("-on", "-recorded_at", "-pk").first()
    if latest.pk == update.pk and action.status != status:
        action.status = status
        action._history_user = by
        action.save(update_fields=["status"])
    return update
