"""Clocks: recomputed from what stands on the record, marked not appropriate.

A referral's clocks are derived (pathways/clock_derivation.py) from its
inputs; ``clocks_recompute`` makes the clock rows say what the derivation
says, keeping each row's identity and history. The caller holds the
referral's row lock (the coordinator's workflow services take it), so two
coordinators acting at once are applied one after the other.

Nothing here schedules escalations: ``Clock.next_escalation_at`` has one
writer, notifications (notifications/services/schedule.py), which the
workflow calls with the clocks this returns.
"""

from collections.abc import Callable, Mapping
from datetime import datetime
from uuid import UUID

from django.db import transaction
from simple_history.utils import bulk_create_with_history

from core.errors import Conflict, DomainError, NotFound
from core.logs import get_logger
from pathways import clock_derivation as derivation
from pathways.codes import ClockStatus, EventKind
from pathways.models import ClinicalEvent, Clock
from referrals import rules
from referrals.codes import TERMINAL_STATUSES, Category, Haematological, ReferralStatus
from referrals.models import Referral, User
from referrals.selectors import triage_input_for

log = get_logger(__name__)

# The fields a recompute may change on a clock row.
_DERIVED_FIELDS = (
    "definition_id",
    "kind",
    "target",
    "reference",
    "started_at",
    "due_at",
    "status",
    "stopped_at",
    "stop_reason",
    "started_by_event_id",
    "stopped_by_event_id",
    "void",
)


def standing_events(referral: Referral) -> list[ClinicalEvent]:
    """The events that stand: not withdrawn, and not withdrawals themselves."""
    return list(
        referral.events.filter(correction__isnull=True).exclude(kind=EventKind.ENTERED_IN_ERROR)
    )


def clock_key(clock: Clock) -> derivation.ClockKey:
    return (clock.definition_id, clock.started_by_event_id)


def category_overrides(referral: Referral) -> list[derivation.Override]:
    """Every category override a coordinator has made, from the referral's
    history (each override is saved with its time, so each shows once per
    distinct time). Only coordinators' overrides: a category that events
    changed (MSCC confirmed or ruled out) is derived from the events."""
    if referral.category_overridden_at is None:
        return []
    seen: dict[datetime, derivation.Override] = {}
    rows = referral.history.filter(
        category_overridden_at__isnull=False, overridden_category__gt=""
    ).values_list("category_overridden_at", "overridden_category", "category_override_reason")
    for at, category, reason in rows:
        seen[at] = _override(at, category, reason)
    # The row itself is the last word (history may lag a save in this transaction).
    if referral.overridden_category:
        at = referral.category_overridden_at
        seen[at] = _override(at, referral.overridden_category, referral.category_override_reason)
    return list(seen.values())


def _override(at: datetime, category: str, reason: str) -> derivation.Override:
    return derivation.Override(
        at, category, f"Category changed to {Category(category).label}: {reason}"
    )


def dexamethasone_indicated(referral: Referral) -> bool:
    """Neurological symptoms or signs (NG234 1.8.1), or a confirmed
    haematological malignancy (1.8.5): the dexamethasone clock applies."""
    data = triage_input_for(referral)
    return bool(data.neuro_features) or rules.haematological(data) == Haematological.CONFIRMED


def derivation_inputs(
    referral: Referral,
    clocks: list[Clock],
    events: list[ClinicalEvent],
    keys: Mapping[UUID, derivation.ClockKey] | None = None,
) -> derivation.Inputs:
    """Everything the clocks follow from, read off the referral. A marking
    belongs to the clock its row carries (``keys``: row → clock, where a
    recompute moved it)."""
    keys = keys or {}
    definitions = tuple(
        derivation.Definition(
            id=d.pk,
            kind=d.kind,
            categories=frozenset(d.categories),
            start_event=d.start_event,
            stop_event=d.stop_event,
            target=d.target,
            reference=d.reference,
            applies_when=d.applies_when,
        )
        for d in referral.pathway_version.clock_definitions.all()
    )
    closed = referral.status in TERMINAL_STATUSES and referral.status != ReferralStatus.DIED
    return derivation.Inputs(
        definitions=definitions,
        received_at=referral.received_at,
        suspected_at=referral.suspected_at,
        triage_category=referral.triage_category or referral.category,
        category=referral.category,
        imaging_findings=referral.imaging_findings,
        imaging_modality=referral.imaging_modality,
        events=tuple(derivation.Event(e.pk, e.kind, e.occurred_at) for e in events),
        neuro_onset_at=referral.neuro_onset_at,
        dexamethasone_indicated=dexamethasone_indicated(referral),
        overrides=tuple(category_overrides(referral)),
        closed_at=referral.status_changed_at if closed else None,
        closed_reason=(
            f"Referral {ReferralStatus(referral.status).in_sentence}: {referral.status_reason}"
            if closed
            else ""
        ),
        not_appropriate={
            keys.get(c.pk, clock_key(c)): derivation.Marking(
                c.not_appropriate_at, c.not_appropriate_reason
            )
            for c in clocks
            if c.not_appropriate and c.not_appropriate_at is not None
        },
    )


def category_derived(referral: Referral) -> tuple[str, str]:
    """The category the referral's record implies now, and why it is not
    triage's (pathways/clock_derivation.py ``category_now``): triage's, a
    coordinator's override, then MSCC confirmed or ruled out, each at the
    time it happened. The coordinator's workflow writes it on the referral."""
    events = standing_events(referral)
    return derivation.category_now(
        derivation.Inputs(
            definitions=(),
            received_at=referral.received_at,
            suspected_at=referral.suspected_at,
            triage_category=referral.triage_category or referral.category,
            category=referral.category,
            imaging_findings=referral.imaging_findings,
            events=tuple(derivation.Event(e.pk, e.kind, e.occurred_at) for e in events),
            overrides=tuple(category_overrides(referral)),
        )
    )


def clocks_recompute(
    *,
    referral: Referral,
    user: User | None,
    now: datetime,
    new: bool = False,
    before_insert: Callable[[list[Clock]], None] | None = None,
) -> list[Clock]:
    """Make the referral's clock rows what its standing inputs imply.

    A row the derivation still yields keeps its identity (and so its
    escalations and history) and takes the derived times and status; a new
    one is created; a row it no longer yields (its start was withdrawn, or its
    definition no longer applies) is kept, cancelled and marked void, so it is
    out of every count. Returns the rows whose times or status changed, for
    the escalation schedule; those it created carry ``created_now``.

    ``new``: the referral was created in this transaction, so it has neither
    clocks nor events yet (intake skips reading them)."""
    clocks = [] if new else list(referral.clocks.select_for_update().all())
    events = [] if new else standing_events(referral)
    derived = derivation.derive(derivation_inputs(referral, clocks, events))
    rows = _match(derived, clocks)
    if any(clock_key(row) != key and row.not_appropriate for key, row in rows.items()):
        # A marked row now carries a clock with another start: its marking is
        # an input of that clock, so derive once more with it there.
        keys = {row.pk: key for key, row in rows.items()}
        derived = derivation.derive(derivation_inputs(referral, clocks, events, keys))
        rows = _match(derived, clocks)
    changed: list[Clock] = []
    created: list[Clock] = []

    # Rows are written so that no moment has two running clocks of a kind
    # (a database constraint): voided rows first, then stopped, then running.
    kept = {row.pk for row in rows.values()}
    for clock in clocks:
        if clock.pk not in kept and not (clock.void and clock.status == ClockStatus.CANCELLED):
            reason = _void_reason(clock, events)
            _set(
                clock,
                user,
                changed,
                status=ClockStatus.CANCELLED,
                stopped_at=clock.stopped_at or max(now, clock.started_at),
                stop_reason=reason,
                void=True,
            )
    for item in sorted(derived, key=lambda d: d.status == ClockStatus.RUNNING):
        existing = rows.get(item.key)
        values: dict[str, object] = {
            "definition_id": item.definition.id,
            "kind": item.kind,
            "target": item.definition.target,
            "reference": item.definition.reference,
            "started_at": item.started_at,
            "due_at": item.due_at,
            "status": item.status,
            "stopped_at": item.stopped_at,
            "stop_reason": item.stop_reason,
            "started_by_event_id": item.started_by_event,
            "stopped_by_event_id": item.stopped_by_event,
            "void": False,
        }
        if existing is None:
            created.append(Clock(referral=referral, **values))
        else:
            _set(existing, user, changed, **values)
    if created:
        # New rows after every update: running ones only once the clocks they
        # replace have stopped. One insert for the rows, one for their history.
        for clock in created:
            clock.created_now = True  # type: ignore[attr-defined]
        if before_insert is not None:
            before_insert(created)
        bulk_create_with_history(created, Clock, default_user=user)
        changed += created
    if changed:
        log.info(
            "clocks.recomputed",
            reference=referral.reference,
            referral_id=str(referral.pk),
            changed=[str(c.pk) for c in changed],
        )
    return changed


def _match(
    derived: list[derivation.DerivedClock], clocks: list[Clock]
) -> dict[derivation.ClockKey, Clock]:
    """Which row carries each derived clock, so that a clock keeps its row
    (its escalations, its marking, its history) from one recompute to the
    next.

    First by identity (definition and starting event). Then a clock whose
    start moved (an earlier start event recorded, say) takes a row of its
    definition that the derivation no longer yields, if that row stood until
    now: its escalations were raised for the same episode, so none is raised
    twice. A row already void never carries a new clock, whose escalations it
    would otherwise swallow. Rows the old engine left twice under one
    identity: the running or newest one carries the clock, the rest go void.
    """

    def preference(row: Clock) -> tuple[bool, bool, float]:
        return (row.void, row.status != ClockStatus.RUNNING, -row.started_at.timestamp())

    by_key: dict[derivation.ClockKey, list[Clock]] = {}
    for row in sorted(clocks, key=preference):
        by_key.setdefault(clock_key(row), []).append(row)
    rows: dict[derivation.ClockKey, Clock] = {}
    used: set[object] = set()
    for item in derived:
        candidates = by_key.get(item.key, [])
        if candidates:
            rows[item.key] = candidates[0]
            used.add(candidates[0].pk)
    for item in sorted(derived, key=lambda d: d.started_at):
        if item.key in rows:
            continue
        spare = [
            row
            for row in sorted(clocks, key=lambda r: r.started_at)
            if row.pk not in used and not row.void and row.definition_id == item.definition.id
        ]
        if spare:
            rows[item.key] = spare[0]
            used.add(spare[0].pk)
    return rows


def _set(clock: Clock, user: User | None, changed: list[Clock], **values: object) -> None:
    """Write only what differs, so an unchanged clock gains no history row."""
    differing = [name for name, value in values.items() if getattr(clock, name) != value]
    if not differing:
        return
    for name in differing:
        setattr(clock, name, values[name])
    clock._history_user = user  # type: ignore[attr-defined]
    clock.save(update_fields=[name.removesuffix("_id") for name in differing])
    changed.append(clock)


def _void_reason(clock: Clock, events: list[ClinicalEvent]) -> str:
    standing = {e.pk for e in events}
    if clock.started_by_event_id is not None and clock.started_by_event_id not in standing:
        return "Its start was entered in error."
    return "No longer applies to this referral."


@transaction.atomic
def clock_mark_not_appropriate(
    *, referral: Referral, clock_id: UUID | str, reason: str, user: User, now: datetime
) -> Clock:
    """The standard does not apply to this person (declined, too unwell...):
    out of the QS56 denominator, with the reason. The marking is an input of
    the derivation: a running clock ends at it, so nobody is escalated about
    it. The caller holds the referral's lock and recomputes the clocks."""
    clock = Clock.objects.filter(pk=clock_id, referral=referral).first()
    if clock is None:
        raise NotFound("No such clock on this referral.")
    reason = reason.strip()
    if not reason:
        raise DomainError("Give the reason the standard is not appropriate.", field="reason")
    if clock.not_appropriate:
        raise Conflict("This clock is already marked not appropriate.", code="unchanged")
    if clock.status == ClockStatus.CANCELLED:
        raise Conflict("A cancelled clock is already out of the standard.", code="cancelled")
    clock.not_appropriate = True
    clock.not_appropriate_reason = reason
    clock.not_appropriate_by = user
    clock.not_appropriate_at = now
    clock._history_user = user  # type: ignore[attr-defined]
    clock.save(
        update_fields=[
            "not_appropriate",
            "not_appropriate_reason",
            "not_appropriate_by",
            "not_appropriate_at",
        ]
    )
    return clock
