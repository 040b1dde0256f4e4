"""The public codes (docs/architecture.md, section 2). A contract: add freely, rename nothing.

Plain Python (no Django) so that the triage rules can use them on their own.
Each code carries the words a person reads for it (``.label``).
"""

from core.labels import LabelledEnum


class CancerStatus(LabelledEnum):
    CURRENT_OR_PAST = "current_or_past", "Past or current diagnosis of cancer"
    SUSPECTED = "suspected", "Cancer suspected, not diagnosed"
    NONE = "none", "No known or suspected cancer"


class ImagingFindings(LabelledEnum):
    NONE = "none", "No imaging yet, or imaging shows neither"
    SPINAL_METASTASES = "spinal_metastases", "Imaging shows spinal metastases"
    CORD_COMPRESSION = "cord_compression", "Imaging shows spinal cord compression"


class ImagingModality(LabelledEnum):
    """How imaging done before referral was done: only a whole-spine MRI is
    the scan NG234 1.5.2 / 1.5.3 ask for (1.5.5: sagittal sequences of the
    whole spine)."""

    MRI_WHOLE_SPINE = "mri_whole_spine", "MRI of the whole spine"
    MRI_PARTIAL = "mri_partial", "MRI of part of the spine"
    CT = "ct", "CT"
    OTHER = "other", "Other imaging"


class PainFeature(LabelledEnum):
    """NG234 box 1: pain characteristics suggesting spinal metastases."""

    SEVERE_UNREMITTING = "severe_unremitting", "Severe unremitting back pain"
    PROGRESSIVE = "progressive", "Progressive back pain"
    MECHANICAL = "mechanical", "Mechanical pain (aggravated by standing, sitting or moving)"
    STRAINING = (
        "straining",
        "Back pain aggravated by straining (for example, coughing, sneezing or bowel movements)",
    )
    NOCTURNAL = "nocturnal", "Night-time back pain disturbing sleep"
    LOCALISED_TENDERNESS = "localised_tenderness", "Localised tenderness"
    CLAUDICATION = (
        "claudication",
        "Claudication (muscle pain or cramping in the legs when walking or exercising)",
    )


class NeuroFeature(LabelledEnum):
    """NG234 box 1: symptoms and signs suggesting cord compression."""

    BLADDER_BOWEL = "bladder_bowel", "Bladder or bowel dysfunction"
    GAIT = "gait", "Gait disturbance or difficulty walking"
    LIMB_WEAKNESS = "limb_weakness", "Limb weakness"
    CORD_SIGNS = "cord_signs", "Neurological signs of spinal cord or cauda equina compression"
    SENSORY = "sensory", "Numbness, paraesthesia or sensory loss"
    RADICULAR = "radicular", "Radicular pain"


class MovementPain(LabelledEnum):
    NONE = "none", "None"
    MILD = "mild", "Mild"
    MODERATE = "moderate", "Moderate"
    SEVERE = "severe", "Severe"


class Haematological(LabelledEnum):
    NO = "no", "No"
    SUSPECTED = "suspected", "Suspected on imaging, not confirmed (lymphoma or myeloma)"
    CONFIRMED = "confirmed", "Confirmed haematological malignancy"


class PrimaryTumour(LabelledEnum):
    BREAST = "breast", "Breast"
    PROSTATE = "prostate", "Prostate"
    LUNG = "lung", "Lung"
    RENAL = "renal", "Renal (kidney)"
    MYELOMA = "myeloma", "Myeloma"
    LYMPHOMA = "lymphoma", "Lymphoma"
    OTHER_HAEMATOLOGICAL = "other_haematological", "Other haematological cancer"
    OTHER_SOLID = "other_solid", "Other solid tumour"
    UNKNOWN_PRIMARY = "unknown_primary", "Primary not known"


class Category(LabelledEnum):
    SUSPECTED_MSCC = "suspected_mscc", "Suspected MSCC (oncological emergency)"
    EMERGENCY_SPINAL_ASSESSMENT = (
        "emergency_spinal_assessment",
        "Not the MSCC pathway: emergency spinal assessment",
    )
    SUSPECTED_SPINAL_METASTASES = (
        "suspected_spinal_metastases",
        "Suspected spinal metastases (urgent)",
    )
    ONCOLOGY_ASSESSMENT = "oncology_assessment", "Refer for urgent oncology assessment"
    SAFETY_NET = "safety_net", "Safety-net advice"
    NO_ACTION = "no_action", "No MSCC pathway action"


# Acknowledged within 30 minutes and shown as emergencies: suspected MSCC, and
# cord or cauda equina compression without cancer, which the coordinator must
# redirect at once.
EMERGENCY_CATEGORIES = frozenset({Category.SUSPECTED_MSCC, Category.EMERGENCY_SPINAL_ASSESSMENT})

# Queue order: the emergency first. Lower is more urgent.
CATEGORY_URGENCY: dict[Category, int] = {
    Category.SUSPECTED_MSCC: 0,
    # Cord or cauda equina compression without any cancer: not MSCC, but just
    # as urgent to redirect, so it sits right after the emergency.
    Category.EMERGENCY_SPINAL_ASSESSMENT: 1,
    Category.SUSPECTED_SPINAL_METASTASES: 2,
    Category.ONCOLOGY_ASSESSMENT: 3,
    Category.SAFETY_NET: 4,
    Category.NO_ACTION: 5,
}


class Sex(LabelledEnum):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"
    NOT_KNOWN = "not_known", "Not known"


class OrganisationKind(LabelledEnum):
    GP_PRACTICE = "gp_practice", "GP practice"
    WARD = "ward", "Ward"
    EMERGENCY_DEPARTMENT = "emergency_department", "Emergency department"
    OTHER = "other", "Other"


class ReferralStatus(LabelledEnum):
    """Referral states. Moves are in referrals/transitions.py."""

    RECEIVED = "received", "Received, not yet acknowledged"
    TRIAGED = "triaged", "Triaged"
    INVESTIGATING = "investigating", "Investigating"
    TREATMENT_PLANNED = "treatment_planned", "Treatment planned"
    TREATING = "treating", "Treating"
    REHABILITATION = "rehabilitation", "Rehabilitation"
    CLOSED = "closed", "Closed"
    CLOSED_NOT_MSCC = "closed_not_mscc", "Closed: not MSCC"
    REDIRECTED = "redirected", "Redirected"
    WITHDRAWN = "withdrawn", "Withdrawn"
    DIED = "died", "Died"


TERMINAL_STATUSES = frozenset(
    {
        ReferralStatus.CLOSED,
        ReferralStatus.CLOSED_NOT_MSCC,
        ReferralStatus.REDIRECTED,
        ReferralStatus.WITHDRAWN,
        ReferralStatus.DIED,
    }
)


class PerformanceStatus(LabelledEnum):
    """WHO performance status (stored as its number, 0 to 4)."""

    FULLY_ACTIVE = "0", "0: Fully active"
    RESTRICTED = "1", "1: Restricted in strenuous activity; walking, able to do light work"
    AMBULATORY = (
        "2",
        "2: Walking and capable of all self-care; up and about over half of waking hours",
    )
    LIMITED_SELF_CARE = "3", "3: Limited self-care; in bed or chair over half of waking hours"
    DISABLED = "4", "4: Completely disabled; no self-care; confined to bed or chair"


class FrailtyScore(LabelledEnum):
    """Clinical Frailty Scale (stored as its number, 1 to 9)."""

    VERY_FIT = "1", "1: Very fit"
    FIT = "2", "2: Fit"
    MANAGING_WELL = "3", "3: Managing well"
    VERY_MILD = "4", "4: Living with very mild frailty"
    MILD = "5", "5: Living with mild frailty"
    MODERATE = "6", "6: Living with moderate frailty"
    SEVERE = "7", "7: Living with severe frailty"
    VERY_SEVERE = "8", "8: Living with very severe frailty"
    TERMINALLY_ILL = "9", "9: Terminally ill"
