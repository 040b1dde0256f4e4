"""Clocks: one per standard per referral, with its stored due time."""

import uuid

from django.db import models
from simple_history.models import HistoricalRecords

from core.labels import choices
from pathways.codes import ClockKind, ClockStatus


class Clock(models.Model):
    """A running or stopped clock on one referral. ``due_at`` is a stored column:
    the queue orders by it and the escalation sweep selects on it. Start, stop
    and due times are never recomputed from a changed definition."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.PROTECT, related_name="clocks"
    )
    definition = models.ForeignKey(
        "pathways.ClockDefinition", on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=32, choices=choices(ClockKind))
    # Both null: a measured clock (docs/clinical-rules.md, section 4), which has no due time, is
    # never breached and never escalates; the queue orders it last.
    target = models.DurationField(null=True, blank=True)
    reference = models.CharField(max_length=64)
    started_at = models.DateTimeField()
    due_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    # Stored states are running, met, met_late and cancelled; "breached" is
    # read from due_at and now (pathways/clock_rules.py), so it shows at once.
    status = models.CharField(
        max_length=16, choices=choices(ClockStatus), default=ClockStatus.RUNNING
    )
    stop_reason = models.TextField(blank=True)
    # The events that started and stopped it, so that an event entered in
    # error can be undone exactly.
    started_by_event = models.ForeignKey(
        "pathways.ClinicalEvent", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    stopped_by_event = models.ForeignKey(
        "pathways.ClinicalEvent", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # "Not appropriate" (e.g. the patient declined MRI, or is too unwell):
    # out of the QS56 denominator in reports, with the reason kept.
    not_appropriate = models.BooleanField(default=False)
    not_appropriate_reason = models.TextField(blank=True)
    not_appropriate_by = models.ForeignKey(
        "referrals.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    not_appropriate_at = models.DateTimeField(null=True, blank=True)
    # When the next escalation step falls due (NULL: none left). Kept by the
    # clock and escalation services; the sweep selects on it by index.
    next_escalation_at = models.DateTimeField(null=True, blank=True)
    # The derivation no longer yields this clock (its start was entered in
    # error, or its definition no longer applies): kept, cancelled, for the
    # history, and out of every count and screen total.
    void = models.BooleanField(default=False)
    history = HistoricalRecords(excluded_fields=["next_escalation_at"])

    class Meta:
        constraints = [
            # At most one running clock of a kind per referral.
            models.UniqueConstraint(
                fields=["referral", "kind"],
                condition=models.Q(status="running"),
                name="clock_one_running_per_kind",
            ),
            models.CheckConstraint(
                condition=models.Q(due_at__gt=models.F("started_at"))
                | models.Q(due_at__isnull=True, target__isnull=True),
                name="clock_due_after_start",
            ),
            # A measured clock is never breached, so never met late.
            models.CheckConstraint(
                condition=models.Q(due_at__isnull=False) | ~models.Q(status="met_late"),
                name="clock_measured_never_late",
            ),
        ]
        indexes = [
            # The sweep reads running clocks by due time.
            models.Index(
                fields=["due_at"], condition=models.Q(status="running"), name="clock_running_due"
            ),
            # The sweep: running clocks with an escalation step due.
            models.Index(
                fields=["next_escalation_at"],
                condition=models.Q(status="running", next_escalation_at__isnull=False),
                name="clock_escalation_due",
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
