"""Acting on escalations: acknowledging stops the repeats of a clock's
escalations; an in-app notification is read once its escalation is
acknowledged or its recipient marks it read (opening the page does not)."""

from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

from django.db import transaction
from django.db.models import QuerySet

from core.errors import Conflict, NotFound
from core.logs import get_logger
from notifications.codes import Channel
from notifications.models import Delivery, Escalation
from referrals.models import User

log = get_logger(__name__)


@transaction.atomic
def escalation_acknowledge(*, escalation_id: UUID | str, user: User, now: datetime) -> Escalation:
    """Someone has taken the clock on: every escalation of the escalation's
    clock not yet acknowledged is acknowledged (by ``user``, at ``now``) and
    stops repeating; another clock's escalations, even on the same referral,
    are untouched. Their in-app notifications become read, for everyone they
    reached. Only clinicians of the escalation's own service may (another
    service's is not found). Returns the escalation asked for, acknowledged."""
    return clock_escalations_acknowledge(escalation_id=escalation_id, user=user, now=now)[0]


@transaction.atomic
def clock_escalations_acknowledge(
    *, escalation_id: UUID | str, user: User, now: datetime
) -> list[Escalation]:
    """The escalation asked for first, then the others of its clock that this
    call acknowledged. Conflict when the clock has none left to acknowledge."""
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
    # Lock the clock's escalations in a steady order (two people acknowledging
    # two escalations of one clock at once cannot deadlock).
    siblings = list(
        Escalation.objects.select_for_update(of=("self",))
        .filter(clock_id=escalation.clock_id, acknowledged_at__isnull=True)
        .order_by("pk")
    )
    if not siblings:
        who = escalation.acknowledged_by
        name = (who.get_full_name() or who.username) if who else "someone"
        raise Conflict(f"Already acknowledged by {name}.", code="already_acknowledged")
    for row in siblings:
        row.acknowledged_at = now
        row.acknowledged_by = user
        row.next_repeat_at = None
    Escalation.objects.bulk_update(
        siblings, ["acknowledged_at", "acknowledged_by", "next_repeat_at"]
    )
    _mark_read(Delivery.objects.filter(escalation__in=siblings), now)
    escalation.refresh_from_db()
    log.info(
        "escalations.acknowledged",
        clock_id=escalation.clock_id,
        reference=escalation.clock.referral.reference,
        escalation_ids=[str(row.pk) for row in siblings],
        user_id=user.pk,
    )
    others = [row for row in siblings if row.pk != escalation.pk]
    return [escalation, *others]


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


def notifications_mark_read(
    *, delivery_ids: Iterable[UUID | str], user: User, now: datetime
) -> int:
    """Mark these in-app notifications of the user's read ("mark all shown as
    read"); another person's, or one already read, is left as it is."""
    return _mark_read(Delivery.objects.filter(pk__in=list(delivery_ids), recipient=user), now)


def _mark_read(deliveries: QuerySet[Delivery], now: datetime) -> int:
    return deliveries.filter(channel=Channel.IN_APP, read_at__isnull=True).update(read_at=now)
