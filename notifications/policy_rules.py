"""Pure rules for a service's escalation policy (docs/clinical-rules.md, section 7).

The admin form applies them while a service admin edits a draft, the services
apply them to every write, and publishing applies them again to the whole
policy, so a policy that breaks them never reaches a referral. No Django here:
plain values in, errors keyed by the field they are about out.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

# Durations in hours and minutes, as the admin types them ("30 min", "24 h").
from core.durations import hours_minutes
from core.labels import in_sentence, label_of
from notifications.codes import Channel, Recipient, StepWhen

# Field name -> messages, the shape Django forms and the API both accept.
Errors = dict[str, list[str]]

WHENS = frozenset(w.value for w in StepWhen)
RECIPIENTS = frozenset(r.value for r in Recipient)
CHANNELS = frozenset(c.value for c in Channel)
# Repeats more often than this would page someone faster than they can act
# on the first message, and flood the delivery queue.
SHORTEST_REPEAT = timedelta(minutes=5)
# Steps are renumbered in the admin by typing positions; keeping them small
# leaves room above for moving steps past each other (services/policies.py).
MAX_POSITION = 999


@dataclass(frozen=True)
class StepData:
    """What a service admin sets on one escalation step."""

    position: int
    when: str
    recipient: str
    channels: Sequence[str]
    fraction: float | None = None
    delay: timedelta | None = None
    named_user_id: int | None = None
    repeat_every: timedelta | None = None


def _is_fraction(value: object) -> bool:
    # bool is an int in Python; True is not a fraction of anything.
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 1


def _is_positive_duration(value: object) -> bool:
    return isinstance(value, timedelta) and value > timedelta(0)


def step_errors(s: StepData) -> Errors:
    """What is wrong with one step, by field; empty if nothing."""
    errors: Errors = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    position_ok = isinstance(s.position, int) and not isinstance(s.position, bool)
    if not position_ok or not 1 <= s.position <= MAX_POSITION:
        add("position", f"The position is a whole number from 1 to {MAX_POSITION}.")

    if s.when not in WHENS:
        add("when", f"Unknown step timing {s.when!r}. Use one of: {', '.join(sorted(WHENS))}.")
    elif s.when == StepWhen.WARNING:
        if not _is_fraction(s.fraction):
            add(
                "fraction",
                "A warning fires when a fraction of the target is left: give a number "
                "greater than 0 and less than 1 (0.25 = a quarter of the target left).",
            )
        if s.delay is not None:
            add("delay", "A warning fires before due, so it has no delay after due.")
    elif s.when == StepWhen.AT_DUE:
        if s.fraction is not None:
            add("fraction", "An at-due step fires at the due time: leave the fraction empty.")
        if s.delay is not None:
            add("delay", "An at-due step fires at the due time: leave the delay empty.")
    else:  # after due
        if not _is_positive_duration(s.delay):
            add("delay", "An after-due step needs a positive delay after the due time.")
        if s.fraction is not None:
            add("fraction", "An after-due step fires after due: leave the fraction empty.")

    if s.recipient not in RECIPIENTS:
        add(
            "recipient",
            f"Unknown recipient {s.recipient!r}. Use one of: {', '.join(sorted(RECIPIENTS))}.",
        )
    elif s.recipient == Recipient.NAMED_USER and s.named_user_id is None:
        add("named_user", "Choose the person this step reaches.")
    elif s.recipient != Recipient.NAMED_USER and s.named_user_id is not None:
        add(
            "named_user",
            f"Only a named-user step names a person; this one reaches "
            f"{label_of('Recipient', s.recipient)}. Clear the named user.",
        )

    channels = s.channels if isinstance(s.channels, list | tuple) else None
    if channels is None:
        add("channels", "Give the channels as a list of channel codes.")
    elif not channels:
        add("channels", "Choose at least one channel to send the step by.")
    else:
        unknown = sorted({str(c) for c in channels if not isinstance(c, str) or c not in CHANNELS})
        if unknown:
            add(
                "channels",
                f"Unknown channel code(s): {', '.join(unknown)}. "
                f"Use: {', '.join(sorted(CHANNELS))}.",
            )
        repeated = sorted({str(c) for c in channels if channels.count(c) > 1})
        if repeated:
            add("channels", f"Each channel once: {', '.join(repeated)} is listed twice.")

    if s.repeat_every is not None and not (
        isinstance(s.repeat_every, timedelta) and s.repeat_every >= SHORTEST_REPEAT
    ):
        add(
            "repeat_every",
            "Repeats must be at least 5 min apart; leave it empty for no repeats.",
        )
    return errors


def position_errors(steps: Sequence[StepData]) -> Errors:
    """Two steps at one position would leave their order to chance."""
    seen: dict[int, int] = {}
    for s in steps:
        seen[s.position] = seen.get(s.position, 0) + 1
    twice = sorted(p for p, count in seen.items() if count > 1)
    if not twice:
        return {}
    return {
        "position": [
            f"Each step needs its own position; {', '.join(map(str, twice))} "
            f"{'is' if len(twice) == 1 else 'are'} used more than once."
        ]
    }


def reaches_coordinator_by_due(s: StepData) -> bool:
    return s.recipient == Recipient.ON_CALL_COORDINATOR and s.when in (
        StepWhen.WARNING,
        StepWhen.AT_DUE,
    )


def coordinator_errors(steps: Sequence[StepData]) -> Errors:
    """NG234 1.1.6-1.1.7: the coordinator is the first point of contact, so
    the on-call coordinator must hear of a deadline at or before it passes."""
    if any(reaches_coordinator_by_due(s) for s in steps):
        return {}
    return {
        "steps": [
            "No step reaches the on-call coordinator at or before due. The coordinator is "
            "the first point of contact (NG234 1.1.6, 1.1.7): add a warning or at-due "
            "step to the on-call coordinator."
        ]
    }


def publish_errors(steps: Sequence[StepData]) -> Errors:
    """Everything that stops a draft being published: each step's own errors
    (keyed ``steps.<position>.<field>``) and the policy's (``position``,
    ``steps``)."""
    errors: Errors = {}
    for s in steps:
        for field, messages in step_errors(s).items():
            errors.setdefault(f"steps.{s.position}.{field}", []).extend(messages)
    for extra in (position_errors(steps), coordinator_errors(steps)):
        for field, messages in extra.items():
            errors.setdefault(field, []).extend(messages)
    return errors


def describe_step(s: StepData, named: str = "") -> str:
    """One step in words, times in hours and minutes: "30 min after due: the
    on-call senior clinician by in-app, e-mail; every 30 min until
    acknowledged", "warns with 25% of the target time left: ..."."""
    if s.when == StepWhen.WARNING and s.fraction is not None:
        when = f"warns with {s.fraction:.0%} of the target time left"
    elif s.when == StepWhen.AFTER_DUE and isinstance(s.delay, timedelta):
        when = f"{hours_minutes(s.delay)} after due"
    else:
        when = in_sentence(label_of("StepWhen", s.when))
    whom = (
        named
        if s.recipient == Recipient.NAMED_USER and named
        else label_of("Recipient", s.recipient)
    )
    channels = s.channels if isinstance(s.channels, list | tuple) else []
    text = (
        f"{when}: {whom} by {', '.join(label_of('Channel', c) for c in channels) or 'no channel'}"
    )
    if isinstance(s.repeat_every, timedelta):
        text += f"; every {hours_minutes(s.repeat_every)} until acknowledged"
    return text[:1].upper() + text[1:]
