"""The coordinator's workflow: every step that spans referrals, pathways and
notifications. Views, the API, commands and tasks call these."""

from coordinator.services.provision import ServiceNotConfigured, service_provision
from coordinator.services.workflow import (
    referral_acknowledge,
    referral_create,
    referral_create_from_input,
    referral_event_add,
    referral_override_category,
    referral_status_change,
)
from referrals.services import access_record

__all__ = [
    "ServiceNotConfigured",
    "access_record",
    "referral_acknowledge",
    "referral_create",
    "referral_create_from_input",
    "referral_event_add",
    "referral_override_category",
    "referral_status_change",
    "service_provision",
]
