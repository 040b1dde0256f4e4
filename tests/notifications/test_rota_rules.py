"""The pure rota rules: interval merging, coverage gaps, who wins an instant,
splitting at midnights and reading UK wall-clock times. No database."""

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from notifications import rota_rules
from notifications.rota_rules import Cover, LocalTimeProblem, local_to_aware, merge, uncovered

LONDON = ZoneInfo("Europe/London")
T0 = datetime(2026, 3, 2, 8, tzinfo=UTC)


def h(n: float) -> datetime:
    """``n`` hours after T0."""
    return T0 + timedelta(hours=n)


# --- merge and uncovered -------------------------------------------------------------


def test_nothing_covered_is_one_gap_over_the_whole_window():
    assert uncovered([], start=h(0), end=h(24)) == [(h(0), h(24))]


def test_full_cover_leaves_no_gap():
    assert uncovered([(h(-1), h(25))], start=h(0), end=h(24)) == []


def test_cover_exactly_the_window_leaves_no_gap():
    assert uncovered([(h(0), h(24))], start=h(0), end=h(24)) == []


def test_touching_intervals_merge_and_leave_no_gap():
    assert merge([(h(12), h(24)), (h(0), h(12))]) == [(h(0), h(24))]
    assert uncovered([(h(0), h(12)), (h(12), h(24))], start=h(0), end=h(24)) == []


def test_overlapping_intervals_merge():
    assert merge([(h(0), h(10)), (h(5), h(15)), (h(6), h(7))]) == [(h(0), h(15))]


def test_disjoint_intervals_stay_apart_sorted():
    assert merge([(h(5), h(6)), (h(0), h(1))]) == [(h(0), h(1)), (h(5), h(6))]


def test_empty_and_inverted_intervals_are_dropped():
    assert merge([(h(3), h(3)), (h(5), h(4))]) == []


def test_gap_at_the_start():
    assert uncovered([(h(2), h(30))], start=h(0), end=h(24)) == [(h(0), h(2))]


def test_gap_at_the_end():
    assert uncovered([(h(-5), h(20))], start=h(0), end=h(24)) == [(h(20), h(24))]


def test_gap_in_the_middle_and_a_one_minute_gap():
    covered = [(h(0), h(8)), (h(9), h(12)), (h(12) + timedelta(minutes=1), h(24))]
    assert uncovered(covered, start=h(0), end=h(24)) == [
        (h(8), h(9)),
        (h(12), h(12) + timedelta(minutes=1)),
    ]


def test_intervals_outside_the_window_do_not_count():
    covered = [(h(-10), h(-5)), (h(30), h(40))]
    assert uncovered(covered, start=h(0), end=h(24)) == [(h(0), h(24))]


def test_overlaps_is_half_open():
    assert rota_rules.overlaps((h(0), h(12)), (h(11), h(13)))
    assert not rota_rules.overlaps((h(0), h(12)), (h(12), h(24)))


def test_naive_times_are_refused():
    with pytest.raises(ValueError, match="no time zone"):
        merge([(datetime(2026, 1, 1), datetime(2026, 1, 2))])  # noqa: DTZ001


def test_dst_night_local_shifts_cover_the_25_hour_day():
    # 25 October 2026: the clocks go back at 02:00 BST, so the day has 25 hours.
    midnight = datetime(2026, 10, 25, 0, tzinfo=LONDON)
    noon = datetime(2026, 10, 25, 12, tzinfo=LONDON)
    next_midnight = datetime(2026, 10, 26, 0, tzinfo=LONDON)
    assert rota_rules.utc(noon) - rota_rules.utc(midnight) == timedelta(hours=13)
    assert (
        uncovered([(midnight, noon), (noon, next_midnight)], start=midnight, end=next_midnight)
        == []
    )
    # Twelve real hours from midnight leave the day's 13th hour, to noon, uncovered.
    twelve_hours = rota_rules.utc(midnight) + timedelta(hours=12)
    gaps = uncovered([(midnight, twelve_hours)], start=midnight, end=noon)
    assert gaps == [
        (datetime(2026, 10, 25, 11, tzinfo=UTC), datetime(2026, 10, 25, 12, tzinfo=UTC))
    ]


def test_dst_gaps_are_in_utc_whatever_zone_they_came_in():
    start = datetime(2026, 3, 29, 0, tzinfo=LONDON)  # clocks go forward at 01:00 GMT
    end = datetime(2026, 3, 29, 3, tzinfo=LONDON)  # 02:00 UTC: two real hours later
    assert uncovered([], start=start, end=end) == [
        (datetime(2026, 3, 29, 0, tzinfo=UTC), datetime(2026, 3, 29, 2, tzinfo=UTC))
    ]


moments = st.integers(min_value=0, max_value=48 * 4).map(lambda q: h(q / 4))


@pytest.mark.slow
@given(st.lists(st.tuples(moments, moments), max_size=8))
def test_gaps_and_cover_partition_the_window(raw):
    intervals = [(min(a, b), max(a, b)) for a, b in raw]
    start, end = h(6), h(30)
    gaps = uncovered(intervals, start=start, end=end)
    # Gaps are sorted, disjoint, inside the window, and no interval touches their inside.
    for (_, e1), (s2, _) in pairwise(gaps):
        assert e1 < s2
    for s, e in gaps:
        assert start <= s < e <= end
        assert not any(rota_rules.overlaps((s, e), i) for i in intervals if i[1] > i[0])
    # Every quarter-hour in the window is either in a gap or covered.
    t = start
    while t < end:
        in_gap = any(s <= t < e for s, e in gaps)
        covered = any(a <= t < b for a, b in intervals)
        assert in_gap != covered
        t += timedelta(minutes=15)


# --- who wins an instant ------------------------------------------------------------


def shift(start: float, end: float, who: str, pk: int = 1) -> Cover:
    return Cover(h(start), h(end), who, override=False, rank=(h(start), pk))


def override(start: float, end: float, who: str, created: float, pk: int = 1) -> Cover:
    return Cover(h(start), h(end), who, override=True, rank=(h(created), pk))


def test_winner_is_the_covering_shift():
    assert rota_rules.winner([shift(0, 12, "a"), shift(12, 24, "b")], h(5)).who == "a"


def test_winner_is_half_open():
    covers = [shift(0, 12, "a"), shift(12, 24, "b")]
    assert rota_rules.winner(covers, h(12)).who == "b"
    assert rota_rules.winner(covers, h(24)) is None
    assert rota_rules.winner(covers, h(0)).who == "a"


def test_override_beats_a_later_starting_shift():
    covers = [shift(4, 12, "a"), override(0, 6, "c", created=-100)]
    assert rota_rules.winner(covers, h(5)).who == "c"


def test_newest_override_wins_then_the_higher_key():
    covers = [override(0, 6, "old", created=1), override(0, 6, "new", created=2)]
    assert rota_rules.winner(covers, h(3)).who == "new"
    tied = [override(0, 6, "x", created=1, pk=1), override(0, 6, "y", created=1, pk=2)]
    assert rota_rules.winner(tied, h(3)).who == "y"


def test_of_overlapping_shifts_the_later_start_wins():
    assert rota_rules.winner([shift(0, 12, "a"), shift(6, 18, "b")], h(7)).who == "b"


def test_segments_cut_the_period_by_who_is_on_call_with_gaps():
    covers = [shift(0, 12, "a"), shift(14, 24, "b"), override(4, 6, "c", created=0)]
    parts = rota_rules.segments(covers, start=h(0), end=h(24))
    assert [(p.starts_at, p.ends_at, p.cover.who if p.cover else None) for p in parts] == [
        (h(0), h(4), "a"),
        (h(4), h(6), "c"),
        (h(6), h(12), "a"),
        (h(12), h(14), None),
        (h(14), h(24), "b"),
    ]
    assert parts[3].gap


def test_segments_agree_with_winner_and_with_uncovered():
    covers = [
        shift(0, 12, "a"),
        shift(10, 20, "b", pk=2),
        override(5, 11, "c", created=3),
        override(8, 9, "d", created=4),
    ]
    parts = rota_rules.segments(covers, start=h(-2), end=h(22))
    for part in parts:
        assert rota_rules.winner(covers, part.starts_at) == part.cover
    gaps = [(p.starts_at, p.ends_at) for p in parts if p.gap]
    intervals = [(c.starts_at, c.ends_at) for c in covers]
    assert gaps == uncovered(intervals, start=h(-2), end=h(22))


def test_split_at_midnights_clips_segments_to_each_day():
    parts = rota_rules.segments([shift(-4, 8, "night")], start=h(-8), end=h(16))
    days = rota_rules.split_at(parts, [h(-8), h(0), h(16)])
    assert [(p.starts_at, p.ends_at, p.gap) for p in days[0]] == [
        (h(-8), h(-4), True),
        (h(-4), h(0), False),
    ]
    assert [(p.starts_at, p.ends_at, p.gap) for p in days[1]] == [
        (h(0), h(8), False),
        (h(8), h(16), True),
    ]


# --- UK wall-clock input ---------------------------------------------------------------


def test_local_time_is_read_in_the_zone():
    summer = local_to_aware(datetime(2026, 7, 1, 8), LONDON)  # noqa: DTZ001
    winter = local_to_aware(datetime(2026, 12, 1, 8), LONDON)  # noqa: DTZ001
    assert summer == datetime(2026, 7, 1, 7, tzinfo=UTC)
    assert winter == datetime(2026, 12, 1, 8, tzinfo=UTC)


def test_a_time_the_clocks_pass_twice_is_refused():
    with pytest.raises(LocalTimeProblem, match="happens twice"):
        local_to_aware(datetime(2026, 10, 25, 1, 30), LONDON)  # noqa: DTZ001


def test_a_time_the_clocks_skip_is_refused():
    with pytest.raises(LocalTimeProblem, match="does not happen"):
        local_to_aware(datetime(2026, 3, 29, 1, 30), LONDON)  # noqa: DTZ001


def test_an_aware_time_is_kept():
    at = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert local_to_aware(at, LONDON) == at
