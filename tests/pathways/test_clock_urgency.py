"""How urgent a clock reads (issue 11): overdue past due, due soon once the
policy's latest warning fraction of the target is left, else comfortable."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pathways.clock_rules import DUE_SOON_FRACTION, urgency_at
from pathways.codes import ClockUrgency

START = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
DUE = START + timedelta(hours=24)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (START, ClockUrgency.COMFORTABLE),
        (DUE - timedelta(hours=6, seconds=1), ClockUrgency.COMFORTABLE),
        (DUE - timedelta(hours=6), ClockUrgency.DUE_SOON),  # 25% of 24 h left
        (DUE - timedelta(minutes=29), ClockUrgency.DUE_SOON),
        (DUE - timedelta(seconds=1), ClockUrgency.DUE_SOON),
        (DUE, ClockUrgency.OVERDUE),
        (DUE + timedelta(hours=3), ClockUrgency.OVERDUE),
    ],
)
def test_a_24_hour_clock_by_the_default_fraction(now: datetime, expected: ClockUrgency) -> None:
    assert DUE_SOON_FRACTION == 0.25
    assert urgency_at("running", START, DUE, now) == expected


def test_the_policys_latest_warning_moves_due_soon() -> None:
    now = DUE - timedelta(hours=10)
    assert urgency_at("running", START, DUE, now, 0.25) == ClockUrgency.COMFORTABLE
    assert urgency_at("running", START, DUE, now, 0.5) == ClockUrgency.DUE_SOON


@pytest.mark.parametrize("stored", ["met", "met_late", "cancelled"])
def test_a_stopped_clock_has_no_urgency(stored: str) -> None:
    assert urgency_at(stored, START, DUE, DUE + timedelta(days=1)) is None


def test_a_measured_clock_has_no_urgency() -> None:
    assert urgency_at("running", START, None, START + timedelta(days=30)) is None


def test_across_the_clocks_change_it_is_elapsed_time_that_counts() -> None:
    # 29 March 2026, 01:00 UTC: the UK goes to BST. A London-zoned now is
    # compared on the UTC timeline, like the due time itself.
    from zoneinfo import ZoneInfo

    london = ZoneInfo("Europe/London")
    now = datetime(2026, 3, 29, 7, 0, tzinfo=london)  # 06:00 UTC: 6 h left
    assert urgency_at("running", START, DUE, now) == ClockUrgency.DUE_SOON


@pytest.mark.parametrize("fraction", [0, 1, -0.1, 1.5])
def test_a_fraction_outside_0_to_1_is_refused(fraction: float) -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        urgency_at("running", START, DUE, START, fraction)


@given(
    target=st.integers(min_value=60, max_value=14 * 86400),
    elapsed=st.integers(min_value=0, max_value=30 * 86400),
    fraction=st.floats(min_value=0.01, max_value=0.99),
)
def test_urgency_never_goes_back_as_time_passes(target: int, elapsed: int, fraction: float) -> None:
    due = START + timedelta(seconds=target)
    order = [ClockUrgency.COMFORTABLE, ClockUrgency.DUE_SOON, ClockUrgency.OVERDUE]
    now = START + timedelta(seconds=elapsed)
    later = now + timedelta(minutes=1)
    a = urgency_at("running", START, due, now, fraction)
    b = urgency_at("running", START, due, later, fraction)
    assert a is not None and b is not None
    assert order.index(a) <= order.index(b)
    assert (a == ClockUrgency.OVERDUE) == (now >= due)
