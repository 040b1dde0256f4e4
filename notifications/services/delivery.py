"""Sending one delivery: the task takes the row's id, returns if it is
already sent, sends, and records the attempt (rows first, sends second).

The row is locked while it is sent, so a redelivered task that runs while
the first is still sending waits, then finds it sent. A worker killed after
sending but before committing leaves the row pending: the message is sent
again (at-least-once). In-app deliveries are database-only and so exactly
once; e-mail carries a Message-ID and the webhook an Idempotency-Key, both
the delivery's id, so the receiving side can drop a repeat.
"""

import hashlib
import hmac
import json
import time
from datetime import datetime
from uuid import UUID

import httpx
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction

from core.logs import get_logger
from notifications.codes import Channel, DeliveryStatus
from notifications.models import Delivery, DeliveryAttempt, Escalation

WEBHOOK_TIMEOUT_SECONDS = 5

log = get_logger(__name__)


class SendFailed(Exception):
    """A transient failure: the task retries with back-off."""


def delivery_send(*, delivery_id: UUID | str, now: datetime) -> Delivery:
    """Send a pending delivery once. Raises SendFailed while retries remain."""
    with transaction.atomic():
        delivery = (
            # Lock only the delivery row: the joined rows are read, and FOR
            # UPDATE may not reach the nullable side of an outer join.
            Delivery.objects.select_for_update(of=("self",))
            .select_related("escalation__clock__referral__service", "recipient")
            .get(pk=delivery_id)
        )
        if delivery.status != DeliveryStatus.PENDING:
            log.debug("delivery.skipped", delivery_id=delivery.pk, status=delivery.status)
            return delivery
        error = error_type = ""
        started = time.monotonic()
        try:
            _send(delivery)
        except Exception as exc:  # any failure is recorded, then retried
            error = f"{type(exc).__name__}: {exc}"[:2000]
            error_type = type(exc).__name__
        took_ms = round((time.monotonic() - started) * 1000)
        delivery.attempts += 1
        DeliveryAttempt.objects.create(delivery=delivery, at=now, ok=not error, error=error)
        if not error:
            delivery.status = DeliveryStatus.SENT
            delivery.sent_at = now
        else:
            delivery.last_error = error
            if delivery.attempts >= settings.MSCC_DELIVERY_MAX_ATTEMPTS:
                delivery.status = DeliveryStatus.FAILED
        delivery.save(update_fields=["status", "sent_at", "attempts", "last_error"])
    # Logged once the attempt is recorded. The error's type only: its text may quote an
    # address or a gateway's reply, and the row keeps it for the coordinator.
    if not error:
        outcome = "sent"
    elif delivery.status == DeliveryStatus.PENDING:
        outcome = "retry"
    else:
        outcome = "failed"  # out of attempts: the coordinator pages show it
    escalation = delivery.escalation
    (log.info if outcome == "sent" else log.warning)(
        "delivery.attempt",
        delivery_id=delivery.pk,
        escalation_id=escalation.pk if escalation else None,
        clock_id=escalation.clock_id if escalation else None,
        reference=escalation.clock.referral.reference if escalation else None,
        channel=delivery.channel,
        round=delivery.round,
        attempt=delivery.attempts,
        outcome=outcome,
        error_type=error_type or None,
        took_ms=took_ms,
    )
    if error and delivery.status == DeliveryStatus.PENDING:
        raise SendFailed(error)
    return delivery


def _send(delivery: Delivery) -> None:
    if delivery.channel == Channel.IN_APP:
        return  # the row is the message: it shows in the recipient's inbox
    if delivery.channel == Channel.EMAIL:
        if not delivery.address:
            raise ValueError("The recipient has no e-mail address.")
        email = EmailMessage(
            subject=delivery.subject,
            body=delivery.body,
            to=[delivery.address],
            headers={"Message-ID": f"<{delivery.pk}@mscc-coordinator>"},
        )
        email.send(fail_silently=False)
        return
    if delivery.channel == Channel.WEBHOOK:
        _post_webhook(delivery)
        return
    raise ValueError(f"Unknown channel {delivery.channel!r}.")


def webhook_payload(delivery: Delivery) -> bytes:
    escalation = _escalation_of(delivery)
    clock = escalation.clock
    return json.dumps(
        {
            "delivery": str(delivery.pk),
            "escalation": str(escalation.pk),
            "round": delivery.round,
            "referral": clock.referral.reference,
            "clock": clock.kind,
            "due_at": clock.due_at.isoformat() if clock.due_at else None,
            "subject": delivery.subject,
            "text": delivery.body,
        },
        separators=(",", ":"),
    ).encode()


def webhook_signature(secret: str, payload: bytes) -> str:
    """HMAC-SHA256 of the exact body, hex, as the gateway checks it."""
    return "sha256=" + hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


def _escalation_of(delivery: Delivery) -> Escalation:
    # Only a clock's escalation goes to the webhook; a service notice (no
    # escalation) is in-app and e-mail only.
    if delivery.escalation is None:
        raise ValueError("A webhook delivery needs an escalation.")
    return delivery.escalation


def _post_webhook(delivery: Delivery) -> None:
    service = _escalation_of(delivery).clock.referral.service
    payload = webhook_payload(delivery)
    response = httpx.post(
        delivery.address,
        content=payload,
        headers={
            "Content-Type": "application/json",
            "Idempotency-Key": str(delivery.pk),
            "X-MSCC-Signature": webhook_signature(service.webhook_secret, payload),
        },
        timeout=WEBHOOK_TIMEOUT_SECONDS,
    )
    response.raise_for_status()
