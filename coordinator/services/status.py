"""The referral's status and category: one writer for each.

Every step is a guarded service: one transaction, the referral row re-read
under ``select_for_update()``, the transition map (referrals/transitions.py)
checked, a domain error raised otherwise, and the clocks recomputed after.
"""

from datetime import datetime
from uuid import UUID

from django.db import transaction

from coordinator.services.clocks import referral_clocks_follow
from core.errors import Conflict, DomainError
from core.logs import get_logger
from pathways.codes import EventKind
from pathways.models import ClinicalEvent
from pathways.services import event_record, event_time_checked, event_withdraw, referral_locked
from referrals.codes import TERMINAL_STATUSES, Category, ReferralStatus
from referrals.models import Referral, User
from referrals.transitions import missing_fields, reopen_problem, transition_problem

log = get_logger(__name__)


def status_set(
    *,
    referral: Referral,
    user: User,
    now: datetime,
    status: ReferralStatus,
    reason: str = "",
    also: tuple[str, ...] = (),
    reopenable: bool = True,
) -> None:
    """Write the referral's status: the only place it is written. The caller
    holds the lock and has checked the move; ``also`` names other fields it
    set on ``referral`` that go in the same write (one history row).
    ``reopenable=False``: a closure that keeps no state to reopen to
    (``referral_close_historic``)."""
    if status in TERMINAL_STATUSES and not reopenable:
        referral.status_before_close = ""
    elif status in TERMINAL_STATUSES and referral.status not in TERMINAL_STATUSES:
        referral.status_before_close = referral.status
    elif status not in TERMINAL_STATUSES:
        referral.status_before_close = ""
    referral.status = status
    referral.status_changed_at = now
    referral.status_reason = reason
    referral._history_user = user  # type: ignore[attr-defined]
    referral.save(
        update_fields=[
            "status",
            "status_changed_at",
            "status_reason",
            "status_before_close",
            *also,
        ]
    )
    log.info(
        "referral.status", reference=referral.reference, referral_id=str(referral.pk), status=status
    )


@transaction.atomic
def referral_acknowledge(
    *, referral: Referral, user: User, now: datetime, at: datetime | None = None
) -> Referral:
    """The coordinator has seen the referral: stop the acknowledgement clock.
    ``at`` is when (defaults to now; earlier when recorded after the fact)."""
    at = now if at is None else event_time_checked(at, now)
    referral = referral_locked(referral)
    if at < referral.received_at:
        raise DomainError(
            "A referral cannot be acknowledged before it was received.", field="occurred_at"
        )
    if referral.acknowledged_at is not None:
        by = referral.acknowledged_by
        who = (by.get_full_name() or by.username) if by else "someone"
        raise Conflict(
            f"Already acknowledged by {who} at {referral.acknowledged_at.isoformat()}.",
            code="already_acknowledged",
        )
    problem = transition_problem(referral.status, ReferralStatus.TRIAGED)
    if problem:
        raise Conflict(problem, code="invalid_transition")
    event_record(referral=referral, kind=EventKind.ACKNOWLEDGED, occurred_at=at, user=user)
    referral.acknowledged_at = at
    referral.acknowledged_by = user
    status_set(
        referral=referral,
        user=user,
        now=now,
        status=ReferralStatus.TRIAGED,
        also=("acknowledged_at", "acknowledged_by"),
    )
    referral_clocks_follow(referral=referral, user=user, now=now)
    return referral


@transaction.atomic
def referral_status_change(
    *,
    referral: Referral,
    user: User,
    now: datetime,
    status: str,
    reason: str = "",
    redirected_to: str = "",
    occurred_at: datetime | None = None,
) -> Referral:
    """Move a referral along the state map, with the fields the move needs.
    A terminal move ends the clocks still running; "died" is recorded as the
    clinical event it is. A terminal move entered in error is reversed by
    moving back to the state held before it, with a reason."""
    from coordinator.services.events import referral_event_record

    target = ReferralStatus(status)
    reason, redirected_to = reason.strip(), redirected_to.strip()
    current = Referral.objects.only("status").get(pk=referral.pk).status
    if current in TERMINAL_STATUSES:
        return _reopen(referral=referral, user=user, now=now, target=target, reason=reason)
    if target == ReferralStatus.TRIAGED:
        return referral_acknowledge(referral=referral, user=user, now=now)
    missing = missing_fields(
        target, {"reason": reason, "redirected_to": redirected_to, "occurred_at": occurred_at}
    )
    if missing:
        raise DomainError(errors=missing)
    if target == ReferralStatus.DIED and occurred_at is not None:  # missing_fields checked it
        referral_event_record(
            referral=referral,
            kind=EventKind.DIED,
            occurred_at=occurred_at,
            user=user,
            now=now,
            details=reason,
        )
        return Referral.objects.get(pk=referral.pk)
    referral = referral_locked(referral)
    problem = transition_problem(referral.status, target)
    if problem:
        raise Conflict(problem, code="invalid_transition")
    if target == ReferralStatus.CLOSED_NOT_MSCC and not _standing(
        referral, EventKind.MSCC_RULED_OUT
    ):
        # Closing as not MSCC says MSCC was ruled out: record it, so the
        # clocks and the advice (stop dexamethasone, 1.8.2) follow.
        event_record(
            referral=referral,
            kind=EventKind.MSCC_RULED_OUT,
            occurred_at=now,
            user=user,
            details=reason,
        )
    referral.redirected_to = redirected_to
    status_set(
        referral=referral,
        user=user,
        now=now,
        status=target,
        reason=reason,
        also=("redirected_to",),
    )
    referral_clocks_follow(referral=referral, user=user, now=now)
    return referral


# The closures a historic record may be imported with (a death is its event).
HISTORIC_CLOSINGS = frozenset(
    {
        ReferralStatus.CLOSED,
        ReferralStatus.CLOSED_NOT_MSCC,
        ReferralStatus.REDIRECTED,
        ReferralStatus.WITHDRAWN,
    }
)
HISTORIC_REDIRECTED_TO = "Not recorded (historic record)"


@transaction.atomic
def referral_close_historic(
    *,
    referral: Referral,
    user: User,
    now: datetime,
    reason: str,
    status: ReferralStatus = ReferralStatus.CLOSED,
) -> Referral:
    """Close a referral taken from a historic record (``manage.py
    import_referrals``) at ``now``, the last moment the record knows of: the
    clocks still running end there, so nobody is ever escalated about it.

    Two differences from ``referral_status_change``, both because the record
    is history rather than a referral in hand. It closes from any open state:
    the file carries what happened to the patient (the events), not each
    step of the state map, and walking the map would invent steps nobody took.
    And it keeps no state to reopen to (``status_before_close`` blank, so
    ``reopen_problem`` refuses): reopened, its clocks would run again against
    due times long past, and every one would escalate at once to whoever is on
    call today. A record imported wrongly is put right in its file and the
    audit, not in the live queue."""
    target = ReferralStatus(status)
    if target not in HISTORIC_CLOSINGS:
        raise DomainError(
            f"A historic record is closed as one of {', '.join(sorted(HISTORIC_CLOSINGS))}.",
            field="status",
        )
    reason = reason.strip()
    if not reason:
        raise DomainError("Give the reason it is closed.", field="reason")
    referral = referral_locked(referral)
    if referral.status in TERMINAL_STATUSES:
        raise Conflict(
            "The referral is closed: its status cannot change.", code="invalid_transition"
        )
    if target == ReferralStatus.CLOSED_NOT_MSCC and not _standing(
        referral, EventKind.MSCC_RULED_OUT
    ):
        # As referral_status_change: closing as not MSCC says MSCC was ruled out.
        event_record(
            referral=referral,
            kind=EventKind.MSCC_RULED_OUT,
            occurred_at=now,
            user=user,
            details=reason,
        )
    referral.redirected_to = HISTORIC_REDIRECTED_TO if target == ReferralStatus.REDIRECTED else ""
    status_set(
        referral=referral,
        user=user,
        now=now,
        status=target,
        reason=reason,
        also=("redirected_to",),
        reopenable=False,
    )
    referral_clocks_follow(referral=referral, user=user, now=now)
    return referral


def _standing(referral: Referral, kind: str) -> list[ClinicalEvent]:
    return list(referral.events.filter(kind=kind, correction__isnull=True).order_by("occurred_at"))


def _reopen(
    *, referral: Referral, user: User, now: datetime, target: ReferralStatus, reason: str
) -> Referral:
    """Reverse a terminal move entered in error: back to the state held
    before it; the clocks run again against their original due times."""
    referral = referral_locked(referral)
    closed_as, closed_at = ReferralStatus(referral.status), referral.status_changed_at
    problem = reopen_problem(referral.status, target, referral.status_before_close)
    if problem:
        raise Conflict(problem, code="invalid_transition")
    if not reason:
        raise DomainError(
            "Say why the closure was entered in error: it is kept on the record.", field="reason"
        )
    # What the closure recorded as clinical fact is withdrawn with it.
    for event in _standing(referral, EventKind.DIED) if closed_as == ReferralStatus.DIED else []:
        event_withdraw(referral=referral, event_id=event.pk, reason=reason, user=user, now=now)
    if closed_as == ReferralStatus.CLOSED_NOT_MSCC:
        for event in _standing(referral, EventKind.MSCC_RULED_OUT):
            if event.occurred_at == closed_at:
                event_withdraw(
                    referral=referral, event_id=event.pk, reason=reason, user=user, now=now
                )
    # It went nowhere and repeats nothing: the closure was the mistake.
    referral.redirected_to = ""
    referral.duplicate_of = None
    status_set(
        referral=referral,
        user=user,
        now=now,
        status=target,
        reason=f"Reopened: {closed_as.in_sentence} was entered in error. {reason}",
        also=("redirected_to", "duplicate_of"),
    )
    referral_clocks_follow(referral=referral, user=user, now=now)
    return referral


@transaction.atomic
def referral_link_duplicate(
    *, referral: Referral, user: User, now: datetime, duplicate_of: UUID | str, reason: str
) -> Referral:
    """The same episode referred twice: close this, the later referral, as a
    duplicate of the earlier one, its clocks ended; the audit counts one
    episode. Reversed like any closure entered in error."""
    reason = reason.strip()
    if not reason:
        raise DomainError("Say why these are the same episode.", field="reason")
    # Both rows locked, always in the same order, so two coordinators linking
    # the pair in opposite directions cannot deadlock.
    ids = sorted([str(referral.pk), str(duplicate_of)])
    rows = {str(r.pk): r for r in Referral.objects.select_for_update().filter(pk__in=ids)}
    later, earlier = rows.get(str(referral.pk)), rows.get(str(duplicate_of))
    if later is None:
        raise DomainError("No such referral.", field="id")
    if earlier is None or earlier.pk == later.pk:
        raise DomainError("Name another referral of this service.", field="duplicate_of")
    if (earlier.service_id, earlier.patient_id) != (later.service_id, later.patient_id):
        raise DomainError(
            "That referral is for another person or another service.", field="duplicate_of"
        )
    if earlier.status in TERMINAL_STATUSES:
        raise Conflict(
            f"{earlier.reference} is closed: link to the referral that is open.",
            code="invalid_transition",
        )
    if later.status in TERMINAL_STATUSES:
        raise Conflict(
            "The referral is closed: its status cannot change.", code="invalid_transition"
        )
    if later.received_at < earlier.received_at:
        raise Conflict(
            f"This referral came first: link {earlier.reference} to it instead.",
            code="link_the_later",
        )
    later.duplicate_of = earlier
    status_set(
        referral=later,
        user=user,
        now=now,
        status=ReferralStatus.CLOSED,
        reason=f"Duplicate of {earlier.reference}: {reason}",
        also=("duplicate_of",),
    )
    referral_clocks_follow(referral=later, user=user, now=now)
    return later


@transaction.atomic
def referral_suspected_at_correct(
    *, referral: Referral, user: User, now: datetime, suspected_at: datetime, reason: str
) -> Referral:
    """Confirm or correct when MSCC or spinal metastases were first suspected:
    the clocks that run from suspicion (the MRI clock) move with it, keeping
    their identity; the reason and the previous time stay in the history."""
    referral = referral_locked(referral)
    if referral.status in TERMINAL_STATUSES:
        raise Conflict(
            "The referral is closed: its suspicion time cannot change.", code="invalid_transition"
        )
    reason = reason.strip()
    if not reason:
        raise DomainError("Say how the suspicion time is known.", field="reason")
    # Within the person's life and this episode (like any clinical time).
    suspected_at = event_time_checked(suspected_at, now, field="suspected_at", referral=referral)
    if suspected_at > referral.received_at:
        raise DomainError(
            "Suspicion comes before the referral it led to: give a time before it was received.",
            field="suspected_at",
        )
    if referral.neuro_onset_at and suspected_at < referral.neuro_onset_at:
        raise DomainError(
            "Suspicion cannot come before the onset of neurological symptoms.",
            field="suspected_at",
        )
    referral.suspected_at = suspected_at
    referral.suspected_at_assumed = False
    referral.suspected_at_reason = reason
    referral._history_user = user  # type: ignore[attr-defined]
    referral.save(update_fields=["suspected_at", "suspected_at_assumed", "suspected_at_reason"])
    referral_clocks_follow(referral=referral, user=user, now=now)
    log.info("referral.suspected_at", reference=referral.reference, referral_id=str(referral.pk))
    return referral


@transaction.atomic
def referral_override_category(
    *, referral: Referral, user: User, now: datetime, category: str, reason: str
) -> Referral:
    """A coordinator's clinical judgement replaces the rules' category, with a
    recorded reason; the clocks follow the new category."""
    referral = referral_locked(referral)
    if referral.status in TERMINAL_STATUSES:
        raise Conflict(
            "The referral is closed: its category cannot change.", code="invalid_transition"
        )
    reason = reason.strip()
    if not reason:
        raise DomainError("Give the reason for changing the category.", field="reason")
    category = Category(category)
    if category == referral.category:
        raise Conflict(f"The referral is already {category.value}.", code="unchanged")
    # The override is an input: the category itself is derived from it and
    # from the events after it (referral_clocks_follow writes it).
    referral.overridden_category = category
    referral.category_override_reason = reason
    referral.category_overridden_by = user
    referral.category_overridden_at = now
    referral._history_user = user  # type: ignore[attr-defined]
    referral.save(
        update_fields=[
            "overridden_category",
            "category_override_reason",
            "category_overridden_by",
            "category_overridden_at",
        ]
    )
    referral_clocks_follow(referral=referral, user=user, now=now)
    return referral
