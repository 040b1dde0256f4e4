"""Reads of escalations and the in-app inbox."""

from django.db.models import Prefetch, QuerySet

from notifications.codes import Channel, DeliveryStatus
from notifications.models import Delivery, Escalation
from referrals.models import Referral, User


def referral_escalations(referral: Referral) -> list[Escalation]:
    """Every escalation of the referral's clocks with its deliveries: who was
    told what, when (two queries)."""
    return list(
        Escalation.objects.filter(clock__referral=referral)
        .select_related("step", "clock", "acknowledged_by")
        .prefetch_related(
            Prefetch(
                "deliveries",
                queryset=Delivery.objects.select_related("recipient").order_by(
                    "round", "channel", "recipient_key"
                ),
            )
        )
        .order_by("raised_at", "step__position")
    )


def inbox(*, user: User) -> QuerySet[Delivery]:
    """The user's in-app notifications, newest first."""
    return (
        Delivery.objects.filter(recipient=user, channel=Channel.IN_APP, status=DeliveryStatus.SENT)
        .select_related(
            "escalation__clock__referral", "escalation__step", "escalation__acknowledged_by"
        )
        # One sweep sends several at one instant: the id breaks the tie, so
        # paging never repeats or skips one.
        .order_by("-created_at", "-pk")
    )


def inbox_unread_count(*, user: User) -> int:
    return inbox(user=user).filter(read_at__isnull=True).count()
