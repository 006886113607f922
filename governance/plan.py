"""The action plan as the board report reads it: the summary by priority and term it opens
with, and the count of actions at each status."""

from collections import Counter
from dataclasses import dataclass

from .models import Action, Status, Term

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
