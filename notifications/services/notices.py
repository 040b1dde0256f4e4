"""Service notices that are not about a clock: the daily rota coverage-gap
report to the service's admins (NG234 1.1.7 asks for cover at all times)."""

from collections.abc import Callable
from datetime import datetime

from django.db import transaction

from core.logs import get_logger
from core.roles import Role
from notifications.codes import Channel
from notifications.models import Delivery
from notifications.services.rota import coverage_gap_report
from referrals.models import Service, User

log = get_logger(__name__)


def coverage_gap_notices(
    *, service: Service, now: datetime, enqueue: Callable[[list[str]], None]
) -> int:
    """In-app and e-mail notices of the next 14 days' gaps to each of the
    service's admins; at most one of each a day (the key carries the date)."""
    report = coverage_gap_report(service=service, now=now)
    if report is None:
        log.debug("coverage_gap.none", service_id=service.pk)
        return 0
    day = now.date().isoformat()
    admins = User.objects.filter(service=service, role=Role.SERVICE_ADMIN, is_active=True)
    deliveries = [
        Delivery(
            escalation=None,
            channel=channel,
            recipient=admin,
            recipient_key=f"coverage:{service.pk}:{admin.pk}:{day}",
            address=admin.email if channel == Channel.EMAIL else "",
            subject=f"{service.code}: nobody on call for part of the next 14 days",
            body=report,
            created_at=now,
        )
        for admin in admins
        for channel in (Channel.IN_APP, Channel.EMAIL)
    ]
    with transaction.atomic():
        sent = set(
            Delivery.objects.filter(
                escalation__isnull=True, recipient_key__in={d.recipient_key for d in deliveries}
            ).values_list("recipient_key", "channel")
        )
        new = [d for d in deliveries if (d.recipient_key, d.channel) not in sent]
        # A concurrent run can still race us: the unique index keeps one.
        Delivery.objects.bulk_create(new, ignore_conflicts=True)
        ids = [str(d.pk) for d in new]
        if ids:
            transaction.on_commit(lambda: enqueue(ids))
    # The report's text stays in the rows; the log says who was told, by id.
    log.info(
        "coverage_gap.notices",
        service_id=service.pk,
        service_code=service.code,
        admins=len({d.recipient_key for d in deliveries}),
        notices=len(ids),
        already_sent=len(deliveries) - len(new),
        delivery_ids=ids,
    )
    return len(ids)
