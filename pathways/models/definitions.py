"""Pathway versions and their clock definitions, edited by service admins."""

from django.db import models
from simple_history.models import HistoricalRecords

from core.labels import choices
from pathways.codes import ClockKind


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
    # A draft (unpublished) version is editable and applies to nobody; once
    # published it is frozen, and the newest published version is the one new
    # referrals start on.
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        "referrals.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["service", "number"], name="pathway_service_number"),
            # One draft per service at a time (the services also lock the service).
            models.UniqueConstraint(
                fields=["service"],
                condition=models.Q(published_at__isnull=True),
                name="pathway_one_draft_per_service",
            ),
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
    # NG234's own target for this clock, where it sets one: a local target
    # longer than this needs a recorded justification and is marked in reports.
    ng234_target = models.DurationField(null=True, blank=True)
    justification = models.TextField(blank=True)
    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"{self.kind} {self.target} ({self.reference})"

    @property
    def exceeds_ng234(self) -> bool:
        return self.ng234_target is not None and self.target > self.ng234_target
