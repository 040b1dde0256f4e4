"""After every step: the clocks follow the record, and their escalations follow
the clocks."""

from datetime import datetime

from core.logs import get_logger
from notifications.services import clocks_schedule
from pathways.models import Clock
from pathways.services import category_derived, clocks_recompute
from referrals.models import Referral, User

log = get_logger(__name__)


def referral_clocks_follow(
    *, referral: Referral, user: User | None, now: datetime, new: bool = False
) -> list[Clock]:
    """Recompute the referral's clocks from what stands on its record
    (pathways), then reschedule the escalations of those that changed
    (notifications, the one writer of a clock's next escalation time).
    The caller holds the referral's row lock, inside its transaction.

    First the category: MSCC confirmed or ruled out changes it (docs/clinical-rules.md,
    section 4), and the queue and the advice read it. This is its one writer after
    intake."""
    if not new:
        _category_follow(referral, user)
    # New rows get their next escalation time before they are inserted (no
    # UPDATE after the INSERT); rows that changed are rescheduled after.
    changed = clocks_recompute(
        referral=referral, user=user, now=now, new=new, before_insert=_schedule_unsaved
    )
    for clock in changed:
        clock.referral = referral  # the schedule reads its frozen policy
    clocks_schedule([c for c in changed if not getattr(c, "created_now", False)])
    return changed


def _schedule_unsaved(clocks: list[Clock]) -> None:
    clocks_schedule(clocks, save=False)


def _category_follow(referral: Referral, user: User | None) -> None:
    category, reason = category_derived(referral)
    if (category, reason) == (referral.category, referral.category_reason):
        return
    log.info(
        "referral.category_derived",
        reference=referral.reference,
        referral_id=str(referral.pk),
        category=category,
        was=referral.category,
    )
    referral.category = category
    referral.category_reason = reason
    referral._history_user = user  # type: ignore[attr-defined]
    referral.save(update_fields=["category", "category_reason"])
