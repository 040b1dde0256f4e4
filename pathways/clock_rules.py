"""Pure clock arithmetic: due times, status as of now, time left.

Clocks are calendar time, 24/7: a due time is start + target on the UTC
timeline, so a daylight-saving change never stretches or shrinks a deadline.
"""

from datetime import UTC, datetime, timedelta

from pathways.codes import ClockStatus, ClockUrgency


def _utc(value: datetime) -> datetime:
    """The instant in UTC. Python adds, subtracts and compares two datetimes
    that share a tzinfo by wall-clock time, which is wrong across a DST change;
    in UTC, wall-clock time and elapsed time agree."""
    if value.tzinfo is None:
        raise ValueError("Clock times must be timezone-aware.")
    return value.astimezone(UTC)


def due_at(started_at: datetime, target: timedelta) -> datetime:
    if target <= timedelta(0):
        raise ValueError("A clock target must be positive.")
    return _utc(started_at) + target


def status_at(stored: str, due: datetime | None, now: datetime) -> ClockStatus:
    """The status a person should see at ``now``: a running clock past its due
    time reads ``breached`` straight away, before any sweep has run. A
    measured clock (no due time) is never breached."""
    if stored == ClockStatus.RUNNING and due is not None and _utc(now) >= _utc(due):
        return ClockStatus.BREACHED
    return ClockStatus(stored)


# The share of a clock's target left when it becomes "due soon" where the
# referral's escalation policy has no warning step: the default policy's
# latest warning (notifications/policy_defaults.py) fires with 25% left.
DUE_SOON_FRACTION = 0.25


def urgency_at(
    stored: str,
    started_at: datetime,
    due: datetime | None,
    now: datetime,
    due_soon_fraction: float = DUE_SOON_FRACTION,
) -> ClockUrgency | None:
    """How urgent a clock is at ``now``: overdue once past due, due soon once
    no more than ``due_soon_fraction`` of its target is left (the latest
    warning step of the referral's escalation policy, so the queue turns
    amber when the coordinator's last warning fires), else comfortable.
    None for a clock that is not running or has no due time (measured)."""
    if stored != ClockStatus.RUNNING or due is None:
        return None
    now_utc, due_utc = _utc(now), _utc(due)
    if now_utc >= due_utc:
        return ClockUrgency.OVERDUE
    if not 0 < due_soon_fraction < 1:
        raise ValueError("The due-soon fraction must be between 0 and 1.")
    if due_utc - now_utc <= (due_utc - _utc(started_at)) * due_soon_fraction:
        return ClockUrgency.DUE_SOON
    return ClockUrgency.COMFORTABLE


def stop_status(due: datetime | None, stopped_at: datetime) -> ClockStatus:
    """Met if stopped by the due time, else met late; a measured clock (no
    due time) is met when it stops."""
    if due is None or _utc(stopped_at) <= _utc(due):
        return ClockStatus.MET
    return ClockStatus.MET_LATE


def remaining(due: datetime, now: datetime) -> timedelta:
    """Time left until due; negative once overdue."""
    return _utc(due) - _utc(now)


def describe_remaining(delta: timedelta) -> str:
    """'3 h 05 min left' or 'OVERDUE by 12 min': for a coordinator at 3 a.m."""
    seconds = int(delta.total_seconds())
    overdue = seconds < 0
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        text = f"{days} d {hours} h"
    elif hours:
        text = f"{hours} h {minutes:02d} min"
    else:
        text = f"{minutes} min"
    return f"OVERDUE by {text}" if overdue else f"{text} left"


# Events that stop a clock besides its definition's own stop event: where MRI
# is contraindicated, NG234 1.5.7 says carry out CT (rarely myelography after
# CT, 1.5.8), and that imaging is what the MRI standard waited for.
STOPS_ALSO: dict[str, frozenset[str]] = {
    "mri_performed": frozenset({"ct_performed", "myelography_performed"}),
}


def stop_kinds(stop_event: str) -> frozenset[str]:
    """Every event kind that stops a clock whose definition stops on ``stop_event``."""
    return frozenset({stop_event}) | STOPS_ALSO.get(stop_event, frozenset())


def mri_met_by_imaging_at_referral(
    category: str, imaging_findings: str, imaging_modality: str = "mri_whole_spine"
) -> bool:
    """When a whole-spine MRI at referral already shows the finding, the MRI
    clock starts met, never breached (docs/clinical-rules.md, section 5):
    cord compression for suspected MSCC; spinal metastases (or worse) for
    suspected spinal metastases. Imaging of another kind, or of a kind not
    said, leaves the clock running (NG234 1.5.5: the MRI asked for covers the
    whole spine)."""
    if imaging_modality != "mri_whole_spine":
        return False
    if category == "suspected_mscc":
        return imaging_findings == "cord_compression"
    if category == "suspected_spinal_metastases":
        return imaging_findings in ("spinal_metastases", "cord_compression")
    return False
