"""Clocks: started at intake and by events, stopped, cancelled.

Every write that touches a referral's clocks runs inside the caller's
transaction with the referral row locked (see referrals/services.py), so two
coordinators acting at once cannot both stop or start the same clock.
"""

from datetime import datetime

from django.db import transaction
from simple_history.utils import bulk_create_with_history

from core.errors import Conflict, DomainError, NotFound
from notifications import escalation_rules
from notifications.escalation_rules import StepTiming
from notifications.selectors.policies import policy_steps, step_timings
from pathways import clock_rules
from pathways.codes import ClockAnchor, ClockStatus
from pathways.defaults import INTAKE_ANCHORS
from pathways.models import ClinicalEvent, Clock, ClockDefinition
from referrals.models import Referral, User


def _step_timings(referral: Referral) -> list[StepTiming]:
    """The escalation steps of the policy the referral is frozen to (cached on
    the instance: intake starts several clocks at once)."""
    cached = getattr(referral, "_escalation_timings", None)
    if cached is None:
        steps = (
            policy_steps({referral.escalation_policy_id}) if referral.escalation_policy_id else {}
        )
        cached = step_timings(steps.get(referral.escalation_policy_id, []))
        referral._escalation_timings = cached  # type: ignore[attr-defined]
    return cached


def next_escalation_for(
    clock: Clock, referral: Referral, raised: frozenset[int] = frozenset()
) -> datetime | None:
    """When the clock's next escalation step falls due (the sweep's index)."""
    return escalation_rules.next_fire_at(
        _step_timings(referral), clock.started_at, clock.due_at, raised
    )


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
        if clock.status == ClockStatus.RUNNING:
            clock.next_escalation_at = next_escalation_for(clock, referral)
        clocks.append(clock)
    return bulk_create_with_history(clocks, Clock, default_user=user)


_STOP_FIELDS = ["stopped_at", "status", "stop_reason", "stopped_by_event"]


def clock_stop(
    *,
    clock: Clock,
    stopped_at: datetime,
    reason: str,
    user: User,
    event: ClinicalEvent | None = None,
) -> Clock:
    """Met if stopped by its due time, met late after it."""
    if stopped_at < clock.started_at:
        raise ValueError("A clock cannot stop before it started.")
    clock.stopped_at = stopped_at
    clock.status = clock_rules.stop_status(clock.due_at, stopped_at)
    clock.stop_reason = reason
    clock.stopped_by_event = event
    clock._history_user = user  # type: ignore[attr-defined]
    clock.save(update_fields=_STOP_FIELDS)
    return clock


def clock_cancel(
    *, clock: Clock, at: datetime, reason: str, user: User, event: ClinicalEvent | None = None
) -> Clock:
    clock.stopped_at = max(at, clock.started_at)
    clock.status = ClockStatus.CANCELLED
    clock.stop_reason = reason
    clock.stopped_by_event = event
    clock._history_user = user  # type: ignore[attr-defined]
    clock.save(update_fields=_STOP_FIELDS)
    return clock


def clock_reopen(*, clock: Clock, user: User, reason: str) -> Clock:
    """Undo a stop or cancel whose event was entered in error: the clock runs
    again against its original due time (and reads breached if that passed)."""
    clock.stopped_at = None
    clock.status = ClockStatus.RUNNING
    clock.stop_reason = reason
    clock.stopped_by_event = None
    # Steps already raised stay raised; the sweep picks up any now due.
    raised = frozenset(clock.escalations.values_list("step_id", flat=True))
    clock.next_escalation_at = next_escalation_for(clock, clock.referral, raised)
    clock._history_user = user  # type: ignore[attr-defined]
    clock.save(update_fields=[*_STOP_FIELDS, "next_escalation_at"])
    return clock


def clock_start_from_event(
    *, referral: Referral, definition: ClockDefinition, event: ClinicalEvent, user: User
) -> Clock:
    clock = Clock(
        referral=referral,
        definition=definition,
        kind=definition.kind,
        target=definition.target,
        reference=definition.reference,
        started_at=event.occurred_at,
        due_at=clock_rules.due_at(event.occurred_at, definition.target),
        started_by_event=event,
    )
    clock.next_escalation_at = next_escalation_for(clock, referral)
    clock._history_user = user  # type: ignore[attr-defined]
    clock.save()
    return clock


@transaction.atomic
def clock_mark_not_appropriate(
    *, referral: Referral, clock_id: object, reason: str, user: User, now: datetime
) -> Clock:
    """The standard does not apply to this person (declined, too unwell...):
    out of the QS56 denominator, with the reason, and a running clock stops
    so that nobody is escalated about it."""
    Referral.objects.select_for_update().get(pk=referral.pk)  # one writer at a time
    clock = Clock.objects.filter(pk=clock_id, referral=referral).first()
    if clock is None:
        raise NotFound("No such clock on this referral.")
    reason = reason.strip()
    if not reason:
        raise DomainError("Give the reason the standard is not appropriate.", field="reason")
    if clock.not_appropriate:
        raise Conflict("This clock is already marked not appropriate.", code="unchanged")
    if clock.status == ClockStatus.CANCELLED:
        raise Conflict("A cancelled clock is already out of the standard.", code="cancelled")
    if clock.status == ClockStatus.RUNNING:
        clock.stopped_at = max(now, clock.started_at)
        clock.status = ClockStatus.CANCELLED
        clock.stop_reason = f"Not appropriate: {reason}"
    clock.not_appropriate = True
    clock.not_appropriate_reason = reason
    clock.not_appropriate_by = user
    clock.not_appropriate_at = now
    clock._history_user = user  # type: ignore[attr-defined]
    clock.save()
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
