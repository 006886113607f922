"""The action plan: the summary by priority and term that the board report opens with, and the
dated progress updates that move an action's status."""

from collections import Counter
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .models import Action, ActionUpdate, Status, Term

TERMS = [value for value, _ in Term.choices]


@dataclass
class SummaryRow:
    label: str
    counts: list  # one per term, in TERMS order
    total: int


def summary(framework):
    """How many actions each priority has in the short, medium and long term, with totals: one
    query."""
    counts = Counter(Action.objects.filter(priority__framework=framework)
                     .values_list("priority_id", "term"))
    rows = []
    for priority in framework.priorities.all():
        per_term = [counts[priority.pk, term] for term in TERMS]
        rows.append(SummaryRow(str(priority), per_term, sum(per_term)))
    totals = [sum(row.counts[i] for row in rows) for i in range(len(TERMS))]
    return rows, SummaryRow(f"Total actions ({sum(totals)})", totals, sum(totals))


def status_counts(actions):
    """How many actions are at each status (for the RAG line of the report)."""
    counts = Counter(action.status for action in actions)
    return [(label, counts[value], value) for value, label in Status.choices]


@transaction.atomic
def record_update(*, action, status, note, on=None, by):
    """Add a dated progress update; the action takes its status."""
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
