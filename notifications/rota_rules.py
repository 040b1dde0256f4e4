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
from datetime import UTC, datetime, tzinfo
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
