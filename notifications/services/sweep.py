"""The escalation sweep (docs/architecture.md): the database is the timer.

Beat runs one sweep every MSCC_SWEEP_SECONDS. A sweep takes running clocks
whose next escalation step is due with ``SELECT … FOR UPDATE SKIP LOCKED``, in
batches, so two sweeps at once share the work and never take the same clock.
For each it writes one escalation row per due step (unique per clock and
step) and one delivery row per recipient and channel, moves the clock's
``next_escalation_at`` on, and — after commit — enqueues the send tasks. A
sweep that dies half-way is simply run again: its transaction rolled back,
and the unique constraints make a rerun raise nothing twice.

Each batch writes set-based (issue 12, services/bulk_write.py): one INSERT of
its escalations, one of its deliveries, one UPDATE of its clocks, whatever
their number; and it reads only the clock and referral columns it uses.

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
from notifications.alert_words import clock_state, step_words, uk_time
from notifications.codes import Channel, DeliveryStatus, OnCallRole, Recipient
from notifications.models import Delivery, Escalation, EscalationStep
from notifications.selectors.policies import policy_steps, step_timings
from notifications.selectors.rota import on_call_at
from notifications.services.bulk_write import rows_insert, rows_update
from notifications.services.heartbeat import heartbeat_record
from notifications.services.schedule import next_escalation_at
from notifications.services.storm import storm_notices
from pathways.codes import ClockKind, ClockStatus
from pathways.models import Clock
from referrals.models import Referral, Service, User

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
    # Raised by a catch-up but not sent: a later step reached the same person.
    superseded: int = 0
    # Storm summaries sent to on-call coordinators (see services/storm.py).
    storm_notices: int = 0
    # As of an instant other than the wall clock's: no heartbeat was written.
    simulated: bool = False

    def summary(self) -> str:
        return (
            f"{len(self.escalations)} escalations raised ({self.superseded} superseded by a "
            f"later step to the same person), {self.deliveries} deliveries, "
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
    # A flood of new referrals: one summary to the on-call coordinator too.
    result.storm_notices = storm_notices(escalations=result.escalations, now=now, enqueue=enqueue)
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
        superseded=result.superseded,
        storm_notices=result.storm_notices,
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
            .select_related("referral")
            .only(*_CLOCK_FIELDS)
            .order_by("next_escalation_at")[:batch_size]
        )
        if not clocks:
            return 0
        _attach_services(clocks)
        steps = policy_steps(
            {
                policy_id
                for c in clocks
                if (policy_id := c.referral.escalation_policy_id) is not None
            }
        )
        raised = _raised_steps(clocks)
        new_escalations: list[Escalation] = []
        # Everyone in a batch is resolved at the same instant: ask the rota
        # once per (service, recipient), not once per escalation.
        recipients: dict[tuple[object, str, object], User | None] = {}
        caught_up: dict[object, int] = {}
        superseded = 0
        for clock in clocks:
            policy_id = clock.referral.escalation_policy_id
            # A referral with no policy has no steps: nothing to raise.
            policy_steps_ = steps.get(policy_id, []) if policy_id is not None else []
            by_id = {s.pk: s for s in policy_steps_}
            timings = step_timings(policy_steps_)
            done = raised.get(clock.pk, frozenset())
            if clock.due_at is None:
                continue  # A measured clock never escalates (its schedule is empty).
            raised_now: list[Escalation] = []
            for timing, fire_at in escalation_rules.due_steps(
                timings, clock.started_at, clock.due_at, now, done
            ):
                step = by_id[timing.step_id]
                raised_now.append(
                    Escalation(
                        clock=clock,
                        step=step,
                        fire_at=fire_at,
                        raised_at=now,
                        next_repeat_at=now + step.repeat_every if step.repeat_every else None,
                    )
                )
                done = done | {timing.step_id}
            superseded += _catch_up(raised_now, now=now, recipients=recipients, counts=caught_up)
            new_escalations += raised_now
            clock.next_escalation_at = next_escalation_at(clock, timings, done)
        # No ignore_conflicts: the clocks are locked and their raised steps
        # filtered out, so a conflict here is a bug, and the batch rolls back.
        # Set-based (services/bulk_write.py): one statement per table.
        rows_insert(new_escalations)
        rows_update(clocks, ["next_escalation_at"])
        sent = [e for e in new_escalations if e.superseded_by is None]
        deliveries = _deliveries_for(
            sent, round_=0, now=now, recipients=recipients, caught_up=caught_up
        )
        _commit_and_enqueue(deliveries, enqueue, raised=new_escalations)
        result.clocks += len(clocks)
        result.escalations += new_escalations
        result.superseded += superseded
        result.deliveries += len(deliveries)
        return len(clocks)


# What the sweep reads of a due clock and its referral (issue 12): a
# referral's row is wide, and building it in full for every clock, with its
# service and lead again for each, was a fifth of a sweep's time. A field not
# listed still loads when read, one query each: correct, only slower.
_CLOCK_FIELDS = (
    "referral",
    "kind",
    "started_at",
    "due_at",
    "status",
    "next_escalation_at",
    "referral__reference",
    "referral__escalation_policy",
    "referral__service",
    "referral__category",
)


def _attach_services(clocks: list[Clock]) -> None:
    """Each referral's service, with its lead: one query, one object per service."""
    services = Service.objects.select_related("lead").in_bulk(
        {c.referral.service_id for c in clocks}
    )
    for clock in clocks:
        clock.referral.service = services[clock.referral.service_id]


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
        rows_update(escalations, ["round", "next_repeat_at"])
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
    rows_insert(deliveries)
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


Recipients = dict[tuple[object, str, object], User | None]


def _reached(
    step: EscalationStep, referral: Referral, now: datetime, recipients: Recipients
) -> tuple[User | None, bool]:
    """Whom the step reaches at ``now``, and whether that is the service lead
    standing in for a rota gap."""
    key = (referral.service_id, step.recipient, step.named_user_id)
    if key not in recipients:
        recipients[key] = recipient_for(step, referral, now)
    user = recipients[key]
    lead = referral.service.lead
    if user is None and step.recipient in _ROTA_ROLE and lead is not None and lead.is_active:
        # Nobody on call (a rota gap): the service lead is told instead, if
        # they are still here; a lead who has left is nobody, said loudly.
        return lead, True
    return user, False


def _catch_up(
    raised: list[Escalation], *, now: datetime, recipients: Recipients, counts: dict[object, int]
) -> int:
    """One clock's steps raised in one sweep: per person they would reach,
    only the latest is sent; the earlier ones are marked superseded by it (no
    deliveries, no repeats). Steps for different people all still go: the
    senior clinician's and the service lead's own steps reach them.

    One exception keeps "repeats until acknowledged" true: when the latest
    step for a person does not repeat but an earlier one does, the latest
    repeating step is sent too (the default policy's lead standing in for a
    rota gap gets the lead's step and the senior's repeating one, not the
    lead's alone). ``counts`` gets, per escalation sent, how many it
    superseded. Returns that total."""
    if len(raised) < 2:
        return 0
    people: list[str] = []
    kept: dict[str, list[Escalation]] = {}
    # ``raised`` is in fire-time order: the last one seen per person wins.
    for escalation in raised:
        user, _gap = _reached(escalation.step, escalation.clock.referral, now, recipients)
        person = str(user.pk) if user is not None else f"nobody:{escalation.step.recipient}"
        people.append(person)
    for person in set(people):
        theirs = [e for e, p in zip(raised, people, strict=True) if p == person]
        latest = theirs[-1]
        keep = [latest]
        repeating = [e for e in theirs if e.step.repeat_every is not None]
        if latest.step.repeat_every is None and repeating:
            keep.insert(0, repeating[-1])
        kept[person] = keep
    superseded = 0
    for escalation, person in zip(raised, people, strict=True):
        if any(escalation is k for k in kept[person]):
            continue
        winner = kept[person][-1]
        escalation.superseded_by = winner
        escalation.superseded_at = now
        escalation.next_repeat_at = None  # never repeated: a step kept repeats
        counts[winner.pk] = counts.get(winner.pk, 0) + 1
        superseded += 1
    return superseded


def _deliveries_for(
    escalations: list[Escalation],
    *,
    round_: int,
    now: datetime,
    recipients: Recipients | None = None,
    caught_up: dict[object, int] | None = None,
) -> list[Delivery]:
    deliveries = []
    # Everyone in a batch is resolved at the same instant: ask the rota once
    # per (service, recipient), not once per escalation.
    recipients = {} if recipients is None else recipients
    caught_up = {} if caught_up is None else caught_up
    for escalation in escalations:
        referral = escalation.clock.referral
        step = escalation.step
        user, gap = _reached(step, referral, now, recipients)
        subject, body = message(escalation, now, superseded=caught_up.get(escalation.pk, 0))
        if gap:
            subject = f"[Nobody on call] {subject}"
            body = f"Nobody is on call as {Recipient(step.recipient).label}.\n{body}"
        for channel in step.channels:
            delivery = Delivery(
                escalation=escalation,
                round=round_,
                channel=channel,
                subject=subject[:200],
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
                delivery.last_error = f"Nobody to reach for {step.recipient} at {uk_time(now)}."
            else:
                delivery.recipient = user
                delivery.recipient_key = str(user.pk)
                delivery.address = user.email if channel == Channel.EMAIL else ""
            deliveries.append(delivery)
    return deliveries


def message(escalation: Escalation, now: datetime, *, superseded: int = 0) -> tuple[str, str]:
    """Subject and body, frozen at sending (the notifications page shows the
    live time left beside them). No patient identifiers: e-mail and SMS
    gateways are outside the service; the reference and link are enough to
    act on. Clock names as labels, times in UK local time with the zone."""
    clock = escalation.clock
    referral = clock.referral
    step = escalation.step
    label = ClockKind(clock.kind).label
    link = f"{settings.MSCC_BASE_URL}/referrals/{referral.pk}/"
    if clock.due_at is None:
        # Only a clock with a due time is escalated; this is a safe fallback.
        return f"{referral.reference}: {label} clock", (
            f"MSCC referral {referral.reference}: {referral.category_label}.\n"
            f"Open {link} to see it."
        )
    state = clock_state(label, clock.due_at, now)
    whom = Recipient(step.recipient).label
    lines = [
        f"MSCC referral {referral.reference}: {referral.category_label}.",
        f"{state} (due {uk_time(clock.due_at)}; as of {uk_time(now)}).",
        f"Escalation step {step.position}: "
        f"{step_words(step.when, step.fraction, step.delay)}, to {whom}.",
    ]
    if superseded:
        lines.append(
            f"Catch-up: {superseded} earlier step{'s' if superseded > 1 else ''} of this clock "
            "for you fell due at the same time; this one message stands for "
            f"{'them' if superseded > 1 else 'it'}."
        )
    lines.append(
        f"Open {link} to act on it, and acknowledge the {label} clock's escalations "
        "to stop their repeats."
    )
    return f"{referral.reference}: {state}", "\n".join(lines)
