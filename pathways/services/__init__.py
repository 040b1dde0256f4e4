"""Writes for pathways, one module per subject; import from here."""

from pathways.services.clocks import (
    clock_cancel,
    clock_stop,
    clocks_apply_category,
    clocks_start_at_intake,
    event_record,
)
from pathways.services.versions import pathway_create_default

__all__ = [
    "clock_cancel",
    "clock_stop",
    "clocks_apply_category",
    "clocks_start_at_intake",
    "event_record",
    "pathway_create_default",
]
