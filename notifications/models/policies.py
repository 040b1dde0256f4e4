"""Escalation policies: ordered steps of when, whom and how. Versioned per
service and frozen on each referral when it starts, like pathways."""

from django.db import models
from simple_history.models import HistoricalRecords

from core.labels import choices
from notifications.codes import Recipient, StepWhen


class EscalationPolicy(models.Model):
    service = models.ForeignKey(
        "referrals.Service", on_delete=models.PROTECT, related_name="escalation_policies"
    )
    number = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        "referrals.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Drafts (NULL) apply to nobody; the newest published policy is frozen
    # on each new referral.
    published_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "escalation policies"
        constraints = [
            models.UniqueConstraint(fields=["service", "number"], name="policy_service_number"),
            # One draft per service at a time (the services also lock the service).
            models.UniqueConstraint(
                fields=["service"],
                condition=models.Q(published_at__isnull=True),
                name="policy_one_draft_per_service",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service.code} escalation policy v{self.number}"


class EscalationStep(models.Model):
    policy = models.ForeignKey(EscalationPolicy, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    when = models.CharField(max_length=16, choices=choices(StepWhen))
    # For "warning": the fraction of the clock's target left when it fires.
    fraction = models.FloatField(null=True, blank=True)
    # For "after_due": how long after the due time it fires.
    delay = models.DurationField(null=True, blank=True)
    recipient = models.CharField(max_length=32, choices=choices(Recipient))
    named_user = models.ForeignKey(
        "referrals.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    channels = models.JSONField(help_text="Channel codes: in_app, email, webhook")
    # Sent again this often until someone acknowledges the escalation.
    repeat_every = models.DurationField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "position"], name="step_policy_position"),
        ]

    def __str__(self) -> str:
        return f"step {self.position}: {self.when} → {self.recipient}"
