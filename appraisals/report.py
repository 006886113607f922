"""The 360° report: self against others by dimension, per rater group, the spread of ratings, and
the largest gaps, drawn as SVG by the server so the page and the PDF are the same.

Anonymity rules, applied before any number is worked out:
- the line manager's view is shown on its own and labelled as not anonymous;
- any other group with fewer answers than the threshold is not shown on its own: such groups are
  pooled as "Other raters" if together they reach the threshold, and otherwise left out of every
  figure (a note says so), so that no total can be used to work a small group's scores back;
- comments carry no group and appear in an order unrelated to the order of answering.

Nothing in the report, its PDF or the appraiser's redaction links follows the order or the time
of answering: comments are ordered, and named in the links, by random keys drawn when they are
submitted (``models.comment_key``), each of a rater's two comments by its own key; responses
keep no time; their ids (which do follow the order) are never shown.
"""

from dataclasses import dataclass, field
from statistics import mean

from .models import Group, Response

OTHER = "Other raters"
MANAGER_LABEL = "Line manager (not anonymous)"
CHART_WIDTH = 380
ROW_HEIGHT = 64


@dataclass
class GroupColumn:
    key: str
    label: str
    count: int


@dataclass
class DimensionRow:
    name: str
    self_score: float | None
    others_score: float | None
    by_group: dict = field(default_factory=dict)  # column key → score
    distribution: dict = field(default_factory=dict)  # scale value (None: not observed) → n

    self_width: float = 0
    others_width: float = 0

    @property
    def gap(self):
        if self.self_score is None or self.others_score is None:
            return None
        return round(self.self_score - self.others_score, 2)


@dataclass
class Report:
    cycle: object
    columns: list
    rows: list
    notes: list
    keep_doing: list
    do_differently: list
    others_count: int
    scale: list

    @property
    def largest_gaps(self):
        rows = [r for r in self.rows if r.gap is not None]
        return sorted(rows, key=lambda r: abs(r.gap), reverse=True)[:3]

    @property
    def scale_max(self):
        return max(value for value, _ in self.scale)

    @property
    def chart_height(self):
        return len(self.rows) * ROW_HEIGHT + 10


def build(cycle):
    responses = list(Response.objects.filter(cycle=cycle).prefetch_related("answers"))
    own = next((r for r in responses if r.is_self), None)
    others = [r for r in responses if not r.is_self]
    columns, group_of, notes = _columns(others, cycle.anonymity_threshold)
    included = [r for r in others if r.pk in group_of]
    rows = _rows(cycle, own, included, columns, group_of)
    # Comments from every rater, the pooled and the left-out alike: they carry no group.
    keep_doing = [text for _, text in comments(others, "keep_doing")]
    do_differently = [text for _, text in comments(others, "do_differently")]
    return Report(cycle=cycle, columns=columns, rows=rows, notes=notes, keep_doing=keep_doing,
                  do_differently=do_differently, others_count=len(included),
                  scale=[(int(v), label) for v, label in cycle.template_version.scale])


def _columns(others, threshold):
    """The report's rater columns, which column each response counts in ({response pk: column
    key}; responses left out are not there), and the notes that say what was pooled or left out.
    The manager is always shown (and labelled as not anonymous); a group under the threshold is
    pooled with the other small ones into "other raters", or left out if even the pool is."""
    counts = {g: sum(1 for r in others if r.group == g) for g in Group.values}
    columns, notes, group_of = [], [], {}
    if counts[Group.MANAGER]:
        columns.append(GroupColumn(Group.MANAGER, MANAGER_LABEL, counts[Group.MANAGER]))
        group_of.update({r.pk: Group.MANAGER for r in others if r.group == Group.MANAGER})
    small = []
    for group in (Group.PEER, Group.TEAM, Group.PARTNER):
        n = counts[group]
        if n >= threshold:
            columns.append(GroupColumn(group, group.label, n))
            group_of.update({r.pk: group for r in others if r.group == group})
        elif n:
            small.append(group)
    pooled = sum(counts[g] for g in small)
    if small and pooled >= threshold:
        columns.append(GroupColumn("other", OTHER, pooled))
        group_of.update({r.pk: "other" for r in others if r.group in small})
        notes.append(f"{_names(small)}: fewer than {threshold} answered in each, so their "
                     f"answers are shown together as '{OTHER}'.")
    elif small:
        notes.append(f"{_names(small)}: fewer than {threshold} answered, so their ratings are "
                     "left out of the report to keep them anonymous.")
    return columns, group_of, notes


def _rows(cycle, own, included, columns, group_of):
    """One row per dimension: self against others, by column, and how the answers spread."""
    scale_max = max(int(v) for v, _ in cycle.template_version.scale)
    rows = []
    for dimension in cycle.template_version.dimensions.prefetch_related("statements"):
        statement_ids = {s.pk for s in dimension.statements.all()}
        row = DimensionRow(name=dimension.name,
                           self_score=_score(own, statement_ids) if own else None,
                           others_score=_score_many(included, statement_ids))
        for column in columns:
            members = [r for r in included if group_of[r.pk] == column.key]
            row.by_group[column.key] = _score_many(members, statement_ids)
        for value, _ in cycle.template_version.scale:
            row.distribution[int(value)] = 0
        row.distribution[None] = 0
        for response in included:
            for answer in response.answers.all():
                if answer.statement_id in statement_ids:
                    row.distribution[answer.value] = row.distribution.get(answer.value, 0) + 1
        row.self_width = _width(row.self_score, scale_max)
        row.others_width = _width(row.others_score, scale_max)
        rows.append(row)
    return rows


def comments(responses, field):
    """(key, text) of each rater's comment in ``field``, in the order of the comments' random
    keys; two equal keys (never drawn in practice) would fall back to the text, not to the
    order of answering."""
    return sorted((response.key_of(field), getattr(response, field))
                  for response in responses if not response.is_self and getattr(response, field))


def _names(groups):
    return " and ".join(g.label for g in groups)


def _values(response, statement_ids):
    return [a.value for a in response.answers.all()
            if a.statement_id in statement_ids and a.value is not None]


def _score(response, statement_ids):
    values = _values(response, statement_ids)
    return round(mean(values), 2) if values else None


def _score_many(responses, statement_ids):
    values = [v for r in responses for v in _values(r, statement_ids)]
    return round(mean(values), 2) if values else None


def _width(score, scale_max):
    return 0 if score is None else round(score / scale_max * CHART_WIDTH, 1)
