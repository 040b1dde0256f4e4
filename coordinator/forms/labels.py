"""Human wording of the codes, for the pages to show."""

from coordinator.forms.scores import SCORE_KIND_LABELS, SINS_BAND_LABELS, TOKUHASHI_BAND_LABELS
from pathways.codes import ClockKind, ClockStatus, EventKind, MdtDecisionKind
from referrals.codes import (
    CATEGORY_LABELS,
    CancerStatus,
    Haematological,
    ImagingFindings,
    MovementPain,
    NeuroFeature,
    PainFeature,
    PrimaryTumour,
    ReferralStatus,
    Sex,
)

# NG234 box 1, in the guideline's own words.
PAIN_FEATURE_LABELS: dict[str, str] = {
    PainFeature.SEVERE_UNREMITTING: "Severe unremitting back pain",
    PainFeature.PROGRESSIVE: "Progressive back pain",
    PainFeature.MECHANICAL: "Mechanical pain (aggravated by standing, sitting or moving)",
    PainFeature.STRAINING: (
        "Back pain aggravated by straining (for example, coughing, sneezing or bowel movements)"
    ),
    PainFeature.NOCTURNAL: "Night-time back pain disturbing sleep",
    PainFeature.LOCALISED_TENDERNESS: "Localised tenderness",
    PainFeature.CLAUDICATION: (
        "Claudication (muscle pain or cramping in the legs when walking or exercising)"
    ),
}
NEURO_FEATURE_LABELS: dict[str, str] = {
    NeuroFeature.BLADDER_BOWEL: "Bladder or bowel dysfunction",
    NeuroFeature.GAIT: "Gait disturbance or difficulty walking",
    NeuroFeature.LIMB_WEAKNESS: "Limb weakness",
    NeuroFeature.CORD_SIGNS: "Neurological signs of spinal cord or cauda equina compression",
    NeuroFeature.SENSORY: "Numbness, paraesthesia or sensory loss",
    NeuroFeature.RADICULAR: "Radicular pain",
}
CANCER_STATUS_LABELS: dict[str, str] = {
    CancerStatus.CURRENT_OR_PAST: "Past or current diagnosis of cancer",
    CancerStatus.SUSPECTED: "Cancer suspected, not diagnosed",
    CancerStatus.NONE: "No known or suspected cancer",
}
PRIMARY_TUMOUR_LABELS: dict[str, str] = {
    PrimaryTumour.BREAST: "Breast",
    PrimaryTumour.PROSTATE: "Prostate",
    PrimaryTumour.LUNG: "Lung",
    PrimaryTumour.RENAL: "Renal (kidney)",
    PrimaryTumour.MYELOMA: "Myeloma",
    PrimaryTumour.LYMPHOMA: "Lymphoma",
    PrimaryTumour.OTHER_HAEMATOLOGICAL: "Other haematological cancer",
    PrimaryTumour.OTHER_SOLID: "Other solid tumour",
    PrimaryTumour.UNKNOWN_PRIMARY: "Primary not known",
}
HAEMATOLOGICAL_LABELS: dict[str, str] = {
    Haematological.NO: "No",
    Haematological.SUSPECTED: "Suspected on imaging, not confirmed (lymphoma or myeloma)",
    Haematological.CONFIRMED: "Confirmed haematological malignancy",
}
IMAGING_LABELS: dict[str, str] = {
    ImagingFindings.NONE: "No imaging yet, or imaging shows neither",
    ImagingFindings.SPINAL_METASTASES: "Imaging shows spinal metastases",
    ImagingFindings.CORD_COMPRESSION: "Imaging shows spinal cord compression",
}
MOVEMENT_PAIN_LABELS: dict[str, str] = {
    MovementPain.NONE: "None",
    MovementPain.MILD: "Mild",
    MovementPain.MODERATE: "Moderate",
    MovementPain.SEVERE: "Severe",
}
SEX_LABELS: dict[str, str] = {
    Sex.FEMALE: "Female",
    Sex.MALE: "Male",
    Sex.OTHER: "Other",
    Sex.NOT_KNOWN: "Not known",
}
YES_NO_LABELS: dict[str, str] = {"true": "Yes", "false": "No", "": "Not known"}
PERFORMANCE_STATUS_LABELS: dict[str, str] = {
    "0": "0: Fully active",
    "1": "1: Restricted in strenuous activity; walking, able to do light work",
    "2": "2: Walking and capable of all self-care; up and about over half of waking hours",
    "3": "3: Limited self-care; in bed or chair over half of waking hours",
    "4": "4: Completely disabled; no self-care; confined to bed or chair",
}
FRAILTY_LABELS: dict[str, str] = {
    "1": "1: Very fit",
    "2": "2: Fit",
    "3": "3: Managing well",
    "4": "4: Living with very mild frailty",
    "5": "5: Living with mild frailty",
    "6": "6: Living with moderate frailty",
    "7": "7: Living with severe frailty",
    "8": "8: Living with very severe frailty",
    "9": "9: Terminally ill",
}
CATEGORY_CHOICE_LABELS: dict[str, str] = {c.value: label for c, label in CATEGORY_LABELS.items()}
STATUS_LABELS: dict[str, str] = {
    ReferralStatus.RECEIVED: "Received, not yet acknowledged",
    ReferralStatus.TRIAGED: "Triaged",
    ReferralStatus.INVESTIGATING: "Investigating",
    ReferralStatus.TREATMENT_PLANNED: "Treatment planned",
    ReferralStatus.TREATING: "Treating",
    ReferralStatus.REHABILITATION: "Rehabilitation",
    ReferralStatus.CLOSED: "Closed",
    ReferralStatus.CLOSED_NOT_MSCC: "Closed: not MSCC",
    ReferralStatus.REDIRECTED: "Redirected",
    ReferralStatus.WITHDRAWN: "Withdrawn",
    ReferralStatus.DIED: "Died",
}
CLOCK_KIND_LABELS: dict[str, str] = {
    ClockKind.ACKNOWLEDGEMENT: "Acknowledgement",
    ClockKind.ADVICE: "Advice to referrer",
    ClockKind.MRI: "MRI",
    ClockKind.STABILITY_ADVICE: "Spinal stability advice",
    ClockKind.RADIOTHERAPY: "Radiotherapy",
    ClockKind.DEXAMETHASONE: "Dexamethasone",
    ClockKind.SURGERY: "Surgery",
    ClockKind.HOLISTIC_NEEDS: "Holistic needs assessment",
    ClockKind.DISCHARGE_PLANNING: "Discharge planning",
}
CLOCK_STATUS_LABELS: dict[str, str] = {
    ClockStatus.RUNNING: "Running",
    ClockStatus.MET: "Met",
    ClockStatus.BREACHED: "OVERDUE",
    ClockStatus.MET_LATE: "Met late",
    ClockStatus.CANCELLED: "Cancelled",
}
EVENT_KIND_LABELS: dict[str, str] = {
    k.value: k.value.replace("_", " ").capitalize() for k in EventKind
} | {
    EventKind.ACKNOWLEDGED: "Acknowledged by the coordinator",
    EventKind.ADVICE_GIVEN: "Advice given to the referrer",
    EventKind.MRI_REQUESTED: "MRI requested",
    EventKind.MRI_PERFORMED: "MRI performed",
    EventKind.MRI_REPORTED: "MRI reported",
    EventKind.IMMOBILISATION_STARTED: "Immobilisation started",
    EventKind.STABILITY_ADVICE_GIVEN: "Spinal stability advice given",
    EventKind.DEXAMETHASONE_GIVEN: "Dexamethasone given",
    EventKind.RT_DECISION: "Decision to treat with radiotherapy",
    EventKind.RT_DELIVERED: "Radiotherapy delivered (first fraction)",
    EventKind.SURGERY_DECISION: "Decision to treat with surgery",
    EventKind.SURGERY_PERFORMED: "Surgery performed",
    EventKind.MSCC_CONFIRMED: "MSCC confirmed",
    EventKind.MSCC_RULED_OUT: "MSCC ruled out",
    EventKind.ADMITTED: "Admitted",
    EventKind.DISCHARGED: "Discharged",
    EventKind.DIED: "Died",
    EventKind.ENTERED_IN_ERROR: "Entered in error",
}
MDT_DECISION_LABELS: dict[str, str] = {
    MdtDecisionKind.RADIOTHERAPY: "Radiotherapy",
    MdtDecisionKind.SURGERY: "Surgery",
    MdtDecisionKind.BOTH: "Surgery and radiotherapy",
    MdtDecisionKind.SUPPORTIVE_CARE: "Supportive care (no definitive treatment)",
}


# Looked up by the ``code_label`` template filter.
LABELS: dict[str, dict[str, str]] = {
    "pain_features": PAIN_FEATURE_LABELS,
    "neuro_features": NEURO_FEATURE_LABELS,
    "cancer_status": CANCER_STATUS_LABELS,
    "primary_tumour": PRIMARY_TUMOUR_LABELS,
    "haematological": HAEMATOLOGICAL_LABELS,
    "imaging_findings": IMAGING_LABELS,
    "movement_pain": MOVEMENT_PAIN_LABELS,
    "sex": SEX_LABELS,
    "category": CATEGORY_CHOICE_LABELS,
    "status": STATUS_LABELS,
    "clock_kind": CLOCK_KIND_LABELS,
    "clock_status": CLOCK_STATUS_LABELS,
    "event_kind": EVENT_KIND_LABELS,
    "mdt_decision": MDT_DECISION_LABELS,
    "score_kind": SCORE_KIND_LABELS,
    "sins_band": SINS_BAND_LABELS,
    "tokuhashi_band": TOKUHASHI_BAND_LABELS,
    "performance_status": PERFORMANCE_STATUS_LABELS,
    "frailty_score": FRAILTY_LABELS,
    "yes_no": YES_NO_LABELS,
}
