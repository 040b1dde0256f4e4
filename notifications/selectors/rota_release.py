"""What taking one person off the rota from ``now`` would leave uncovered.

Used before a deactivation (coordinator/services/team.py): the person's
future shifts and overrides, and the stretches of them that nobody else
(no other active person's shift or override) covers, per rota role. Those
are the gaps the deactivation opens; gaps that exist anyway are not counted.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q

from notifications import rota_rules
from notifications.codes import OnCallRole
from notifications.models import RotaOverride, Shift
from referrals.models import User


@dataclass(frozen=True)
class Gap:
    role: OnCallRole
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class RotaRelease:
    """The person's rota rows that end after ``now``, and the gaps without them."""

    now: datetime
    shifts: list[Shift] = field(default_factory=list)
    overrides: list[RotaOverride] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return len(self.shifts) + len(self.overrides)


def rota_release_preview(*, user: User, now: datetime) -> RotaRelease:
    """The user's future (or current) shifts and overrides in their service,
    and the gaps their removal from ``now`` would open. Three queries."""
    now = rota_rules.utc(now)
    if user.service_id is None:
        return RotaRelease(now=now)
    mine = {"service_id": user.service_id, "user": user, "ends_at__gt": now}
    shifts = list(Shift.objects.filter(**mine).order_by("starts_at", "role", "pk"))
    overrides = list(RotaOverride.objects.filter(**mine).order_by("starts_at", "role", "pk"))
    if not shifts and not overrides:
        return RotaRelease(now=now)
    rows: list[Shift | RotaOverride] = [*shifts, *overrides]
    horizon = max(row.ends_at for row in rows)
    # Everyone else still able to take a call: active users only (the
    # escalation treats a deactivated person on call as nobody).
    others = Q(service_id=user.service_id, starts_at__lt=horizon, ends_at__gt=now) & Q(
        user__is_active=True
    )
    covering: dict[str, list[rota_rules.Interval]] = {role: [] for role in OnCallRole}
    for found in (
        Shift.objects.filter(others).exclude(user=user).values_list("role", "starts_at", "ends_at"),
        RotaOverride.objects.filter(others)
        .exclude(user=user)
        .values_list("role", "starts_at", "ends_at"),
    ):
        for role, starts, ends in found:
            covering[role].append((starts, ends))
    gaps: list[Gap] = []
    for role in OnCallRole:
        own = [(max(r.starts_at, now), r.ends_at) for r in rows if r.role == role]
        for start, end in rota_rules.merge(own):
            gaps += [
                Gap(role=role, starts_at=s, ends_at=e)
                for s, e in rota_rules.uncovered(covering[role], start=start, end=end)
            ]
    gaps.sort(key=lambda g: (g.starts_at, g.role))
    return RotaRelease(now=now, shifts=shifts, overrides=overrides, gaps=gaps)
