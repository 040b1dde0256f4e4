"""Reads for notifications, one module per subject; import from here."""

from notifications.selectors.heartbeat import heartbeat_age_seconds, heartbeat_is_stale
from notifications.selectors.policies import escalation_policy_current, policy_steps, step_timings

__all__ = [
    "escalation_policy_current",
    "heartbeat_age_seconds",
    "heartbeat_is_stale",
    "policy_steps",
    "step_timings",
]
