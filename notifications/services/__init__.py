"""Writes for notifications, one module per subject; import from here."""

from notifications.services.heartbeat import heartbeat_record
from notifications.services.policies import escalation_policy_create_default
from notifications.services.rota import (
    coverage_gap_report,
    override_create,
    shift_create,
    shift_delete,
)

__all__ = [
    "coverage_gap_report",
    "escalation_policy_create_default",
    "heartbeat_record",
    "override_create",
    "shift_create",
    "shift_delete",
]
