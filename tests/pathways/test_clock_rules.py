from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from pathways import clock_rules
from pathways.codes import ClockStatus

LONDON = ZoneInfo("Europe/London")


def test_due_is_calendar_time_across_the_clocks_going_back():
    # 00:30 BST on 25 October 2026, the night the clocks go back: 24 elapsed
    # hours later it is 23:30 GMT on the 25th, not 00:30 on the 26th.
    start = datetime(2026, 10, 25, 0, 30, tzinfo=LONDON)
    due = clock_rules.due_at(start, timedelta(hours=24))
    assert due.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=24)
    assert due.astimezone(LONDON).replace(tzinfo=None) == datetime(2026, 10, 25, 23, 30)  # noqa: DTZ001


def test_status_and_remaining_use_elapsed_time_across_dst():
    start = datetime(2026, 3, 29, 0, 30, tzinfo=LONDON)  # the clocks go forward at 01:00
    due = clock_rules.due_at(start, timedelta(hours=2))
    # 03:29 BST is 1 h 59 min after 00:30 GMT: still running.
    just_before = datetime(2026, 3, 29, 3, 29, tzinfo=LONDON)
    assert clock_rules.status_at("running", due, just_before) == ClockStatus.RUNNING
    assert clock_rules.remaining(due, just_before) == timedelta(minutes=1)


def test_naive_times_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        clock_rules.due_at(datetime(2026, 1, 1), timedelta(hours=1))  # noqa: DTZ001


def test_a_target_must_be_positive():
    with pytest.raises(ValueError, match="positive"):
        clock_rules.due_at(datetime(2026, 1, 1, tzinfo=UTC), timedelta(0))


def test_running_clock_reads_breached_once_due_without_any_sweep():
    due = datetime(2026, 1, 1, 12, tzinfo=UTC)
    assert clock_rules.status_at("running", due, due - timedelta(seconds=1)) == "running"
    assert clock_rules.status_at("running", due, due) == ClockStatus.BREACHED
    assert clock_rules.status_at("met", due, due + timedelta(days=1)) == ClockStatus.MET


def test_stop_status():
    due = datetime(2026, 1, 1, 12, tzinfo=UTC)
    assert clock_rules.stop_status(due, due) == ClockStatus.MET
    assert clock_rules.stop_status(due, due + timedelta(seconds=1)) == ClockStatus.MET_LATE


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (29 * 60 + 59, "29 min left"),
        (3 * 3600 + 5 * 60, "3 h 05 min left"),
        (7 * 86400, "7 d 0 h left"),
        (-12 * 60, "OVERDUE by 12 min"),
    ],
)
def test_describe_remaining(seconds, text):
    assert clock_rules.describe_remaining(timedelta(seconds=seconds)) == text


@pytest.mark.parametrize(
    ("category", "imaging", "met"),
    [
        ("suspected_mscc", "cord_compression", True),
        ("suspected_mscc", "spinal_metastases", False),  # MRI still needed to find compression
        ("suspected_mscc", "none", False),
        ("suspected_spinal_metastases", "spinal_metastases", True),
        ("suspected_spinal_metastases", "none", False),
        ("safety_net", "none", False),
    ],
)
def test_mri_met_by_imaging_at_referral(category, imaging, met):
    assert clock_rules.mri_met_by_imaging_at_referral(category, imaging) is met
