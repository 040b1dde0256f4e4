"""Acting on escalations: acknowledging one stops its repeats; reading an
in-app notification marks it read."""

from datetime import datetime
from uuid import UUID

from django.db import transaction

from core.errors import Conflict, NotFound
from notifications.codes import Channel
from notifications.models import Delivery, Escalation
from referrals.models import User


@transaction.atomic
def escalation_acknowledge(*, escalation_id: UUID | str, user: User, now: datetime) -> Escalation:
    """Someone has taken the escalation on: no more repeats. Only clinicians
    of the escalation's own service may (another service's is not found)."""
    if user.service_id is None:
        raise NotFound("No such escalation in your service.")
    escalation = (
        Escalation.objects.select_for_update(of=("self",))
        .select_related("clock__referral", "acknowledged_by")
        .filter(pk=escalation_id, clock__referral__service_id=user.service_id)
        .first()
    )
    if escalation is None:
        raise NotFound("No such escalation in your service.")
    if escalation.acknowledged_at is not None:
        who = escalation.acknowledged_by
        name = (who.get_full_name() or who.username) if who else "someone"
        raise Conflict(f"Already acknowledged by {name}.", code="already_acknowledged")
    escalation.acknowledged_at = now
    escalation.acknowledged_by = user
    escalation.next_repeat_at = None
    escalation.save(update_fields=["acknowledged_at", "acknowledged_by", "next_repeat_at"])
    return escalation


def notification_mark_read(*, delivery_id: UUID | str, user: User, now: datetime) -> Delivery:
    delivery = Delivery.objects.filter(
        pk=delivery_id, recipient=user, channel=Channel.IN_APP
    ).first()
    if delivery is None:
        raise NotFound("No such notification of yours.")
    if delivery.read_at is None:
        delivery.read_at = now
        delivery.save(update_fields=["read_at"])
    return delivery
