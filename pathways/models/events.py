"""Clinical events: append-only; a mistake is withdrawn by an entered_in_error event."""

import uuid

from django.db import models
from simple_history.models import HistoricalRecords

from core.labels import choices
from core.models import AppendOnly
from pathways.codes import EventKind


class ClinicalEvent(AppendOnly):
    """Something that happened to the patient. Append-only."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.PROTECT, related_name="events"
    )
    kind = models.CharField(max_length=32, choices=choices(EventKind))
    occurred_at = models.DateTimeField()
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey("referrals.User", on_delete=models.PROTECT, related_name="+")
    details = models.TextField(blank=True)
    # For ``ambulatory_assessed`` only: can the person walk (QS56's outcome)?
    ambulatory = models.BooleanField(null=True, blank=True)
    # An "entered_in_error" event names the event it withdraws; events are
    # never edited or deleted.
    corrects = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="correction"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["occurred_at", "recorded_at"]
        indexes = [models.Index(fields=["referral", "occurred_at"], name="event_referral_time")]

    def __str__(self) -> str:
        return f"{self.kind} at {self.occurred_at:%Y-%m-%d %H:%M}"
