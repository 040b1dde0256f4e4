"""Writes for pathways, one module per subject; import from here."""

from pathways.selectors import active_event_kinds
from pathways.services.clocks import (
    category_derived,
    clock_mark_not_appropriate,
    clocks_recompute,
    standing_events,
)
from pathways.services.events import (
    event_record,
    event_time_checked,
    event_withdraw,
    referral_locked,
)
from pathways.services.mdt import mdt_decision_record
from pathways.services.scores import score_record
from pathways.services.versions import (
    PathwayInvalid,
    clock_definition_create,
    clock_definition_delete,
    clock_definition_update,
    pathway_create_default,
    pathway_version_draft_create,
    pathway_version_publish,
    pathway_version_update,
)

__all__ = [
    "PathwayInvalid",
    "active_event_kinds",
    "category_derived",
    "clock_definition_create",
    "clock_definition_delete",
    "clock_definition_update",
    "clock_mark_not_appropriate",
    "clocks_recompute",
    "event_record",
    "event_time_checked",
    "event_withdraw",
    "mdt_decision_record",
    "pathway_create_default",
    "pathway_version_draft_create",
    "pathway_version_publish",
    "pathway_version_update",
    "referral_locked",
    "score_record",
    "standing_events",
]
