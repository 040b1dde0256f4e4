"""Clinical events and what they do to the clocks (DESIGN.md section 4).

An event is append-only. Recording one may:
- stop the running clocks whose definition it stops (MRI performed stops the
  MRI clock; radiotherapy delivered stops the radiotherapy clock);
- start the clocks whose definition it starts, for the referral's category, on
  the pathway version the referral is frozen to (immobilisation starts the
  stability-advice clock; a decision to treat with radiotherapy the 24-hour
  radiotherapy clock) — and if the stopping event was already recorded (events
  entered out of order), the new clock stops at once;
- cancel clocks that no longer apply (MSCC ruled out; the patient died).
A mistaken event is withdrawn by an ``entered_in_error`` event, which undoes
exactly what it did, using the started/stopped-by links on the clocks.

Callers hold the referral's row lock (``referral_event_record`` takes it), so
two coordinators recording at once are applied one after the other.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from core.errors import Conflict, DomainError
from pathways.codes import ClockKind, ClockStatus, EventKind
from pathways.models import ClinicalEvent, Clock
from pathways.services.clocks import (
    clock_cancel,
    clock_reopen,
    clock_start_from_event,
    clock_stop,
)
from referrals.codes import TERMINAL_STATUSES, ReferralStatus
from referrals.models import Referral, User
from referrals.transitions import transition_problem

E = EventKind

# Events that end a clock's relevance without meeting it.
_CANCELS_ALL_BUT_ACKNOWLEDGEMENT = frozenset({E.MSCC_RULED_OUT})
_CANCELS_ALL = frozenset({E.DIED})
# Events with their own services (they change more than clocks).
_NOT_RECORDED_HERE = frozenset({E.ACKNOWLEDGED, E.ENTERED_IN_ERROR})


def event_record(
    *,
    referral: Referral,
    kind: str,
    occurred_at: datetime,
    user: User,
    details: str = "",
    corrects: ClinicalEvent | None = None,
) -> ClinicalEvent:
    """Store an event and apply its clock effects. The caller holds the lock
    and has checked the referral may take it (``referral_event_record``)."""
    event = ClinicalEvent(
        referral=referral,
        kind=kind,
        occurred_at=occurred_at,
        recorded_by=user,
        details=details,
        corrects=corrects,
    )
    event._history_user = user  # type: ignore[attr-defined]
    event.save()
    _apply(referral=referral, event=event, user=user)
    return event


def _apply(*, referral: Referral, event: ClinicalEvent, user: User) -> None:
    kind = EventKind(event.kind)
    running = list(referral.clocks.filter(status=ClockStatus.RUNNING).select_related("definition"))
    for clock in running:
        # A stop counts only if it happened at or after the clock's start, in
        # whichever order the two were recorded (see the start path below).
        if clock.definition.stop_event == kind and event.occurred_at >= clock.started_at:
            clock_stop(
                clock=clock,
                stopped_at=event.occurred_at,
                reason=f"{words(kind)} recorded",
                user=user,
                event=event,
            )
        elif kind in _CANCELS_ALL or (
            kind in _CANCELS_ALL_BUT_ACKNOWLEDGEMENT and clock.kind != ClockKind.ACKNOWLEDGEMENT
        ):
            clock_cancel(
                clock=clock,
                at=event.occurred_at,
                reason=f"No longer applies: {words(kind)}.",
                user=user,
                event=event,
            )
    if kind in _CANCELS_ALL or kind in _CANCELS_ALL_BUT_ACKNOWLEDGEMENT:
        return
    if _active_events(referral).filter(kind=E.MSCC_RULED_OUT).exists():
        return  # The MSCC pathway no longer applies: its clocks do not start.
    running_kinds = {c.kind for c in running if c.status == ClockStatus.RUNNING}
    for definition in referral.pathway_version.clock_definitions.all():
        if (
            definition.start_event != kind
            or referral.category not in definition.categories
            or definition.kind in running_kinds
        ):
            continue
        clock = clock_start_from_event(
            referral=referral, definition=definition, event=event, user=user
        )
        running_kinds.add(definition.kind)
        # Entered out of order: the stopping event is already on the record.
        stop = (
            _active_events(referral)
            .filter(kind=definition.stop_event, occurred_at__gte=event.occurred_at)
            .order_by("occurred_at")
            .first()
        )
        if stop is not None:
            clock_stop(
                clock=clock,
                stopped_at=stop.occurred_at,
                reason=f"{words(stop.kind)} recorded",
                user=user,
                event=stop,
            )


def _active_events(referral: Referral):  # type: ignore[no-untyped-def]
    """Events not withdrawn as entered in error."""
    return referral.events.filter(correction__isnull=True).exclude(kind=E.ENTERED_IN_ERROR)


def referral_locked(referral: Referral) -> Referral:
    return (
        Referral.objects.select_related("pathway_version")
        .select_for_update(of=("self",))
        .get(pk=referral.pk)
    )


def event_time_checked(
    occurred_at: datetime, now: datetime, *, field: str = "occurred_at"
) -> datetime:
    """An event may be earlier than now, never later. A few minutes of client
    clock skew (MSCC_FUTURE_SKEW_SECONDS) is read as now rather than refused."""
    if occurred_at.tzinfo is None:
        raise DomainError("Give the time with its UTC offset.", field=field)
    if occurred_at > now + timedelta(seconds=settings.MSCC_FUTURE_SKEW_SECONDS):
        raise DomainError("An event cannot be in the future.", field=field)
    return min(occurred_at, now)


def words(code: str) -> str:
    """A code as people read it: ``mri_performed`` → ``MRI performed``."""
    text = code.replace("_", " ")
    return text.replace("mri", "MRI").replace("rt ", "radiotherapy ").replace("mscc", "MSCC")


@transaction.atomic
def referral_event_record(
    *,
    referral: Referral,
    kind: str,
    occurred_at: datetime,
    user: User,
    now: datetime,
    details: str = "",
) -> ClinicalEvent:
    """Record a clinical event on a referral, under its row lock."""
    referral = referral_locked(referral)
    kind = EventKind(kind)
    if kind in _NOT_RECORDED_HERE:
        where = "acknowledge" if kind == E.ACKNOWLEDGED else "withdraw"
        raise DomainError(f"Use the {where} action for this.", field="kind")
    if referral.status in TERMINAL_STATUSES:
        raise Conflict(
            f"The referral is {referral.status.replace('_', ' ')}: no further events.",
            code="invalid_transition",
        )
    occurred_at = event_time_checked(occurred_at, now)
    if kind == E.DIED:
        # Death ends the referral: the state moves with the event.
        problem = transition_problem(referral.status, ReferralStatus.DIED)
        if problem:
            raise Conflict(problem, code="invalid_transition")
    event = event_record(
        referral=referral, kind=kind, occurred_at=occurred_at, user=user, details=details
    )
    if kind == E.DIED:
        referral.status = ReferralStatus.DIED
        referral.status_changed_at = now
        referral.status_reason = details or "Died."
        referral._history_user = user  # type: ignore[attr-defined]
        referral.save(update_fields=["status", "status_changed_at", "status_reason"])
    return event


@transaction.atomic
def referral_event_withdraw(
    *, referral: Referral, event_id: object, reason: str, user: User, now: datetime
) -> ClinicalEvent:
    """Withdraw an event recorded by mistake: an ``entered_in_error`` event
    names it, and what it did to the clocks is undone. Nothing is deleted."""
    referral = referral_locked(referral)
    reason = reason.strip()
    if not reason:
        raise DomainError("Say why the event was entered in error.", field="details")
    if referral.status in TERMINAL_STATUSES:
        raise Conflict(
            "The referral is closed: its record cannot change.", code="invalid_transition"
        )
    wrong = referral.events.filter(pk=event_id).first()
    if wrong is None:
        raise DomainError("No such event on this referral.", field="corrects")
    if wrong.kind in (E.ENTERED_IN_ERROR, E.ACKNOWLEDGED):
        raise Conflict(
            f"An {wrong.kind.replace('_', ' ')} event cannot be withdrawn.", code="not_withdrawable"
        )
    if ClinicalEvent.objects.filter(corrects=wrong).exists():
        raise Conflict("That event was already withdrawn.", code="already_withdrawn")

    for clock in Clock.objects.filter(started_by_event=wrong).exclude(status=ClockStatus.CANCELLED):
        clock_cancel(
            clock=clock,
            at=now,
            reason=f"Its start ({words(wrong.kind)}) was entered in error.",
            user=user,
        )
    for clock in Clock.objects.filter(stopped_by_event=wrong):
        clash = referral.clocks.filter(kind=clock.kind, status=ClockStatus.RUNNING).exists()
        if clash:
            raise Conflict(
                f"A later {clock.kind} clock is running: withdraw the event that started it first.",
                code="later_clock_running",
            )
        clock_reopen(
            clock=clock, user=user, reason=f"Reopened: {words(wrong.kind)} was entered in error."
        )
    correction = ClinicalEvent(
        referral=referral,
        kind=E.ENTERED_IN_ERROR,
        occurred_at=now,
        recorded_by=user,
        details=reason,
        corrects=wrong,
    )
    correction._history_user = user  # type: ignore[attr-defined]
    correction.save()
    return correction
