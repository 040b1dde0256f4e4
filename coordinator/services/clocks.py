"""After every step: the clocks follow the record, and their escalations follow
the clocks."""

from datetime import datetime

from django.db.models import OuterRef, Subquery

from core.logs import get_logger
from notifications.services import clocks_schedule
from pathways.codes import ClockStatus
from pathways.models import Clock
from pathways.services import category_derived, clocks_recompute
from referrals.codes import CATEGORY_URGENCY, Category
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
    _queue_order_follow(referral)
    return changed


def queue_next_due(referral: OuterRef) -> Subquery:
    """The earliest due time of the referral's running clocks that have one
    (``referral``: an ``OuterRef`` to it): the queue's second key. Measured
    clocks (no due time) do not count: a referral with only those sorts
    after those with a due time."""
    return Subquery(
        Clock.objects.filter(referral=referral, status=ClockStatus.RUNNING, due_at__isnull=False)
        .order_by("due_at")
        .values("due_at")[:1]
    )


def _queue_order_follow(referral: Referral) -> None:
    """Write the referral's stored queue order (``queue_rank``,
    ``queue_due_at``) from its category and clocks as they now stand: the
    one writer of both, in the step's transaction (the caller holds the row
    lock), so the queue never shows an order that the committed record does
    not imply (a stale order could show an emergency below a routine
    referral). One statement: the due time is read from the clock rows in
    the database rather than from whichever of them this step changed."""
    rank = CATEGORY_URGENCY[Category(referral.category)]
    Referral.objects.filter(pk=referral.pk).update(
        queue_rank=rank, queue_due_at=queue_next_due(OuterRef("pk"))
    )
    referral.queue_rank = rank
    # Unknown here without another query: deferred, so reading it loads it
    # and a later ``save()`` of this instance leaves the stored value alone.
    referral.__dict__.pop("queue_due_at", None)


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
