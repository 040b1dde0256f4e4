"""The storm guard (issue 11): a flood of referrals (one referrer once sent
3,691 in 45 seconds) raises thousands of escalations in one sweep, and a
coordinator facing a wall of alerts cannot tell where to start.

Past ``MSCC_ESCALATION_STORM_THRESHOLD`` escalations raised for one service in
one sweep, the service's on-call coordinator (the service lead when nobody is
on call) gets ONE extra summary notice, in-app and by e-mail: how many
referrals and escalations were raised, and to open the queue, which orders
them by category and due time. It is a notice (a delivery with no
escalation, like the rota coverage-gap notices): it never acknowledges,
supersedes or holds back any referral's own escalations, which are sent as
usual. Its key carries the service and the UK hour, so a storm spread over
several sweeps in one hour, or two sweeps at once, sends it once.
"""

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.db import transaction

from core.logs import get_logger
from notifications.alert_words import UK, uk_time
from notifications.codes import Channel, OnCallRole
from notifications.models import Delivery, Escalation
from notifications.selectors.rota import on_call_at
from referrals.models import Service, User

log = get_logger(__name__)


def storm_notices(
    *, escalations: list[Escalation], now: datetime, enqueue: Callable[[list[str]], None]
) -> int:
    """The summary notices for the services past the threshold among these
    escalations (those one sweep raised). Returns how many deliveries it made."""
    threshold = settings.MSCC_ESCALATION_STORM_THRESHOLD
    per_service: dict[object, list[Escalation]] = defaultdict(list)
    for escalation in escalations:
        per_service[escalation.clock.referral.service_id].append(escalation)
    made = 0
    for raised in per_service.values():
        if len(raised) > threshold:
            made += _storm_notice(raised=raised, now=now, enqueue=enqueue)
    return made


def _storm_notice(
    *, raised: list[Escalation], now: datetime, enqueue: Callable[[list[str]], None]
) -> int:
    service: Service = raised[0].clock.referral.service
    coordinator = on_call_at(service=service, role=OnCallRole.COORDINATOR, at=now)
    user: User | None = coordinator if coordinator is not None and coordinator.is_active else None
    if user is None and service.lead is not None and service.lead.is_active:
        user = service.lead  # nobody on call: the lead, as for a rota gap
    referrals = len({e.clock.referral_id for e in raised})
    superseded = sum(1 for e in raised if e.superseded_by_id is not None)
    hour = now.astimezone(UK).strftime("%Y-%m-%dT%H")
    key = f"storm:{service.pk}:{hour}"
    if user is None:
        log.warning("storm.nobody", service_id=service.pk, escalations=len(raised))
        return 0
    subject = (
        f"{service.code}: {referrals} referrals raised {len(raised)} escalations at once "
        "— open the queue"
    )
    body = (
        f"At {uk_time(now)} one sweep raised {len(raised)} escalations "
        f"({superseded} of them superseded by a later step to the same person) "
        f"for {referrals} referrals of {service.code}, more than the "
        f"{settings.MSCC_ESCALATION_STORM_THRESHOLD} that make a storm.\n"
        "Each referral's own escalations were sent as usual: this notice "
        "acknowledges, replaces and silences none of them.\n"
        f"Open the queue, {settings.MSCC_BASE_URL}/queue/, and work through it "
        "in its order (category first, then the earliest due clock)."
    )
    deliveries = [
        Delivery(
            escalation=None,
            channel=channel,
            recipient=user,
            recipient_key=key,
            address=user.email if channel == Channel.EMAIL else "",
            subject=subject[:200],
            body=body,
            created_at=now,
        )
        for channel in (Channel.IN_APP, Channel.EMAIL)
        if channel == Channel.IN_APP or user.email
    ]
    with transaction.atomic():
        sent = set(
            Delivery.objects.filter(escalation__isnull=True, recipient_key=key).values_list(
                "channel", flat=True
            )
        )
        new = [d for d in deliveries if d.channel not in sent]
        # Two sweeps at once can still race: the unique index keeps one.
        Delivery.objects.bulk_create(new, ignore_conflicts=True)
        # Only the rows this run inserted (a skipped conflict keeps its pk).
        ids = [
            str(pk)
            for pk in Delivery.objects.filter(pk__in=[d.pk for d in new]).values_list(
                "pk", flat=True
            )
        ]
        if ids:
            transaction.on_commit(lambda: enqueue(ids))
    log.warning(
        "storm.notice",
        service_id=service.pk,
        service_code=service.code,
        referrals=referrals,
        escalations=len(raised),
        notices=len(ids),
        delivery_ids=ids,
    )
    return len(ids)
