"""Codes of the escalation engine (docs/architecture.md, sections 1 and 5)."""

from core.labels import LabelledEnum


class OnCallRole(LabelledEnum):
    """The roles a rota covers at all times (NG234 1.1.6, 1.1.7, 1.1.18)."""

    COORDINATOR = "coordinator", "MSCC coordinator"
    SENIOR_CLINICIAN = "senior_clinician", "Senior clinician"


class StepWhen(LabelledEnum):
    WARNING = "warning", "Warning"  # a fraction of the target before due
    AT_DUE = "at_due", "At the due time"
    AFTER_DUE = "after_due", "After the due time"  # a delay after due


class Recipient(LabelledEnum):
    ON_CALL_COORDINATOR = "on_call_coordinator", "the on-call coordinator"
    ON_CALL_SENIOR = "on_call_senior", "the on-call senior clinician"
    SERVICE_LEAD = "service_lead", "the service lead"
    NAMED_USER = "named_user", "a named person"


class Channel(LabelledEnum):
    IN_APP = "in_app", "in-app"
    EMAIL = "email", "e-mail"
    WEBHOOK = "webhook", "pager or SMS gateway"  # an HMAC-signed POST, for a pager or SMS gateway


class DeliveryStatus(LabelledEnum):
    PENDING = "pending", "Waiting to be sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "FAILED: not sent"  # gave up after the last retry; the sweep reports it
