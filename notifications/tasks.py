"""Celery tasks: thin wrappers around services. Primary keys as arguments,
JSON, late acknowledgement (a lost worker's task is redelivered), retries
with capped back-off for transient failures only."""

import socket
import time

from celery import shared_task
from django.conf import settings
from django.db import OperationalError
from django.utils import timezone

from core.logs import get_logger
from notifications.services import heartbeat_record
from notifications.services.delivery import SendFailed, delivery_send
from notifications.services.notices import coverage_gap_notices
from notifications.services.sweep import sweep
from referrals.models import Service

log = get_logger(__name__)


@shared_task(name="notifications.tasks.heartbeat", acks_late=True, ignore_result=True)
def heartbeat() -> None:
    """Write the worker heartbeat; beat sends this every MSCC_HEARTBEAT_SECONDS."""
    heartbeat_record(name="worker", at=timezone.now(), worker=socket.gethostname())


def enqueue_deliveries(delivery_ids: list[str]) -> None:
    for delivery_id in delivery_ids:
        deliver.delay(delivery_id)
    if delivery_ids:
        # The count only: each delivery's own attempt record carries its id.
        log.info("deliveries.enqueued", count=len(delivery_ids))


@shared_task(
    name="notifications.tasks.sweep_clocks",
    acks_late=True,
    ignore_result=True,
    soft_time_limit=60,
    time_limit=90,
)
def sweep_clocks() -> str:
    """One escalation sweep (beat runs it every MSCC_SWEEP_SECONDS)."""
    return sweep(now=timezone.now(), enqueue=enqueue_deliveries).summary()


@shared_task(
    bind=True,
    name="notifications.tasks.deliver",
    acks_late=True,
    ignore_result=True,
    max_retries=None,
    soft_time_limit=30,
    time_limit=45,
)
def deliver(self, delivery_id: str) -> None:  # type: ignore[no-untyped-def]
    """Send one delivery; on a transient failure retry with capped back-off."""
    try:
        delivery_send(delivery_id=delivery_id, now=timezone.now())
    except (SendFailed, OperationalError) as exc:
        # A failed send, or a transient database error (lock wait, dropped
        # connection): try again later; the row says whether it was sent.
        backoff = min(2 ** (self.request.retries + 1), settings.MSCC_DELIVERY_MAX_BACKOFF_SECONDS)
        log.warning(
            "delivery.retry_scheduled",
            delivery_id=delivery_id,
            task_retries=self.request.retries,
            countdown_s=backoff,
            error_type=type(exc).__name__,
        )
        raise self.retry(exc=exc, countdown=backoff) from exc


@shared_task(
    name="notifications.tasks.coverage_gaps",
    acks_late=True,
    ignore_result=True,
    soft_time_limit=120,
    time_limit=180,
)
def coverage_gaps() -> int:
    """Tell each service's admins of the next 14 days' rota gaps (daily)."""
    started = time.monotonic()
    now = timezone.now()
    services = list(Service.objects.all())
    notices = sum(
        coverage_gap_notices(service=service, now=now, enqueue=enqueue_deliveries)
        for service in services
    )
    log.info(
        "coverage_gaps.finished",
        services=len(services),
        notices=notices,
        took_ms=round((time.monotonic() - started) * 1000),
    )
    return notices
