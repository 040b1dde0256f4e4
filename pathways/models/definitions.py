"""Pathway versions and their clock definitions, edited by service admins."""

from django.db import models
from simple_history.models import HistoricalRecords

from core.durations import hours_minutes
from core.labels import choices, label_of
from core.versioned import VersionedConfiguration, service_field, versioned_constraints
from pathways.codes import ClockCondition, ClockKind


class PathwayVersion(VersionedConfiguration):
    """One version of a service's pathway. Referrals are frozen to the version
    they started on; an edit makes a new version and reaches new referrals only
    (numbering, drafts and publishing: core/versioned.py)."""

    service = service_field(related_name="pathway_versions")
    history = HistoricalRecords()

    class Meta:
        constraints = versioned_constraints("pathway")

    def __str__(self) -> str:
        return f"{self.service.code} pathway v{self.number}"


class ClockDefinition(models.Model):
    """One clock of a pathway version: which categories it applies to, what
    starts and stops it, its target and its NG234 reference. When warnings
    fire before due is the escalation policy's (its warning steps), not the
    clock's."""

    version = models.ForeignKey(
        PathwayVersion, on_delete=models.CASCADE, related_name="clock_definitions"
    )
    kind = models.CharField(max_length=32, choices=choices(ClockKind))
    categories = models.JSONField(help_text="Category codes the clock applies to")
    start_event = models.CharField(max_length=32)
    stop_event = models.CharField(max_length=32)
    # Blank: a measured clock (no target, never breached, never escalated).
    target = models.DurationField(null=True, blank=True)
    applies_when = models.CharField(
        max_length=32, choices=choices(ClockCondition), default=ClockCondition.ALWAYS
    )
    reference = models.CharField(max_length=64, help_text="NG234 / QS56 reference")
    # NG234's own target for this clock, where it sets one: a local target
    # longer than this needs a recorded justification and is marked in reports.
    ng234_target = models.DurationField(null=True, blank=True)
    justification = models.TextField(blank=True)
    history = HistoricalRecords()

    def __str__(self) -> str:
        # In words (the admin shows it on each clock's row): "MRI clock, 24 h".
        target = hours_minutes(self.target) if self.target is not None else "measured"
        return f"{label_of('ClockKind', self.kind)} clock, {target} ({self.reference})"

    @property
    def measured(self) -> bool:
        return self.target is None

    @property
    def exceeds_ng234(self) -> bool:
        return (
            self.ng234_target is not None
            and self.target is not None
            and self.target > self.ng234_target
        )
