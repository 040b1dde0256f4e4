"""Reads for the coordinator's screens and API: referrals with their clocks,
the queue, the advice that applies now. Scope comes from
``referrals.selectors.referrals_visible_to``; nothing here widens it."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import (
    Case,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    prefetch_related_objects,
)

from notifications.selectors.policies import due_soon_fractions
from pathways import clock_rules, stage_rules
from pathways.advice import Progress, advice_for
from pathways.codes import ClockStatus, EventKind, MdtDecisionKind, ReferralStage
from pathways.exclusions import spinal_metastases_excluded
from pathways.models import ClinicalEvent, Clock
from pathways.selectors import active_event_kinds
from referrals import rules
from referrals.codes import CATEGORY_URGENCY, TERMINAL_STATUSES, Category, ReferralStatus
from referrals.models import Referral, User
from referrals.selectors import identity_held_visible_to, referrals_visible_to, triage_input_for

# What a row of the queue or a list reads of a clock (``clock_view``, the
# stage) and of an event (the stage): building every column of every clock
# and event was most of those pages' time (issue 12). The detail loads them whole.
_CLOCK_SHOWN = (
    "id",
    "referral_id",
    "kind",
    "status",
    "target",
    "reference",
    "started_at",
    "due_at",
    "stopped_at",
    "stop_reason",
    "not_appropriate",
    "not_appropriate_reason",
)
_EVENT_FOR_STAGE = ("id", "referral_id", "kind", "occurred_at", "corrects_id")


def _clocks_by_due(*fields: str) -> "Prefetch[Any]":
    # Measured clocks (no due time) after those that have one (docs/clinical-rules.md, section 4).
    clocks = Clock.objects.order_by(F("due_at").asc(nulls_last=True), "started_at")
    return Prefetch("clocks", queryset=clocks.only(*fields) if fields else clocks)


def open_duplicates(patient: Any, service: Any, referral: Any) -> QuerySet[Referral]:
    """The other open referrals for the same person in the same service,
    earliest first; the arguments are values or ``OuterRef``s (a subquery)."""
    return (
        Referral.objects.filter(patient=patient, service=service, duplicate_of__isnull=True)
        .exclude(pk=referral)
        .exclude(status__in=[s.value for s in TERMINAL_STATUSES])
        .order_by("received_at")
    )


def _with_display_relations(qs: QuerySet[Referral], *, whole: bool = False) -> QuerySet[Referral]:
    """The relations a referral is shown with: its clocks, and its events for
    the stage (one query each for a page). ``whole``: every column of the
    clocks and events (the detail); else only what a row shows."""
    if whole:
        clocks, events = _clocks_by_due(), Prefetch("events")
    else:
        clocks = _clocks_by_due(*_CLOCK_SHOWN)
        events = Prefetch("events", queryset=ClinicalEvent.objects.only(*_EVENT_FOR_STAGE))
    return (
        qs.select_related("patient", "referring_organisation", "service")
        .prefetch_related(clocks, events)
        .annotate(
            # One correlated subquery, so a list or the queue stays one query.
            open_duplicate_reference=Subquery(
                open_duplicates(OuterRef("patient"), OuterRef("service"), OuterRef("pk")).values(
                    "reference"
                )[:1]
            )
        )
    )


def open_duplicate_reference(referral: Referral) -> str | None:
    """The earliest other open referral for this person in this service (a
    warning for the service's coordinators, never for the referrer). None
    for a closed referral, annotated or not: there is nothing left to link."""
    if referral.status in TERMINAL_STATUSES:
        return None
    if hasattr(referral, "open_duplicate_reference"):
        return referral.open_duplicate_reference  # type: ignore[no-any-return]
    return (
        open_duplicates(referral.patient_id, referral.service_id, referral.pk)
        .values_list("reference", flat=True)
        .first()
    )


# A duplicate's closure names the referral it duplicates: its reason says
# which, and the clocks it cancelled repeat the reason. To the referrer that
# would say someone else referred the person to a cancer service (issue 8,
# hazard H18), so they read that it is closed, and whom to ask why.
DUPLICATE_CLOSED_FOR_REFERRER = "Ask the MSCC coordinator for the reason."


def status_reason_shown_to(user: User, referral: Referral) -> str:
    """The referral's status reason as ``user`` may read it."""
    if referral.duplicate_of_id is None or identity_held_visible_to(user):
        return referral.status_reason
    return DUPLICATE_CLOSED_FOR_REFERRER


def stop_reason_shown_to(user: User, referral: Referral, stop_reason: str) -> str:
    """A clock's stop reason as ``user`` may read it: a duplicate's closure,
    which repeats the status reason, is said without it."""
    if (
        referral.duplicate_of_id is None
        or identity_held_visible_to(user)
        or not referral.status_reason
        or referral.status_reason not in stop_reason
    ):
        return stop_reason
    return f"Referral {ReferralStatus(referral.status).in_sentence}."


def referral_load_clocks(referral: Referral) -> None:
    """Load a new referral's clocks in place (one query): its other relations
    are already in memory, and it has no events, decisions or scores yet
    (the empty event list is loaded too, for its stage)."""
    prefetch_related_objects([referral], _clocks_by_due(), "events")


def referral_list(*, user: User, filters: dict[str, Any] | None = None) -> QuerySet[Referral]:
    filters = filters or {}
    qs = referrals_visible_to(user)
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("category"):
        qs = qs.filter(category=filters["category"])
    if filters.get("open") is not None:
        q = Q(status__in=[s.value for s in TERMINAL_STATUSES])
        qs = qs.exclude(q) if filters["open"] else qs.filter(q)
    if filters.get("nhs_number"):
        qs = qs.filter(patient__nhs_number=filters["nhs_number"])
    if filters.get("received_from"):
        qs = qs.filter(received_at__gte=filters["received_from"])
    if filters.get("received_to"):
        qs = qs.filter(received_at__lt=filters["received_to"])
    return _with_display_relations(qs).order_by("-received_at")


def referral_detail(*, user: User) -> QuerySet[Referral]:
    """The scoped queryset to fetch one referral from (another's is a 404)."""
    return _with_display_relations(referrals_visible_to(user), whole=True).prefetch_related(
        "events__recorded_by", "mdt_decisions__recorded_by", "scores__recorded_by"
    )


def queue_for(*, user: User) -> QuerySet[Referral]:
    """The service's open referrals, most urgent first: category, then the
    earliest due running clock, then the oldest. The order is stored on the
    referral (``queue_rank``, ``queue_due_at``, written by
    ``coordinator.services.clocks.referral_clocks_follow`` in every step's
    transaction) and read through a partial index in that order, so a page
    is an index scan with LIMIT however long the queue. One query plus the
    prefetches. ``queue_computed_for`` computes the same order from scratch."""
    qs = (
        referrals_visible_to(user)
        .exclude(status__in=[s.value for s in TERMINAL_STATUSES])
        .order_by("queue_rank", F("queue_due_at").asc(nulls_last=True), "received_at")
    )
    return _with_display_relations(qs)


def queue_computed_for(*, user: User) -> QuerySet[Referral]:
    """The queue's order computed from the category and the clock rows (no
    stored key): what the stored order must always equal (the property
    tests compare them). Not for pages: its sort reads every open referral."""
    urgency = Case(
        *[When(category=c.value, then=Value(rank)) for c, rank in CATEGORY_URGENCY.items()],
        output_field=IntegerField(),
    )
    next_due = (
        Clock.objects.filter(referral=OuterRef("pk"), status=ClockStatus.RUNNING)
        .filter(due_at__isnull=False)
        .order_by("due_at")
        .values("due_at")[:1]
    )
    return (
        referrals_visible_to(user)
        .exclude(status__in=[s.value for s in TERMINAL_STATUSES])
        .annotate(urgency=urgency, next_due_at=Subquery(next_due))
        .order_by("urgency", F("next_due_at").asc(nulls_last=True), "received_at")
    )


def referral_progress(referral: Referral) -> Progress:
    """What has happened to the patient, for the advice (events and MDT
    decisions prefetched): the events that stand, judged by ``occurred_at``,
    and the latest MDT decision."""
    events = list(referral.events.all())
    kinds = active_event_kinds(events)
    withdrawn = {e.corrects_id for e in events if e.kind == EventKind.ENTERED_IN_ERROR}
    standing = [e for e in events if e.kind in kinds and e.pk not in withdrawn]

    def latest(*of: EventKind) -> datetime | None:
        return max((e.occurred_at for e in standing if e.kind in of), default=None)

    def any_of(kinds: tuple[EventKind, ...], *, at_or_before: datetime) -> bool:
        return any(e.kind in kinds and e.occurred_at <= at_or_before for e in standing)

    decisions = list(referral.mdt_decisions.all())  # by decided_at, then recorded_at
    last = decisions[-1] if decisions else None
    # Supportive care stands unless a decision to treat, recorded since, stands.
    treatment_decided = latest(EventKind.RT_DECISION, EventKind.SURGERY_DECISION)
    supportive_care_only = (
        last is not None
        and last.decision == MdtDecisionKind.SUPPORTIVE_CARE
        and (treatment_decided is None or treatment_decided <= last.decided_at)
    )
    # Surgery decided or done at or before the radiotherapy decision (an MDT
    # decision of both records the two at once): not 1.10.4's radiotherapy.
    rt_decided = latest(EventKind.RT_DECISION)
    surgery_first = rt_decided is not None and any_of(
        (EventKind.SURGERY_DECISION, EventKind.SURGERY_PERFORMED), at_or_before=rt_decided
    )
    operated = latest(EventKind.SURGERY_PERFORMED)
    delivered = latest(EventKind.RT_DELIVERED)
    return Progress(
        events=kinds,
        high_risk_of_side_effects=last is not None and last.high_risk_of_side_effects,
        spinal_metastases_excluded=spinal_metastases_excluded(standing),
        supportive_care_only=supportive_care_only,
        surgery_before_radiotherapy_decision=surgery_first,
        radiotherapy_since_surgery=operated is not None
        and delivered is not None
        and delivered >= operated,
    )


def referral_prompts(referral: Referral) -> list[rules.Prompt]:
    """The advice that applies now: the referral's current category, adjusted
    for the events recorded since (pathways/advice.py)."""
    return advice_for(
        triage_input_for(referral), Category(referral.category), referral_progress(referral)
    )


# Where the referral's escalation policy has no usable warning step.
DEFAULT_DUE_SOON = clock_rules.DUE_SOON_FRACTION


def due_soon_fractions_for(referrals: Iterable[Referral]) -> dict[int, float]:
    """The due-soon fraction of each referral's frozen escalation policy, by
    policy id (one query for any number of referrals; none for none). Read
    with ``due_soon_fraction_of``."""
    ids = {r.escalation_policy_id for r in referrals if r.escalation_policy_id is not None}
    return due_soon_fractions(ids) if ids else {}


def due_soon_fraction_of(referral: Referral, fractions: dict[int, float]) -> float:
    """The share of a clock's target left when it turns "due soon" for this
    referral: its policy's latest warning step, else 25% (the default
    policy's). A fraction outside (0, 1) cannot time a warning (the sweep
    refuses it too), so it falls back to the default."""
    fraction = fractions.get(referral.escalation_policy_id or 0, DEFAULT_DUE_SOON)
    return fraction if 0 < fraction < 1 else DEFAULT_DUE_SOON


def clock_view(
    clock: Clock, now: datetime, due_soon_fraction: float = DEFAULT_DUE_SOON
) -> dict[str, Any]:
    """A clock as people and clients see it at ``now`` (breached shows at
    once), with its urgency: overdue, due soon (``due_soon_fraction`` of its
    target or less left) or on track; None once stopped, or for a measured
    clock."""
    status = clock_rules.status_at(clock.status, clock.due_at, now)
    running = status in (ClockStatus.RUNNING, ClockStatus.BREACHED)
    # A measured clock has no due time: nothing is left or overdue.
    timed = running and clock.due_at is not None
    left = clock_rules.remaining(clock.due_at, now) if clock.due_at is not None else None
    urgency = clock_rules.urgency_at(
        clock.status, clock.started_at, clock.due_at, now, due_soon_fraction
    )
    return {
        "id": clock.id,
        "kind": clock.kind,
        "status": status.value,
        "urgency": urgency.value if urgency is not None else None,
        "started_at": clock.started_at,
        "due_at": clock.due_at,
        "stopped_at": clock.stopped_at,
        "target_hours": clock.target.total_seconds() / 3600 if clock.target else None,
        "measured": clock.target is None,
        "reference": clock.reference,
        "stop_reason": clock.stop_reason,
        "not_appropriate": clock.not_appropriate,
        "not_appropriate_reason": clock.not_appropriate_reason,
        "seconds_left": int(left.total_seconds()) if timed and left is not None else None,
        "time_left": clock_rules.describe_remaining(left) if timed and left is not None else None,
    }


def referral_stage(referral: Referral) -> ReferralStage:
    """Where the referral is in the clinical story (pathways/stage_rules.py),
    from its status, acknowledgement, clocks and the events that stand
    (events and clocks prefetched: no query)."""
    events = list(referral.events.all())
    kinds = active_event_kinds(events)
    withdrawn = {e.corrects_id for e in events if e.kind == EventKind.ENTERED_IN_ERROR}
    standing = [
        stage_rules.StageEvent(e.kind, e.occurred_at)
        for e in events
        if e.kind in kinds and e.pk not in withdrawn
    ]
    return stage_rules.stage_of(
        closed=referral.status in TERMINAL_STATUSES,
        acknowledged=referral.acknowledged_at is not None,
        events=standing,
        clocks=[stage_rules.StageClock(c.kind, c.status) for c in referral.clocks.all()],
    )
