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


def clocks_schedule(clocks: Iterable[Clock]) -> None:
    """Set the next escalation time of these clocks from the policy each
    referral is frozen to, and the steps already raised for each clock."""
    clocks = list(clocks)
    if not clocks:
        return
    policy_ids = {c.referral.escalation_policy_id for c in clocks}
    steps = policy_steps({p for p in policy_ids if p is not None})
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
        timings = step_timings(steps.get(policy_id, []) if policy_id is not None else [])
        clock.next_escalation_at = next_escalation_at(
            clock, timings, frozenset(raised.get(clock.pk, ()))
        )
    Clock.objects.bulk_update(clocks, ["next_escalation_at"])
