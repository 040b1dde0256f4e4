"""Reads for notifications, one module per subject; import from here."""

from notifications.selectors.heartbeat import heartbeat_age_seconds, heartbeat_is_stale
from notifications.selectors.policies import (
    escalation_policies_published,
    escalation_policy_current,
    escalation_policy_published,
    policy_steps,
    step_timings,
)
from notifications.selectors.rota import (
    coverage_gaps,
    on_call_at,
    on_call_by_role,
    overrides_between,
    rota_candidates,
    rota_period,
    rota_segments,
    shift_for,
    shifts_between,
)

__all__ = [
    "coverage_gaps",
    "escalation_policies_published",
    "escalation_policy_current",
    "escalation_policy_published",
    "heartbeat_age_seconds",
    "heartbeat_is_stale",
    "on_call_at",
    "on_call_by_role",
    "overrides_between",
    "policy_steps",
    "rota_candidates",
    "rota_period",
    "rota_segments",
    "shift_for",
    "shifts_between",
    "step_timings",
]
