"""A referral's clocks, derived from what stands on its record: pure, no Django.

The clocks are a function of the referral's inputs, never of the order in
which things were recorded (docs/architecture.md, "Clocks are derived"):

- the pathway version's clock definitions (frozen at intake);
- when the referral was received and when MSCC was first suspected;
- the category triage gave, every coordinator's override, and the events
  that confirm or rule out MSCC, each at its time (the referral's category
  over time; ``category_now`` is where it ends);
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

from pathways import clock_rules, exclusions
from pathways.codes import ClockAnchor, ClockCondition, ClockKind, ClockStatus, EventKind
from referrals.codes import Category, ImagingFindings

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
    # None: a measured clock (no due time; never breached, never escalated).
    target: timedelta | None
    reference: str
    applies_when: str = ClockCondition.ALWAYS


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
    beginning) to ``end`` (None: still now), why it ended, why the referral
    has this category (blank: triage's), and whether MSCC ruled out began it."""

    start: datetime | None
    end: datetime | None
    category: str
    end_reason: str = ""
    reason: str = ""
    after_exclusion: bool = False

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
    # When neurological symptoms began (the surgery clock's start, 1.11.3).
    neuro_onset_at: datetime | None = None
    # Neurological features, or a confirmed haematological malignancy (1.8.1, 1.8.5).
    dexamethasone_indicated: bool = False
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
    due_at: datetime | None
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


_RULED_OUT_REASON = (
    "MSCC ruled out, spinal metastases not ruled out: the suspected spinal metastases "
    "standards apply (NG234 1.5.3)."
)
_CONFIRMED_REASON = "MSCC confirmed: an oncological emergency (NG234 1.3.2)."


@dataclass(frozen=True)
class _Change:
    """A change of category at a time: by a coordinator's override, or by an
    event (MSCC confirmed or ruled out), which the override precedes at the
    same instant."""

    at: datetime
    by_event: bool
    category: str
    end_reason: str  # what a clock the change ends says
    reason: str  # why the referral has the category from now
    after_exclusion: bool = False


def _timeline(inputs: Inputs, events: list[Event]) -> list[_Period]:
    """The referral's categories over time, each change at the time it
    happened: triage's; a coordinator's override; ``mscc_confirmed`` (an
    emergency again); ``mscc_ruled_out`` on suspected MSCC (suspected spinal
    metastases: MSCC excluded is not spinal metastases excluded). Between a
    confirmation and an exclusion the later ``occurred_at`` wins."""
    changes = [_Change(o.at, False, o.category, o.reason, o.reason) for o in inputs.overrides]
    for e in events:
        if e.kind == EventKind.MSCC_CONFIRMED:
            changes.append(
                _Change(e.occurred_at, True, Category.SUSPECTED_MSCC,
                        f"No longer applies: {EventKind.MSCC_CONFIRMED.in_sentence}.",
                        _CONFIRMED_REASON)
            )  # fmt: skip
        elif e.kind == EventKind.MSCC_RULED_OUT:
            changes.append(
                _Change(e.occurred_at, True, Category.SUSPECTED_SPINAL_METASTASES,
                        f"No longer applies: {EventKind.MSCC_RULED_OUT.in_sentence}.",
                        _RULED_OUT_REASON, after_exclusion=True)
            )  # fmt: skip
    periods: list[_Period] = []
    current = _Period(None, None, inputs.triage_category)
    for change in sorted(changes, key=lambda c: (c.at, c.by_event)):
        if change.by_event and (
            # MSCC ruled out changes only a suspected-MSCC referral; an event
            # that leaves the category as it is changes nothing.
            (change.after_exclusion and current.category != Category.SUSPECTED_MSCC)
            or change.category == current.category
        ):
            continue
        periods.append(_Period(current.start, change.at, current.category, change.end_reason,
                               current.reason, current.after_exclusion))  # fmt: skip
        current = _Period(
            change.at, None, change.category, "", change.reason, change.after_exclusion
        )
    periods.append(current)
    return periods


def category_now(inputs: Inputs) -> tuple[str, str]:
    """The category the referral has now, and why it is not triage's (blank
    when it is). A coordinator's override is its own reason."""
    events = sorted(inputs.events, key=lambda e: (e.occurred_at, str(e.id)))
    last = _timeline(inputs, events)[-1]
    return last.category, last.reason


def _periods_of(definition: Definition, timeline: list[_Period]) -> list[_Period]:
    """The stretches in which ``definition`` applies, adjacent ones joined."""
    joined: list[_Period] = []
    for period in timeline:
        if period.category not in definition.categories:
            continue
        if joined and joined[-1].end == period.start:
            last = joined[-1]
            joined[-1] = _Period(
                last.start, period.end, last.category, period.end_reason,
                last.reason, last.after_exclusion,
            )  # fmt: skip
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
    excluded_at = exclusions.exclusion_at(events)
    timeline = _timeline(inputs, events)
    # Acknowledging the referral is one act whatever the events later show:
    # MSCC confirmed or ruled out does not restart its clock under another
    # category's target (a coordinator's override still does).
    by_overrides = _timeline(inputs, [])

    applying = [
        (d, _periods_of(d, by_overrides if d.kind == ClockKind.ACKNOWLEDGEMENT else timeline))
        for d in inputs.definitions
        if d.applies_when != ClockCondition.DEXAMETHASONE_INDICATED
        or inputs.dexamethasone_indicated
    ]
    # MSCC ruled out starts the suspected spinal metastases standards, but the
    # advice to the referrer (1.3.3) is not started after the fact: it was the
    # emergency's coordinator who advised them.
    applying = [
        (d, [p for p in periods if not p.after_exclusion])
        if d.kind == ClockKind.ADVICE and d.start_event in _INTAKE_ANCHORS
        else (d, periods)
        for d, periods in applying
    ]
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
            definition, inputs, events, periods=periods, died=died, excluded_at=excluded_at
        )
    return derived


def _clocks_of(
    definition: Definition,
    inputs: Inputs,
    events: list[Event],
    *,
    periods: list[_Period],
    died: Event | None,
    excluded_at: datetime | None,
) -> list[DerivedClock]:
    # What ends every clock of this definition, whenever it started.
    endings: list[_Ending] = []
    if excluded_at is not None and definition.kind != ClockKind.ACKNOWLEDGEMENT:
        excluding = next(
            e
            for e in events
            if e.kind == EventKind.SPINAL_METASTASES_RULED_OUT and e.occurred_at == excluded_at
        )
        endings.append(
            _Ending(
                excluded_at,
                f"No longer applies: {EventKind.SPINAL_METASTASES_RULED_OUT.in_sentence}.",
                event=excluding.id,
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
        # it ends where the definition last stopped applying, if it has. A
        # category that began once the pathway had ended starts nothing.
        first = periods[0].start
        if first is not None and last_start is not None and first >= last_start:
            return []
        starts = [(anchor, None, _Period(None, periods[-1].end, periods[0].category,
                                         periods[-1].end_reason))]  # fmt: skip
    else:
        starts = [
            (_start_of(definition, e, inputs), e, period)
            for e in events
            if e.kind == definition.start_event and _condition_holds(definition, e, events)
            for period in periods
            if period.holds(e.occurred_at)
        ]

    clocks: list[DerivedClock] = []
    for started_at, start_event, period in starts:
        if (
            start_event is not None
            and last_start is not None
            and start_event.occurred_at >= last_start
        ):
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


_SURGERY = frozenset({EventKind.SURGERY_DECISION, EventKind.SURGERY_PERFORMED})


def _condition_holds(definition: Definition, start: Event, events: list[Event]) -> bool:
    """Whether a clock of ``definition`` started by ``start`` is one NG234
    means: 1.10.4's 24 hours are for MSCC not suitable for spinal surgery, so
    a radiotherapy decision after a decision to operate is postoperative
    radiotherapy (1.10.8), measured without a target."""
    if definition.applies_when not in (
        ClockCondition.WITHOUT_SURGERY,
        ClockCondition.AFTER_SURGERY,
    ):
        return True
    operated = any(e.kind in _SURGERY and e.occurred_at <= start.occurred_at for e in events)
    return operated == (definition.applies_when == ClockCondition.AFTER_SURGERY)


def _start_of(definition: Definition, start: Event, inputs: Inputs) -> datetime:
    """When a clock started by ``start`` runs from: the surgery clock from the
    onset of neurological symptoms where known (1.11.3: surgery as soon as
    possible after the onset), else from the decision."""
    onset = inputs.neuro_onset_at
    if definition.kind == ClockKind.SURGERY and onset is not None and onset <= start.occurred_at:
        return onset
    return start.occurred_at


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
    due_at = (
        None if definition.target is None else clock_rules.due_at(started_at, definition.target)
    )
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
