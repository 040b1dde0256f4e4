"""The audit dashboard's charts as plain geometry, for templates to draw as SVG.

Pure Python (no Django, no numpy, no plotting library): a web worker draws a
chart from a few dozen numbers, so it needs no more memory than the page. Each
builder takes values already suppressed by the summary and returns frozen
dataclasses holding coordinates in the chart's own units (its ``viewBox``);
the template writes them out as SVG elements, and CSS scales the SVG to the
width it is given.

Decisions (tested in tests/audit/test_charts.py):

- A suppressed value (``None``) is never drawn as zero: no bar or column is
  drawn for it, and a marker (``*``, the CSV's sign for suppressed) or the
  word "suppressed" stands where it would be, explained in the legend. A true
  zero is drawn as a zero (no bar, and "0" written beside it).
- Each chart comes with a data table on the page (the accessible form); the
  chart's own text (labels, legend) is for sighted readers only.
- The XmR chart shows the calculated lines (``audit.spc``) clipped to the
  0-100 axis, and says in the legend when a limit lies beyond it. Flagged
  months differ from the rest by shape (triangle: improvement; square:
  concern), colour (CSS classes) and a letter (I, C) above or below them, so
  colour is never the only carrier. A withheld month is a gap in the line,
  with ``*`` on the axis.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from audit.spc import SpcChart, SpcSignal

# The charts' width in viewBox units. Chosen so that the text (FONT units)
# is about the page's body size on a desktop and still legible at 390 px.
WIDTH: Final = 400
FONT: Final = 15
SMALL: Final = 13
# The average width of a character of FONT, as a share of FONT: enough to
# know when a label would run past the chart's edge.
CHARACTER: Final = 0.56

MONTH_NAMES: Final = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)

SUPPRESSED = "suppressed"
MARKER = "*"


def number(value: float) -> str:
    """A count as a whole number; anything else to one decimal place."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.1f}"


def _shortened(text: str, room: float, size: float = FONT) -> str:
    """``text`` cut with an ellipsis to fit ``room`` units (the table beside
    the chart has it in full)."""
    most = max(4, int(room / (size * CHARACTER)))
    return text if len(text) <= most else text[: most - 1].rstrip() + "…"


def nice_top(maximum: float) -> float:
    """The axis's top: the least of 1, 2, 2.5 or 5 times 10^k at or above ``maximum``."""
    if maximum <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(maximum))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= maximum:
            return float(step * power)
    return float(10 * power)  # pragma: no cover - the loop always returns


@dataclass(frozen=True)
class Tick:
    """A labelled position on an axis: ``position`` is x on a month axis,
    y on a value axis."""

    position: float
    text: str
    second_line: str = ""

    @property
    def baseline(self) -> float:
        """Where a value axis's text sits: centred on its line."""
        return round(self.position + SMALL * 0.35, 2)


def month_ticks(labels: Sequence[str], centres: Sequence[float], room: float) -> tuple[Tick, ...]:
    """Month names under a month axis, thinned to one every few months when
    they would touch; the year under January and under the first label."""
    if not labels:
        return ()
    every = max(1, math.ceil(len(labels) * SMALL * 2.6 / max(room, 1)))
    ticks = []
    for index, (label, centre) in enumerate(zip(labels, centres, strict=True)):
        if index % every:
            continue
        year, _, month = label.partition("-")
        name = MONTH_NAMES[int(month) - 1] if month.isdigit() and 1 <= int(month) <= 12 else label
        first_shown = index == 0
        ticks.append(Tick(centre, name, year if first_shown or month == "01" else ""))
    return tuple(ticks)


# --- Horizontal bars: one breakdown ----------------------------------------------------


@dataclass(frozen=True)
class Bar:
    label: str  # as drawn (perhaps shortened)
    full_label: str
    value: float | None
    suppressed: bool
    label_y: float
    x: float
    y: float
    width: float
    height: float
    value_text: str
    value_x: float
    value_y: float

    @property
    def axis_top(self) -> float:
        return self.y - 3

    @property
    def axis_bottom(self) -> float:
        return self.y + self.height + 3


@dataclass(frozen=True)
class BarChart:
    width: float
    height: float
    axis_x: float  # each bar's zero line is drawn here, across its own row
    bars: tuple[Bar, ...]
    maximum: float | None
    suppressed: int


BAR_LEFT: Final = 4.0
BAR_HEIGHT: Final = 16.0
ROW: Final = 44.0
VALUE_ROOM: Final = 92.0  # the value written after the longest bar


def bar_chart(items: Sequence[tuple[str, float | None]], *, width: float = WIDTH) -> BarChart:
    """Horizontal bars, one a row, each with its label above it and its value
    after it. ``None`` is suppressed: no bar, the word "suppressed" instead."""
    shown = [value for _, value in items if value is not None]
    maximum = max(shown) if shown else None
    scale = (width - BAR_LEFT - VALUE_ROOM) / maximum if maximum else 0.0
    bars = []
    for index, (label, value) in enumerate(items):
        top = 4 + index * ROW
        bar_y = top + FONT + 6
        length = value * scale if value is not None else 0.0
        bars.append(
            Bar(
                label=_shortened(label, width - BAR_LEFT),
                full_label=label,
                value=value,
                suppressed=value is None,
                label_y=top + FONT,
                x=BAR_LEFT,
                y=bar_y,
                width=round(length, 2),
                height=BAR_HEIGHT,
                value_text=SUPPRESSED if value is None else number(value),
                value_x=round(BAR_LEFT + length + 6, 2),
                value_y=bar_y + BAR_HEIGHT - 3,
            )
        )
    return BarChart(
        width=width,
        height=8 + len(items) * ROW,
        axis_x=BAR_LEFT,
        bars=tuple(bars),
        maximum=maximum,
        suppressed=sum(1 for _, value in items if value is None),
    )


# --- Columns: a count each month --------------------------------------------------------


@dataclass(frozen=True)
class Column:
    label: str  # YYYY-MM
    value: float | None
    suppressed: bool
    x: float
    y: float
    width: float
    height: float
    centre: float
    value_text: str  # written above the column when there is room, else ""
    text_y: float


@dataclass(frozen=True)
class ColumnChart:
    width: float
    height: float
    left: float
    right: float
    top: float
    bottom: float
    columns: tuple[Column, ...]
    value_ticks: tuple[Tick, ...]
    month_ticks: tuple[Tick, ...]
    maximum: float | None
    suppressed: int
    legend_y: float

    @property
    def month_y(self) -> float:
        return self.bottom + SMALL + 4

    @property
    def year_y(self) -> float:
        return self.bottom + 2 * SMALL + 8

    @property
    def tick_x(self) -> float:
        return self.left - 6

    @property
    def legend_x(self) -> float:
        return LEGEND_LEFT


PLOT_LEFT: Final = 44.0
# Legends start at the chart's left edge, not the plot's, for the room.
LEGEND_LEFT: Final = 4.0
PLOT_TOP: Final = 20.0
PLOT_RIGHT_PAD: Final = 8.0


def column_chart(
    months: Sequence[tuple[str, float | None]], *, width: float = WIDTH, plot_height: float = 200
) -> ColumnChart:
    """One column a month (``(YYYY-MM, value or None)`` in order). A
    suppressed month has no column, only ``*`` on the axis."""
    shown = [value for _, value in months if value is not None]
    maximum = max(shown) if shown else None
    top_value = nice_top(maximum or 0)
    left, right = PLOT_LEFT, width - PLOT_RIGHT_PAD
    top, bottom = PLOT_TOP, PLOT_TOP + plot_height
    slot = (right - left) / max(len(months), 1)
    gap = min(slot * 0.2, 6.0)
    # Values above the columns only while each fits above its own column.
    label_values = slot >= SMALL * CHARACTER * (len(number(maximum or 0)) + 1)
    columns = []
    for index, (label, value) in enumerate(months):
        x = left + index * slot
        height = (value / top_value) * plot_height if value is not None else 0.0
        columns.append(
            Column(
                label=label,
                value=value,
                suppressed=value is None,
                x=round(x + gap / 2, 2),
                y=round(bottom - height, 2),
                width=round(slot - gap, 2),
                height=round(height, 2),
                centre=round(x + slot / 2, 2),
                value_text=(MARKER if value is None else number(value) if label_values else ""),
                text_y=round(bottom - height - 4, 2),
            )
        )
    steps = 4
    value_ticks = tuple(
        Tick(round(bottom - plot_height * i / steps, 2), number(top_value * i / steps))
        for i in range(steps + 1)
    )
    return ColumnChart(
        width=width,
        height=bottom + 2 * SMALL + 14 + 24,
        left=left,
        right=right,
        top=top,
        bottom=bottom,
        columns=tuple(columns),
        value_ticks=value_ticks,
        month_ticks=month_ticks(
            [label for label, _ in months], [c.centre for c in columns], right - left
        ),
        maximum=maximum,
        suppressed=sum(1 for _, value in months if value is None),
        legend_y=bottom + 2 * SMALL + 14 + 16,
    )


# --- XmR: the SPC chart of a monthly percentage -------------------------------------------


@dataclass(frozen=True)
class XmrPoint:
    label: str
    value: float | None
    x: float
    y: float
    withheld: bool  # suppressed for small numbers (a gap, ``*`` on the axis)
    signal: str  # "improvement", "concern" or ""
    letter: str  # "I", "C" or ""
    letter_y: float
    shape: str  # the polygon's points for a flagged month, "" for a circle


@dataclass(frozen=True)
class XmrLine:
    """A horizontal line: its value as calculated and where it is drawn."""

    name: str  # "mean", "upper", "lower", "target"
    value: float
    drawn: float
    y: float

    @property
    def clipped(self) -> bool:
        return not math.isclose(self.value, self.drawn)


@dataclass(frozen=True)
class LegendRow:
    y: float  # the words' baseline
    kind: str  # "mean", "limits", "target", "improvement", "concern", "withheld"
    text: str
    sample_x1: float  # a line sample from x1 to x2 at sample_y, or a shape
    sample_x2: float
    sample_y: float
    shape: str  # a flagged month's polygon, for "improvement" and "concern"


@dataclass(frozen=True)
class XmrChart:
    width: float
    height: float
    left: float
    right: float
    top: float
    bottom: float
    points: tuple[XmrPoint, ...]
    # The line joining plotted months, broken at every gap: SVG polyline points.
    segments: tuple[str, ...]
    lines: tuple[XmrLine, ...]
    value_ticks: tuple[Tick, ...]
    month_ticks: tuple[Tick, ...]
    legend: tuple[LegendRow, ...]
    withheld: int

    @property
    def month_y(self) -> float:
        return self.bottom + SMALL + 4

    @property
    def year_y(self) -> float:
        return self.bottom + 2 * SMALL + 8

    @property
    def tick_x(self) -> float:
        return self.left - 6

    @property
    def legend_x(self) -> float:
        """Where the legend's words start, after its samples."""
        return LEGEND_LEFT + 30


LOW: Final = 0.0
HIGH: Final = 100.0
POINT: Final = 5.0  # a point's radius


def clip(value: float, low: float = LOW, high: float = HIGH) -> float:
    return min(max(value, low), high)


def _percent(value: float) -> str:
    return f"{value:.1f}%"


def _triangle(x: float, y: float, r: float = POINT + 1.5) -> str:
    return f"{x:.2f},{y - r:.2f} {x + r:.2f},{y + r * 0.8:.2f} {x - r:.2f},{y + r * 0.8:.2f}"


def _square(x: float, y: float, r: float = POINT) -> str:
    return (
        f"{x - r:.2f},{y - r:.2f} {x + r:.2f},{y - r:.2f} "
        f"{x + r:.2f},{y + r:.2f} {x - r:.2f},{y + r:.2f}"
    )


def xmr_chart(
    spc: SpcChart,
    *,
    withheld: frozenset[str] = frozenset(),
    width: float = WIDTH,
    plot_height: float = 200,
) -> XmrChart:
    """The XmR chart of ``spc`` on a 0-100 axis. ``withheld`` names the months
    (YYYY-MM) whose value was suppressed; any other month without a value had
    nothing to count, and is a gap without a marker."""
    left, right = PLOT_LEFT, width - PLOT_RIGHT_PAD
    top, bottom = PLOT_TOP, PLOT_TOP + plot_height
    slot = (right - left) / max(len(spc.points), 1)

    def y_of(value: float) -> float:
        return round(bottom - (clip(value) - LOW) / (HIGH - LOW) * plot_height, 2)

    points = []
    for index, point in enumerate(spc.points):
        x = round(left + (index + 0.5) * slot, 2)
        if point.value is None:
            gone = point.label in withheld
            points.append(XmrPoint(point.label, None, x, bottom - 4, gone, "", "", 0.0, ""))
            continue
        y = y_of(point.value)
        signal = point.signal.value if point.signal is not None else ""
        improvement = point.signal is SpcSignal.IMPROVEMENT
        letter = {"improvement": "I", "concern": "C"}.get(signal, "")
        # The letter goes above an improvement and below a concern, unless
        # that would put it off the plot (over the month names, or the top).
        above = improvement
        if above and y - POINT - 5 < SMALL:
            above = False
        elif not above and y + POINT + SMALL + 1 > bottom:
            above = True
        letter_y = round(y - POINT - 5 if above else y + POINT + SMALL + 1, 2)
        shape = ""
        if signal:
            shape = _triangle(x, y) if improvement else _square(x, y)
        points.append(
            XmrPoint(point.label, point.value, x, y, False, signal, letter, letter_y, shape)
        )

    segments = []
    run: list[XmrPoint] = []
    for drawn in [*points, None]:
        if drawn is not None and drawn.value is not None:
            run.append(drawn)
            continue
        if run:
            segments.append(" ".join(f"{p.x:.2f},{p.y:.2f}" for p in run))
        run = []

    lines = []
    for name, value in (
        ("upper", spc.upper_limit),
        ("mean", spc.mean),
        ("lower", spc.lower_limit),
        ("target", spc.target),
    ):
        if value is not None:
            lines.append(XmrLine(name, value, clip(value), y_of(value)))

    value_ticks = tuple(Tick(y_of(v), f"{v:g}%") for v in (0, 25, 50, 75, 100))
    ticks = month_ticks([p.label for p in points], [p.x for p in points], right - left)

    legend_top = bottom + 2 * SMALL + 14 + 16
    rows: list[tuple[str, str]] = []
    by_name = {line.name: line for line in lines}
    if "mean" in by_name:
        rows.append(("mean", f"Mean {_percent(by_name['mean'].value)}"))
    if "upper" in by_name and "lower" in by_name:
        rows.append(("limits", _limits_words(by_name["lower"], by_name["upper"])))
    if "target" in by_name:
        target = by_name["target"]
        rows.append(
            ("target", f"Target {_percent(target.value)}" + (" (off the axis)" * target.clipped))
        )
    if any(p.signal == "improvement" for p in points):
        rows.append(("improvement", "I: special cause, improvement"))
    if any(p.signal == "concern" for p in points):
        rows.append(("concern", "C: special cause, concern"))
    withheld_months = sum(1 for p in points if p.withheld)
    if withheld_months:
        rows.append(("withheld", "withheld month (small numbers): not plotted"))
    legend = []
    for index, (kind, text) in enumerate(rows):
        y = legend_top + index * (SMALL + 8)
        middle = y - SMALL * 0.35
        draw = {"improvement": _triangle, "concern": _square}.get(kind)
        legend.append(
            LegendRow(
                y=y,
                kind=kind,
                text=text,
                sample_x1=LEGEND_LEFT,
                sample_x2=LEGEND_LEFT + 24,
                sample_y=round(middle, 2),
                shape=draw(LEGEND_LEFT + 12, middle) if draw else "",
            )
        )
    return XmrChart(
        width=width,
        height=legend_top + len(rows) * (SMALL + 8) + 4,
        left=left,
        right=right,
        top=top,
        bottom=bottom,
        points=tuple(points),
        segments=tuple(segments),
        lines=tuple(lines),
        value_ticks=value_ticks,
        month_ticks=ticks,
        legend=tuple(legend),
        withheld=withheld_months,
    )


def _limits_words(lower: XmrLine, upper: XmrLine) -> str:
    words = f"Process limits {_percent(lower.value)} to {_percent(upper.value)}"
    clipped = [line for line in (lower, upper) if line.clipped]
    if clipped:
        words += " (drawn at " + " and ".join(f"{line.drawn:g}%" for line in clipped) + ")"
    return words
