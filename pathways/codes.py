"""Clock and event codes (a public contract: add freely, rename nothing)."""

from core.labels import LabelledEnum


class ClockKind(LabelledEnum):
    ACKNOWLEDGEMENT = "acknowledgement", "Acknowledgement"
    ADVICE = "advice", "Advice to referrer"
    MRI = "mri", "MRI"
    STABILITY_ADVICE = "stability_advice", "Spinal stability advice"
    RADIOTHERAPY = "radiotherapy", "Radiotherapy"
    DEXAMETHASONE = "dexamethasone", "Dexamethasone"
    SURGERY = "surgery", "Surgery"
    HOLISTIC_NEEDS = "holistic_needs", "Holistic needs assessment"
    DISCHARGE_PLANNING = "discharge_planning", "Discharge planning"


class ClockStatus(LabelledEnum):
    RUNNING = "running", "Running"
    MET = "met", "Met"
    BREACHED = "breached", "OVERDUE"  # past due and still running: derived from now, never stored
    MET_LATE = "met_late", "Met late"
    CANCELLED = "cancelled", "Cancelled"


class ClockUrgency(LabelledEnum):
    """How near a running clock is to its due time, for the queue at a glance
    (issue 11). Derived from ``now`` and the referral's frozen escalation
    policy, never stored; ``status`` is unchanged by it."""

    COMFORTABLE = "comfortable", "On track"
    DUE_SOON = "due_soon", "Due soon"
    OVERDUE = "overdue", "Overdue"


class EventKind(LabelledEnum):
    ACKNOWLEDGED = "acknowledged", "Acknowledged by the coordinator"
    ADVICE_GIVEN = "advice_given", "Advice given to the referrer"
    MRI_REQUESTED = "mri_requested", "MRI requested"
    MRI_PERFORMED = "mri_performed", "MRI performed"
    MRI_REPORTED = "mri_reported", "MRI reported"
    # Imaging done instead of MRI where MRI is contraindicated (NG234 1.5.7, 1.5.8).
    CT_PERFORMED = "ct_performed", "CT performed (MRI contraindicated)"
    MYELOGRAPHY_PERFORMED = "myelography_performed", "Myelography performed (after CT)"
    IMMOBILISATION_STARTED = "immobilisation_started", "Immobilisation started"
    STABILITY_ADVICE_GIVEN = "stability_advice_given", "Spinal stability advice given"
    DEXAMETHASONE_GIVEN = "dexamethasone_given", "Dexamethasone given"
    RT_DECISION = "rt_decision", "Decision to treat with radiotherapy"
    RT_DELIVERED = "rt_delivered", "Radiotherapy delivered (first fraction)"
    SURGERY_DECISION = "surgery_decision", "Decision to treat with surgery"
    SURGERY_PERFORMED = "surgery_performed", "Surgery performed"
    MSCC_CONFIRMED = "mscc_confirmed", "MSCC confirmed"
    # MSCC is excluded; spinal metastases may still be there (docs/clinical-rules.md, section 4).
    MSCC_RULED_OUT = "mscc_ruled_out", "MSCC ruled out"
    # Both excluded: only then is stopping dexamethasone advised (NG234 1.8.2).
    SPINAL_METASTASES_RULED_OUT = (
        "spinal_metastases_ruled_out",
        "Spinal metastases and MSCC ruled out",
    )
    # Mobility after treatment, with ``ambulatory`` true or false: the audit's
    # outcome measure (QS56).
    AMBULATORY_ASSESSED = "ambulatory_assessed", "Walking ability assessed"
    ADMITTED = "admitted", "Admitted"
    DISCHARGED = "discharged", "Discharged"
    DIED = "died", "Died"
    # Withdraws an earlier event recorded by mistake (the event names it in `corrects`).
    ENTERED_IN_ERROR = "entered_in_error", "Entered in error"


class ClockAnchor(LabelledEnum):
    """Moments a clock can start from that are not clinical events."""

    REFERRAL_RECEIVED = "referral_received", "Referral received"
    SUSPECTED = "suspected", "Suspected"


class ClockCondition(LabelledEnum):
    """When a clock definition applies, beyond the referral's category
    (docs/clinical-rules.md, section 4): NG234 sets the 24-hour radiotherapy standard only for MSCC
    not suitable for spinal surgery (1.10.4); radiotherapy after surgery is
    1.10.8, with no time standard; dexamethasone is for neurological symptoms
    or signs, or a confirmed haematological malignancy (1.8.1, 1.8.5)."""

    ALWAYS = "always", "Always"
    WITHOUT_SURGERY = (
        "without_surgery",
        "Not suitable for spinal surgery (no decision to operate before it)",
    )
    AFTER_SURGERY = "after_surgery", "After a decision to operate (postoperative)"
    DEXAMETHASONE_INDICATED = (
        "dexamethasone_indicated",
        "Neurological symptoms or signs, or a confirmed haematological malignancy",
    )


class MdtDecisionKind(LabelledEnum):
    RADIOTHERAPY = "radiotherapy", "Radiotherapy"
    SURGERY = "surgery", "Surgery"
    BOTH = "both", "Surgery and radiotherapy"
    SUPPORTIVE_CARE = "supportive_care", "Supportive care (no definitive treatment)"


class ScoreKind(LabelledEnum):
    SINS = "sins", "SINS (Spinal Instability Neoplastic Score)"
    TOKUHASHI = "tokuhashi", "Revised Tokuhashi score"


class ReferralStage(LabelledEnum):
    """Where a referral is in the clinical story (issue 11): derived from its
    status, acknowledgement, clocks and the events that stand
    (pathways/stage_rules.py), never stored; ``status`` and its transition
    map are unchanged by it."""

    AWAITING_ACKNOWLEDGEMENT = "awaiting_acknowledgement", "Awaiting acknowledgement"
    AWAITING_MRI = "awaiting_mri", "Awaiting MRI"
    # Imaging done (or not needed), no treatment decided yet: treat, or close.
    AWAITING_DECISION = "awaiting_decision", "Awaiting a decision on treatment"
    AWAITING_RADIOTHERAPY = "awaiting_radiotherapy", "Awaiting radiotherapy"
    AWAITING_SURGERY = "awaiting_surgery", "Awaiting surgery"
    TREATED = "treated", "Treated"
    CLOSED = "closed", "Closed"
