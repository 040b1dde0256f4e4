"""Writes for notifications, one module per subject; import from here."""

from notifications.services.heartbeat import heartbeat_record
from notifications.services.policies import escalation_policy_create_default

__all__ = ["escalation_policy_create_default", "heartbeat_record"]
