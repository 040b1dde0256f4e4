"""MDT decisions and the personalised care plan (NG234 1.1.17, 1.11.1)."""

import uuid

from django.db import models
from simple_history.models import HistoricalRecords

from core.labels import choices
from pathways.codes import MdtDecisionKind


class MdtDecision(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.PROTECT, related_name="mdt_decisions"
    )
    decided_at = models.DateTimeField()
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey("referrals.User", on_delete=models.PROTECT, related_name="+")
    participants = models.TextField(help_text="Who took part, with their roles")
    decision = models.CharField(max_length=32, choices=choices(MdtDecisionKind))
    reasons = models.TextField()
    care_plan = models.TextField(help_text="The personalised care plan agreed with the person")
    # For the radiotherapy advice (NG234 1.10.5, 1.10.6).
    high_risk_of_side_effects = models.BooleanField(default=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["decided_at", "recorded_at"]

    def __str__(self) -> str:
        return f"MDT {self.decision} at {self.decided_at:%Y-%m-%d %H:%M}"
