"""Writes for rotas: shifts and overrides, and the coverage-gap report.

A rota must say who is on call at every instant (NG234 1.1.6, 1.1.7, 1.1.18),
so its writes are checked here, whoever calls them (pages, API, commands):
times with a zone, an end after the start, someone of the service with the
matching role, and no two shifts of one role at once. A swap or sickness is
covered by an override, which wins over the shifts for its period.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import cast

from django.db import transaction
from django.utils import timezone

from core.errors import Conflict, DomainError, Forbidden
from core.logs import get_logger
from notifications import rota_rules
from notifications.codes import OnCallRole
from notifications.models import RotaOverride, Shift
from notifications.selectors.rota import (
    GAP_DAYS,
    coverage_gaps,
    overrides_between,
    shifts_between,
)
from referrals.models import Service, User

log = get_logger(__name__)

_REASON_MAX = 2000


def _role(role: str) -> OnCallRole:
    try:
        return OnCallRole(role)
    except ValueError:
        codes = ", ".join(r.value for r in OnCallRole)
        raise DomainError(
            f"Unknown rota role {role!r}; expected one of: {codes}.", field="role"
        ) from None


def _aware(value: object, field: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise DomainError(
            "Give the time with its time zone (UTC offset): a time without one is "
            "ambiguous when the clocks go back.",
            field=field,
        )
    return rota_rules.utc(value)


def _period(starts_at: object, ends_at: object) -> tuple[datetime, datetime]:
    starts, ends = _aware(starts_at, "starts_at"), _aware(ends_at, "ends_at")
    if ends <= starts:
        raise DomainError("The end must be after the start.", field="ends_at")
    return starts, ends


def _check_user(*, service: Service, role: OnCallRole, user: User) -> None:
    needed = rota_rules.USER_ROLE_FOR[role]
    if user.service_id != service.pk or not user.is_active:
        raise DomainError(f"{user.username} is not an active user of {service.name}.", field="user")
    if user.role != needed:
        raise DomainError(
            f"{user.username} is not a {needed.in_sentence}, so cannot be on call as {role.label}.",
            field="user",
        )


def _check_by(*, service: Service, by: User | None) -> None:
    # Roles are checked at the edge (ACTION_ROLES); scope is checked here too,
    # so no caller can write another service's rota.
    if by is not None and by.service_id != service.pk:
        raise Forbidden("You may change only your own service's rota.")


def _lock_rota(service: Service) -> None:
    # Rota writes of one service take turns on the service row, so two admins
    # adding overlapping shifts at once cannot both pass the overlap check.
    Service.objects.select_for_update().filter(pk=service.pk).first()


def _when(value: datetime) -> str:
    """UK time with GMT/BST, unambiguous on the night the clocks go back."""
    local = timezone.localtime(value)
    return f"{local:%a} {local.day} {local:%b %Y %H:%M %Z}"


@transaction.atomic
def shift_create(
    *,
    service: Service,
    role: str,
    user: User,
    starts_at: datetime,
    ends_at: datetime,
    by: User | None = None,
) -> Shift:
    """Put ``user`` on call for ``role`` in ``service`` for ``[starts_at, ends_at)``.

    Refuses a shift overlapping another shift of the same role: two people
    on call at once is ambiguous; cover for a swap is an override.
    """
    on_call_role = _role(role)
    starts, ends = _period(starts_at, ends_at)
    _check_by(service=service, by=by)
    _check_user(service=service, role=on_call_role, user=user)
    _lock_rota(service)
    clash = (
        Shift.objects.filter(
            service=service, role=on_call_role, starts_at__lt=ends, ends_at__gt=starts
        )
        .select_related("user")
        .order_by("starts_at")
        .first()
    )
    if clash is not None:
        raise DomainError(
            f"This overlaps {clash.user.get_full_name() or clash.user.username}'s "
            f"{on_call_role.label} shift from {_when(clash.starts_at)} "
            f"to {_when(clash.ends_at)}. To cover part of a shift, add an override.",
            field="starts_at",
        )
    shift = Shift(service=service, role=on_call_role, user=user, starts_at=starts, ends_at=ends)
    shift._history_user = by  # type: ignore[attr-defined]  # simple-history reads it
    shift.save()
    return shift


@transaction.atomic
def shift_delete(*, shift: Shift, now: datetime, by: User | None = None) -> None:
    """Delete a shift that has not started. A started shift is a record of
    who was on call, so it stays; cover the rest of it with an override."""
    _check_by(service=shift.service, by=by)
    _lock_rota(shift.service)
    current = Shift.objects.filter(pk=shift.pk).first()
    if current is None:
        return
    if current.starts_at <= rota_rules.utc(now):
        raise Conflict(
            "This shift has started, so it stays on the record. "
            "Add an override to change who covers the rest of it."
        )
    current._history_user = by  # type: ignore[attr-defined]  # simple-history reads it
    current.delete()


@transaction.atomic
def override_create(
    *,
    service: Service,
    role: str,
    user: User,
    starts_at: datetime,
    ends_at: datetime,
    reason: str,
    by: User | None = None,
) -> RotaOverride:
    """Put ``user`` on call for ``role`` over ``[starts_at, ends_at)``,
    winning over the shifts (and any older override) for that period."""
    on_call_role = _role(role)
    starts, ends = _period(starts_at, ends_at)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(
            "Give the reason for the override (swap, sickness, leave).", field="reason"
        )
    if len(reason) > _REASON_MAX:
        raise DomainError(f"Keep the reason under {_REASON_MAX} characters.", field="reason")
    _check_by(service=service, by=by)
    _check_user(service=service, role=on_call_role, user=user)
    _lock_rota(service)
    override = RotaOverride(
        service=service,
        role=on_call_role,
        user=user,
        starts_at=starts,
        ends_at=ends,
        reason=reason,
        created_by=by,
    )
    override._history_user = by  # type: ignore[attr-defined]
    override.save()
    return override


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days} d"] * bool(days) + [f"{hours} h"] * bool(hours)
    parts += [f"{minutes} min"] * bool(minutes or not parts)
    return " ".join(parts)


def coverage_gap_report(*, service: Service, now: datetime) -> str | None:
    """A plain-text summary of the next 14 days' coverage gaps for the
    service's admins; None when every minute is covered."""
    gaps = coverage_gaps(service=service, now=now)
    if not any(gaps.values()):
        return None
    lines = [
        f"Rota coverage gaps for {service.name} ({service.code}) in the next {GAP_DAYS} days.",
        "Nobody is on call for these periods (UK time):",
    ]
    for role in OnCallRole:
        if not gaps[role]:
            continue
        lines += ["", f"{role.label}:"]
        lines += [
            f"- {_when(start)} to {_when(end)} ({_span(end - start)})" for start, end in gaps[role]
        ]
    lines += ["", "Add shifts or overrides on the rota page to cover them."]
    return "\n".join(lines)


# --- Weekly patterns -----------------------------------------------------------------


@dataclass(frozen=True)
class PatternPlan:
    """What applying a weekly pattern over ``first``..``last`` does: the
    shifts it creates, those it leaves out (already started; overlapping a
    shift already on the rota, when asked to skip those), the overlaps that
    stop it (when not), the shifts already there, and the gaps the range
    still has afterwards, from now on, per role."""

    first: date
    last: date
    window: rota_rules.Interval
    create: list[rota_rules.PlannedShift]
    started: list[rota_rules.PlannedShift]
    skipped: list[rota_rules.PlannedShift]
    clashes: list[tuple[rota_rules.PlannedShift, Shift]]
    existing: list[Shift]
    overrides: list[RotaOverride]
    gaps: dict[OnCallRole, list[rota_rules.Interval]]

    @property
    def blocked(self) -> bool:
        """Overlaps with the rota that stop the pattern being applied."""
        return bool(self.clashes)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=timezone.get_current_timezone())


def _check_rows(*, service: Service, rows: Sequence[rota_rules.PatternRow]) -> None:
    errors: dict[str, list[str]] = {}
    for i, row in enumerate(rows):
        try:
            role = _role(row.role)
            if not isinstance(row.who, User):
                raise DomainError("Choose who is on call.", field="user")
            _check_user(service=service, role=role, user=row.who)
        except DomainError as exc:
            for name, messages in exc.errors.items():
                errors.setdefault(f"rows.{i}.{name}", []).extend(messages)
    if errors:
        raise DomainError(errors=errors)


def _planned_when(shift: rota_rules.PlannedShift) -> str:
    return f"{_when(shift.starts_at)} to {_when(shift.ends_at)}"


def _plan(
    *,
    service: Service,
    rows: Sequence[rota_rules.PatternRow],
    first: date,
    last: date,
    now: datetime,
    skip_clashes: bool,
) -> PatternPlan:
    errors = rota_rules.range_errors(first, last, today=timezone.localdate(now))
    if errors:
        raise DomainError(errors=errors)
    if not rows:
        raise DomainError("Fill in at least one shift of the week.", field="rows")
    _check_rows(service=service, rows=rows)
    try:
        planned = rota_rules.expand(
            rows, first=first, last=last, zone=timezone.get_current_timezone()
        )
    except rota_rules.LocalTimeProblem as exc:
        raise DomainError(str(exc), field="rows") from None
    within = rota_rules.overlaps_within(planned)
    if within:
        a, b = within[0]
        raise DomainError(
            f"The pattern puts two people on call as {OnCallRole(a.role).label} at once: "
            f"{_planned_when(a)} and {_planned_when(b)}. Change the times so its own "
            "shifts of one role do not overlap.",
            field="rows",
        )
    window = (_midnight(first), _midnight(last + timedelta(days=1)))
    # The existing rows the planned shifts could touch: an overnight shift on
    # the last day runs past the window, one from the day before into it.
    reach = (window[0] - timedelta(days=1), window[1] + timedelta(days=1))
    existing = list(shifts_between(service=service, starts=reach[0], ends=reach[1]))
    overrides = list(overrides_between(service=service, starts=window[0], ends=window[1]))
    utc_now = rota_rules.utc(now)
    started = [p for p in planned if rota_rules.utc(p.starts_at) < utc_now]
    upcoming = [p for p in planned if rota_rules.utc(p.starts_at) >= utc_now]
    pairs = rota_rules.pairs_overlapping(
        upcoming, ((s.role, (s.starts_at, s.ends_at), s) for s in existing)
    )
    clashing = {id(p) for p, _ in pairs}
    skipped = [p for p in upcoming if id(p) in clashing] if skip_clashes else []
    create = [p for p in upcoming if id(p) not in clashing] if skip_clashes else upcoming
    clashes = [] if skip_clashes else [(p, s) for p, s in pairs if isinstance(s, Shift)]
    intervals: dict[OnCallRole, list[rota_rules.Interval]] = {role: [] for role in OnCallRole}
    on_rota: list[Shift | RotaOverride] = [*existing, *overrides]
    for row in on_rota:
        intervals[OnCallRole(row.role)].append((row.starts_at, row.ends_at))
    for shift in create:
        intervals[OnCallRole(shift.role)].append(shift.interval)
    gaps = {
        role: rota_rules.future_gaps(intervals[role], start=window[0], end=window[1], now=now)
        for role in OnCallRole
    }
    in_window = [s for s in existing if s.starts_at < window[1] and s.ends_at > window[0]]
    return PatternPlan(
        first=first,
        last=last,
        window=window,
        create=create,
        started=started,
        skipped=skipped,
        clashes=clashes,
        existing=in_window,
        overrides=overrides,
        gaps=gaps,
    )


def rota_pattern_preview(
    *,
    service: Service,
    rows: Sequence[rota_rules.PatternRow],
    first: date,
    last: date,
    now: datetime,
    skip_clashes: bool = False,
    by: User | None = None,
) -> PatternPlan:
    """What ``rota_pattern_apply`` would do with the same arguments, writing
    nothing. Refuses what apply refuses, except overlaps with shifts already
    on the rota: those are listed (``plan.clashes``) for the admin to see."""
    _check_by(service=service, by=by)
    return _plan(
        service=service, rows=rows, first=first, last=last, now=now, skip_clashes=skip_clashes
    )


@transaction.atomic
def rota_pattern_apply(
    *,
    service: Service,
    rows: Sequence[rota_rules.PatternRow],
    first: date,
    last: date,
    now: datetime,
    skip_clashes: bool = False,
    by: User | None = None,
) -> PatternPlan:
    """Create the shifts of a weekly pattern over ``first``..``last``, all or
    none. A planned shift overlapping a shift of the same role already on the
    rota stops the whole pattern (the dates named), unless ``skip_clashes``:
    then those planned shifts are left out and the shift already there stays.
    Planned shifts that would already have started are left out."""
    _check_by(service=service, by=by)
    # Plan under the rota lock, so what is checked is what is written.
    _lock_rota(service)
    plan = _plan(
        service=service, rows=rows, first=first, last=last, now=now, skip_clashes=skip_clashes
    )
    if plan.blocked:
        shown = plan.clashes[:5]
        more = len(plan.clashes) - len(shown)
        listed = "; ".join(
            f"{_planned_when(p)} overlaps {s.user.get_full_name() or s.user.username}'s shift"
            for p, s in shown
        )
        raise Conflict(
            f"Nothing was saved: {len(plan.clashes)} of the pattern's shifts overlap shifts "
            f"already on the rota ({listed}{f'; and {more} more' if more else ''}). "
            "Tick “Leave out the shifts that overlap” to keep the shifts already there, "
            "or delete those first."
        )
    for planned in plan.create:
        shift = Shift(
            service=service,
            role=planned.role,
            user=cast(User, planned.who),  # _check_rows checked each row's person
            starts_at=planned.starts_at,
            ends_at=planned.ends_at,
        )
        # Read by simple-history, when the shift model keeps history.
        shift._history_user = by  # type: ignore[attr-defined]
        shift.save()
    log.info(
        "rota.pattern_applied",
        service_id=service.pk,
        by_user_id=by.pk if by is not None else None,
        first=first.isoformat(),
        last=last.isoformat(),
        shifts_added=len(plan.create),
        skipped=len(plan.skipped),
        started=len(plan.started),
        gaps=sum(len(g) for g in plan.gaps.values()),
    )
    return plan
