"""Escalations and deliveries: rows first, sends second, so "who was told
what, when" is answerable for any referral, and a lost task is re-found."""

import uuid

from django.db import models

from core.labels import choices
from notifications.codes import Channel, DeliveryStatus


class Escalation(models.Model):
    """One step of a policy raised for one clock. Unique per (clock, step): a
    sweep run twice, or two sweeps at once, raise it once."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clock = models.ForeignKey(
        "pathways.Clock", on_delete=models.PROTECT, related_name="escalations"
    )
    step = models.ForeignKey(
        "notifications.EscalationStep", on_delete=models.PROTECT, related_name="+"
    )
    fire_at = models.DateTimeField()
    raised_at = models.DateTimeField()
    # Acknowledging stops the repeats.
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        "referrals.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Repeats: round 0 is the first sending; the next round is due then.
    round = models.PositiveSmallIntegerField(default=0)
    next_repeat_at = models.DateTimeField(null=True, blank=True)
    # Catch-up (issue 11): a sweep that finds several steps of one clock due at
    # once sends each person only the latest step due for them; the earlier
    # ones are recorded here, pointing at the step sent instead, with no
    # deliveries and no repeats.
    superseded_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="supersedes"
    )
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clock", "step"], name="escalation_clock_step"),
        ]
        indexes = [
            models.Index(
                fields=["next_repeat_at"],
                condition=models.Q(acknowledged_at__isnull=True, next_repeat_at__isnull=False),
                name="escalation_repeat_due",
            ),
        ]

    def __str__(self) -> str:
        return f"escalation {self.step_id} of clock {self.clock_id}"


class Delivery(models.Model):
    """One message to one recipient on one channel, for one round. The send
    task takes its id, returns if it is already sent, sends, and records the
    attempt; the unique key makes re-raising harmless."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # NULL for a service notice that is not about a clock (the daily rota
    # coverage-gap report to the service's admins).
    escalation = models.ForeignKey(
        Escalation, null=True, blank=True, on_delete=models.PROTECT, related_name="deliveries"
    )
    round = models.PositiveSmallIntegerField(default=0)
    channel = models.CharField(max_length=16, choices=choices(Channel))
    recipient = models.ForeignKey(
        "referrals.User",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deliveries",
    )
    # The user's id, or "webhook": NULLs are never equal in a unique index.
    recipient_key = models.CharField(max_length=64)
    address = models.CharField(max_length=500, blank=True)  # e-mail address or URL
    subject = models.CharField(max_length=200)
    body = models.TextField()
    status = models.CharField(
        max_length=16, choices=choices(DeliveryStatus), default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    read_at = models.DateTimeField(null=True, blank=True)  # in-app only

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["escalation", "round", "recipient_key", "channel"],
                name="delivery_unique_per_recipient_channel_round",
            ),
            # Notices: the recipient key carries the day, so once a day each.
            models.UniqueConstraint(
                fields=["recipient_key", "channel"],
                condition=models.Q(escalation__isnull=True),
                name="delivery_notice_unique",
            ),
        ]
        indexes = [
            models.Index(
                fields=["created_at"], condition=models.Q(status="pending"), name="delivery_pending"
            ),
            models.Index(fields=["recipient", "channel", "read_at"], name="delivery_inbox"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} to {self.recipient_key} ({self.status})"


class DeliveryAttempt(models.Model):
    """Every try at sending, with its outcome."""

    delivery = models.ForeignKey(Delivery, on_delete=models.PROTECT, related_name="attempt_log")
    at = models.DateTimeField()
    ok = models.BooleanField()
    error = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"attempt at {self.at:%H:%M:%S} {'ok' if self.ok else 'failed'}"
