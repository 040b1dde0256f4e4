"""The default escalation policy loaded for every new service.

NG234 asks for a coordinator at all times (1.1.6, 1.1.7) and a senior
clinician available at all times to support the service (1.1.18): the
coordinator is warned as a deadline approaches and told when it passes; the
senior clinician is told if it stays breached; the service lead after that.
Repeats stop when someone acknowledges the escalation.
"""

from dataclasses import dataclass
from datetime import timedelta

from notifications.codes import Channel, Recipient, StepWhen


@dataclass(frozen=True)
class DefaultStep:
    when: StepWhen
    recipient: Recipient
    channels: tuple[Channel, ...]
    fraction: float | None = None
    delay: timedelta | None = None
    repeat_every: timedelta | None = None


DEFAULT_STEPS: tuple[DefaultStep, ...] = (
    DefaultStep(StepWhen.WARNING, Recipient.ON_CALL_COORDINATOR, (Channel.IN_APP,), fraction=0.5),
    DefaultStep(
        StepWhen.WARNING,
        Recipient.ON_CALL_COORDINATOR,
        (Channel.IN_APP, Channel.EMAIL),
        fraction=0.25,
    ),
    DefaultStep(
        StepWhen.AT_DUE,
        Recipient.ON_CALL_COORDINATOR,
        (Channel.IN_APP, Channel.EMAIL, Channel.WEBHOOK),
        repeat_every=timedelta(minutes=15),
    ),
    DefaultStep(
        StepWhen.AFTER_DUE,
        Recipient.ON_CALL_SENIOR,
        (Channel.IN_APP, Channel.EMAIL, Channel.WEBHOOK),
        delay=timedelta(minutes=30),
        repeat_every=timedelta(minutes=30),
    ),
    DefaultStep(
        StepWhen.AFTER_DUE,
        Recipient.SERVICE_LEAD,
        (Channel.IN_APP, Channel.EMAIL),
        delay=timedelta(hours=2),
    ),
)
