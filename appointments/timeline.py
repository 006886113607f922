"""The timeline of a post: every term and extension, drawn by the server as an SVG (the same in
the browser, in print and in a PDF) with a table that says the same thing in words."""

import datetime
from dataclasses import dataclass, field

from django.utils import timezone

WIDTH = 760
LABEL_WIDTH = 190
ROW_HEIGHT = 30
TOP = 30
OPEN_ENDED_AHEAD = datetime.timedelta(days=730)


@dataclass
class Segment:
    kind: str  # term, extension, ended
    start: datetime.date
    end: datetime.date
    x: float = 0
    width: float = 0
    label: str = ""
    open_ended: bool = False  # a permanent appointment: drawn to the edge, it has no end

    @property
    def end_text(self):
        return "No end date" if self.open_ended else f"{self.end:%-d %b %Y}"


@dataclass
class Row:
    label: str
    appointment: object
    segments: list = field(default_factory=list)
    y: float = 0


@dataclass
class Timeline:
    rows: list
    start: datetime.date
    end: datetime.date
    today_x: float | None
    years: list  # (x, label)
    height: int
    width: int = WIDTH

    @property
    def description(self):
        if not self.rows:
            return "No one has held this post."
        return (f"{len(self.rows)} term{'s' if len(self.rows) != 1 else ''} from "
                f"{self.start:%-d %B %Y} to {self.end:%-d %B %Y}. The table below lists them.")


def build(appointments, today=None):
    """``appointments`` with their extensions prefetched, oldest first."""
    today = today or timezone.localdate()
    appointments = sorted(appointments, key=lambda a: (a.start_date, a.pk))
    if not appointments:
        return Timeline(rows=[], start=today, end=today, today_x=None, years=[], height=60)
    start = min(a.start_date for a in appointments)
    end = max([max(a.end_date, a.scheduled_end_date or a.end_date)
               for a in appointments if a.end_date] + [today])
    if any(a.end_date is None for a in appointments):
        end = max(end, today + OPEN_ENDED_AHEAD)  # room to show a permanent term runs on
    start = min(start, today)
    span = max((end - start).days, 1)
    plot = WIDTH - LABEL_WIDTH - 10

    def x(day):
        return round(LABEL_WIDTH + (day - start).days / span * plot, 1)

    rows = []
    for index, appointment in enumerate(appointments):
        label = str(appointment.person) + (" (acting)" if appointment.is_cover else "")
        row = Row(label=label, appointment=appointment, y=TOP + index * ROW_HEIGHT)
        if appointment.end_date is None:
            row.segments.append(Segment("term", appointment.start_date, end,
                                        label="Permanent", open_ended=True))
            rows.append(_placed(row, x))
            continue
        extensions = sorted(appointment.extensions.all(), key=lambda e: e.number)
        first_end = extensions[0].old_end_date if extensions else (
            appointment.scheduled_end_date or appointment.end_date)
        row.segments.append(Segment("term", appointment.start_date,
                                    min(first_end, appointment.end_date),
                                    label="Acting cover" if appointment.is_cover
                                    else "First term"))
        for extension in extensions:
            row.segments.append(Segment(
                "extension", extension.old_end_date,
                min(extension.new_end_date, appointment.end_date),
                label=f"Extension {extension.number}",
            ))
        if appointment.scheduled_end_date and appointment.scheduled_end_date > appointment.end_date:
            row.segments.append(Segment("ended", appointment.end_date,
                                        appointment.scheduled_end_date,
                                        label=f"{appointment.get_status_display()} early"))
        rows.append(_placed(row, x))
    years = [(x(datetime.date(year, 1, 1)), str(year))
             for year in range(start.year + 1, end.year + 1)]
    return Timeline(rows=rows, start=start, end=end, today_x=x(today), years=years,
                    height=TOP + len(rows) * ROW_HEIGHT + 30)


def _placed(row, x):
    for segment in row.segments:
        segment.x = x(segment.start)
        segment.width = max(round(x(segment.end) - segment.x, 1), 2)
    return row
