"""Small server-rendered SVG line charts: no script, no library, readable without colour (a legend with
words, a title per point, and the numbers in a table beside the chart). templates/ui/_chart.html draws them."""

from __future__ import annotations

from dataclasses import dataclass, field

WIDTH, HEIGHT = 560, 160
# Distinct in both themes and for the common colour-vision deficiencies (Okabe-Ito); each also has a dash.
PALETTE = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9"]
DASHES = ["", "6 3", "2 3", "8 3 2 3", "4 4", "1 2"]


@dataclass
class Series:
    name: str
    values: list[float | None]
    colour: str = ""
    dash: str = ""
    points: list[dict] = field(default_factory=list)
    polyline: str = ""


@dataclass
class Chart:
    title: str
    unit: str
    labels: list[str]
    series: list[Series]
    top: float
    label_name: str = "Day"
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def rows(self) -> list[tuple[str, list[float | None]]]:
        """The same numbers as a table: one row per label, one column per series."""
        return [(label, [s.values[i] for s in self.series]) for i, label in enumerate(self.labels)]


def line_chart(
    title: str, unit: str, labels: list[str], series: dict[str, list[float | None]], *, label_name: str = "Day"
) -> Chart | None:
    """A chart of one or more series over the same ``labels`` (days, say, which the table heads
    ``label_name``); None when there is nothing to draw."""
    values = [v for vs in series.values() for v in vs if v is not None]
    if not labels or not values:
        return None
    top = max(values) or 1.0
    step = WIDTH / max(1, len(labels) - 1)
    drawn = []
    for index, (name, vs) in enumerate(series.items()):
        one = Series(name, list(vs), PALETTE[index % len(PALETTE)], DASHES[index % len(DASHES)])
        one.points = [
            {"x": round(i * step, 1), "y": round(HEIGHT - v / top * (HEIGHT - 10), 1), "label": labels[i], "value": v}
            for i, v in enumerate(vs)
            if v is not None
        ]
        one.polyline = " ".join(f"{p['x']},{p['y']}" for p in one.points)
        drawn.append(one)
    return Chart(title, unit, list(labels), drawn, top, label_name)
