"""Investment by function: the WTE and honoraria of a system's established posts, summed by the
function they serve and the spatial level they sit at, with each function's share of the whole.

A post serving several functions counts equally towards each (a 0.4 WTE post serving two
functions counts 0.2 to each), so the shares add up to the whole. Posts with no function recorded
are shown as such rather than left out."""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from roles.models import Function, Post, SpatialLevel

ZERO = Decimal("0")
NO_FUNCTION = "No function recorded"
CHART_WIDTH = 460
BAR_HEIGHT = 22
LABEL_WIDTH = 300


@dataclass
class Line:
    name: str
    wte_by_level: dict = field(default_factory=lambda: defaultdict(lambda: ZERO))
    honoraria: Decimal = ZERO
    posts: int = 0

    @property
    def wte(self):
        return sum(self.wte_by_level.values(), ZERO)


@dataclass
class Investment:
    lines: list
    levels: list  # (value, label) of the spatial levels that hold any WTE
    total_wte: Decimal
    total_honoraria: Decimal

    def rows(self):
        """Table rows: name, WTE per level, total WTE, share of WTE (%), honoraria, share (%)."""
        for line in self.lines:
            yield {
                "name": line.name,
                "levels": [line.wte_by_level[value].quantize(Decimal("0.01"))
                           for value, _ in self.levels],
                "wte": line.wte.quantize(Decimal("0.01")),
                "wte_share": _share(line.wte, self.total_wte),
                "honoraria": line.honoraria.quantize(Decimal("1")),
                "honoraria_share": _share(line.honoraria, self.total_honoraria),
                "posts": line.posts,
            }

    def level_totals(self):
        return [sum((line.wte_by_level[value] for line in self.lines), ZERO)
                .quantize(Decimal("0.01")) for value, _ in self.levels]

    def chart(self):
        """Bars of each function's share of WTE, one segment per spatial level."""
        bars = []
        scale = CHART_WIDTH / float(self.total_wte) if self.total_wte else 0
        for index, line in enumerate(self.lines):
            x, segments = float(LABEL_WIDTH), []
            for level_index, (value, label) in enumerate(self.levels):
                width = float(line.wte_by_level[value]) * scale
                if width:
                    segments.append({"x": round(x, 1), "width": round(width, 1),
                                     "level": level_index, "label": label,
                                     "wte": line.wte_by_level[value].quantize(Decimal("0.01"))})
                x += width
            bars.append({"name": line.name, "y": index * (BAR_HEIGHT + 8) + 4,
                         "segments": segments, "end": round(x, 1),
                         "share": _share(line.wte, self.total_wte)})
        return {"bars": bars, "height": len(bars) * (BAR_HEIGHT + 8) + 8,
                "width": LABEL_WIDTH + CHART_WIDTH + 60, "bar_height": BAR_HEIGHT}


def _share(part, whole):
    return round(float(part) / float(whole) * 100, 1) if whole else 0.0


def by_function(posts):
    """Sum ``posts`` (a QuerySet of established posts) by function and spatial level. Three
    queries, whatever the number of posts."""
    rows = list(posts.values_list("pk", "wte", "honorarium", "spatial_level"))
    served = defaultdict(list)
    for post_id, function_id in Post.functions.through.objects.filter(
        post__in=posts.values("pk")
    ).values_list("post_id", "function_id"):
        served[post_id].append(function_id)
    functions_in_order = list(Function.objects.values_list("pk", "name"))
    names = dict(functions_in_order)
    order = {pk: index for index, (pk, _) in enumerate(functions_in_order)}
    lines = {}
    for post_id, wte, honorarium, level in rows:
        functions = served.get(post_id) or [None]
        part = Decimal(len(functions))
        for function_id in functions:
            line = lines.setdefault(function_id, Line(names.get(function_id, NO_FUNCTION)))
            line.wte_by_level[level] += wte / part
            line.honoraria += (honorarium or ZERO) / part
            line.posts += 1
    ordered = sorted(lines.items(), key=lambda item: (-item[1].wte, order.get(item[0], 999)))
    used = {level for line in lines.values() for level, wte in line.wte_by_level.items() if wte}
    levels = [(value, label) for value, label in SpatialLevel.choices if value in used]
    return Investment(
        lines=[line for _, line in ordered],
        levels=levels,
        total_wte=sum((line.wte for line in lines.values()), ZERO),
        total_honoraria=sum((line.honoraria for line in lines.values()), ZERO),
    )
