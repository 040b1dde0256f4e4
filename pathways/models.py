"""Pathway definitions (versioned per service), clocks and clinical events."""

import uuid

from django.db import models
from simple_history.models import HistoricalRecords

from pathways.codes import ClockKind, ClockStatus, EventKind
from referrals.codes import choices


class PathwayVersion(models.Model):
    """One version of a service's pathway. Referrals are frozen to the version
    they started on; an edit makes a new version and reaches new referrals only."""

    service = models.ForeignKey(
        "referrals.Service", on_delete=models.PROTECT, related_name="pathway_versions"
    )
    number = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        "referrals.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["service", "number"], name="pathway_service_number"),
        ]

    def __str__(self) -> str:
        return f"{self.service.code} pathway v{self.number}"


class ClockDefinition(models.Model):
    """One clock of a pathway version: which categories it applies to, what
    starts and stops it, its target and its NG234 reference."""

    version = models.ForeignKey(
        PathwayVersion, on_delete=models.CASCADE, related_name="clock_definitions"
    )
    kind = models.CharField(max_length=32, choices=choices(ClockKind))
    categories = models.JSONField(help_text="Category codes the clock applies to")
    start_event = models.CharField(max_length=32)
    stop_event = models.CharField(max_length=32)
    target = models.DurationField()
    # Fractions of the target, before due, at which warnings fire (e.g. 0.5 =
    # half the target left).
    warning_fractions = models.JSONField(default=list, blank=True)
    reference = models.CharField(max_length=64, help_text="NG234 / QS56 reference")
    # A local target longer than NG234's needs a recorded justification.
    justification = models.TextField(blank=True)
    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"{self.kind} {self.target} ({self.reference})"


class Clock(models.Model):
    """A running or stopped clock on one referral. ``due_at`` is a stored column:
    the queue orders by it and the escalation sweep selects on it. Start, stop
    and due times are never recomputed from a changed definition."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.PROTECT, related_name="clocks"
    )
    definition = models.ForeignKey(ClockDefinition, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=32, choices=choices(ClockKind))
    target = models.DurationField()
    reference = models.CharField(max_length=64)
    started_at = models.DateTimeField()
    due_at = models.DateTimeField()
    stopped_at = models.DateTimeField(null=True, blank=True)
    # Stored states are running, met, met_late and cancelled; "breached" is
    # read from due_at and now (pathways/clock_rules.py), so it shows at once.
    status = models.CharField(
        max_length=16, choices=choices(ClockStatus), default=ClockStatus.RUNNING
    )
    stop_reason = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            # At most one running clock of a kind per referral.
            models.UniqueConstraint(
                fields=["referral", "kind"],
                condition=models.Q(status="running"),
                name="clock_one_running_per_kind",
            ),
            models.CheckConstraint(
                condition=models.Q(due_at__gt=models.F("started_at")), name="clock_due_after_start"
            ),
        ]
        indexes = [
            # The sweep reads running clocks by due time.
            models.Index(
                fields=["due_at"], condition=models.Q(status="running"), name="clock_running_due"
            ),
            # The queue reads each referral's earliest running clock.
            models.Index(
                fields=["referral", "due_at"],
                condition=models.Q(status="running"),
                name="clock_referral_running_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} clock of {self.referral_id}"


class ClinicalEvent(models.Model):
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
    history = HistoricalRecords()

    class Meta:
        ordering = ["occurred_at", "recorded_at"]
        indexes = [models.Index(fields=["referral", "occurred_at"], name="event_referral_time")]

    def __str__(self) -> str:
        return f"{self.kind} at {self.occurred_at:%Y-%m-%d %H:%M}"
