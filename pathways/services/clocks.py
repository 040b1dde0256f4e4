"""Clocks: started at intake and by events, stopped, cancelled.

Every write that touches a referral's clocks runs inside the caller's
transaction with the referral row locked (see referrals/services.py), so two
coordinators acting at once cannot both stop or start the same clock.
"""

from datetime import datetime

from simple_history.utils import bulk_create_with_history

from pathways import clock_rules
from pathways.codes import ClockAnchor, ClockStatus
from pathways.defaults import INTAKE_ANCHORS
from pathways.models import ClinicalEvent, Clock, ClockDefinition
from referrals.models import Referral, User


def _definitions_for(referral: Referral) -> list[ClockDefinition]:
    return [
        d
        for d in referral.pathway_version.clock_definitions.all()
        if referral.category in d.categories
    ]


def _anchor_time(referral: Referral, anchor: str) -> datetime:
    if anchor == ClockAnchor.SUSPECTED:
        return referral.suspected_at
    return referral.received_at


def clocks_start_at_intake(
    *, referral: Referral, user: User, skip_kinds: frozenset[str] = frozenset()
) -> list[Clock]:
    """Start the clocks whose start is known at intake (acknowledgement,
    advice, MRI), for the referral's category, from its frozen pathway version."""
    clocks = []
    for definition in _definitions_for(referral):
        if definition.start_event not in INTAKE_ANCHORS or definition.kind in skip_kinds:
            continue
        started = _anchor_time(referral, definition.start_event)
        clock = Clock(
            referral=referral,
            definition=definition,
            kind=definition.kind,
            target=definition.target,
            reference=definition.reference,
            started_at=started,
            due_at=clock_rules.due_at(started, definition.target),
        )
        if definition.kind == "mri" and clock_rules.mri_met_by_imaging_at_referral(
            referral.category, referral.imaging_findings
        ):
            clock.status = ClockStatus.MET
            clock.stopped_at = started
            clock.stop_reason = (
                f"Imaging at referral already shows {referral.get_imaging_findings_display()}."
            )
        clocks.append(clock)
    return bulk_create_with_history(clocks, Clock, default_user=user)


def clock_stop(*, clock: Clock, stopped_at: datetime, reason: str, user: User) -> Clock:
    clock.stopped_at = stopped_at
    clock.status = clock_rules.stop_status(clock.due_at, stopped_at)
    clock.stop_reason = reason
    clock._history_user = user  # type: ignore[attr-defined]
    clock.save(update_fields=["stopped_at", "status", "stop_reason"])
    return clock


def clock_cancel(*, clock: Clock, at: datetime, reason: str, user: User) -> Clock:
    clock.stopped_at = at
    clock.status = ClockStatus.CANCELLED
    clock.stop_reason = reason
    clock._history_user = user  # type: ignore[attr-defined]
    clock.save(update_fields=["stopped_at", "status", "stop_reason"])
    return clock


def clocks_apply_category(*, referral: Referral, at: datetime, reason: str, user: User) -> None:
    """After a category change: cancel running intake clocks that no longer
    apply, start those that now do. Start times stay what they were (receipt,
    suspicion), so a changed category never buys a deadline more time."""
    wanted = {d.id for d in _definitions_for(referral)}
    kept_kinds = set()
    for clock in referral.clocks.filter(status=ClockStatus.RUNNING):
        if clock.definition_id in wanted:
            kept_kinds.add(clock.kind)
        else:
            clock_cancel(clock=clock, at=at, reason=reason, user=user)
    # A kind that already ran to a stop (met) is not restarted.
    stopped_kinds = set(
        referral.clocks.exclude(
            status__in=[ClockStatus.RUNNING, ClockStatus.CANCELLED]
        ).values_list("kind", flat=True)
    )
    clocks_start_at_intake(
        referral=referral, user=user, skip_kinds=frozenset(kept_kinds | stopped_kinds)
    )


def event_record(
    *, referral: Referral, kind: str, occurred_at: datetime, user: User, details: str = ""
) -> ClinicalEvent:
    """Record a clinical event and stop the running clocks it stops.

    The caller holds the referral's row lock.
    """
    event = ClinicalEvent(
        referral=referral, kind=kind, occurred_at=occurred_at, recorded_by=user, details=details
    )
    event._history_user = user  # type: ignore[attr-defined]
    event.save()
    for clock in referral.clocks.filter(status=ClockStatus.RUNNING, definition__stop_event=kind):
        clock_stop(clock=clock, stopped_at=occurred_at, reason=f"{kind} recorded", user=user)
    return event
