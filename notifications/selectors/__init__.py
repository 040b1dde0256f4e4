"""Reads for notifications, one module per subject; import from here."""

from notifications.selectors.heartbeat import heartbeat_age_seconds, heartbeat_is_stale

__all__ = ["heartbeat_age_seconds", "heartbeat_is_stale"]
