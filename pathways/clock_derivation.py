"""A referral's clocks, derived from what stands on its record: pure, no Django.

The clocks are a function of the referral's inputs, never of the order in
which things were recorded (docs/architecture.md, "Clocks are derived"):

- the pathway version's clock definitions (frozen at intake);
- when the referral was received and when MSCC was first suspected;
- the category triage gave, the category it has now, and when that latest
  override was made;
- the clinical events that stand (withdrawn ones are left out by the caller),
  judged by ``occurred_at``;
- "not appropriate" markings, keyed by the clock they were made on;
- the time the referral was closed, if it is closed.

Each derived clock carries a key (its definition, and the event that started
it, or ``None`` for a clock started at intake), so the caller can keep each
clock row's identity and history from one recompute to the next.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pathways import clock_rules
from pathways.codes import ClockAnchor, ClockKind, ClockStatus, EventKind
from referrals.codes import ImagingFindings

# The clock's identity: (definition id, id of the event that started it).
ClockKey = tuple[object, object | None]

_INTAKE_ANCHORS = frozenset({ClockAnchor.REFERRAL_RECEIVED, ClockAnchor.SUSPECTED})


@dataclass(frozen=True)
class Definition:
    id: object
    kind: str
    categories: frozenset[str]
    start_event: str
    stop_event: str
    target: timedelta
    reference: str


@dataclass(frozen=True)
class Event:
    id: object
    kind: str
    occurred_at: datetime


@dataclass(frozen=True)
class Marking:
    """A clock recorded "not appropriate" (out of the QS56 denominator)."""

    at: datetime
    reason: str


@dataclass(frozen=True)
class Override:
    """A coordinator's change of category (a recorded clinical judgement)."""

    at: datetime
    category: str
    reason: str


@dataclass(frozen=True)
class _Period:
    """A stretch of time under one category: from ``start`` (None: from the
    beginning) to ``end`` (None: still now), and why it ended."""

    start: datetime | None
    end: datetime | None
    category: str
    end_reason: str = ""

    def holds(self, at: datetime) -> bool:
        return (self.start is None or at >= self.start) and (self.end is None or at < self.end)


@dataclass(frozen=True)
class Inputs:
    definitions: tuple[Definition, ...]
    received_at: datetime
    suspected_at: datetime
    triage_category: str
    category: str
    imaging_findings: str
    events: tuple[Event, ...]
    # How the imaging at referral was done (blank: not said).
    imaging_modality: str = ""
    # Every category override, in any order: when, to what, and the words a
    # clock ended by it carries.
    overrides: tuple["Override", ...] = ()
    # A closed (terminal) referral: when, and the words for its clocks.
    closed_at: datetime | None = None
    closed_reason: str = ""
    not_appropriate: Mapping[ClockKey, Marking] = field(default_factory=dict)


@dataclass(frozen=True)
class DerivedClock:
    key: ClockKey
    definition: Definition
    started_at: datetime
    due_at: datetime
    status: ClockStatus
    stopped_at: datetime | None
    stop_reason: str
    started_by_event: object | None
    stopped_by_event: object | None

    @property
    def kind(self) -> str:
        return self.definition.kind


@dataclass(frozen=True)
class _Ending:
    """Something that ends a clock at a time: a stop (met) or a cancellation."""

    at: datetime
    reason: str
    met: bool = False
    event: object | None = None


def _first(events: Iterable[Event], kind: str) -> Event | None:
    return next((e for e in events if e.kind == kind), None)


def _timeline(inputs: Inputs) -> list[_Period]:
    """The referral's categories over time: triage's, then each override's."""
    overrides = sorted(inputs.overrides, key=lambda o: o.at)
    periods: list[_Period] = []
    start: datetime | None = None
    category = inputs.triage_category
    for override in overrides:
        periods.append(_Period(start, override.at, category, override.reason))
        start, category = override.at, override.category
    periods.append(_Period(start, None, category))
    return periods


def _periods_of(definition: Definition, timeline: list[_Period]) -> list[_Period]:
    """The stretches in which ``definition`` applies, adjacent ones joined."""
    joined: list[_Period] = []
    for period in timeline:
        if period.category not in definition.categories:
            continue
        if joined and joined[-1].end == period.start:
            last = joined[-1]
            joined[-1] = _Period(last.start, period.end, last.category, period.end_reason)
        else:
            joined.append(period)
    return joined


def derive(inputs: Inputs) -> list[DerivedClock]:
    """Every clock the inputs imply, in a stable order.

    A definition applies while the referral's category is one of its
    categories. A clock started at intake runs from its original anchor
    (receipt, suspicion) whenever its definition applies, so a changed
    category never buys a deadline more time; it ends where its definition
    stopped applying, unless it applies again now. A clock started by an
    event starts only while its definition applies, and ends where that
    stretch ends. A kind already met under an earlier category is not started
    again at intake under a later one."""
    events = sorted(inputs.events, key=lambda e: (e.occurred_at, str(e.id)))
    died = _first(events, EventKind.DIED)
    ruled_out = _first(events, EventKind.MSCC_RULED_OUT)
    timeline = _timeline(inputs)

    applying = [(d, _periods_of(d, timeline)) for d in inputs.definitions]
    # Earliest-applying first, so that a kind met under an earlier category
    # is known before a later category's definition of the kind is reached.
    applying = sorted(
        ((d, periods) for d, periods in applying if periods),
        key=lambda pair: (pair[1][0].start is not None, pair[1][0].start or inputs.received_at),
    )
    derived: list[DerivedClock] = []
    for definition, periods in applying:
        if definition.start_event in _INTAKE_ANCHORS:
            met_before = any(
                c.kind == definition.kind
                and c.definition.id != definition.id
                and c.status in (ClockStatus.MET, ClockStatus.MET_LATE)
                and periods[0].start is not None
                and c.stopped_at is not None
                and c.stopped_at <= periods[0].start
                for c in derived
            )
            if met_before:
                continue
        derived += _clocks_of(
            definition, inputs, events, periods=periods, died=died, ruled_out=ruled_out
        )
    return derived


def _clocks_of(
    definition: Definition,
    inputs: Inputs,
    events: list[Event],
    *,
    periods: list[_Period],
    died: Event | None,
    ruled_out: Event | None,
) -> list[DerivedClock]:
    # What ends every clock of this definition, whenever it started.
    endings: list[_Ending] = []
    if ruled_out is not None and definition.kind != ClockKind.ACKNOWLEDGEMENT:
        endings.append(
            _Ending(
                ruled_out.occurred_at,
                f"No longer applies: {EventKind.MSCC_RULED_OUT.in_sentence}.",
                event=ruled_out.id,
            )
        )
    if died is not None:
        endings.append(
            _Ending(
                died.occurred_at,
                f"No longer applies: {EventKind.DIED.in_sentence}.",
                event=died.id,
            )
        )
    if inputs.closed_at is not None:
        endings.append(_Ending(inputs.closed_at, inputs.closed_reason))
    # Nothing starts once the pathway has ended for it (a start at the same
    # instant as the ending does not start either).
    last_start = min((e.at for e in endings), default=None)

    starts: list[tuple[datetime, Event | None, _Period]]
    if definition.start_event in _INTAKE_ANCHORS:
        anchor = (
            inputs.suspected_at
            if definition.start_event == ClockAnchor.SUSPECTED
            else inputs.received_at
        )
        # One clock, from the anchor, under the first category it applied to;
        # it ends where the definition last stopped applying, if it has.
        starts = [(anchor, None, _Period(None, periods[-1].end, periods[0].category,
                                         periods[-1].end_reason))]  # fmt: skip
    else:
        starts = [
            (e.occurred_at, e, period)
            for e in events
            if e.kind == definition.start_event
            for period in periods
            if period.holds(e.occurred_at)
        ]

    clocks: list[DerivedClock] = []
    for started_at, start_event, period in starts:
        if start_event is not None and last_start is not None and started_at >= last_start:
            break
        previous = clocks[-1] if clocks else None
        if previous is not None and (
            previous.stopped_at is None or previous.stopped_at > started_at
        ):
            continue  # One clock of a kind runs at a time: this start adds nothing.
        window = [] if period.end is None else [_Ending(period.end, period.end_reason)]
        key: ClockKey = (definition.id, start_event.id if start_event else None)
        clocks.append(
            _one_clock(
                definition,
                inputs,
                events,
                key=key,
                category=period.category,
                started_at=started_at,
                start_event=start_event,
                endings=endings + window,
            )
        )
    return clocks


def _one_clock(
    definition: Definition,
    inputs: Inputs,
    events: list[Event],
    *,
    key: ClockKey,
    category: str,
    started_at: datetime,
    start_event: Event | None,
    endings: list[_Ending],
) -> DerivedClock:
    due_at = clock_rules.due_at(started_at, definition.target)
    if (
        start_event is None
        and definition.kind == ClockKind.MRI
        and clock_rules.mri_met_by_imaging_at_referral(
            category, inputs.imaging_findings, inputs.imaging_modality
        )
    ):
        return DerivedClock(
            key=key,
            definition=definition,
            started_at=started_at,
            due_at=due_at,
            status=ClockStatus.MET,
            stopped_at=started_at,
            stop_reason=(
                f"Met at referral: {ImagingFindings(inputs.imaging_findings).in_sentence}."
            ),
            started_by_event=None,
            stopped_by_event=None,
        )
    candidates = list(endings)
    # A stop counts only if it happened at or after the clock's start.
    stops = clock_rules.stop_kinds(definition.stop_event)
    stop = next((e for e in events if e.kind in stops and e.occurred_at >= started_at), None)
    if stop is not None:
        candidates.append(
            _Ending(
                stop.occurred_at,
                f"{EventKind(stop.kind).label} recorded.",
                met=True,
                event=stop.id,
            )
        )
    marking = inputs.not_appropriate.get(key)
    if marking is not None:
        candidates.append(_Ending(marking.at, f"Not appropriate: {marking.reason}"))
    # The earliest ending wins; at the same instant a stop (met) wins.
    ending = min(candidates, key=lambda e: (max(e.at, started_at), not e.met), default=None)
    if ending is None:
        status, stopped_at, reason, stopped_by = ClockStatus.RUNNING, None, "", None
    else:
        stopped_at = max(ending.at, started_at)
        status = (
            clock_rules.stop_status(due_at, stopped_at) if ending.met else ClockStatus.CANCELLED
        )
        reason, stopped_by = ending.reason, ending.event
    return DerivedClock(
        key=key,
        definition=definition,
        started_at=started_at,
        due_at=due_at,
        status=status,
        stopped_at=stopped_at,
        stop_reason=reason,
        started_by_event=start_event.id if start_event else None,
        stopped_by_event=stopped_by,
    )
