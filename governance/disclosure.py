"""Statistical disclosure control for published counts, as NHS Digital publishes workforce
statistics:

- a count from 1 to 7 is suppressed (shown as "*");
- every other count is rounded to the nearest 5 (0 stays 0: nobody can be identified by it);
- a total is computed from the true counts and then rounded the same way (and suppressed if it
  is itself 1 to 7);
- where a table has exactly one suppressed cell, the total and the other cells would let a reader
  work it back, so the next smallest non-zero cell is suppressed too.

Every published number is therefore 0 or a multiple of 5 of at least 10; no cell, anywhere it is
shown (page, CSV, PDF), gives a count from 1 to 7.
"""

from dataclasses import dataclass

SUPPRESSED = "*"
LOWEST_SHOWN = 8
ROUND_TO = 5


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
    """One published one-way table: its cells in order and its total."""

    title: str
    cells: tuple
    total: object

    @property
    def suppressed_any(self):
        return any(cell.is_suppressed for cell in self.cells) or self.total == SUPPRESSED


def protect(title, counts):
    """Publish ``counts`` (an ordered list of (label, true count)) safely."""
    true_total = sum(n for _, n in counts)
    total = publish_count(true_total)
    if total == SUPPRESSED:
        # Every non-zero cell of a table whose total is 1 to 7 is itself 1 to 7.
        cells = tuple(Cell(label, SUPPRESSED if n else 0) for label, n in counts)
        return Table(title, cells, total)
    shown = [publish_count(n) for _, n in counts]
    suppressed = [i for i, value in enumerate(shown) if value == SUPPRESSED]
    if len(suppressed) == 1:
        candidates = sorted(
            (n, i) for i, (_, n) in enumerate(counts) if n and shown[i] != SUPPRESSED
        )
        # The total is at least 8 and the suppressed cell at most 7, so another non-zero cell
        # always exists.
        shown[candidates[0][1]] = SUPPRESSED
    cells = tuple(Cell(label, value) for (label, _), value in zip(counts, shown, strict=True))
    return Table(title, cells, total)
