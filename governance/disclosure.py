"""Statistical disclosure control for the published diversity summary, as NHS Digital publishes
workforce statistics, and stricter where the tables are small.

Assume a reader who knows these rules, the named register of the same system (so exactly how many
people are counted) and possibly their own group, being one of the people counted. No table may
let them work out anyone's group. A table's zeros speak as loudly as its counts: a table whose
only non-zero cell is suppressed still says that everyone is in that cell. So:

- a table of fewer than 10 people is not published ("Fewer than 10 people: not published");
- nor is one with fewer than 3 people outside its largest group, where the zeros would say that
  everyone, or everyone but one or two people, shares a group;
- in a published table a count from 1 to 7 is suppressed (shown as "*"), every other count is
  rounded to the nearest 5 (0 stays 0), and the total is rounded from the true figure;
- hidden counts never stand alone or hold fewer than 10 people between them: until they do, the
  smallest count still shown is hidden too, so that the total less what is shown leaves no
  small count to be worked out.

Every published number is therefore 0 or a multiple of 5 of at least 10. ``tests/
test_transparency.py`` plays the reader above against these rules over random populations. It
also shows the limit: in rare tables, a reader who knows the exact number of people can still
narrow a hidden count to one value, which never tells them whose it is.
"""

from dataclasses import dataclass

SUPPRESSED = "*"
LOWEST_SHOWN = 8
ROUND_TO = 5
FEWEST_PEOPLE = 10
FEWEST_OUTSIDE_LARGEST = 3
FEWEST_HIDDEN = 10
TOO_FEW_PEOPLE = f"Fewer than {FEWEST_PEOPLE} people: not published"
TOO_FEW_OUTSIDE = (f"Fewer than {FEWEST_OUTSIDE_LARGEST} people outside the largest group: "
                   "not published")


def round_count(n):
    """To the nearest 5, halves up: 8 → 10, 12 → 10, 13 → 15."""
    return (n + ROUND_TO // 2) // ROUND_TO * ROUND_TO


def publish_count(n):
    if 1 <= n < LOWEST_SHOWN:
        return SUPPRESSED
    return round_count(n)


@dataclass(frozen=True)
class Cell:
    label: str
    shown: object  # an int, or SUPPRESSED

    @property
    def is_suppressed(self):
        return self.shown == SUPPRESSED


@dataclass(frozen=True)
class Table:
    """One published one-way table: its cells in order and its total, or, where the table
    would say too much, no cells, no total and the reason it is not published."""

    title: str
    cells: tuple
    total: object
    not_published: str = ""

    @property
    def is_published(self):
        return not self.not_published

    @property
    def suppressed_any(self):
        return any(cell.is_suppressed for cell in self.cells)


def protect(title, counts):
    """Publish ``counts`` (an ordered list of (label, true count)) safely."""
    true = [n for _, n in counts]
    people = sum(true)
    if people < FEWEST_PEOPLE:
        return Table(title, (), None, TOO_FEW_PEOPLE)
    if people - max(true) < FEWEST_OUTSIDE_LARGEST:
        return Table(title, (), None, TOO_FEW_OUTSIDE)
    shown = [publish_count(n) for n in true]
    while True:
        hidden = [i for i, value in enumerate(shown) if value == SUPPRESSED]
        if not hidden or (len(hidden) > 1 and sum(true[i] for i in hidden) >= FEWEST_HIDDEN):
            break
        still_shown = sorted((n, i) for i, n in enumerate(true) if n and shown[i] != SUPPRESSED)
        if not still_shown:
            break
        shown[still_shown[0][1]] = SUPPRESSED
    cells = tuple(Cell(label, value) for (label, _), value in zip(counts, shown, strict=True))
    return Table(title, cells, round_count(people))
