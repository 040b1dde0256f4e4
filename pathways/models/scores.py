"""A recorded SINS or revised Tokuhashi score: inputs, result, who, when.
Support to a full clinical assessment (NG234 1.9.3), never a decision."""

import uuid

from django.db import models

from core.labels import choices
from pathways.codes import ScoreKind


class ScoreRecord(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.PROTECT, related_name="scores"
    )
    kind = models.CharField(max_length=16, choices=choices(ScoreKind))
    inputs = models.JSONField()
    score = models.PositiveSmallIntegerField()
    band = models.CharField(max_length=32)
    predicted_survival = models.CharField(max_length=64, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey("referrals.User", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["recorded_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.score} ({self.band})"
