"""Escalation policies: ordered steps of when, whom and how. Versioned per
service and frozen on each referral when it starts, like pathways."""

from django.db import models
from simple_history.models import HistoricalRecords

from core.labels import choices, label_of
from core.versioned import VersionedConfiguration, service_field, versioned_constraints
from notifications.codes import Recipient, StepWhen


class EscalationPolicy(VersionedConfiguration):
    """One version of a service's escalation policy (numbering, drafts and
    publishing: core/versioned.py)."""

    service = service_field(related_name="escalation_policies")
    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "escalation policies"
        constraints = versioned_constraints("policy")

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
        # In words (the admin shows it on each step's row).
        when, whom = label_of("StepWhen", self.when), label_of("Recipient", self.recipient)
        return f"step {self.position}: {when} → {whom}"
