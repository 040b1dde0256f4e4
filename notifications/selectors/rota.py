"""Reads for rotas: who is on call, the rota of a period, coverage gaps.

Every read takes the service explicitly: callers pass the signed-in user's
own service, so another service's rota is never in reach.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import QuerySet, Subquery
from django.db.models.functions import Coalesce

from notifications import rota_rules
from notifications.codes import OnCallRole
from notifications.models import RotaOverride, Shift
from referrals.models import Service, User

# How far ahead coverage gaps are looked for (docs/clinical-rules.md, section 8).
GAP_DAYS = 14


def on_call_at(*, service: Service, role: str, at: datetime) -> User | None:
    """Who is on call for ``role`` in ``service`` at the instant ``at``.

    An override covering ``at`` wins (the newest created, if several); else
    the shift covering ``at`` (the one that started latest, if several);
    None when nobody is. Intervals are half-open: a shift ending at 08:00 does
    not cover 08:00. One query. The escalation engine picks recipients with it.
    """
    at = rota_rules.utc(at)
    # Same rule as rota_rules.winner, done by the database in one round trip.
    override = (
        RotaOverride.objects.filter(service=service, role=role, starts_at__lte=at, ends_at__gt=at)
        .order_by("-created_at", "-pk")
        .values("user_id")[:1]
    )
    shift = (
        Shift.objects.filter(service=service, role=role, starts_at__lte=at, ends_at__gt=at)
        .order_by("-starts_at", "-pk")
        .values("user_id")[:1]
    )
    return User.objects.filter(pk=Coalesce(Subquery(override), Subquery(shift))).first()


def on_call_by_role(*, service: Service, at: datetime) -> dict[OnCallRole, User | None]:
    """Who is on call at ``at`` for every rota role (one query per role)."""
    return {role: on_call_at(service=service, role=role, at=at) for role in OnCallRole}


def shifts_between(*, service: Service, starts: datetime, ends: datetime) -> QuerySet[Shift]:
    """The service's shifts that overlap ``[starts, ends)``, earliest first."""
    return (
        Shift.objects.filter(service=service, starts_at__lt=ends, ends_at__gt=starts)
        .select_related("user")
        .order_by("starts_at", "role", "pk")
    )


def overrides_between(
    *, service: Service, starts: datetime, ends: datetime
) -> QuerySet[RotaOverride]:
    """The service's overrides that overlap ``[starts, ends)``, earliest first."""
    return (
        RotaOverride.objects.filter(service=service, starts_at__lt=ends, ends_at__gt=starts)
        .select_related("user", "created_by")
        .order_by("starts_at", "role", "pk")
    )


def shift_for(*, service: Service, shift_id: int) -> Shift | None:
    """One of the service's shifts (None for another service's, or none)."""
    return Shift.objects.filter(service=service, pk=shift_id).select_related("user").first()


def covers_of(
    shifts: Sequence[Shift], overrides: Sequence[RotaOverride]
) -> dict[OnCallRole, list[rota_rules.Cover]]:
    """Rows as the pure module's covers, by role."""
    covers: dict[OnCallRole, list[rota_rules.Cover]] = {role: [] for role in OnCallRole}
    for shift in shifts:
        covers[OnCallRole(shift.role)].append(
            rota_rules.Cover(
                starts_at=shift.starts_at,
                ends_at=shift.ends_at,
                who=shift.user_id,
                override=False,
                rank=(shift.starts_at, shift.pk),
                ref=shift,
            )
        )
    for override in overrides:
        covers[OnCallRole(override.role)].append(
            rota_rules.Cover(
                starts_at=override.starts_at,
                ends_at=override.ends_at,
                who=override.user_id,
                override=True,
                rank=(override.created_at, override.pk),
                ref=override,
            )
        )
    return covers


@dataclass(frozen=True)
class RotaPeriod:
    """A period's rota: its rows, and who is in effect when, for each role."""

    shifts: list[Shift]
    overrides: list[RotaOverride]
    segments: dict[OnCallRole, list[rota_rules.Segment]]


def rota_period(*, service: Service, starts: datetime, ends: datetime) -> RotaPeriod:
    """The shifts and overrides overlapping ``[starts, ends)``, and the period
    cut into who-is-on-call segments for each role (gaps included) by the
    rule ``on_call_at`` applies. Two queries."""
    shifts = list(shifts_between(service=service, starts=starts, ends=ends))
    overrides = list(overrides_between(service=service, starts=starts, ends=ends))
    covers = covers_of(shifts, overrides)
    return RotaPeriod(
        shifts=shifts,
        overrides=overrides,
        segments={
            role: rota_rules.segments(covers[role], start=starts, end=ends) for role in OnCallRole
        },
    )


def rota_segments(
    *, service: Service, starts: datetime, ends: datetime
) -> dict[OnCallRole, list[rota_rules.Segment]]:
    """``[starts, ends)`` cut into who-is-on-call segments for each role."""
    return rota_period(service=service, starts=starts, ends=ends).segments


def coverage_gaps(
    *, service: Service, now: datetime, days: int = GAP_DAYS
) -> dict[OnCallRole, list[rota_rules.Interval]]:
    """For every rota role, the stretches of the next ``days`` days (from
    ``now``, in UTC) with nobody on call: not covered by any shift or override.
    A role with full cover maps to an empty list. One query."""
    starts = rota_rules.utc(now)
    ends = starts + timedelta(days=days)
    window = {"service": service, "starts_at__lt": ends, "ends_at__gt": starts}
    rows = (
        Shift.objects.filter(**window)
        .values_list("role", "starts_at", "ends_at")
        .union(
            RotaOverride.objects.filter(**window).values_list("role", "starts_at", "ends_at"),
            all=True,
        )
    )
    intervals: dict[OnCallRole, list[rota_rules.Interval]] = {role: [] for role in OnCallRole}
    for role, row_starts, row_ends in rows:
        intervals[OnCallRole(role)].append((row_starts, row_ends))
    return {
        role: rota_rules.uncovered(intervals[role], start=starts, end=ends) for role in OnCallRole
    }


def rota_candidates(*, service: Service) -> dict[OnCallRole, list[User]]:
    """The active users of the service who may be on call, for each role."""
    users = list(
        User.objects.filter(
            service=service,
            is_active=True,
            role__in=[rota_rules.USER_ROLE_FOR[role] for role in OnCallRole],
        ).order_by("last_name", "first_name", "username")
    )
    return {
        role: [u for u in users if u.role == rota_rules.USER_ROLE_FOR[role]] for role in OnCallRole
    }


def gaps_between(
    *, service: Service, starts: datetime, ends: datetime, now: datetime
) -> dict[OnCallRole, list[rota_rules.Interval]]:
    """For every rota role, the stretches of ``[starts, ends)`` from ``now``
    on with nobody on call (the past is a record, not a gap). Two queries."""
    shifts = shifts_between(service=service, starts=starts, ends=ends)
    overrides = overrides_between(service=service, starts=starts, ends=ends)
    intervals: dict[OnCallRole, list[rota_rules.Interval]] = {role: [] for role in OnCallRole}
    rows: list[Shift | RotaOverride] = [*shifts, *overrides]
    for row in rows:
        intervals[OnCallRole(row.role)].append((row.starts_at, row.ends_at))
    return {
        role: rota_rules.future_gaps(intervals[role], start=starts, end=ends, now=now)
        for role in OnCallRole
    }
