"""The audit dashboard's content, built from the summary (pure: no Django).

``dashboard(summary, ...)`` turns the JSON-ready summary
(``audit.selectors.summary.audit_summary``) into what the page shows, in
order: referrals by month, each timeliness standard (with its XmR chart where
the standard is a 24-hour one, or MRI's), the incidence breakdowns, the
outcomes and the intervals. Every chart comes with its table, and every
figure is a ``Shown``: its text, and whether it is suppressed. The page adds
nothing the summary does not hold (no percentage of a breakdown, no
difference of two figures), so it can never undo a suppression.

A figure the summary withholds reads "suppressed" (never 0); one it has no
value for (a percentage of nobody, a median of no clock) reads "—".
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from audit.charts import (
    MONTH_NAMES,
    BarChart,
    ColumnChart,
    XmrChart,
    bar_chart,
    column_chart,
    number,
    xmr_chart,
)
from audit.labels import BREAKDOWN_TITLES, BREAKDOWNS, INTERVAL_TITLES, OUTCOMES
from audit.spc import DEFAULT_RULES, SpcChart, SpcRules, SpcSignal, spc_chart
from audit.standards import standard_for

NOTHING: Final = "—"
SUPPRESSED: Final = "suppressed"
WHOLE_PERIOD: Final = "Whole period"
INCIDENCE: Final = BREAKDOWNS
# The SPC chart goes with the 24-hour standards and MRI's (QS56 statements 2
# and 3): the ones an alliance is held to month by month.
SPC_HOURS: Final = 24.0
SPC_CLOCKS: Final = frozenset({"mri"})


@dataclass(frozen=True)
class Shown:
    """One figure as the page shows it."""

    text: str
    suppressed: bool = False
    numeric: bool = True  # right-aligned; words are not


@dataclass(frozen=True)
class TableRow:
    heading: str
    cells: tuple[Shown, ...]
    total: bool = False


@dataclass(frozen=True)
class Table:
    id: str
    caption: str
    headers: tuple[str, ...]  # the first is the row headings' column
    rows: tuple[TableRow, ...]
    text_headers: tuple[str, ...] = ()  # columns of words, not numbers
    by_month: bool = False  # rows headed by months (short: kept on one line)


@dataclass(frozen=True)
class MonthlyReferrals:
    chart: ColumnChart
    caption: str
    table: Table
    breakdown: str


@dataclass(frozen=True)
class SpcView:
    spc: SpcChart
    chart: XmrChart
    caption: str
    table: Table
    gaps: tuple[str, ...]  # withheld and empty months, in words


@dataclass(frozen=True)
class StandardView:
    id: str
    title: str
    reference: str
    numerator: str
    denominator: str
    target: str  # "24 hours", or "" for a measured clock
    measured: bool
    table: Table
    spc: SpcView | None


@dataclass(frozen=True)
class BreakdownView:
    id: str
    title: str
    chart: BarChart
    caption: str
    table: Table


@dataclass(frozen=True)
class Dashboard:
    period: str
    months: int
    threshold: int
    rates: bool
    population: str  # "1,200,000", or "" when not set (or a service's scope)
    spc_target: float | None
    referrals: MonthlyReferrals
    standards: tuple[StandardView, ...]
    incidence: tuple[BreakdownView, ...]
    outcomes: tuple[BreakdownView, ...]
    intervals: tuple[Table, ...]


# --- Words --------------------------------------------------------------------------------


def month_words(label: str) -> str:
    """``2026-01`` → ``January 2026``."""
    year, _, month = label.partition("-")
    names = (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    )
    return f"{names[int(month) - 1]} {year}"


def short_month(label: str) -> str:
    """``2026-01`` → ``Jan 2026`` (a table's row heading)."""
    year, _, month = label.partition("-")
    return f"{MONTH_NAMES[int(month) - 1]} {year}"


def period_words(first: str, last: str) -> str:
    if first == last:
        return month_words(first)
    return f"{month_words(first)} to {month_words(last)}"


def hours_words(hours: float) -> str:
    """A target in words: ``30 minutes``, ``4 hours``, ``24 hours``, ``7 days``."""
    if hours < 1:
        return f"{hours * 60:g} minutes"
    if hours >= 48 and hours % 24 == 0:
        return f"{hours / 24:g} days"
    return f"{hours:g} hour" + ("" if hours == 1 else "s")


def _months(count: int) -> str:
    return f"{count} month" if count == 1 else f"{count} months"


# --- Figures ------------------------------------------------------------------------------


def _withheld(row: Mapping[str, Any], key: str) -> bool:
    """Whether the summary withheld ``row[key]`` (rather than having none)."""
    if "withheld" in row:
        return key in row["withheld"]
    return row.get(key) is None and bool(row.get("suppressed"))


def shown(row: Mapping[str, Any], key: str, *, hours: bool = False) -> Shown:
    if _withheld(row, key):
        return Shown(SUPPRESSED, suppressed=True)
    value = row.get(key)
    if value is None:
        return Shown(NOTHING)
    if hours:
        return Shown(f"{value:,.1f}")
    return Shown(number(value))


def _percent(row: Mapping[str, Any]) -> Shown:
    figure = shown(row, "percent_met")
    if figure.suppressed or figure.text == NOTHING:
        return figure
    return Shown(f"{row['percent_met']:.1f}%")


def _cell_value(cell: Mapping[str, Any], noun: str) -> float | None:
    value = cell.get(noun)
    return None if cell.get("suppressed") or value is None else float(value)


# --- Sections -----------------------------------------------------------------------------


def _referrals(summary: Mapping[str, Any], breakdown: str, period: str) -> MonthlyReferrals:
    months = summary["months"]
    totals = summary["totals"]
    points = [(m["month"], _total(m)) for m in months]
    chart = column_chart(points)
    codes = [(cell["code"], cell["label"]) for cell in totals["incidence"][breakdown]]
    title = BREAKDOWN_TITLES[breakdown]

    def row(heading: str, section: Mapping[str, Any], total: bool = False) -> TableRow:
        cells = {cell["code"]: cell for cell in section["incidence"][breakdown]}
        figures = [shown(section["referrals"], "total")]
        for code, _ in codes:
            cell = cells.get(code)
            figures.append(shown(cell, "referrals") if cell is not None else Shown(NOTHING))
        return TableRow(heading, tuple(figures), total)

    rows = [row(short_month(m["month"]), m) for m in months]
    rows.append(row(WHOLE_PERIOD, totals, total=True))
    table = Table(
        "table-referrals",
        f"Referrals each month, by {title.lower()}",
        ("Month", "All referrals", *(label for _, label in codes)),
        tuple(rows),
        by_month=True,
    )
    return MonthlyReferrals(chart, _columns_caption(points, period), table, title)


def _total(section: Mapping[str, Any]) -> float | None:
    value = section["referrals"].get("total")
    return None if value is None else float(value)


def _columns_caption(points: Sequence[tuple[str, float | None]], period: str) -> str:
    shown_points = [(label, value) for label, value in points if value is not None]
    words = f"Column chart of the referrals received each month, {period}."
    if shown_points:
        label, most = max(shown_points, key=lambda p: p[1])
        words += f" The most in one month: {number(most)}, in {month_words(label)}."
    hidden = len(points) - len(shown_points)
    if hidden:
        words += f" {_months(hidden)} suppressed (small numbers), not drawn."
    return words + " The table with it gives every month."


def _standard_id(row: Mapping[str, Any]) -> str:
    target = row["target_hours"]
    parts = [
        row["clock"],
        row["category"] or "all",
        "measured" if target is None else f"{target:g}",
    ]
    return "standard-" + "-".join(parts).replace(".", "-").replace("_", "-")


def _key(row: Mapping[str, Any]) -> tuple[Any, ...]:
    return (row["clock"], row["category"], row["reference"], row["target_hours"])


def _standards(
    summary: Mapping[str, Any], period: str, target: float | None, rules: SpcRules
) -> tuple[StandardView, ...]:
    months = summary["months"]
    by_month = [{_key(r): r for r in m["timeliness"]} for m in months]
    views = []
    for whole in summary["totals"]["timeliness"]:
        key = _key(whole)
        monthly = [(m["month"], rows.get(key)) for m, rows in zip(months, by_month, strict=True)]
        measured = whole["target_hours"] is None
        words = standard_for(
            clock=whole["clock"],
            category=whole["category"],
            target_hours=whole["target_hours"],
            reference=whole["reference"],
        )
        ident = _standard_id(whole)
        table = _timeliness_table(ident, words.title, whole, monthly, measured)
        spc = None
        if not measured and (whole["target_hours"] == SPC_HOURS or whole["clock"] in SPC_CLOCKS):
            spc = _spc(ident, words.title, monthly, period, target, rules)
        views.append(
            StandardView(
                id=ident,
                title=words.title,
                reference=whole["reference"],
                numerator=words.numerator,
                denominator=words.denominator,
                target="" if measured else hours_words(whole["target_hours"]),
                measured=measured,
                table=table,
                spc=spc,
            )
        )
    return tuple(views)


def _timeliness_table(
    ident: str,
    title: str,
    whole: Mapping[str, Any],
    monthly: Sequence[tuple[str, Mapping[str, Any] | None]],
    measured: bool,
) -> Table:
    if measured:
        headers: tuple[str, ...] = (
            "Period",
            "Stopped (counted)",
            "Not appropriate",
            "Still running",
            "Median (hours)",
            "90th percentile (hours)",
        )
    else:
        headers = (
            "Period",
            "Eligible",
            "Met",
            "% met",
            "Not appropriate",
            "Pending",
            "Median (hours)",
            "90th percentile (hours)",
        )

    def row(heading: str, figures: Mapping[str, Any] | None, total: bool = False) -> TableRow:
        if figures is None:
            return TableRow(heading, tuple(Shown(NOTHING) for _ in headers[1:]), total)
        cells = [shown(figures, "eligible")]
        if not measured:
            cells += [shown(figures, "met"), _percent(figures)]
        cells += [
            shown(figures, "not_appropriate"),
            shown(figures, "pending"),
            shown(figures, "median_hours", hours=True),
            shown(figures, "p90_hours", hours=True),
        ]
        return TableRow(heading, tuple(cells), total)

    rows = [row(WHOLE_PERIOD, whole, total=True)]
    rows += [row(short_month(label), figures) for label, figures in monthly]
    return Table(f"table-{ident}", f"{title}: the figures", headers, tuple(rows), by_month=True)


def _spc(
    ident: str,
    title: str,
    monthly: Sequence[tuple[str, Mapping[str, Any] | None]],
    period: str,
    target: float | None,
    rules: SpcRules,
) -> SpcView:
    values: list[tuple[str, float | None]] = []
    withheld: set[str] = set()
    for label, figures in monthly:
        value = None if figures is None else figures.get("percent_met")
        if figures is not None and _withheld(figures, "percent_met"):
            withheld.add(label)
        values.append((label, None if value is None else float(value)))
    spc = spc_chart(values, higher_is_better=True, target=target, rules=rules)
    chart = xmr_chart(spc, withheld=frozenset(withheld))
    empty = sum(1 for _, value in values if value is None) - len(withheld)
    gaps = [
        (
            f"{_months(len(withheld))} withheld for small numbers and not plotted (a gap "
            "in the line, marked *)."
            if withheld
            else "No month was withheld for small numbers."
        )
    ]
    if empty:
        gaps.append(f"{_months(empty)} had nobody eligible, so no percentage (a gap).")
    if spc.mean is not None and not spc.reliable:
        gaps.append(
            f"The limits come from {_months(spc.plotted)}; Making Data Count advises at least "
            f"{rules.min_points_for_limits} before relying on them, so they will move as "
            "months are added."
        )
    rows = []
    for point in spc.points:
        if point.value is None:
            words = SUPPRESSED if point.label in withheld else NOTHING
            rows.append(
                TableRow(
                    short_month(point.label),
                    (Shown(words, point.label in withheld), Shown(NOTHING, numeric=False)),
                )
            )
            continue
        signal = NOTHING
        if point.signal is not None:
            kind = "Improvement" if point.signal is SpcSignal.IMPROVEMENT else "Concern"
            signal = f"{kind}: " + "; ".join(rule.in_sentence for rule in point.flags)
        rows.append(
            TableRow(
                short_month(point.label),
                (Shown(f"{point.value:.1f}%"), Shown(signal, numeric=False)),
            )
        )
    table = Table(
        f"table-spc-{ident}",
        f"{title}: % met each month, with special causes",
        ("Month", "% met", "Special cause"),
        tuple(rows),
        text_headers=("Special cause",),
        by_month=True,
    )
    return SpcView(spc, chart, _spc_caption(title, spc, period), table, tuple(gaps))


def _spc_caption(title: str, spc: SpcChart, period: str) -> str:
    words = f"SPC chart (XmR) of the percentage meeting the standard each month, {period}: "
    words += f"{_months(spc.plotted)} plotted"
    if spc.withheld:
        words += f", {spc.withheld} without a value"
    words += "."
    if spc.mean is not None and spc.upper_limit is not None and spc.lower_limit is not None:
        words += (
            f" Mean {spc.mean:.1f}%; process limits {spc.lower_limit:.1f}% to "
            f"{spc.upper_limit:.1f}%."
        )
    improvements = sum(1 for p in spc.points if p.signal is SpcSignal.IMPROVEMENT)
    concerns = sum(1 for p in spc.points if p.signal is SpcSignal.CONCERN)
    if improvements or concerns:
        words += f" Months marked as special cause: {improvements} improvement, {concerns} concern."
    return words + " The table with it gives every month."


def _breakdown(
    summary: Mapping[str, Any], table: str, name: str, noun: str, period: str, rates: bool
) -> BreakdownView:
    cells = summary["totals"][table][name]
    title = BREAKDOWN_TITLES[name]
    chart = bar_chart([(cell["label"], _cell_value(cell, noun)) for cell in cells])
    headers: tuple[str, ...] = (title, "Referrals")
    if rates:
        headers += ("Rate per 100,000 a year",)
    rows = []
    for cell in cells:
        figures = [shown(cell, noun)]
        if rates:
            rate = shown(cell, "rate_per_100000")
            if not rate.suppressed and cell.get("rate_per_100000") is not None:
                rate = Shown(f"{cell['rate_per_100000']:,.2f}")
            figures.append(rate)
        rows.append(TableRow(cell["label"], tuple(figures)))
    ident = f"{table}-{name}".replace("_", "-")
    return BreakdownView(
        id=ident,
        title=title,
        chart=chart,
        caption=_bars_caption(title, chart, period),
        table=Table(f"table-{ident}", f"{title}, {period}", headers, tuple(rows)),
    )


def _bars_caption(title: str, chart: BarChart, period: str) -> str:
    words = f"Bar chart of referrals by {title.lower()}, {period}."
    drawn = [bar for bar in chart.bars if bar.value is not None]
    if drawn and chart.maximum:
        most = max(drawn, key=lambda bar: bar.value or 0)
        words += f" The most: {most.full_label}, {most.value_text}."
    if chart.suppressed:
        words += f" {chart.suppressed} suppressed (small numbers), not drawn."
    return words + " The table with it gives every figure."


def _intervals(summary: Mapping[str, Any]) -> tuple[Table, ...]:
    tables = []
    whole = {i["interval"]: i for i in summary["totals"]["intervals"]}
    for name, total in whole.items():
        rows = [_interval_row(WHOLE_PERIOD, total, True)]
        for month in summary["months"]:
            found = next((i for i in month["intervals"] if i["interval"] == name), None)
            if found is not None:
                rows.append(_interval_row(short_month(month["month"]), found, False))
        title = INTERVAL_TITLES.get(name, name)
        tables.append(
            Table(
                f"table-interval-{name}".replace("_", "-"),
                title,
                ("Period", "Referrals", "Median (hours)", "90th percentile (hours)"),
                tuple(rows),
                by_month=True,
            )
        )
    return tuple(tables)


def _interval_row(heading: str, interval: Mapping[str, Any], total: bool) -> TableRow:
    return TableRow(
        heading,
        (
            shown(interval, "count"),
            shown(interval, "median_hours", hours=True),
            shown(interval, "p90_hours", hours=True),
        ),
        total,
    )


def dashboard(
    summary: Mapping[str, Any],
    *,
    breakdown: str = "category",
    spc_target: float | None = 100.0,
    rules: SpcRules = DEFAULT_RULES,
) -> Dashboard:
    """What the page shows of ``summary``; ``breakdown`` is the incidence
    breakdown the monthly table shows; ``spc_target`` the percentage the XmR
    charts' assurance is judged against."""
    period = period_words(summary["from"], summary["to"])
    rates = summary.get("population") is not None
    return Dashboard(
        period=period,
        months=len(summary["months"]),
        threshold=summary["suppression_threshold"],
        rates=rates,
        population=f"{summary['population']:,}" if rates else "",
        spc_target=spc_target,
        referrals=_referrals(summary, breakdown, period),
        standards=_standards(summary, period, spc_target, rules),
        incidence=tuple(
            _breakdown(summary, "incidence", name, "referrals", period, rates)
            for name in INCIDENCE
            if name in summary["totals"]["incidence"]
        ),
        outcomes=tuple(
            _breakdown(summary, "outcomes", name, "count", period, False)
            for name in OUTCOMES
            if name in summary["totals"]["outcomes"]
        ),
        intervals=_intervals(summary),
    )
