"""The state changes of governance: seats on bodies, the actions of a plan, and the dated
progress updates that move an action's status. Each checks that ``by`` keeps this system's
governance (HR or the CMO/CNO office), writes with ``by`` in the history, in one transaction."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from .models import NO_OWNER, Action, ActionUpdate, Body, Framework, Status


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
def save_action(*, action, owner_posts, owner_bodies, by):
    """Save a new or changed action of a framework's plan (its fields validated by the form)
    with the posts and bodies that own it: at least one, all of the framework's system. An
    owner left out no longer owns it; the history keeps who did."""
    framework = action.priority.framework
    _must_keep(Framework.objects, framework, by)
    owner_posts, owner_bodies = list(owner_posts), list(owner_bodies)
    errors = {}
    try:
        action.full_clean()
    except ValidationError as error:
        errors.update(error.message_dict)
    if not owner_posts and not owner_bodies:
        errors["owner_posts"] = [NO_OWNER]
    elif any(owner.system_id != framework.system_id for owner in [*owner_posts, *owner_bodies]):
        errors["owner_posts"] = ["Every owner must be a post or body of this system."]
    if errors:
        raise ValidationError(errors)
    action._history_user = by
    action.save()
    action.owner_posts.set(owner_posts)
    action.owner_bodies.set(owner_bodies)
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
