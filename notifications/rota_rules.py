"""Rota rules: who covers which instant, and where nobody does.

Plain Python (no Django), so the rules can be read and tested on their own.
Intervals are half-open, ``[start, end)``: a shift ending at 08:00 and the
next starting at 08:00 leave no gap and do not overlap.

Every datetime must be timezone-aware. The functions work in UTC: Python
compares and subtracts two datetimes that share a ``tzinfo`` by their wall
clock, so in Europe/London 00:00 to 12:00 on the night the clocks go back
would be 12 hours rather than the real 13.
"""

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from itertools import pairwise

from core.roles import Role
from notifications.codes import OnCallRole

Interval = tuple[datetime, datetime]

# The user role that may be on call for each rota role (NG234 1.1.6, 1.1.18).
USER_ROLE_FOR: dict[OnCallRole, Role] = {
    OnCallRole.COORDINATOR: Role.COORDINATOR,
    OnCallRole.SENIOR_CLINICIAN: Role.SENIOR_CLINICIAN,
}


def utc(value: datetime) -> datetime:
    """``value`` in UTC; a naive datetime is refused, never guessed."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{value!r} has no time zone")
    return value.astimezone(UTC)


def overlaps(a: Interval, b: Interval) -> bool:
    """Whether two half-open intervals share an instant (touching is not overlapping)."""
    return utc(a[0]) < utc(b[1]) and utc(b[0]) < utc(a[1])


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """The union of ``intervals`` as sorted, disjoint intervals, in UTC.

    Overlapping and touching intervals become one; empty ones are dropped.
    """
    ordered = sorted((utc(s), utc(e)) for s, e in intervals if utc(e) > utc(s))
    merged: list[Interval] = []
    for start, end in ordered:
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def uncovered(intervals: Iterable[Interval], *, start: datetime, end: datetime) -> list[Interval]:
    """The parts of ``[start, end)`` that no interval covers, sorted, in UTC."""
    start, end = utc(start), utc(end)
    gaps: list[Interval] = []
    cursor = start
    for s, e in merge(intervals):
        if e <= cursor:
            continue
        if s >= end:
            break
        if s > cursor:
            gaps.append((cursor, s))
        cursor = max(cursor, e)
        if cursor >= end:
            break
    if cursor < end:
        gaps.append((cursor, end))
    return gaps


@dataclass(frozen=True)
class Cover:
    """Someone covering ``[starts_at, ends_at)``: a shift, or an override.

    ``rank`` orders covers of the same kind, higher winning: a shift's start
    (the later-starting shift wins), an override's creation time (the newest
    wins), each with the row's key to break ties. ``ref`` is the source row.
    """

    starts_at: datetime
    ends_at: datetime
    who: Hashable
    override: bool
    rank: tuple[datetime, int]
    ref: object = None

    def priority(self) -> tuple[bool, datetime, int]:
        # Any override beats any shift; then the rank decides.
        return (self.override, utc(self.rank[0]), self.rank[1])


@dataclass(frozen=True)
class Segment:
    """A stretch of time with one cover in effect (``cover`` None: nobody on call)."""

    starts_at: datetime
    ends_at: datetime
    cover: Cover | None

    @property
    def gap(self) -> bool:
        return self.cover is None


def winner(covers: Iterable[Cover], at: datetime) -> Cover | None:
    """The cover in effect at ``at``: an override covering it wins (newest
    first), else the covering shift that started latest; None when nobody."""
    at = utc(at)
    covering = [c for c in covers if utc(c.starts_at) <= at < utc(c.ends_at)]
    return max(covering, key=Cover.priority, default=None)


def segments(covers: Sequence[Cover], *, start: datetime, end: datetime) -> list[Segment]:
    """``[start, end)`` cut into consecutive segments, each with the cover in
    effect (by the same rule as ``winner``), gaps included. Consecutive pieces
    of the same cover are one segment."""
    start, end = utc(start), utc(end)
    points = {start, end}
    for cover in covers:
        for point in (utc(cover.starts_at), utc(cover.ends_at)):
            if start < point < end:
                points.add(point)
    cuts = sorted(points)
    result: list[Segment] = []
    # Nothing changes between two consecutive cut points, so the cover in
    # effect at a piece's start holds for the whole piece.
    for piece_start, piece_end in pairwise(cuts):
        in_effect = winner(covers, piece_start)
        if result and result[-1].cover == in_effect:
            result[-1] = Segment(result[-1].starts_at, piece_end, in_effect)
        else:
            result.append(Segment(piece_start, piece_end, in_effect))
    return result


def split_at(parts: Sequence[Segment], boundaries: Sequence[datetime]) -> list[list[Segment]]:
    """Segments cut at ``boundaries`` (e.g. local midnights): one list per
    ``[boundaries[i], boundaries[i + 1])``."""
    bounds = [utc(b) for b in boundaries]
    days: list[list[Segment]] = []
    for day_start, day_end in pairwise(bounds):
        day = [
            Segment(max(utc(p.starts_at), day_start), min(utc(p.ends_at), day_end), p.cover)
            for p in parts
            if utc(p.starts_at) < day_end and utc(p.ends_at) > day_start
        ]
        days.append(day)
    return days


class LocalTimeProblem(ValueError):
    """A wall-clock time that does not name exactly one instant."""


def local_to_aware(value: datetime, zone: tzinfo) -> datetime:
    """A naive wall-clock time in ``zone`` as an aware datetime (in UTC).

    A time the clocks skip (01:30 on the last Sunday of March in the UK) or
    pass twice (01:30 on the last Sunday of October) is refused: guessing
    would put someone on call an hour early or late.
    """
    if value.tzinfo is not None:
        return utc(value)
    first = value.replace(tzinfo=zone, fold=0)
    second = value.replace(tzinfo=zone, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first.astimezone(UTC)
    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != value:
        raise LocalTimeProblem(
            f"{value:%H:%M} does not happen on {value.day} {value:%b %Y}: the clocks go forward."
        )
    raise LocalTimeProblem(
        f"{value:%H:%M} happens twice on {value.day} {value:%b %Y} (the clocks go back): "
        "choose a time outside that hour."
    )


# --- Weekly patterns -----------------------------------------------------------------
#
# A service admin fills in a week once (for each weekday, shifts by role,
# person and UK wall-clock times) and applies it over a range of dates. The
# expansion below turns each (date, wall-clock start, wall-clock end) into
# UTC instants, one date at a time, so a shift keeps its wall-clock times
# across a change between GMT and BST: 20:00-08:00 on the night the clocks go
# back is 13 hours of elapsed time, on the night they go forward 11.

# The longest range one pattern may be applied over: twelve weeks is a
# rota's usual planning horizon, and a longer one is more likely a typo.
PATTERN_MAX_DAYS = 12 * 7
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class PatternRow:
    """One shift of the week's pattern: on ``weekday`` (0 = Monday), ``who``
    covers ``role`` from ``start`` to ``end`` in UK wall-clock time. An end at
    or before the start runs past midnight into the next day."""

    weekday: int
    role: str
    who: Hashable
    start: time
    end: time

    @property
    def overnight(self) -> bool:
        return self.end <= self.start


@dataclass(frozen=True)
class PlannedShift:
    """A shift the pattern would create: the date it starts on (UK), and its
    start and end as UTC instants."""

    day: date
    role: str
    who: Hashable
    starts_at: datetime
    ends_at: datetime

    @property
    def interval(self) -> Interval:
        return (self.starts_at, self.ends_at)


def range_errors(first: date, last: date, *, today: date) -> dict[str, list[str]]:
    """What is wrong with a pattern's date range (inclusive, UK dates)."""
    errors: dict[str, list[str]] = {}
    if first < today:
        errors["first"] = ["The range cannot start in the past: start today or later."]
    if last < first:
        errors["last"] = ["The last day must be on or after the first day."]
    elif (last - first).days + 1 > PATTERN_MAX_DAYS:
        errors["last"] = [
            f"Apply a pattern over at most {PATTERN_MAX_DAYS // 7} weeks "
            f"({PATTERN_MAX_DAYS} days) at a time."
        ]
    return errors


def expand(
    rows: Sequence[PatternRow], *, first: date, last: date, zone: tzinfo
) -> list[PlannedShift]:
    """The shifts ``rows`` make on every date from ``first`` to ``last``
    (inclusive), in date order. A row's start and end are read as wall-clock
    time in ``zone`` on the date they fall on; a time that does not exist or
    happens twice that day (a clock change) raises ``LocalTimeProblem`` naming
    the date, never a guess."""
    planned: list[PlannedShift] = []
    day = first
    while day <= last:
        for row in rows:
            if row.weekday != day.weekday():
                continue
            end_day = day + timedelta(days=1) if row.overnight else day
            starts_at = local_to_aware(datetime.combine(day, row.start), zone)
            ends_at = local_to_aware(datetime.combine(end_day, row.end), zone)
            planned.append(PlannedShift(day, row.role, row.who, starts_at, ends_at))
        day += timedelta(days=1)
    planned.sort(key=lambda p: (p.starts_at, p.role))
    return planned


def pairs_overlapping(
    planned: Sequence[PlannedShift], existing: Iterable[tuple[str, Interval, object]]
) -> list[tuple[PlannedShift, object]]:
    """Each planned shift that overlaps an existing one of the same role,
    with the existing one's ``ref`` (``existing``: role, interval, ref)."""
    by_role: dict[str, list[tuple[Interval, object]]] = {}
    for role, interval, ref in existing:
        by_role.setdefault(role, []).append((interval, ref))
    found: list[tuple[PlannedShift, object]] = []
    for shift in planned:
        for interval, ref in by_role.get(shift.role, []):
            if overlaps(shift.interval, interval):
                found.append((shift, ref))
    return found


def overlaps_within(planned: Sequence[PlannedShift]) -> list[tuple[PlannedShift, PlannedShift]]:
    """Pairs of the pattern's own shifts of one role that overlap (say
    Monday 20:00-08:00 and Tuesday 00:00-08:00): two people on call at once."""
    found: list[tuple[PlannedShift, PlannedShift]] = []
    ordered = sorted(planned, key=lambda p: (p.role, utc(p.starts_at)))
    for i, shift in enumerate(ordered):
        for later in ordered[i + 1 :]:
            if later.role != shift.role or utc(later.starts_at) >= utc(shift.ends_at):
                break
            found.append((shift, later))
    return found


def future_gaps(
    intervals: Iterable[Interval], *, start: datetime, end: datetime, now: datetime
) -> list[Interval]:
    """The parts of ``[start, end)`` from ``now`` on that no interval covers:
    time already past is a record, not a gap anyone can fill."""
    start = max(utc(start), utc(now))
    if start >= utc(end):
        return []
    return uncovered(intervals, start=start, end=end)


def cut_gaps_at(parts: Sequence[Segment], at: datetime) -> list[Segment]:
    """``parts`` with a gap that spans ``at`` cut in two there, so the past
    part (no record) and the future part (nobody on call) can be told apart.
    Covered segments are left whole."""
    at = utc(at)
    result: list[Segment] = []
    for part in parts:
        if part.gap and utc(part.starts_at) < at < utc(part.ends_at):
            result.append(Segment(part.starts_at, at, None))
            result.append(Segment(at, part.ends_at, None))
        else:
            result.append(part)
    return result
