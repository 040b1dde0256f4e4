"""Writes for rotas: shifts and overrides, and the coverage-gap report.

A rota must say who is on call at every instant (NG234 1.1.6, 1.1.7, 1.1.18),
so its writes are checked here, whoever calls them (pages, API, commands):
times with a zone, an end after the start, someone of the service with the
matching role, and no two shifts of one role at once. A swap or sickness is
covered by an override, which wins over the shifts for its period.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from core.errors import Conflict, DomainError, Forbidden
from notifications import rota_rules
from notifications.codes import OnCallRole
from notifications.models import RotaOverride, Shift
from notifications.selectors.rota import GAP_DAYS, coverage_gaps
from referrals.models import Service, User

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
    return Shift.objects.create(
        service=service, role=on_call_role, user=user, starts_at=starts, ends_at=ends
    )


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
