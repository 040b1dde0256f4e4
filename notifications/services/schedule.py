"""The escalation schedule: when each clock's next escalation step falls due.

``Clock.next_escalation_at`` has one writer, this module: the workflow calls
``clocks_schedule`` with the clocks a recompute changed, and the sweep calls
``next_escalation_at`` after raising steps. A clock that is stopped has no
next step. A running clock whose steps were raised before keeps them raised
(one escalation per clock and step, ever): a reopened clock that is already
past some steps has them raised by the next sweep, once each.
"""

from collections.abc import Iterable
from datetime import datetime

from notifications import escalation_rules
from notifications.escalation_rules import StepTiming
from notifications.models import Escalation
from notifications.selectors.policies import policy_steps, step_timings
from pathways.codes import ClockStatus
from pathways.models import Clock


def next_escalation_at(
    clock: Clock, timings: list[StepTiming], raised: frozenset[int] = frozenset()
) -> datetime | None:
    """When the clock's next step not yet raised falls due (None: none left,
    the clock is not running, or it is a measured clock, which never
    escalates)."""
    if clock.status != ClockStatus.RUNNING or clock.due_at is None:
        return None
    return escalation_rules.next_fire_at(timings, clock.started_at, clock.due_at, raised)


def clocks_schedule(clocks: Iterable[Clock], *, save: bool = True) -> None:
    """Set the next escalation time of these clocks from the policy each
    referral is frozen to, and the steps already raised for each clock.

    A referral whose policy was read as published (``escalation_policy_published``,
    as intake does) brings its step timings; others' are read (one query).
    ``save=False``: the rows are about to be inserted, so only their fields
    are set (the insert writes them)."""
    clocks = list(clocks)
    if not clocks:
        return
    timings = _frozen_timings(clocks)
    missing = {c.referral.escalation_policy_id for c in clocks} - set(timings) - {None}
    if missing:
        for read_id, steps in policy_steps({p for p in missing if p is not None}).items():
            timings[read_id] = step_timings(steps)
    raised: dict[object, set[int]] = {}
    # A clock created in this recompute has raised nothing yet.
    known = [
        c
        for c in clocks
        if c.status == ClockStatus.RUNNING and not getattr(c, "created_now", False)
    ]
    if known:
        for clock_id, step_id in Escalation.objects.filter(clock__in=known).values_list(
            "clock_id", "step_id"
        ):
            raised.setdefault(clock_id, set()).add(step_id)
    for clock in clocks:
        policy_id = clock.referral.escalation_policy_id
        clock.next_escalation_at = next_escalation_at(
            clock,
            list(timings.get(policy_id, [])) if policy_id is not None else [],
            frozenset(raised.get(clock.pk, ())),
        )
    if save:
        Clock.objects.bulk_update(clocks, ["next_escalation_at"])


def _frozen_timings(clocks: list[Clock]) -> dict[int, list[StepTiming]]:
    """The step timings the clocks' referrals already hold in memory, by policy."""
    found: dict[int, list[StepTiming]] = {}
    for clock in clocks:
        referral = clock.referral
        field = referral._meta.get_field("escalation_policy")
        if referral.escalation_policy_id is None or not field.is_cached(referral):
            continue
        policy = referral.escalation_policy
        frozen = getattr(policy, "frozen_timings", None)
        if policy is not None and frozen is not None and policy.pk == referral.escalation_policy_id:
            found[policy.pk] = list(frozen)
    return found
