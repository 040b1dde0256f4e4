"""After every step: the clocks follow the record, and their escalations follow
the clocks."""

from datetime import datetime

from notifications.services import clocks_schedule
from pathways.models import Clock
from pathways.services import clocks_recompute
from referrals.models import Referral, User


def referral_clocks_follow(
    *, referral: Referral, user: User | None, now: datetime, new: bool = False
) -> list[Clock]:
    """Recompute the referral's clocks from what stands on its record
    (pathways), then reschedule the escalations of those that changed
    (notifications, the one writer of a clock's next escalation time).
    The caller holds the referral's row lock, inside its transaction."""
    changed = clocks_recompute(referral=referral, user=user, now=now, new=new)
    for clock in changed:
        clock.referral = referral  # the schedule reads its frozen policy
    clocks_schedule(changed)
    return changed
