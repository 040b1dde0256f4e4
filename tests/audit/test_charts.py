"""The dashboard's chart geometry (audit/charts.py): bars and columns in
proportion, a suppressed value never drawn (and never as zero), the XmR
chart's lines clipped to the 0-100 axis with the true value said, flagged
months told apart by shape and letter as well as colour, and a withheld
month left as a gap. No database."""

from itertools import pairwise

import pytest

from audit.charts import (
    BAR_LEFT,
    MARKER,
    SUPPRESSED,
    VALUE_ROOM,
    WIDTH,
    bar_chart,
    column_chart,
    month_ticks,
    nice_top,
    number,
    xmr_chart,
)
from audit.spc import SpcRules, spc_chart

EARLY = SpcRules(min_points_for_limits=2)


def months(*values: float | None) -> list[tuple[str, float | None]]:
    return [(f"{2025 + i // 12}-{i % 12 + 1:02d}", value) for i, value in enumerate(values)]


# --- Bars -----------------------------------------------------------------------------


def test_bars_are_in_proportion_and_the_longest_fills_the_room() -> None:
    chart = bar_chart([("Breast", 40), ("Prostate", 20), ("Lung", 10)])
    widths = [bar.width for bar in chart.bars]
    assert widths[0] == pytest.approx(WIDTH - BAR_LEFT - VALUE_ROOM)
    assert widths[1] == pytest.approx(widths[0] / 2)
    assert widths[2] == pytest.approx(widths[0] / 4)
    assert [bar.value_text for bar in chart.bars] == ["40", "20", "10"]
    # Each value is written just after its own bar.
    assert all(bar.value_x > bar.x + bar.width for bar in chart.bars)
    # One row each, one under the other.
    assert [bar.y for bar in chart.bars] == sorted(bar.y for bar in chart.bars)
    assert chart.height > chart.bars[-1].y + chart.bars[-1].height


def test_a_suppressed_bar_is_not_drawn_and_says_so_where_a_zero_says_zero() -> None:
    chart = bar_chart([("Breast", 12), ("Prostate", None), ("Lung", 0)])
    shown, hidden, zero = chart.bars
    assert hidden.suppressed and hidden.value is None
    assert hidden.width == 0
    assert hidden.value_text == SUPPRESSED
    assert not zero.suppressed
    assert zero.width == 0
    assert zero.value_text == "0"
    assert chart.suppressed == 1
    # The scale comes from the shown values only.
    assert shown.width == pytest.approx(WIDTH - BAR_LEFT - VALUE_ROOM)


def test_bars_all_suppressed_or_all_zero_draw_nothing_and_do_not_fail() -> None:
    suppressed = bar_chart([("A", None), ("B", None)])
    assert suppressed.maximum is None
    assert [bar.width for bar in suppressed.bars] == [0, 0]
    zeros = bar_chart([("A", 0), ("B", 0)])
    assert [bar.value_text for bar in zeros.bars] == ["0", "0"]
    assert bar_chart([]).bars == ()


def test_a_long_label_is_shortened_in_the_chart_only() -> None:
    label = "Demo General Hospital, Oncology Ward 7 and its day unit (DEMO-WARD-7)"
    bar = bar_chart([(label, 3)]).bars[0]
    assert bar.full_label == label
    assert bar.label.endswith("…")
    assert len(bar.label) < len(label)


# --- Columns ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("maximum", "top"), [(0, 1), (1, 1), (7, 10), (13, 20), (24, 25), (96, 100), (101, 200)]
)
def test_the_value_axis_ends_at_a_round_number(maximum: float, top: float) -> None:
    assert nice_top(maximum) == top


def test_columns_are_in_proportion_to_the_axis() -> None:
    chart = column_chart(months(10, 20, 5))
    top = nice_top(20)
    plot = chart.bottom - chart.top
    for column in chart.columns:
        assert column.value is not None
        assert column.height == pytest.approx(column.value / top * plot, abs=0.01)
        assert column.y + column.height == pytest.approx(chart.bottom, abs=0.01)
    assert chart.value_ticks[0].text == "0"
    assert chart.value_ticks[-1].text == number(top)
    # Months left to right, none overlapping.
    columns = chart.columns
    assert all(a.x + a.width < b.x for a, b in pairwise(columns))


def test_a_suppressed_month_has_no_column_only_its_marker() -> None:
    chart = column_chart(months(10, None, 0))
    shown, hidden, zero = chart.columns
    assert hidden.suppressed
    assert hidden.height == 0
    assert hidden.value_text == MARKER
    assert zero.height == 0
    assert zero.value_text == "0"
    assert chart.suppressed == 1
    assert shown.value_text == "10"


def test_month_names_thin_out_when_they_would_touch() -> None:
    labels = [label for label, _ in months(*range(24))]
    centres = [float(i * 10) for i in range(24)]
    few = month_ticks(labels[:6], centres[:6], 350)
    assert [t.text for t in few] == ["Jan", "Feb", "Mar", "Apr", "May", "Jun"]
    assert few[0].second_line == "2025"
    many = month_ticks(labels, centres, 350)
    assert len(many) < 24
    assert many[0].text == "Jan" and many[0].second_line == "2025"
    # January of the next year carries its year.
    assert any(t.text == "Jan" and t.second_line == "2026" for t in many)


# --- XmR --------------------------------------------------------------------------------


def test_limits_beyond_the_axis_are_drawn_at_its_edge_and_their_values_said() -> None:
    # Wide swings: mean 65, average moving range 60, so the limits are
    # 65 +/- 159.6, far outside 0-100.
    spc = spc_chart(months(35, 95, 35, 95), higher_is_better=True, target=100, rules=EARLY)
    assert spc.upper_limit is not None and spc.upper_limit > 100
    assert spc.lower_limit is not None and spc.lower_limit < 0
    chart = xmr_chart(spc)
    lines = {line.name: line for line in chart.lines}
    assert lines["upper"].drawn == 100 and lines["upper"].clipped
    assert lines["upper"].y == pytest.approx(chart.top)
    assert lines["lower"].drawn == 0 and lines["lower"].clipped
    assert lines["lower"].y == pytest.approx(chart.bottom)
    assert not lines["mean"].clipped
    assert lines["mean"].y == pytest.approx(chart.bottom - 0.65 * (chart.bottom - chart.top))
    limits = next(row for row in chart.legend if row.kind == "limits")
    assert limits.text == (
        f"Process limits {spc.lower_limit:.1f}% to {spc.upper_limit:.1f}% (drawn at 0% and 100%)"
    )
    # Every point inside the plot.
    assert all(chart.top <= p.y <= chart.bottom for p in chart.points)


def test_flagged_months_differ_by_shape_and_letter_not_colour_alone() -> None:
    # The last month is far above the upper limit: an improvement when
    # higher is better, a concern when lower is better.
    values = months(50, 52, 48, 51, 49, 50, 95)
    better = xmr_chart(spc_chart(values, higher_is_better=True, rules=EARLY))
    worse = xmr_chart(spc_chart(values, higher_is_better=False, rules=EARLY))
    plain = better.points[0]
    assert (plain.signal, plain.letter, plain.shape) == ("", "", "")
    up = better.points[-1]
    assert up.signal == "improvement" and up.letter == "I"
    assert len(up.shape.split()) == 3  # a triangle
    down = worse.points[-1]
    assert down.signal == "concern" and down.letter == "C"
    assert len(down.shape.split()) == 4  # a square
    # The legend spells the letters out, with the same shapes.
    legend = {row.kind: row for row in better.legend}
    assert legend["improvement"].text == "I: special cause, improvement"
    assert len(legend["improvement"].shape.split()) == 3
    assert {row.kind: row for row in worse.legend}["concern"].text == "C: special cause, concern"
    # A letter stays on the plot, even for a point at the top of the axis.
    top = xmr_chart(
        spc_chart(months(50, 52, 48, 51, 49, 50, 100), higher_is_better=True, rules=EARLY)
    ).points[-1]
    assert top.letter == "I"
    assert 0 < top.letter_y <= better.bottom


def test_a_withheld_month_is_a_gap_with_its_marker_and_an_empty_one_a_bare_gap() -> None:
    values = months(80, 90, None, 85, None, 95)
    spc = spc_chart(values, higher_is_better=True, target=100, rules=EARLY)
    chart = xmr_chart(spc, withheld=frozenset({"2025-03"}))
    # The line breaks at each gap: (Jan, Feb), (Apr), (Jun).
    assert len(chart.segments) == 3
    assert len(chart.segments[0].split()) == 2
    withheld, empty = chart.points[2], chart.points[4]
    assert withheld.value is None and withheld.withheld
    assert empty.value is None and not empty.withheld
    assert chart.withheld == 1
    assert any(row.kind == "withheld" for row in chart.legend)
    target = next(row for row in chart.legend if row.kind == "target")
    assert target.text == "Target 100.0%"


def test_too_few_months_draw_points_but_no_lines() -> None:
    chart = xmr_chart(spc_chart(months(None, 70), higher_is_better=True, target=100))
    assert [line.name for line in chart.lines] == ["target"]
    assert chart.segments == (f"{chart.points[1].x:.2f},{chart.points[1].y:.2f}",)
