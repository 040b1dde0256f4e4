"""Durations in hours and minutes (core/durations.py): what a service admin
types for a clock's target or an escalation step's delay, and how it is shown."""

from datetime import timedelta

import pytest

from core.durations import DurationProblem, hours_minutes, parse

MIN = timedelta(minutes=1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("24 h", 24 * 60 * MIN),
        ("1 h 30 min", 90 * MIN),
        ("90 min", 90 * MIN),
        ("1h30min", 90 * MIN),
        ("1.5 hours", 90 * MIN),
        ("2 hours, 5 minutes", 125 * MIN),
        ("7 d", 7 * 24 * 60 * MIN),
        ("5 min", 5 * MIN),
        # The older clock formats still read: Django's and hh:mm.
        ("00:30:00", 30 * MIN),
        ("1 00:00:00", 24 * 60 * MIN),
        ("08:00", 8 * 60 * MIN),
        ("", None),
        ("   ", None),
    ],
)
def test_what_an_admin_types_is_read(text, expected):
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("12", "“12” has no unit: write 12 h or 12 min"),
        ("twelve hours", "days (d), hours (h) and minutes (min)"),
        ("5 weeks", "days (d), hours (h) and minutes (min)"),
        ("1 h then 5 min", "days (d), hours (h) and minutes (min)"),
        ("-00:10:00", "cannot be negative"),
        ("- 1 h", "cannot be negative"),
        ("00:75", "Minutes go up to 59"),
        ("0.5 min", "whole minutes"),
    ],
)
def test_what_is_not_a_duration_is_refused_saying_what_to_type(text, says):
    with pytest.raises(DurationProblem) as refused:
        parse(text)
    assert says in str(refused.value)
    assert "24 h, 1 h 30 min or 90 min" in str(refused.value)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (30 * MIN, "30 min"),
        (90 * MIN, "1 h 30 min"),
        (24 * 60 * MIN, "24 h"),
        (48 * 60 * MIN, "48 h"),
        (7 * 24 * 60 * MIN, "7 d"),
        (80 * 60 * MIN, "80 h"),
        (timedelta(0), "0 min"),
        (timedelta(seconds=90), "1 min 30 s"),
    ],
)
def test_durations_are_shown_in_hours_and_minutes(value, shown):
    assert hours_minutes(value) == shown


@pytest.mark.parametrize("minutes", [5, 30, 90, 24 * 60, 36 * 60, 7 * 24 * 60, 11 * 24 * 60 + 7])
def test_what_is_shown_reads_back_as_the_same_duration(minutes):
    assert parse(hours_minutes(minutes * MIN)) == minutes * MIN
