"""When each escalation step of a policy fires for a clock: pure arithmetic.

A warning fires when a fraction of the target is left (0.25 → a quarter of
the target before due); "at due" at the due time; "after due" a delay after.
Calendar time, on the UTC timeline, like the clocks themselves.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from notifications.codes import StepWhen


@dataclass(frozen=True)
class StepTiming:
    step_id: int
    when: str
    fraction: float | None = None
    delay: timedelta | None = None


def fire_at(step: StepTiming, started_at: datetime, due_at: datetime) -> datetime:
    if step.when == StepWhen.WARNING:
        if step.fraction is None or not 0 < step.fraction < 1:
            raise ValueError("A warning step needs a fraction between 0 and 1.")
        return due_at - (due_at - started_at) * step.fraction
    if step.when == StepWhen.AT_DUE:
        return due_at
    if step.when == StepWhen.AFTER_DUE:
        if step.delay is None or step.delay <= timedelta(0):
            raise ValueError("An after-due step needs a positive delay.")
        return due_at + step.delay
    raise ValueError(f"Unknown step timing {step.when!r}.")


def next_fire_at(
    steps: Iterable[StepTiming],
    started_at: datetime,
    due_at: datetime,
    raised: frozenset[int] = frozenset(),
) -> datetime | None:
    """The earliest fire time of the steps not yet raised, or None."""
    times = [fire_at(s, started_at, due_at) for s in steps if s.step_id not in raised]
    return min(times, default=None)


def due_steps(
    steps: Iterable[StepTiming],
    started_at: datetime,
    due_at: datetime,
    now: datetime,
    raised: frozenset[int] = frozenset(),
) -> list[tuple[StepTiming, datetime]]:
    """The steps not yet raised whose time has come, with their fire times."""
    fired = [(s, fire_at(s, started_at, due_at)) for s in steps if s.step_id not in raised]
    return sorted(((s, t) for s, t in fired if t <= now), key=lambda pair: pair[1])
