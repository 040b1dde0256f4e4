"""The XmR chart (audit/spc.py) on worked examples: each series is small
enough to check by hand, and the comments show the arithmetic. No database.

The rules are applied to every chart of two or more months, but the summaries
judge only a reliable chart (15 months by default); the examples that test a
summary on a short series say so with ``EARLY``.
"""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from audit.spc import (
    DEFAULT_RULES,
    SpcAssurance,
    SpcChart,
    SpcRule,
    SpcRules,
    SpcSignal,
    SpcVariation,
    spc_chart,
)

# Judge the summaries from two months on, so a worked example can stay short.
EARLY = SpcRules(min_points_for_limits=2)


def months(*values: float | None) -> list[tuple[str, float | None]]:
    """``values`` labelled month by month from 2025-01."""
    return [(f"{2025 + i // 12}-{i % 12 + 1:02d}", value) for i, value in enumerate(values)]


def chart(
    *values: float | None,
    higher_is_better: bool = True,
    target: float | None = None,
    rules: SpcRules = DEFAULT_RULES,
) -> SpcChart:
    return spc_chart(months(*values), higher_is_better=higher_is_better, target=target, rules=rules)


def flagged(result: SpcChart) -> dict[str, tuple[SpcRule, ...]]:
    """Label → rules, for the flagged months only."""
    return {point.label: point.flags for point in result.points if point.flags}


def signals(result: SpcChart) -> dict[str, SpcSignal | None]:
    return {point.label: point.signal for point in result.points if point.flags}


# --- the limits ----------------------------------------------------------------------


def test_limits_of_a_small_series():
    # 80, 90, 85, 95, 90: mean = 440 / 5 = 88.
    # Moving ranges 10, 5, 10, 5: mR̄ = 30 / 4 = 7.5.
    # Limits 88 ± 2.66 * 7.5 = 88 ± 19.95 → 107.95 and 68.05 (not clipped to 100).
    # Sigma = 7.5 / 1.128 = 6.649; two-sigma lines 88 ± 13.298 → 101.298 and 74.702.
    result = chart(80, 90, 85, 95, 90)

    assert result.mean == pytest.approx(88)
    assert result.moving_range_mean == pytest.approx(7.5)
    assert result.upper_limit == pytest.approx(107.95)
    assert result.lower_limit == pytest.approx(68.05)
    assert result.sigma == pytest.approx(6.6489, abs=1e-4)
    assert result.upper_two_sigma == pytest.approx(101.298, abs=1e-3)
    assert result.lower_two_sigma == pytest.approx(74.702, abs=1e-3)
    assert [point.moving_range for point in result.points] == [None, 10, 5, 10, 5]
    assert flagged(result) == {}


def test_withheld_months_are_skipped_in_the_moving_ranges_and_counted():
    # 80, —, 90, —, 85: plotted 80, 90, 85; mean 85.
    # Moving ranges 90 - 80 = 10 (across the gap) and 5: mR̄ = 7.5.
    result = chart(80, None, 90, None, 85)

    assert (result.plotted, result.withheld) == (3, 2)
    assert result.mean == pytest.approx(85)
    assert result.moving_range_mean == pytest.approx(7.5)
    assert [point.moving_range for point in result.points] == [None, None, 10, None, 5]
    assert [point.withheld for point in result.points] == [False, True, False, True, False]
    assert result.notes[0].startswith("2 months are withheld")


# --- too few points ------------------------------------------------------------------


def test_no_month_with_a_value_has_no_mean_and_says_why():
    for result in (chart(), chart(None, None)):
        assert result.mean is None
        assert result.upper_limit is None
        assert not result.reliable
        assert result.variation is SpcVariation.NOT_JUDGED
        assert "no month in the period has a value" in result.variation_text
    assert chart(None, None).withheld == 2


def test_one_month_has_no_mean_and_says_why():
    result = chart(None, 80, target=90)

    assert result.mean is None
    assert result.lower_limit is None
    assert result.points[1].flags == ()
    assert result.variation_text.startswith("Not judged: only one month (2025-02) has a value")
    assert result.assurance is SpcAssurance.NOT_JUDGED
    assert "at least two months" in result.assurance_text


def test_two_months_draw_provisional_limits_but_are_not_judged():
    # 80, 90: mean 85, mR̄ 10, limits 85 ± 26.6 → 111.6 and 58.4.
    result = chart(80, 90, target=90)

    assert result.mean == pytest.approx(85)
    assert result.upper_limit == pytest.approx(111.6)
    assert result.lower_limit == pytest.approx(58.4)
    assert not result.reliable
    assert result.variation is SpcVariation.NOT_JUDGED
    assert result.variation_text.startswith("Not judged yet: only 2 months have a value")
    assert result.assurance is SpcAssurance.NOT_JUDGED
    assert "too soon to tell" in result.assurance_text
    assert "Making Data Count advises at least 15" in result.notes[0]


def test_limits_are_reliable_from_fifteen_plotted_months():
    fourteen = [50.0, 52.0] * 7
    assert not chart(*fourteen).reliable
    # A withheld month does not count towards the fifteen.
    assert not chart(*fourteen, None).reliable
    assert chart(*fourteen, 50).reliable
    assert chart(*fourteen[:5], rules=SpcRules(min_points_for_limits=5)).reliable


# --- rule 1: outside the process limits ----------------------------------------------


def test_a_month_above_the_upper_limit():
    # 49, 51 five times, then 60: mean = (5 * 49 + 5 * 51 + 60) / 11 = 560 / 11 = 50.91.
    # Moving ranges: nine of 2, then 9: mR̄ = 27 / 10 = 2.7.
    # Upper limit 50.91 + 2.66 * 2.7 = 50.91 + 7.18 = 58.09 < 60.
    result = chart(*[49, 51] * 5, 60)

    assert result.upper_limit == pytest.approx(58.091, abs=1e-3)
    assert flagged(result) == {"2025-11": (SpcRule.OUTSIDE_LIMITS,)}


def test_a_month_below_the_lower_limit():
    # The mirror image: 51, 49 five times, then 40: mean 540 / 11 = 49.09, mR̄ 2.7,
    # lower limit 49.09 - 7.18 = 41.91 > 40.
    result = chart(*[51, 49] * 5, 40)

    assert result.lower_limit == pytest.approx(41.909, abs=1e-3)
    assert flagged(result) == {"2025-11": (SpcRule.OUTSIDE_LIMITS,)}


# --- rule 2: a run on one side of the mean -------------------------------------------

# Seven below the mean, then seven above: mean = (4 * 40 + 3 * 46 + 4 * 60 + 3 * 54) / 14
# = 700 / 14 = 50. Moving ranges: twelve of 6 and one of 20: mR̄ = 92 / 13 = 7.08, so the
# limits are 50 ± 18.8 and the two-sigma lines 50 ± 12.5: nothing else fires, and the
# values alternate, so there is no trend.
SHIFT = (40, 46, 40, 46, 40, 46, 40, 60, 54, 60, 54, 60, 54, 60)


def test_seven_months_on_each_side_of_the_mean_are_two_runs():
    result = chart(*SHIFT)

    assert result.mean == pytest.approx(50)
    assert all(point.flags == (SpcRule.RUN,) for point in result.points)
    assert [point.signal for point in result.points] == [SpcSignal.CONCERN] * 7 + [
        SpcSignal.IMPROVEMENT
    ] * 7


def test_six_months_on_a_side_are_not_a_run_of_seven_but_are_a_run_of_six():
    # The same shape one month shorter each side: mean (258 + 342) / 12 = 50.
    six_and_six = (40, 46, 40, 46, 40, 46, 60, 54, 60, 54, 60, 54)

    assert flagged(chart(*six_and_six)) == {}
    assert len(flagged(chart(*six_and_six, rules=SpcRules(run_length=6)))) == 12


def test_a_month_exactly_on_the_mean_breaks_a_run():
    # 34, then 56 54 56, 50, 56 54 56, then 34: mean = 450 / 9 = 50, so the middle month is
    # on the mean. Seven months in a row are at or above it, but the run is 3 + 3, not 7.
    # (Moving ranges 22 2 2 6 6 2 2 22: mR̄ 8, limits 50 ± 21.3: nothing outside.)
    values = (34, 56, 54, 56, 50, 56, 54, 56, 34)

    assert chart(*values).mean == 50
    assert flagged(chart(*values)) == {}
    # Runs of three do fire, either side of the month on the mean, which is in neither.
    runs_of_three = flagged(chart(*values, rules=SpcRules(run_length=3)))
    assert sorted(runs_of_three) == [
        "2025-02",
        "2025-03",
        "2025-04",
        "2025-06",
        "2025-07",
        "2025-08",
    ]


# --- rule 3: a trend -----------------------------------------------------------------

# 30, 70, 30, 70, then 44 46 48 50 52 54 56: mean = (200 + 350) / 11 = 50. Moving ranges
# 40 40 40 26 and six of 2: mR̄ = 158 / 10 = 15.8, limits 50 ± 42.0, two-sigma lines 50 ± 28.0.
# The seven months from 44 rise each time (the step into 44 falls, so it starts there).
RISING = (30, 70, 30, 70, 44, 46, 48, 50, 52, 54, 56)


def test_seven_months_each_higher_are_a_trend():
    result = chart(*RISING)

    assert result.mean == pytest.approx(50)
    assert flagged(result) == {label: (SpcRule.TREND,) for label, _ in months(*RISING)[4:]}
    assert set(signals(result).values()) == {SpcSignal.IMPROVEMENT}


def test_an_equal_value_breaks_a_trend():
    # 44 46 48 48 52 54 56: a trend of three, then of four; neither is seven.
    result = chart(30, 70, 30, 70, 44, 46, 48, 48, 52, 54, 56)

    assert flagged(result) == {}


def test_seven_months_each_lower_are_a_falling_trend():
    # 70, 30, 70, 30, then 56 down to 44: the same arithmetic (mean 50, mR̄ 15.8); the
    # step into 56 rises, so the trend is the seven months from 56.
    result = chart(70, 30, 70, 30, 56, 54, 52, 50, 48, 46, 44)

    assert len(flagged(result)) == 7
    assert set(signals(result).values()) == {SpcSignal.CONCERN}


# --- rule 4: two of three beyond a two-sigma line ------------------------------------


def test_two_of_three_beyond_the_same_two_sigma_line():
    # 49 51 49 51 49 51, then 57 54 57: mean = 468 / 9 = 52.
    # Moving ranges five of 2, then 6 3 3: mR̄ = 22 / 8 = 2.75; sigma = 2.438.
    # Upper two-sigma line 52 + 4.876 = 56.876; upper limit 52 + 7.315 = 59.315.
    # 57, 54, 57 are all above the mean; both 57s are beyond the line (54 is not).
    result = chart(49, 51, 49, 51, 49, 51, 57, 54, 57)

    assert result.upper_two_sigma == pytest.approx(56.876, abs=1e-3)
    assert flagged(result) == {
        "2025-07": (SpcRule.TWO_OF_THREE,),
        "2025-09": (SpcRule.TWO_OF_THREE,),
    }


def test_two_of_three_counts_a_month_beyond_the_process_limit_too():
    # 49 51 49 51 49 51, then 52 56 57: mean = 465 / 9 = 51.67. Moving ranges five of 2,
    # then 1 4 1: mR̄ = 16 / 8 = 2; upper two-sigma line 51.67 + 3.55 = 55.21, upper limit
    # 51.67 + 5.32 = 56.99. 56 is beyond the line, 57 beyond the limit as well: both count.
    result = chart(49, 51, 49, 51, 49, 51, 52, 56, 57)

    assert result.upper_limit == pytest.approx(56.987, abs=1e-3)
    assert flagged(result) == {
        "2025-08": (SpcRule.TWO_OF_THREE,),
        "2025-09": (SpcRule.OUTSIDE_LIMITS, SpcRule.TWO_OF_THREE),
    }


def test_two_of_three_beyond_opposite_two_sigma_lines_is_not_a_signal():
    # 49 51 49 51, then 57 40 39: mean = 336 / 7 = 48. Moving ranges 2 2 2 6 17 1:
    # mR̄ = 30 / 6 = 5; two-sigma lines 48 ± 8.865 → 56.865 and 39.135.
    # 57 is beyond the upper line and 39 beyond the lower: not the same side.
    result = chart(49, 51, 49, 51, 57, 40, 39)

    assert result.lower_two_sigma == pytest.approx(39.135, abs=1e-3)
    assert flagged(result) == {}


def test_two_of_three_needs_the_third_on_the_same_side_of_the_mean():
    # As the NHS England tool: 63 52 63 after 49 51 49 51 49 51 has mean 478 / 9 = 53.11, so
    # the 52 between the 63s is below it. mR̄ = 44 / 8 = 5.5; upper two-sigma line
    # 53.11 + 9.75 = 62.86: both 63s are beyond it, but the three are not on one side.
    result = chart(49, 51, 49, 51, 49, 51, 63, 52, 63)

    assert result.upper_two_sigma == pytest.approx(62.863, abs=1e-3)
    assert flagged(result) == {}


# --- direction -----------------------------------------------------------------------


def test_above_the_limit_is_an_improvement_when_higher_is_better_and_a_concern_when_not():
    spike = (*[49, 51] * 5, 60)

    assert signals(chart(*spike)) == {"2025-11": SpcSignal.IMPROVEMENT}
    assert signals(chart(*spike, higher_is_better=False)) == {"2025-11": SpcSignal.CONCERN}


def test_a_falling_trend_is_an_improvement_when_lower_is_better():
    result = chart(70, 30, 70, 30, 56, 54, 52, 50, 48, 46, 44, higher_is_better=False)

    assert set(signals(result).values()) == {SpcSignal.IMPROVEMENT}


def test_a_run_below_the_mean_is_an_improvement_when_lower_is_better():
    result = chart(*SHIFT, higher_is_better=False)

    assert [point.signal for point in result.points] == [SpcSignal.IMPROVEMENT] * 7 + [
        SpcSignal.CONCERN
    ] * 7


def test_a_month_in_both_an_improving_and_a_concerning_pattern_shows_as_improvement():
    # 62 down to 51 are seven months above the mean (48.45): a run, up; and each lower than
    # the last: a trend, down. One pattern is good news whichever way is better.
    values = (40, 30, 40, 30, 62, 60, 58, 56, 54, 52, 51)
    for higher_is_better in (True, False):
        result = chart(*values, higher_is_better=higher_is_better)
        last_seven = result.points[4:]
        assert {point.flags for point in last_seven} == {(SpcRule.RUN, SpcRule.TREND)}
        assert {point.signal for point in last_seven} == {SpcSignal.IMPROVEMENT}


# --- the variation summary -----------------------------------------------------------


def test_variation_is_special_cause_when_the_latest_month_is_flagged():
    improvement = chart(*[49, 51] * 5, 60, rules=EARLY)
    concern = chart(*[49, 51] * 5, 60, higher_is_better=False, rules=EARLY)

    assert improvement.variation is SpcVariation.IMPROVEMENT
    assert improvement.variation_text == (
        "Special cause variation — improvement: the latest month (2025-11) is part of a "
        "pattern that shows the process has changed for the better (a month outside the "
        "process limits)."
    )
    assert concern.variation is SpcVariation.CONCERN
    assert "changed for the worse" in concern.variation_text


def test_variation_is_common_cause_when_the_latest_month_is_not_flagged():
    # The spike, then two ordinary months: mean 660 / 13 = 50.77, mR̄ = (18 + 9 + 11 + 2) / 12
    # = 3.33, upper limit 59.64 < 60: the spike still shows, the latest month does not.
    result = chart(*[49, 51] * 5, 60, 49, 51, rules=EARLY)

    assert flagged(result) == {"2025-11": (SpcRule.OUTSIDE_LIMITS,)}
    assert result.variation is SpcVariation.COMMON_CAUSE
    assert result.variation_text.startswith(
        "Common cause variation: the latest month (2026-01) is within the usual variation"
    )
    assert "Earlier months show special cause variation" in result.variation_text
    assert "Earlier" not in chart(80, 90, 85, 95, 90, rules=EARLY).variation_text


def test_variation_is_judged_by_the_latest_month_with_a_value():
    result = chart(*[49, 51] * 5, 60, None, rules=EARLY)

    assert result.variation is SpcVariation.IMPROVEMENT
    assert "the latest month (2025-11)" in result.variation_text


# --- the assurance summary -----------------------------------------------------------

# 96 98 97 99 98: mean 97.6, mR̄ (2 + 1 + 2 + 1) / 4 = 1.5, limits 97.6 ± 3.99 → 93.61..101.59.
HIGH = (96, 98, 97, 99, 98)
# 70 72 71 73 72: mean 71.6, mR̄ 1.5, limits 67.61..75.59.
LOW = (70, 72, 71, 73, 72)


def test_a_target_below_the_lower_limit_is_consistently_passed():
    result = chart(*HIGH, target=90, rules=EARLY)

    assert result.assurance is SpcAssurance.PASSES
    assert result.assurance_text == (
        "Consistently passes the target: the target (90.0%) is at or below the lower process "
        "limit (93.6%), so every month can be expected to meet it unless the process changes."
    )


def test_a_target_above_the_upper_limit_is_consistently_failed():
    result = chart(*LOW, target=90, rules=EARLY)

    assert result.assurance is SpcAssurance.FAILS
    assert result.assurance_text == (
        "Consistently fails the target: the target (90.0%) is above the upper process limit "
        "(75.6%), so it will not be met without a change to the process."
    )


def test_a_target_within_the_limits_is_hit_and_miss():
    result = chart(*HIGH, target=100, rules=EARLY)

    assert result.assurance is SpcAssurance.HIT_AND_MISS
    assert result.assurance_text == (
        "Hit and miss: the target (100.0%) lies within the process limits, so the process "
        "will sometimes meet it and sometimes not."
    )


def test_assurance_is_mirrored_when_lower_is_better():
    # Lower is better: a target above the upper limit is always met, below the lower never.
    assert chart(*LOW, target=90, higher_is_better=False, rules=EARLY).assurance is (
        SpcAssurance.PASSES
    )
    assert chart(*HIGH, target=90, higher_is_better=False, rules=EARLY).assurance is (
        SpcAssurance.FAILS
    )


def test_every_month_at_a_target_of_100_consistently_passes_it():
    # Constant 100: mR̄ 0, both limits 100. Every month meets "at least 100%".
    result = chart(*[100] * 15, target=100)

    assert result.assurance is SpcAssurance.PASSES


def test_no_target_is_not_judged():
    result = chart(*HIGH, rules=EARLY)

    assert result.assurance is SpcAssurance.NOT_JUDGED
    assert result.assurance_text == "No target is set, so there is nothing to assure against."


# --- inputs --------------------------------------------------------------------------


def test_a_value_that_is_not_a_number_is_refused_by_month():
    with pytest.raises(ValueError, match="2025-02"):
        chart(80, math.nan)


def test_a_rule_length_below_two_is_refused():
    with pytest.raises(ValueError, match="run_length"):
        SpcRules(run_length=1)


# --- properties ----------------------------------------------------------------------

series = st.lists(
    st.one_of(st.none(), st.floats(min_value=0, max_value=100, allow_nan=False)), max_size=30
)


@pytest.mark.slow
@given(series)
def test_limits_are_symmetric_about_the_mean(values: list[float | None]) -> None:
    result = chart(*values)
    plotted = [value for value in values if value is not None]

    assert (result.plotted, result.withheld) == (len(plotted), len(values) - len(plotted))
    if len(plotted) < 2:
        assert result.mean is None
        return
    assert result.mean is not None and result.upper_limit is not None
    assert result.lower_limit is not None and result.upper_two_sigma is not None
    assert result.lower_two_sigma is not None
    assert result.upper_limit - result.mean == pytest.approx(result.mean - result.lower_limit)
    assert result.upper_two_sigma - result.mean == pytest.approx(
        result.mean - result.lower_two_sigma
    )
    assert sum(point.moving_range is not None for point in result.points) == len(plotted) - 1


@pytest.mark.slow
@given(series)
def test_a_mirrored_series_with_the_direction_flipped_signals_the_same(
    values: list[float | None],
) -> None:
    # Turning the chart upside down and what counts as better with it changes nothing.
    result = chart(*values)
    mirrored = chart(*(None if v is None else -v for v in values), higher_is_better=False)

    assert [p.flags for p in mirrored.points] == [p.flags for p in result.points]
    assert [p.signal for p in mirrored.points] == [p.signal for p in result.points]
    assert mirrored.variation is result.variation


@pytest.mark.slow
@given(st.floats(min_value=0, max_value=100, allow_nan=False), st.integers(2, 30))
def test_a_constant_series_has_no_variation_and_no_signal(value: float, count: int) -> None:
    # Every month is on the mean (mR̄ 0, the limits on the mean too): no rule can fire.
    result = chart(*[value] * count)

    assert result.moving_range_mean == 0
    assert flagged(result) == {}
