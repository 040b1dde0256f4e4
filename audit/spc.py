"""Statistical process control for the audit's monthly figures: the XmR chart
(individual values and their moving ranges) that NHS England's "Making Data
Count" draws, its four special-cause rules, and the "variation" and
"assurance" icons' meaning as plain sentences an alliance lead can read.

Pure Python: no Django, no database, so the arithmetic can be read and tested
on its own. ``spc_chart`` takes the months in order, each a value or ``None``
(withheld: suppressed for small numbers), and returns an ``SpcChart``.

The calculation (Making Data Count):

- mean = the average of the plotted values; a moving range is the difference
  between one plotted value and the plotted value before it (a withheld month
  is skipped, so the range spans it); mR̄ = the average moving range;
- process limits = mean ± 2.66 * mR̄; sigma = mR̄ / 1.128; the two-sigma lines
  = mean ± 2 * sigma.

Decisions, each tested in tests/audit/test_spc.py:

- Too few points. With no plotted month, or only one, there is nothing to
  measure a moving range from: no mean, no limits, no flags, and the summaries
  say why. From two plotted months the mean, limits and flags are computed, so
  a young series can still be drawn; but below ``SpcRules.min_points_for_limits``
  (15, the Making Data Count advice) the chart is not ``reliable``: its flags
  are provisional and the variation and assurance summaries are "not judged"
  rather than a verdict drawn from limits that will still move.
- Clipping. Limits are reported as calculated, never clipped to 0-100: a lower
  limit of -3% is how the arithmetic says "this process swings widely", and the
  assurance comparison needs the true value. Clipping to the axis is left to
  the chart. (The assurance sentences only quote a limit when it lies beyond
  the target, so for a target within 0-100 they never quote an impossible one.)
- Rules run over consecutive *plotted* months: a withheld month neither breaks
  nor extends a run or a trend.
- A point exactly on the mean (or on a line) is on neither side: it breaks a
  run, is not beyond a limit, and an equal value breaks a trend. "Exactly" has
  a tolerance of 1e-9, so floating-point noise in the mean (0.1 + 0.2 ...)
  never decides a run.
- Two of three (rule 4) follows the NHS England single-chart tool: three
  consecutive points all on the same side of the mean, at least two of them
  beyond that side's two-sigma line (beyond the process limit counts too);
  the points beyond the line are the ones flagged.
- Direction. Each rule's pattern points up or down; up is an improvement when
  higher is better, down when lower is better. A point that is part of both
  an improving and a concerning pattern is shown as an improvement, as the NHS
  England tool does; its ``flags`` still name every rule it is part of.
- Variation is judged by the latest plotted month, as the Making Data Count
  icon is: special cause (improvement or concern) if that month is flagged,
  else common cause; the sentence mentions earlier special causes if any.
- Assurance compares the target with the process limits. When higher is
  better the target is "consistently passed" when it is at or below the lower
  limit (a month at the limit still meets it) and "consistently failed" when
  it is above the upper limit; otherwise it is "hit and miss". Mirrored when
  lower is better.
"""

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Final

from core.labels import LabelledEnum

# 2.66 = 3 / 1.128: three sigma, where 1.128 (d2) turns the average moving
# range of two consecutive points into an estimate of sigma.
LIMIT_FACTOR: Final = 2.66
D2: Final = 1.128

# Below this difference two values count as equal (see the module docstring).
TOLERANCE: Final = 1e-9

UP: Final = 1
DOWN: Final = -1


class SpcRule(LabelledEnum):
    """The four special-cause rules, in Making Data Count's order."""

    OUTSIDE_LIMITS = "outside_limits", "A month outside the process limits"
    RUN = "run", "A run of months all above, or all below, the average"
    TREND = "trend", "A trend of months each higher, or each lower, than the month before"
    TWO_OF_THREE = "two_of_three", "Two of three months close to a process limit"


class SpcSignal(LabelledEnum):
    IMPROVEMENT = "improvement", "Improvement"
    CONCERN = "concern", "Concern"


class SpcVariation(LabelledEnum):
    """What the variation icon shows."""

    COMMON_CAUSE = "common_cause", "Common cause"
    IMPROVEMENT = "special_cause_improvement", "Special cause — improvement"
    CONCERN = "special_cause_concern", "Special cause — concern"
    NOT_JUDGED = "not_judged", "Not judged"


class SpcAssurance(LabelledEnum):
    """What the assurance icon shows."""

    PASSES = "passes", "Consistently passes the target"
    FAILS = "fails", "Consistently fails the target"
    HIT_AND_MISS = "hit_and_miss", "Hit and miss"
    NOT_JUDGED = "not_judged", "Not judged"


@dataclass(frozen=True)
class SpcRules:
    """The rules' lengths and the reliability threshold (read from settings by
    the service). ``run_length``: consecutive months on one side of the mean;
    ``trend_length``: consecutive months each rising (or each falling), counting
    the first; ``min_points_for_limits``: plotted months before the limits are
    reliable."""

    run_length: int = 7
    trend_length: int = 7
    min_points_for_limits: int = 15

    def __post_init__(self) -> None:
        # A length of one would flag every point; two is the least that means
        # anything (and a chart needs two points for a moving range).
        for name in ("run_length", "trend_length", "min_points_for_limits"):
            if getattr(self, name) < 2:
                raise ValueError(f"{name} must be at least 2, not {getattr(self, name)}")


DEFAULT_RULES: Final = SpcRules()


@dataclass(frozen=True)
class SpcPoint:
    """One month. ``value`` is ``None`` when withheld (then nothing else is
    set). ``moving_range`` is ``None`` for the first plotted month."""

    label: str
    value: float | None
    moving_range: float | None = None
    flags: tuple[SpcRule, ...] = ()
    signal: SpcSignal | None = None

    @property
    def withheld(self) -> bool:
        return self.value is None


@dataclass(frozen=True)
class SpcChart:
    """An XmR chart: every month given (withheld ones included, in order, so
    the chart can show the gap), the centre line and limits (``None`` with
    fewer than two plotted months), and the summaries in words."""

    points: tuple[SpcPoint, ...]
    higher_is_better: bool
    target: float | None
    plotted: int
    withheld: int
    reliable: bool
    mean: float | None
    moving_range_mean: float | None
    sigma: float | None
    upper_limit: float | None
    lower_limit: float | None
    upper_two_sigma: float | None
    lower_two_sigma: float | None
    variation: SpcVariation
    variation_text: str
    assurance: SpcAssurance
    assurance_text: str
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Lines:
    mean: float
    moving_range_mean: float
    sigma: float
    upper_limit: float
    lower_limit: float
    upper_two_sigma: float
    lower_two_sigma: float


def spc_chart(
    points: Sequence[tuple[str, float | None]],
    *,
    higher_is_better: bool,
    target: float | None = None,
    rules: SpcRules = DEFAULT_RULES,
    unit: str = "%",
) -> SpcChart:
    """The XmR chart of ``points`` (``(label, value or None)`` in time order).
    ``unit`` is written after numbers in the sentences ("90.0%")."""
    for label, value in points:
        if value is not None and not math.isfinite(value):
            raise ValueError(f"{label}: {value!r} is not a number that can be charted")
    if target is not None and not math.isfinite(target):
        raise ValueError(f"target: {target!r} is not a number")

    plotted = [(position, value) for position, (_, value) in enumerate(points) if value is not None]
    values = [value for _, value in plotted]
    withheld = len(points) - len(plotted)
    better = UP if higher_is_better else DOWN

    moving_ranges: dict[int, float] = {
        position: abs(value - previous) for (_, previous), (position, value) in pairwise(plotted)
    }

    lines = _lines(values)
    directions: list[dict[SpcRule, set[int]]] = [{} for _ in values]
    if lines is not None:
        for rule, found in (
            (SpcRule.OUTSIDE_LIMITS, _outside_limits(values, lines)),
            (SpcRule.RUN, _runs(values, lines.mean, rules.run_length)),
            (SpcRule.TREND, _trends(values, rules.trend_length)),
            (SpcRule.TWO_OF_THREE, _two_of_three(values, lines)),
        ):
            for index, direction in found:
                directions[index].setdefault(rule, set()).add(direction)

    charted: dict[int, SpcPoint] = {}
    for (position, value), found_here in zip(plotted, directions, strict=True):
        every_direction = {direction for found in found_here.values() for direction in found}
        charted[position] = SpcPoint(
            label=points[position][0],
            value=value,
            moving_range=moving_ranges.get(position),
            # In SpcRule's order, whatever order the rules ran in.
            flags=tuple(rule for rule in SpcRule if rule in found_here),
            signal=_signal(every_direction, better),
        )
    chart_points = tuple(
        charted.get(position, SpcPoint(label=label, value=None))
        for position, (label, _) in enumerate(points)
    )

    reliable = lines is not None and len(values) >= rules.min_points_for_limits
    latest = charted[plotted[-1][0]] if plotted else None
    variation, variation_text = _variation(
        latest, chart_points, lines=lines, reliable=reliable, plotted=len(values), rules=rules
    )
    assurance, assurance_text = _assurance(
        target,
        lines,
        reliable=reliable,
        higher_is_better=higher_is_better,
        plotted=len(values),
        rules=rules,
        unit=unit,
    )
    return SpcChart(
        points=chart_points,
        higher_is_better=higher_is_better,
        target=target,
        plotted=len(values),
        withheld=withheld,
        reliable=reliable,
        mean=lines.mean if lines is not None else None,
        moving_range_mean=lines.moving_range_mean if lines is not None else None,
        sigma=lines.sigma if lines is not None else None,
        upper_limit=lines.upper_limit if lines is not None else None,
        lower_limit=lines.lower_limit if lines is not None else None,
        upper_two_sigma=lines.upper_two_sigma if lines is not None else None,
        lower_two_sigma=lines.lower_two_sigma if lines is not None else None,
        variation=variation,
        variation_text=variation_text,
        assurance=assurance,
        assurance_text=assurance_text,
        notes=_notes(
            plotted=len(values), withheld=withheld, lines=lines, reliable=reliable, rules=rules
        ),
    )


def _lines(values: Sequence[float]) -> _Lines | None:
    """The centre line and limits, or ``None`` with fewer than two values (no
    moving range to measure the variation by)."""
    if len(values) < 2:
        return None
    # fsum: the mean is exact to the last bit, so a value on the mean is on it.
    mean = math.fsum(values) / len(values)
    moving_range_mean = math.fsum(abs(b - a) for a, b in pairwise(values)) / (len(values) - 1)
    sigma = moving_range_mean / D2
    return _Lines(
        mean=mean,
        moving_range_mean=moving_range_mean,
        sigma=sigma,
        upper_limit=mean + LIMIT_FACTOR * moving_range_mean,
        lower_limit=mean - LIMIT_FACTOR * moving_range_mean,
        upper_two_sigma=mean + 2 * sigma,
        lower_two_sigma=mean - 2 * sigma,
    )


def _side(value: float, line: float) -> int:
    """1 above the line, -1 below it, 0 on it (within TOLERANCE)."""
    if math.isclose(value, line, rel_tol=TOLERANCE, abs_tol=TOLERANCE):
        return 0
    return UP if value > line else DOWN


def _stretches(signs: Sequence[int]) -> Iterator[tuple[int, int, int]]:
    """Maximal stretches of equal non-zero signs: ``(start, stop, sign)`` with
    ``signs[start:stop]`` all ``sign``."""
    start = 0
    for index in range(1, len(signs) + 1):
        if index == len(signs) or signs[index] != signs[start]:
            if signs[start] != 0:
                yield start, index, signs[start]
            start = index


def _outside_limits(values: Sequence[float], lines: _Lines) -> Iterator[tuple[int, int]]:
    """Rule 1: a point above the upper or below the lower process limit."""
    for index, value in enumerate(values):
        if _side(value, lines.upper_limit) == UP:
            yield index, UP
        elif _side(value, lines.lower_limit) == DOWN:
            yield index, DOWN


def _runs(values: Sequence[float], mean: float, length: int) -> Iterator[tuple[int, int]]:
    """Rule 2: ``length`` or more consecutive points on the same side of the
    mean. A point on the mean has side 0, so it ends a run."""
    sides = [_side(value, mean) for value in values]
    for start, stop, side in _stretches(sides):
        if stop - start >= length:
            yield from ((index, side) for index in range(start, stop))


def _trends(values: Sequence[float], length: int) -> Iterator[tuple[int, int]]:
    """Rule 3: ``length`` or more consecutive points each higher (or each
    lower) than the one before. ``steps[i]`` is the step from point i to
    point i + 1, so a stretch of steps [start, stop) joins points start..stop;
    an equal value is a 0 step and ends the trend."""
    steps = [_side(after, before) for before, after in pairwise(values)]
    for start, stop, direction in _stretches(steps):
        if stop - start + 1 >= length:
            yield from ((index, direction) for index in range(start, stop + 1))


def _two_of_three(values: Sequence[float], lines: _Lines) -> Iterator[tuple[int, int]]:
    """Rule 4: in three consecutive points all on the same side of the mean,
    two or more beyond that side's two-sigma line; those are flagged."""
    for first in range(len(values) - 2):
        window = range(first, first + 3)
        sides = {_side(values[index], lines.mean) for index in window}
        if len(sides) != 1 or 0 in sides:
            continue
        side = sides.pop()
        line = lines.upper_two_sigma if side == UP else lines.lower_two_sigma
        beyond = [index for index in window if _side(values[index], line) == side]
        if len(beyond) >= 2:
            yield from ((index, side) for index in beyond)


def _signal(directions: set[int], better: int) -> SpcSignal | None:
    # An improvement wins over a concern on the same point, as in the NHS
    # England tool; the point's flags still name both patterns.
    if better in directions:
        return SpcSignal.IMPROVEMENT
    if directions:
        return SpcSignal.CONCERN
    return None


def _months(count: int) -> str:
    return f"{count} month" if count == 1 else f"{count} months"


def _too_few(plotted: int, rules: SpcRules) -> str:
    return (
        f"only {_months(plotted)} {'has' if plotted == 1 else 'have'} a value, and the "
        f"process limits are reliable from {rules.min_points_for_limits}"
    )


def _variation(
    latest: SpcPoint | None,
    points: Sequence[SpcPoint],
    *,
    lines: _Lines | None,
    reliable: bool,
    plotted: int,
    rules: SpcRules,
) -> tuple[SpcVariation, str]:
    if latest is None:
        return SpcVariation.NOT_JUDGED, "Not judged: no month in the period has a value to chart."
    if lines is None:
        return SpcVariation.NOT_JUDGED, (
            f"Not judged: only one month ({latest.label}) has a value, and a chart needs "
            "at least two to measure how much the figure varies."
        )
    if not reliable:
        return SpcVariation.NOT_JUDGED, (
            f"Not judged yet: {_too_few(plotted, rules)}. Any months marked on the chart "
            "are provisional."
        )
    if latest.signal is None:
        earlier = any(point.signal is not None for point in points)
        return SpcVariation.COMMON_CAUSE, (
            f"Common cause variation: the latest month ({latest.label}) is within the "
            "usual variation of the process, so nothing signals a change."
            + (
                " Earlier months show special cause variation (marked on the chart)."
                if earlier
                else ""
            )
        )
    patterns = "; ".join(rule.in_sentence for rule in latest.flags)
    if latest.signal is SpcSignal.IMPROVEMENT:
        return SpcVariation.IMPROVEMENT, (
            f"Special cause variation — improvement: the latest month ({latest.label}) is "
            f"part of a pattern that shows the process has changed for the better ({patterns})."
        )
    return SpcVariation.CONCERN, (
        f"Special cause variation — concern: the latest month ({latest.label}) is part of "
        f"a pattern that shows the process has changed for the worse ({patterns})."
    )


def _assurance(
    target: float | None,
    lines: _Lines | None,
    *,
    reliable: bool,
    higher_is_better: bool,
    plotted: int,
    rules: SpcRules,
    unit: str,
) -> tuple[SpcAssurance, str]:
    if target is None:
        return SpcAssurance.NOT_JUDGED, "No target is set, so there is nothing to assure against."
    aim = f"the target ({target:.1f}{unit})"
    if lines is None:
        return SpcAssurance.NOT_JUDGED, (
            f"Not judged: a chart needs at least two months with a value to tell whether "
            f"{aim} will be met."
        )
    if not reliable:
        return SpcAssurance.NOT_JUDGED, (
            f"Not judged yet: {_too_few(plotted, rules)}, so it is too soon to tell how "
            f"reliably {aim} will be met."
        )
    upper = f"the upper process limit ({lines.upper_limit:.1f}{unit})"
    lower = f"the lower process limit ({lines.lower_limit:.1f}{unit})"
    # Meeting the target means at or above it when higher is better (at or
    # below it when lower is better), so a limit equal to the target passes.
    if higher_is_better:
        passes = _side(target, lines.lower_limit) <= 0
        fails = _side(target, lines.upper_limit) == UP
        passing_limit, failing_limit = f"at or below {lower}", f"above {upper}"
    else:
        passes = _side(target, lines.upper_limit) >= 0
        fails = _side(target, lines.lower_limit) == DOWN
        passing_limit, failing_limit = f"at or above {upper}", f"below {lower}"
    if passes:
        return SpcAssurance.PASSES, (
            f"Consistently passes the target: {aim} is {passing_limit}, so every month "
            "can be expected to meet it unless the process changes."
        )
    if fails:
        return SpcAssurance.FAILS, (
            f"Consistently fails the target: {aim} is {failing_limit}, so it will not be "
            "met without a change to the process."
        )
    return SpcAssurance.HIT_AND_MISS, (
        f"Hit and miss: {aim} lies within the process limits, so the process will "
        "sometimes meet it and sometimes not."
    )


def _notes(
    *, plotted: int, withheld: int, lines: _Lines | None, reliable: bool, rules: SpcRules
) -> tuple[str, ...]:
    notes: list[str] = []
    if withheld:
        notes.append(
            f"{_months(withheld)} {'is' if withheld == 1 else 'are'} withheld (small "
            "numbers) and not plotted; the moving ranges and rules skip over them."
        )
    if lines is not None and not reliable:
        notes.append(
            f"The limits come from {_months(plotted)}; Making Data Count advises at least "
            f"{rules.min_points_for_limits} before relying on them, so they will move as "
            "months are added."
        )
    return tuple(notes)
