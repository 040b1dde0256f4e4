"""Clinical events: recorded and withdrawn, never changed or deleted.

An event is append-only. What it does to the clocks is not applied here
event by event: the clocks are recomputed from the events that stand
(``pathways.services.clocks.clocks_recompute``), so the order in which events
are recorded, or withdrawn, never changes the result. A mistaken event is
withdrawn by an ``entered_in_error`` event that names it.

The referral's status is not written here: the coordinator's workflow owns it
(coordinator/services/). Callers hold the referral's row lock
(``referral_locked``).
"""

from datetime import datetime, timedelta
from uuid import UUID

from django.conf import settings
from django.utils import timezone

from core.errors import Conflict, DomainError
from pathways.codes import EventKind
from pathways.models import ClinicalEvent
from referrals.models import Referral, User

E = EventKind

__all__ = ["event_record", "event_time_checked", "event_withdraw", "referral_locked"]


def referral_locked(referral: Referral) -> Referral:
    """The referral re-read under its row lock: two coordinators acting at
    once are served one after the other, and the second sees what the first
    did."""
    return (
        Referral.objects.select_related("pathway_version")
        .select_for_update(of=("self",))
        .get(pk=referral.pk)
    )


def event_time_checked(
    occurred_at: datetime,
    now: datetime,
    *,
    field: str = "occurred_at",
    referral: Referral | None = None,
) -> datetime:
    """An event may be earlier than now, never later. A few minutes of client
    clock skew (MSCC_FUTURE_SKEW_SECONDS) is read as now rather than refused.

    With the ``referral`` it belongs to, an event must also fall within the
    person's life and this episode: not before the patient's date of birth,
    nor more than MSCC_EVENT_LOOKBACK_DAYS (90) before the earliest of
    suspicion, neurological onset and receipt. Such a time is a slip of the
    keyboard (1925 for 2025), and as an event it would start or stop clocks
    long before the referral; it is refused, naming ``field``."""
    if occurred_at.tzinfo is None:
        raise DomainError("Give the time with its UTC offset.", field=field)
    if occurred_at > now + timedelta(seconds=settings.MSCC_FUTURE_SKEW_SECONDS):
        raise DomainError("An event cannot be in the future.", field=field)
    if referral is not None:
        _within_episode(occurred_at, referral, field)
    return min(occurred_at, now)


def _within_episode(occurred_at: datetime, referral: Referral, field: str) -> None:
    born = referral.patient.date_of_birth
    if born and timezone.localtime(occurred_at).date() < born:
        raise DomainError(
            f"This is before the patient was born ({born.day} {born:%B %Y}): check the date.",
            field=field,
        )
    days = settings.MSCC_EVENT_LOOKBACK_DAYS
    starts = [referral.received_at, referral.suspected_at, referral.neuro_onset_at]
    earliest = min(t for t in starts if t is not None)
    if occurred_at < earliest - timedelta(days=days):
        raise DomainError(
            f"This is more than {days} days before this referral's first suspicion, "
            f"symptom onset or receipt ({_day(timezone.localtime(earliest))}): "
            "check the date.",
            field=field,
        )


def _day(at: datetime) -> str:
    return f"{at.day} {at:%B %Y}"


def event_record(
    *,
    referral: Referral,
    kind: str,
    occurred_at: datetime,
    user: User,
    details: str = "",
    ambulatory: bool | None = None,
) -> ClinicalEvent:
    """Store an event. The caller holds the lock, has checked the referral
    may take it, and recomputes the clocks after."""
    event = ClinicalEvent(
        referral=referral,
        kind=EventKind(kind),
        occurred_at=occurred_at,
        recorded_by=user,
        details=details,
        ambulatory=ambulatory,
    )
    event._history_user = user  # type: ignore[attr-defined]
    event.save()
    return event


def event_withdraw(
    *, referral: Referral, event_id: UUID | str, reason: str, user: User, now: datetime
) -> tuple[ClinicalEvent, ClinicalEvent]:
    """Withdraw an event recorded by mistake: store an ``entered_in_error``
    event naming it. Nothing is deleted. Returns (the correction, the
    withdrawn event). The caller recomputes the clocks."""
    reason = reason.strip()
    if not reason:
        raise DomainError("Say why the event was entered in error.", field="details")
    wrong = referral.events.filter(pk=event_id).first()
    if wrong is None:
        raise DomainError("No such event on this referral.", field="corrects")
    if wrong.kind in (E.ENTERED_IN_ERROR, E.ACKNOWLEDGED):
        raise Conflict(
            f"An event '{EventKind(wrong.kind).label}' cannot be withdrawn.",
            code="not_withdrawable",
        )
    if ClinicalEvent.objects.filter(corrects=wrong).exists():
        raise Conflict("That event was already withdrawn.", code="already_withdrawn")
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
    return correction, wrong
