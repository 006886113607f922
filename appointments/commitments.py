"""A person's commitments: how much leadership time they hold, day by day, across every
appointment — the sum of the WTE of each appointment held or offered on the day, whatever its
post or system (an offer is a commitment made; an appointment ended early counts to its last
day; a permanent one for ever). 1.0 WTE is 10 programmed activities (PAs).

Each system sets a ceiling (``System.commitment_ceiling_wte``, 1.0 WTE unless changed): above
it, appointing or extending needs an approver's consent (``services.contracts``). The person
page draws the same totals as a chart with a table (``chart``)."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from roles.models import PAS_PER_WTE, wte_text

from .models import last_day

ZERO = Decimal("0")
ONE_DAY = datetime.timedelta(days=1)


@dataclass(frozen=True)
class Level:
    """The total WTE held every day from ``start`` to ``end`` (None: from then on)."""

    start: datetime.date
    end: datetime.date | None
    wte: Decimal

    @property
    def pas(self):
        return wte_text(self.wte * PAS_PER_WTE)

    @property
    def wte_text(self):
        return wte_text(self.wte)

    @property
    def end_text(self):
        return f"{self.end:%-d %b %Y}" if self.end else "onwards"


def levels(appointments, *, since=None, until=None):
    """The totals of ``appointments`` as consecutive levels, from ``since`` to ``until`` (each
    None for as far as the appointments go); days nobody holds anything are level 0."""
    changes = {}
    for a in appointments:
        start, end = a.start_date, last_day(a)
        changes[start] = changes.get(start, ZERO) + a.wte
        if end < datetime.date.max:
            changes[end + ONE_DAY] = changes.get(end + ONE_DAY, ZERO) - a.wte
    days = sorted(changes)
    result, total = [], ZERO
    for index, day in enumerate(days):
        total += changes[day]
        end = days[index + 1] - ONE_DAY if index + 1 < len(days) else None
        if until is not None and day > until:
            break
        if since is not None and end is not None and end < since:
            continue
        start = max(day, since) if since else day
        stop = min(end, until) if (until and end) else (end or until)
        result.append(Level(start, stop, total))
    if since and (not result or result[0].start > since):
        first = result[0].start - ONE_DAY if result else until
        result.insert(0, Level(since, first, ZERO))
    return _merged(result)


def _merged(result):
    merged = []
    for level in result:
        if merged and merged[-1].wte == level.wte:
            merged[-1] = Level(merged[-1].start, level.end, level.wte)
        else:
            merged.append(level)
    return merged


def peak(found):
    """The highest level (the first of equals), or None when nothing is held."""
    top = max(found, key=lambda level: level.wte, default=None)
    if top is None or not top.wte:
        return None
    return next(level for level in found if level.wte == top.wte)


# --- The chart on the person page -----------------------------------------------------------

WIDTH, HEIGHT = 760, 190
LEFT, RIGHT, TOP, BOTTOM = 48, 10, 16, 30
BAR, OVER, CEILING_LINE, PEAK = "#005eb8", "#d5281b", "#d5281b", "#212b32"


@dataclass
class Chart:
    """A step chart of a person's total WTE from a year ago to three years ahead, with the
    ceiling and the peak, and the same figures as rows for the table beside it."""

    levels: list
    peak: Level | None
    ceiling: Decimal | None
    ceiling_system: str
    start: datetime.date
    end: datetime.date
    bars: list  # (x, y, width, height, colour, level)
    ceiling_y: float | None
    years: list  # (x, label)
    y_ticks: list  # (y, label)
    width: int = WIDTH
    height: int = HEIGHT
    peak_x: float | None = None
    peak_y: float | None = None

    @property
    def description(self):
        if self.peak is None:
            return (f"No leadership time held from {self.start:%-d %B %Y} to "
                    f"{self.end:%-d %B %Y}.")
        text = (f"Total leadership time from {self.start:%-d %B %Y} to {self.end:%-d %B %Y}. "
                f"Peak {self.peak.wte_text} WTE ({self.peak.pas} PAs) from "
                f"{self.peak.start:%-d %B %Y}.")
        if self.ceiling is not None:
            text += f" Ceiling {wte_text(self.ceiling)} WTE."
        return text + " The table below gives every level."

    @property
    def is_over(self):
        return bool(self.peak and self.ceiling is not None and self.peak.wte > self.ceiling)

    @property
    def rows(self):
        """The levels with something held, for the table."""
        return [(level, self.ceiling is not None and level.wte > self.ceiling)
                for level in self.levels if level.wte]


def chart(appointments, *, today, ceiling=None, ceiling_system=""):
    start = today.replace(year=today.year - 1) if (today.month, today.day) != (2, 29) \
        else today - datetime.timedelta(days=365)
    end = start.replace(year=start.year + 4) - ONE_DAY
    found = levels(appointments, since=start, until=end)
    top = peak(found)
    highest = max([top.wte if top else ZERO, ceiling or ZERO, Decimal("1")])
    scale_top = (highest * 2).to_integral_value(rounding="ROUND_CEILING") / 2  # next half WTE
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    span = (end - start).days + 1

    def x(day):
        return round(LEFT + (day - start).days / span * plot_w, 1)

    def y(wte):
        return round(TOP + plot_h - float(wte / scale_top) * plot_h, 1)

    bars = []
    for level in found:
        if not level.wte:
            continue
        left, right = x(level.start), x((level.end or end) + ONE_DAY)
        over = ceiling is not None and level.wte > ceiling
        bars.append((left, y(level.wte), max(round(right - left, 1), 1),
                     round(TOP + plot_h - y(level.wte), 1), OVER if over else BAR, level))
    years = [(x(datetime.date(year, 1, 1)), str(year))
             for year in range(start.year + 1, end.year + 1)]
    ticks = [(y(Decimal(n) / 2), wte_text(Decimal(n) / 2))
             for n in range(0, int(scale_top * 2) + 1)]
    result = Chart(levels=found, peak=top, ceiling=ceiling, ceiling_system=ceiling_system,
                   start=start, end=end, bars=bars,
                   ceiling_y=y(ceiling) if ceiling is not None else None, years=years,
                   y_ticks=ticks)
    if top:
        result.peak_x = round((x(top.start) + x((top.end or end) + ONE_DAY)) / 2, 1)
        result.peak_y = max(y(top.wte) - 4, 10)
    return result
