"""Writes for notifications, one module per subject; import from here."""

from notifications.services.heartbeat import heartbeat_record
from notifications.services.policies import (
    PolicyInvalid,
    escalation_policy_create_default,
    escalation_policy_draft_create,
    escalation_policy_publish,
    escalation_policy_update,
    escalation_step_create,
    escalation_step_delete,
    escalation_step_update,
    escalation_steps_save,
)
from notifications.services.rota import (
    coverage_gap_report,
    override_create,
    shift_create,
    shift_delete,
)
from notifications.services.schedule import clocks_schedule

__all__ = [
    "PolicyInvalid",
    "clocks_schedule",
    "coverage_gap_report",
    "escalation_policy_create_default",
    "escalation_policy_draft_create",
    "escalation_policy_publish",
    "escalation_policy_update",
    "escalation_step_create",
    "escalation_step_delete",
    "escalation_step_update",
    "escalation_steps_save",
    "heartbeat_record",
    "override_create",
    "shift_create",
    "shift_delete",
]
