"""The coordinator's workflow: every step that spans referrals, pathways and
notifications, and the one writer of a referral's status. Views, the API,
commands and tasks call these."""

from coordinator.services.clocks import referral_clocks_follow
from coordinator.services.events import (
    referral_clock_not_appropriate,
    referral_event_add,
    referral_event_record,
    referral_event_withdraw,
    referral_mdt_record,
)
from coordinator.services.intake import (
    referral_answer_relations,
    referral_create,
    referral_create_from_input,
)
from coordinator.services.provision import ServiceNotConfigured, service_provision
from coordinator.services.status import (
    referral_acknowledge,
    referral_close_historic,
    referral_link_duplicate,
    referral_override_category,
    referral_status_change,
    referral_suspected_at_correct,
)
from referrals.services import access_record

__all__ = [
    "ServiceNotConfigured",
    "access_record",
    "referral_acknowledge",
    "referral_answer_relations",
    "referral_clock_not_appropriate",
    "referral_clocks_follow",
    "referral_close_historic",
    "referral_create",
    "referral_create_from_input",
    "referral_event_add",
    "referral_event_record",
    "referral_event_withdraw",
    "referral_link_duplicate",
    "referral_mdt_record",
    "referral_override_category",
    "referral_status_change",
    "referral_suspected_at_correct",
    "service_provision",
]
