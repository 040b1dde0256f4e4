"""MDT decisions and the personalised care plan (NG234 1.1.17, 1.11.1)."""

from datetime import datetime

from django.db import transaction

from core.errors import DomainError
from pathways.codes import EventKind, MdtDecisionKind
from pathways.models import MdtDecision
from pathways.services.events import event_record, event_time_checked, referral_locked
from referrals.codes import TERMINAL_STATUSES
from referrals.models import Referral, User

# The clinical events a decision records: a decision to treat with
# radiotherapy starts its 24-hour clock (NG234 1.10.4).
_DECISION_EVENTS: dict[MdtDecisionKind, tuple[EventKind, ...]] = {
    MdtDecisionKind.RADIOTHERAPY: (EventKind.RT_DECISION,),
    MdtDecisionKind.SURGERY: (EventKind.SURGERY_DECISION,),
    MdtDecisionKind.BOTH: (EventKind.SURGERY_DECISION, EventKind.RT_DECISION),
    MdtDecisionKind.SUPPORTIVE_CARE: (),
}


@transaction.atomic
def mdt_decision_record(
    *,
    referral: Referral,
    user: User,
    now: datetime,
    decided_at: datetime,
    participants: str,
    decision: str,
    reasons: str,
    care_plan: str,
    high_risk_of_side_effects: bool = False,
) -> MdtDecision:
    referral = referral_locked(referral)
    if referral.status in TERMINAL_STATUSES:
        raise DomainError("The referral is closed.", field="decision")
    decided_at = event_time_checked(decided_at, now, field="decided_at", referral=referral)
    for name, value in (
        ("participants", participants),
        ("reasons", reasons),
        ("care_plan", care_plan),
    ):
        if not value.strip():
            raise DomainError("This is needed for the record of the decision.", field=name)
    kind = MdtDecisionKind(decision)
    record = MdtDecision(
        referral=referral,
        decided_at=decided_at,
        recorded_by=user,
        participants=participants.strip(),
        decision=kind,
        reasons=reasons.strip(),
        care_plan=care_plan.strip(),
        high_risk_of_side_effects=high_risk_of_side_effects,
    )
    record._history_user = user  # type: ignore[attr-defined]
    record.save()
    for event_kind in _DECISION_EVENTS[kind]:
        event_record(
            referral=referral,
            kind=event_kind,
            occurred_at=decided_at,
            user=user,
            details=f"MDT decision: {kind.in_sentence}",
        )
    return record
