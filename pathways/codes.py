"""Clock and event codes (a public contract: add freely, rename nothing)."""

from enum import StrEnum


class ClockKind(StrEnum):
    ACKNOWLEDGEMENT = "acknowledgement"
    ADVICE = "advice"
    MRI = "mri"
    STABILITY_ADVICE = "stability_advice"
    RADIOTHERAPY = "radiotherapy"
    DEXAMETHASONE = "dexamethasone"
    SURGERY = "surgery"
    HOLISTIC_NEEDS = "holistic_needs"
    DISCHARGE_PLANNING = "discharge_planning"


class ClockStatus(StrEnum):
    RUNNING = "running"
    MET = "met"
    BREACHED = "breached"  # past due and still running: derived from now, never stored
    MET_LATE = "met_late"
    CANCELLED = "cancelled"


class EventKind(StrEnum):
    ACKNOWLEDGED = "acknowledged"
    ADVICE_GIVEN = "advice_given"
    MRI_REQUESTED = "mri_requested"
    MRI_PERFORMED = "mri_performed"
    MRI_REPORTED = "mri_reported"
    IMMOBILISATION_STARTED = "immobilisation_started"
    STABILITY_ADVICE_GIVEN = "stability_advice_given"
    DEXAMETHASONE_GIVEN = "dexamethasone_given"
    RT_DECISION = "rt_decision"
    RT_DELIVERED = "rt_delivered"
    SURGERY_DECISION = "surgery_decision"
    SURGERY_PERFORMED = "surgery_performed"
    MSCC_CONFIRMED = "mscc_confirmed"
    MSCC_RULED_OUT = "mscc_ruled_out"
    ADMITTED = "admitted"
    DISCHARGED = "discharged"
    DIED = "died"
    # Withdraws an earlier event recorded by mistake (the event names it in `corrects`).
    ENTERED_IN_ERROR = "entered_in_error"


class ClockAnchor(StrEnum):
    """Moments a clock can start from that are not clinical events."""

    REFERRAL_RECEIVED = "referral_received"
    SUSPECTED = "suspected"


class MdtDecisionKind(StrEnum):
    RADIOTHERAPY = "radiotherapy"
    SURGERY = "surgery"
    BOTH = "both"
    SUPPORTIVE_CARE = "supportive_care"


class ScoreKind(StrEnum):
    SINS = "sins"
    TOKUHASHI = "tokuhashi"
