"""Pure rules for a pathway's clock definitions (docs/clinical-rules.md, section 4).

The admin form applies them while a service admin edits a draft, and
publishing applies them again to the whole version, so a version that breaks
them never reaches a referral. No Django here: plain values in, errors keyed
by the field they are about out.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from pathways.codes import ClockAnchor, ClockCondition, ClockKind, EventKind
from pathways.defaults import NG234_DEFAULT_CLOCKS
from referrals.codes import Category

# Field name -> messages, the shape Django forms and the API both accept.
Errors = dict[str, list[str]]

KINDS = frozenset(k.value for k in ClockKind)
CATEGORIES = frozenset(c.value for c in Category)
# "Entered in error" withdraws another event; it is not a clinical moment a
# clock could start or stop at.
_CLINICAL_EVENTS = frozenset(e.value for e in EventKind if e != EventKind.ENTERED_IN_ERROR)
START_EVENTS = frozenset(a.value for a in ClockAnchor) | _CLINICAL_EVENTS
# Clocks stop only when an event is recorded (pathways/services/clocks.py
# event_record), so an anchor such as "referral_received" would never stop one.
STOP_EVENTS = _CLINICAL_EVENTS


@dataclass(frozen=True)
class DefinitionData:
    """What a service admin sets on one clock definition."""

    kind: str
    categories: Sequence[str]
    start_event: str
    stop_event: str
    # None: a measured clock (no target; never breached, never escalated).
    target: timedelta | None
    reference: str = ""
    justification: str = ""
    applies_when: str = ClockCondition.ALWAYS


CONDITIONS = frozenset(c.value for c in ClockCondition)
# Conditions that can hold together for one referral's clock of a kind (two
# definitions whose conditions both hold would run two clocks of it).
_EXCLUSIVE = frozenset({ClockCondition.WITHOUT_SURGERY, ClockCondition.AFTER_SURGERY})


def _conditions_meet(a: str, b: str) -> bool:
    return not (a != b and a in _EXCLUSIVE and b in _EXCLUSIVE)


def describe(duration: timedelta) -> str:
    """A target as NG234 says it: "30 minutes", "24 hours", "48 hours", "7 days"."""
    seconds = int(duration.total_seconds())
    # Days only from 3 days up: "24 hours", never "1 day".
    for unit, size, least in (("day", 86400, 3 * 86400), ("hour", 3600, 3600), ("minute", 60, 60)):
        if seconds >= least and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return str(duration)


def ng234_target_for(
    kind: str, categories: Iterable[str], applies_when: str = ClockCondition.ALWAYS
) -> timedelta | None:
    """NG234's own target for a clock of ``kind`` over ``categories`` when
    ``applies_when`` holds: the strictest NG234 sets for that kind in any of
    them (a clock covering both suspected MSCC and suspected spinal metastases
    is held to MSCC's 24 hours). None where NG234 sets no target
    (acknowledgement, "as soon as possible", postoperative radiotherapy)."""
    wanted = set(categories)
    targets = [
        d.ng234_target
        for d in NG234_DEFAULT_CLOCKS
        if d.kind == kind
        and d.ng234_target is not None
        and wanted & set(d.categories)
        and _conditions_meet(d.applies_when, applies_when)
    ]
    return min(targets, default=None)


def exceeds_ng234(target: timedelta | None, ng234_target: timedelta | None) -> bool:
    return target is not None and ng234_target is not None and target > ng234_target


def definition_errors(d: DefinitionData) -> Errors:
    """What is wrong with one clock definition, by field; empty if nothing."""
    errors: Errors = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if d.kind not in KINDS:
        add("kind", f"Unknown clock kind {d.kind!r}. Use one of: {', '.join(sorted(KINDS))}.")

    categories = d.categories if isinstance(d.categories, list | tuple) else None
    if categories is None:
        add("categories", "Give the categories as a list of category codes.")
    elif not categories:
        add("categories", "Choose at least one category the clock applies to.")
    else:
        unknown = sorted({str(c) for c in categories} - CATEGORIES)
        if unknown:
            add("categories", f"Unknown category code(s): {', '.join(unknown)}.")

    if d.start_event not in START_EVENTS:
        add(
            "start_event",
            f"Unknown start event {d.start_event!r}: use a clinical event code or "
            f"{', '.join(a.value for a in ClockAnchor)}.",
        )
    if d.stop_event not in STOP_EVENTS:
        add(
            "stop_event",
            f"Unknown stop event {d.stop_event!r}: a clock stops when a clinical event "
            "is recorded, so use a clinical event code.",
        )
    elif d.stop_event == d.start_event:
        add("stop_event", "The stop event cannot be the start event.")

    if d.applies_when not in CONDITIONS:
        add(
            "applies_when",
            f"Unknown condition {d.applies_when!r}. Use one of: {', '.join(sorted(CONDITIONS))}.",
        )
    target_ok = isinstance(d.target, timedelta) and d.target > timedelta(0)
    if d.target is None:
        # Measured: allowed only where NG234 sets no time (never for the
        # acknowledgement that starts every referral's escalation).
        ng234 = (
            ng234_target_for(d.kind, [str(c) for c in categories], d.applies_when)
            if categories and d.kind in KINDS and d.applies_when in CONDITIONS
            else None
        )
        if d.kind == ClockKind.ACKNOWLEDGEMENT:
            add("target", "An acknowledgement clock needs a target: it starts escalation.")
        elif ng234 is not None:
            add(
                "target",
                f"NG234 sets {describe(ng234)} for this clock: give a target (a longer "
                "local one needs a justification).",
            )
    elif not target_ok:
        add("target", "The target must be a positive duration, or blank for a measured clock.")

    if not d.reference.strip():
        add("reference", "Give the NG234 or QS56 reference (or say it is a local standard).")

    if (
        isinstance(d.target, timedelta)
        and target_ok
        and categories
        and d.kind in KINDS
        and d.applies_when in CONDITIONS
    ):
        ng234 = ng234_target_for(d.kind, [str(c) for c in categories], d.applies_when)
        if ng234 is not None and d.target > ng234 and not d.justification.strip():
            add(
                "justification",
                f"The target of {describe(d.target)} is longer than NG234's "
                f"{describe(ng234)}: record why this service needs longer.",
            )
    return errors


def overlap_errors(definitions: Sequence[DefinitionData]) -> Errors:
    """Two clocks of the same kind for one category, whose conditions can
    hold together, would give a referral two running clocks of that kind,
    which the clock table refuses. (Radiotherapy without surgery and after
    surgery never hold together.)"""
    seen: dict[tuple[str, str], list[str]] = {}
    messages = []
    for d in definitions:
        if not isinstance(d.categories, list | tuple):
            continue
        for category in dict.fromkeys(str(c) for c in d.categories):
            earlier = seen.setdefault((d.kind, category), [])
            if any(_conditions_meet(c, d.applies_when) for c in earlier):
                message = (
                    f"More than one {d.kind} clock applies to {category}: a referral can run "
                    "only one clock of each kind."
                )
                if message not in messages:
                    messages.append(message)
            earlier.append(d.applies_when)
    return {"clock_definitions": messages} if messages else {}


def coverage_errors(definitions: Sequence[DefinitionData]) -> Errors:
    """Every clock NG234 sets a target for (MRI, advice, stability advice,
    radiotherapy) must still apply to each category NG234 sets it for: a
    service may set a longer target with a justification, but not drop the
    standard, or its timeliness could no longer be audited (NG234 1.1.12)."""
    present = {
        (d.kind, str(c), d.applies_when)
        for d in definitions
        if isinstance(d.categories, list | tuple) and d.target is not None
        for c in d.categories
    }
    messages = [
        f"No {default.kind} clock with a target applies to {category}: NG234 sets "
        f"{describe(default.ng234_target)} ({default.reference}). Keep the clock; a longer "
        "local target needs a justification."
        for default in NG234_DEFAULT_CLOCKS
        if default.ng234_target is not None
        for category in default.categories
        if not any(
            (default.kind.value, category, condition) in present
            for condition in (default.applies_when, ClockCondition.ALWAYS)
        )
    ]
    return {"clock_definitions": messages} if messages else {}


def publish_errors(definitions: Sequence[DefinitionData]) -> Errors:
    """Everything that stops a draft being published: each definition's own
    errors (keyed ``clock_definitions.<n>.<field>``, n counting from 1 in the
    order given) and the version's (keyed ``clock_definitions``)."""
    errors: Errors = {}
    for n, d in enumerate(definitions, start=1):
        for field, messages in definition_errors(d).items():
            errors[f"clock_definitions.{n}.{field}"] = messages
    for extra in (overlap_errors(definitions), coverage_errors(definitions)):
        for field, messages in extra.items():
            errors.setdefault(field, []).extend(messages)
    return errors
