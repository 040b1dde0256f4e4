"""Codes of the escalation engine (docs/architecture.md, sections 1 and 5)."""

from enum import StrEnum


class OnCallRole(StrEnum):
    """The roles a rota covers at all times (NG234 1.1.6, 1.1.7, 1.1.18)."""

    COORDINATOR = "coordinator"
    SENIOR_CLINICIAN = "senior_clinician"


class StepWhen(StrEnum):
    WARNING = "warning"  # a fraction of the target before due
    AT_DUE = "at_due"
    AFTER_DUE = "after_due"  # a delay after due


class Recipient(StrEnum):
    ON_CALL_COORDINATOR = "on_call_coordinator"
    ON_CALL_SENIOR = "on_call_senior"
    SERVICE_LEAD = "service_lead"
    NAMED_USER = "named_user"


class Channel(StrEnum):
    IN_APP = "in_app"
    EMAIL = "email"
    WEBHOOK = "webhook"  # an HMAC-signed POST, for a pager or SMS gateway


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # gave up after the last retry; the sweep reports it
