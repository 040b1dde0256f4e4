"""Clinical events, MDT decisions and "not appropriate" markings on a referral.

Each is stored by pathways; then the clocks are recomputed from what stands
(never patched event by event), and the escalations follow the clocks.
"""

from datetime import datetime
from typing import Any
from uuid import UUID

from django.db import transaction

from coordinator.services.clocks import referral_clocks_follow
from coordinator.services.status import referral_acknowledge, status_set
from core.errors import Conflict, DomainError
from core.logs import get_logger
from pathways.codes import EventKind
from pathways.models import ClinicalEvent, Clock, MdtDecision
from pathways.services import (
    clock_mark_not_appropriate,
    event_record,
    event_time_checked,
    event_withdraw,
    mdt_decision_record,
    referral_locked,
)
from referrals.codes import TERMINAL_STATUSES, ReferralStatus
from referrals.models import Referral, User
from referrals.transitions import transition_problem

log = get_logger(__name__)
E = EventKind

# Events with their own steps (they change more than clocks).
_NOT_RECORDED_HERE = frozenset({E.ACKNOWLEDGED, E.ENTERED_IN_ERROR})


def referral_event_add(
    *,
    referral: Referral,
    user: User,
    now: datetime,
    kind: str,
    occurred_at: datetime,
    details: str = "",
    corrects: Any = None,
    ambulatory: bool | None = None,
) -> ClinicalEvent:
    """Any clinical event of the public vocabulary, routed to its step:
    acknowledgement moves the referral on; entered_in_error withdraws an
    earlier event; the rest are recorded and the clocks follow."""
    if (kind == E.AMBULATORY_ASSESSED) != (ambulatory is not None):
        raise DomainError(
            "Say whether the person can walk (true or false)."
            if kind == E.AMBULATORY_ASSESSED
            else f"Only for {E.AMBULATORY_ASSESSED.value}: leave it out for this event.",
            field="ambulatory",
        )
    if kind == E.ACKNOWLEDGED:
        referral = referral_acknowledge(referral=referral, user=user, now=now, at=occurred_at)
        return referral.events.filter(kind=kind).latest("recorded_at")
    if kind == E.ENTERED_IN_ERROR:
        if corrects is None:
            raise DomainError("Name the event entered in error.", field="corrects")
        return referral_event_withdraw(
            referral=referral, event_id=corrects, reason=details, user=user, now=now
        )
    return referral_event_record(
        referral=referral,
        kind=kind,
        occurred_at=occurred_at,
        user=user,
        now=now,
        details=details,
        ambulatory=ambulatory,
    )


@transaction.atomic
def referral_event_record(
    *,
    referral: Referral,
    kind: str,
    occurred_at: datetime,
    user: User,
    now: datetime,
    details: str = "",
    ambulatory: bool | None = None,
) -> ClinicalEvent:
    """Record a clinical event on an open referral, under its row lock
    (``ambulatory``: for ``ambulatory_assessed``, whether the person walks)."""
    referral = referral_locked(referral)
    kind = EventKind(kind)
    if kind in _NOT_RECORDED_HERE:
        where = "acknowledge" if kind == E.ACKNOWLEDGED else "withdraw"
        raise DomainError(f"Use the {where} action for this.", field="kind")
    if referral.status in TERMINAL_STATUSES:
        raise Conflict(
            f"The referral is {ReferralStatus(referral.status).in_sentence}: no further events.",
            code="invalid_transition",
        )
    occurred_at = event_time_checked(occurred_at, now, referral=referral)
    if kind == E.DIED:
        # Death ends the referral: the state moves with the event.
        problem = transition_problem(referral.status, ReferralStatus.DIED)
        if problem:
            raise Conflict(problem, code="invalid_transition")
    event = event_record(
        referral=referral,
        kind=kind,
        occurred_at=occurred_at,
        user=user,
        details=details,
        ambulatory=ambulatory,
    )
    if kind == E.DIED:
        status_set(
            referral=referral,
            user=user,
            now=now,
            status=ReferralStatus.DIED,
            reason=details or "Died.",
        )
    referral_clocks_follow(referral=referral, user=user, now=now)
    log.info(
        "event.recorded",
        reference=referral.reference,
        referral_id=str(referral.pk),
        event_id=str(event.pk),
        kind=kind,
    )
    return event


@transaction.atomic
def referral_event_withdraw(
    *, referral: Referral, event_id: UUID | str, reason: str, user: User, now: datetime
) -> ClinicalEvent:
    """Withdraw an event recorded by mistake; the clocks become what the
    events that still stand imply (a clock the mistake stopped runs again,
    one it prevented starts). A ``died`` event entered in error reopens the
    referral in the state it held before."""
    referral = referral_locked(referral)
    wrong = referral.events.filter(pk=event_id).only("kind").first()
    reopening = (
        wrong is not None and wrong.kind == E.DIED and referral.status == ReferralStatus.DIED
    )
    if referral.status in TERMINAL_STATUSES and not reopening:
        raise Conflict(
            "The referral is closed: its record cannot change.", code="invalid_transition"
        )
    correction, _ = event_withdraw(
        referral=referral, event_id=event_id, reason=reason, user=user, now=now
    )
    if reopening:
        status_set(
            referral=referral,
            user=user,
            now=now,
            status=ReferralStatus(
                referral.status_before_close
                # A death recorded before the state before it was kept: the
                # acknowledgement says whether it had been triaged.
                or (ReferralStatus.TRIAGED if referral.acknowledged_at else ReferralStatus.RECEIVED)
            ),
            reason=f"Reopened: died was entered in error. {reason.strip()}",
        )
    referral_clocks_follow(referral=referral, user=user, now=now)
    log.info(
        "event.withdrawn",
        reference=referral.reference,
        referral_id=str(referral.pk),
        event_id=str(event_id),
    )
    return correction


@transaction.atomic
def referral_mdt_record(
    *, referral: Referral, user: User, now: datetime, **decision: Any
) -> MdtDecision:
    """The MDT decision and care plan (NG234 1.1.17, 1.11.1); a decision to
    treat with radiotherapy records its event, and the 24-hour clock follows."""
    referral = referral_locked(referral)
    record = mdt_decision_record(referral=referral, user=user, now=now, **decision)
    referral_clocks_follow(referral=referral, user=user, now=now)
    return record


@transaction.atomic
def referral_clock_not_appropriate(
    *, referral: Referral, clock_id: UUID | str, reason: str, user: User, now: datetime
) -> Clock:
    """Take a clock out of the standard, with the reason; a running clock
    ends at the marking, so nobody is escalated about it."""
    referral = referral_locked(referral)
    clock = clock_mark_not_appropriate(
        referral=referral, clock_id=clock_id, reason=reason, user=user, now=now
    )
    referral_clocks_follow(referral=referral, user=user, now=now)
    clock.refresh_from_db()
    return clock
