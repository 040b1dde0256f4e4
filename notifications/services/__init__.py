"""Writes for notifications, one module per subject; import from here."""

from notifications.services.heartbeat import heartbeat_record

__all__ = ["heartbeat_record"]
