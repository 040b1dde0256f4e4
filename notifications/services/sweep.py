"""The escalation sweep (docs/architecture.md): the database is the timer.

Beat runs one sweep every MSCC_SWEEP_SECONDS. A sweep takes running clocks
whose next escalation step is due with ``SELECT … FOR UPDATE SKIP LOCKED``, in
batches, so two sweeps at once share the work and never take the same clock.
For each it writes one escalation row per due step (unique per clock and
step) and one delivery row per recipient and channel, moves the clock's
``next_escalation_at`` on, and — after commit — enqueues the send tasks. A
sweep that dies half-way is simply run again: its transaction rolled back,
and the unique constraints make a rerun raise nothing twice.

It also sends the next round of unacknowledged repeating escalations, and
re-enqueues deliveries still pending after a while (their task was lost,
e.g. the broker was down when they were raised).

Last, a sweep run at the wall clock writes the sweep heartbeat, stamped with
the wall-clock time it finished: the dead-man's switch of ``/health/`` and
the coordinator pages. A sweep as of another instant (``sweep_clocks --now``)
is a simulation: it raises what was due then, but proves nothing about beat
and the workers, so it writes no heartbeat (issue 9, item 3).
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.logs import get_logger
from notifications import escalation_rules
from notifications.codes import Channel, DeliveryStatus, OnCallRole, Recipient
from notifications.models import Delivery, Escalation, EscalationStep
from notifications.selectors.policies import policy_steps, step_timings
from notifications.selectors.rota import on_call_at
from notifications.services.heartbeat import heartbeat_record
from notifications.services.schedule import next_escalation_at
from pathways.codes import ClockKind, ClockStatus
from pathways.models import Clock
from referrals.models import Referral, User

# A pending delivery older than this has lost its task: enqueue it again.
REQUEUE_AFTER = timedelta(minutes=2)
# A sweep as of an instant further than this from the wall clock when it
# starts is simulated (sweep_clocks --now). Beat's task and the command without
# --now read the clock immediately before the sweep, so they are milliseconds apart.
SIMULATED_AFTER = timedelta(seconds=5)

log = get_logger(__name__)


@dataclass
class SweepResult:
    clocks: int = 0  # due clocks taken
    escalations: list[Escalation] = field(default_factory=list)
    deliveries: int = 0
    repeats: int = 0
    requeued: int = 0
    # As of an instant other than the wall clock's: no heartbeat was written.
    simulated: bool = False

    def summary(self) -> str:
        return (
            f"{len(self.escalations)} escalations raised, {self.deliveries} deliveries, "
            f"{self.repeats} repeats, {self.requeued} re-enqueued"
        )


Enqueue = Callable[[list[str]], None]


def sweep(*, now: datetime, enqueue: Enqueue, batch_size: int = 500) -> SweepResult:
    """One sweep as of ``now``; ``enqueue`` takes delivery ids after commit."""
    started = time.monotonic()
    result = SweepResult(simulated=abs(now - timezone.now()) > SIMULATED_AFTER)
    while True:
        taken = _sweep_batch(now=now, enqueue=enqueue, batch_size=batch_size, result=result)
        if taken < batch_size:
            break
    while True:
        taken = _repeat_batch(now=now, enqueue=enqueue, batch_size=batch_size, result=result)
        if taken < batch_size:
            break
    result.requeued = _requeue_lost(now=now, enqueue=enqueue)
    if not result.simulated:
        # The wall-clock time the run finished, never ``now``: a heartbeat is
        # proof that a sweep ran, not the instant it was asked to judge.
        heartbeat_record(name="sweep", at=timezone.now())
    log.info(
        "sweep.finished",
        simulated=result.simulated,
        clocks=result.clocks,
        escalations=len(result.escalations),
        deliveries=result.deliveries,
        repeats=result.repeats,
        requeued=result.requeued,
        took_ms=round((time.monotonic() - started) * 1000),
    )
    return result


def _sweep_batch(*, now: datetime, enqueue: Enqueue, batch_size: int, result: SweepResult) -> int:
    with transaction.atomic():
        # SKIP LOCKED: a clock another sweep is working on is left to it.
        clocks = list(
            Clock.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status=ClockStatus.RUNNING, next_escalation_at__lte=now)
            .select_related("referral__service__lead")
            .order_by("next_escalation_at")[:batch_size]
        )
        if not clocks:
            return 0
        steps = policy_steps(
            {
                policy_id
                for c in clocks
                if (policy_id := c.referral.escalation_policy_id) is not None
            }
        )
        raised = _raised_steps(clocks)
        new_escalations: list[Escalation] = []
        for clock in clocks:
            policy_id = clock.referral.escalation_policy_id
            # A referral with no policy has no steps: nothing to raise.
            policy_steps_ = steps.get(policy_id, []) if policy_id is not None else []
            by_id = {s.pk: s for s in policy_steps_}
            timings = step_timings(policy_steps_)
            done = raised.get(clock.pk, frozenset())
            if clock.due_at is None:
                continue  # A measured clock never escalates (its schedule is empty).
            for timing, fire_at in escalation_rules.due_steps(
                timings, clock.started_at, clock.due_at, now, done
            ):
                step = by_id[timing.step_id]
                new_escalations.append(
                    Escalation(
                        clock=clock,
                        step=step,
                        fire_at=fire_at,
                        raised_at=now,
                        next_repeat_at=now + step.repeat_every if step.repeat_every else None,
                    )
                )
                done = done | {timing.step_id}
            clock.next_escalation_at = next_escalation_at(clock, timings, done)
        # No ignore_conflicts: the clocks are locked and their raised steps
        # filtered out, so a conflict here is a bug, and the batch rolls back.
        Escalation.objects.bulk_create(new_escalations)
        Clock.objects.bulk_update(clocks, ["next_escalation_at"])
        deliveries = _deliveries_for(new_escalations, round_=0, now=now)
        _commit_and_enqueue(deliveries, enqueue, raised=new_escalations)
        result.clocks += len(clocks)
        result.escalations += new_escalations
        result.deliveries += len(deliveries)
        return len(clocks)


def _repeat_batch(*, now: datetime, enqueue: Enqueue, batch_size: int, result: SweepResult) -> int:
    """The next round of repeating escalations nobody has acknowledged, while
    their clock still runs."""
    with transaction.atomic():
        escalations = list(
            Escalation.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(acknowledged_at__isnull=True, next_repeat_at__lte=now)
            .select_related("step", "clock__referral__service__lead")
            .order_by("next_repeat_at")[:batch_size]
        )
        if not escalations:
            return 0
        deliveries: list[Delivery] = []
        recipients: dict[tuple[object, str, object], User | None] = {}
        for escalation in escalations:
            repeat_every = escalation.step.repeat_every
            if escalation.clock.status != ClockStatus.RUNNING or repeat_every is None:
                # Met or cancelled (or, defensively, a step that does not
                # repeat): stop repeating.
                escalation.next_repeat_at = None
                continue
            escalation.round += 1
            escalation.next_repeat_at = now + repeat_every
            deliveries += _deliveries_for(
                [escalation], round_=escalation.round, now=now, recipients=recipients
            )
            result.repeats += 1
        Escalation.objects.bulk_update(escalations, ["round", "next_repeat_at"])
        _commit_and_enqueue(deliveries, enqueue)
        result.deliveries += len(deliveries)
        return len(escalations)


def _log_raised(escalations: list[Escalation]) -> None:
    """One record per escalation raised, once it is committed: references
    and ids, so a deadline's escalations can be followed through the logs."""
    for escalation in escalations:
        clock = escalation.clock
        log.info(
            "escalation.raised",
            escalation_id=escalation.pk,
            clock_id=clock.pk,
            clock_kind=clock.kind,
            reference=clock.referral.reference,
            step_id=escalation.step_id,
            fire_at=escalation.fire_at,
        )


def _requeue_lost(*, now: datetime, enqueue: Enqueue) -> int:
    ids = [
        str(pk)
        for pk in Delivery.objects.filter(
            status=DeliveryStatus.PENDING,
            created_at__lt=now - REQUEUE_AFTER,
        ).values_list("pk", flat=True)[:1000]
    ]
    if ids:
        enqueue(ids)
    return len(ids)


def _commit_and_enqueue(
    deliveries: list[Delivery], enqueue: Enqueue, *, raised: list[Escalation] | None = None
) -> None:
    Delivery.objects.bulk_create(deliveries)
    ids = [str(d.pk) for d in deliveries if d.status == DeliveryStatus.PENDING]
    if not ids and not raised:
        return

    def after_commit() -> None:
        # Only after commit: no log line nor task for a row that was rolled back.
        _log_raised(raised or [])
        if ids:
            enqueue(ids)

    transaction.on_commit(after_commit)


def _raised_steps(clocks: list[Clock]) -> dict[object, frozenset[int]]:
    raised: dict[object, set[int]] = {}
    for clock_id, step_id in Escalation.objects.filter(clock__in=clocks).values_list(
        "clock_id", "step_id"
    ):
        raised.setdefault(clock_id, set()).add(step_id)
    return {k: frozenset(v) for k, v in raised.items()}


# --- Whom and how --------------------------------------------------------------

_ROTA_ROLE = {
    Recipient.ON_CALL_COORDINATOR: OnCallRole.COORDINATOR,
    Recipient.ON_CALL_SENIOR: OnCallRole.SENIOR_CLINICIAN,
}


def recipient_for(step: EscalationStep, referral: Referral, now: datetime) -> User | None:
    """Who the step reaches at ``now``: the rota decides for on-call roles."""
    recipient = Recipient(step.recipient)
    if recipient in _ROTA_ROLE:
        user = on_call_at(service=referral.service, role=_ROTA_ROLE[recipient], at=now)
    elif recipient == Recipient.SERVICE_LEAD:
        user = referral.service.lead
    else:
        user = step.named_user
    # Someone who has left (deactivated) cannot be reached: treated as a gap.
    return user if user is not None and user.is_active else None


def _deliveries_for(
    escalations: list[Escalation],
    *,
    round_: int,
    now: datetime,
    recipients: dict[tuple[object, str, object], User | None] | None = None,
) -> list[Delivery]:
    deliveries = []
    # Everyone in a batch is resolved at the same instant: ask the rota once
    # per (service, recipient), not once per escalation.
    recipients = {} if recipients is None else recipients
    for escalation in escalations:
        referral = escalation.clock.referral
        step = escalation.step
        key = (referral.service_id, step.recipient, step.named_user_id)
        if key not in recipients:
            recipients[key] = recipient_for(step, referral, now)
        user = recipients[key]
        subject, body = message(escalation, now)
        if user is None and step.recipient in _ROTA_ROLE and referral.service.lead:
            # Nobody on call (a rota gap): the service lead is told instead.
            user = referral.service.lead
            subject = f"[Nobody on call] {subject}"
            body = f"Nobody is on call as {Recipient(step.recipient).label}.\n{body}"
        for channel in step.channels:
            delivery = Delivery(
                escalation=escalation,
                round=round_,
                channel=channel,
                subject=subject,
                body=body,
                created_at=now,
            )
            if channel == Channel.WEBHOOK:
                delivery.recipient_key = "webhook"
                delivery.address = referral.service.webhook_url
                if not delivery.address:
                    continue  # this service has no gateway configured
            elif user is None:
                # Nobody to reach, not even a lead: recorded, loudly, never silent.
                delivery.recipient_key = f"nobody:{step.recipient}"
                delivery.status = DeliveryStatus.FAILED
                delivery.last_error = f"Nobody to reach for {step.recipient} at {now:%H:%M} UTC."
            else:
                delivery.recipient = user
                delivery.recipient_key = str(user.pk)
                delivery.address = user.email if channel == Channel.EMAIL else ""
            deliveries.append(delivery)
    return deliveries


def message(escalation: Escalation, now: datetime) -> tuple[str, str]:
    """Subject and body. No patient identifiers: e-mail and SMS gateways are
    outside the service; the reference and link are enough to act on."""
    clock = escalation.clock
    referral = clock.referral
    if clock.due_at is None:
        # Only a clock with a due time is escalated; this is a safe fallback.
        kind = ClockKind(clock.kind).in_sentence
        return f"{referral.reference}: {kind} clock", (
            f"MSCC referral {referral.reference}: {referral.category_label}.\n"
            f"Open {settings.MSCC_BASE_URL}/referrals/{referral.pk}/ to see it."
        )
    left = clock.due_at - now
    state = f"OVERDUE by {_minutes(-left)}" if left <= timedelta(0) else f"due in {_minutes(left)}"
    kind = ClockKind(clock.kind).in_sentence
    subject = f"{referral.reference}: {kind} clock {state}"
    body = (
        f"MSCC referral {referral.reference}: {referral.category_label}.\n"
        f"The {kind} clock ({clock.reference}) is {state}; due {clock.due_at:%Y-%m-%d %H:%M} "
        f"UTC.\nOpen {settings.MSCC_BASE_URL}/referrals/{referral.pk}/ to act on it, and "
        f"acknowledge this escalation to stop its repeats."
    )
    return subject, body


def _minutes(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"
