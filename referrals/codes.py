"""The public codes (docs/architecture.md, section 2). A contract: add freely, rename nothing.

Plain Python (no Django) so that the triage rules can use them on their own.
"""

from enum import StrEnum


class CancerStatus(StrEnum):
    CURRENT_OR_PAST = "current_or_past"
    SUSPECTED = "suspected"
    NONE = "none"


class ImagingFindings(StrEnum):
    NONE = "none"
    SPINAL_METASTASES = "spinal_metastases"
    CORD_COMPRESSION = "cord_compression"


class PainFeature(StrEnum):
    """NG234 box 1: pain characteristics suggesting spinal metastases."""

    SEVERE_UNREMITTING = "severe_unremitting"
    PROGRESSIVE = "progressive"
    MECHANICAL = "mechanical"
    STRAINING = "straining"
    NOCTURNAL = "nocturnal"
    LOCALISED_TENDERNESS = "localised_tenderness"
    CLAUDICATION = "claudication"


class NeuroFeature(StrEnum):
    """NG234 box 1: symptoms and signs suggesting cord compression."""

    BLADDER_BOWEL = "bladder_bowel"
    GAIT = "gait"
    LIMB_WEAKNESS = "limb_weakness"
    CORD_SIGNS = "cord_signs"
    SENSORY = "sensory"
    RADICULAR = "radicular"


class MovementPain(StrEnum):
    NONE = "none"
    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"


class Haematological(StrEnum):
    NO = "no"
    SUSPECTED = "suspected"
    CONFIRMED = "confirmed"


class PrimaryTumour(StrEnum):
    BREAST = "breast"
    PROSTATE = "prostate"
    LUNG = "lung"
    RENAL = "renal"
    MYELOMA = "myeloma"
    LYMPHOMA = "lymphoma"
    OTHER_HAEMATOLOGICAL = "other_haematological"
    OTHER_SOLID = "other_solid"
    UNKNOWN_PRIMARY = "unknown_primary"


class Category(StrEnum):
    SUSPECTED_MSCC = "suspected_mscc"
    SUSPECTED_SPINAL_METASTASES = "suspected_spinal_metastases"
    ONCOLOGY_ASSESSMENT = "oncology_assessment"
    SAFETY_NET = "safety_net"
    NO_ACTION = "no_action"


# Queue order: the emergency first. Lower is more urgent.
CATEGORY_URGENCY: dict[Category, int] = {
    Category.SUSPECTED_MSCC: 0,
    Category.SUSPECTED_SPINAL_METASTASES: 1,
    Category.ONCOLOGY_ASSESSMENT: 2,
    Category.SAFETY_NET: 3,
    Category.NO_ACTION: 4,
}

CATEGORY_LABELS: dict[Category, str] = {
    Category.SUSPECTED_MSCC: "Suspected MSCC (oncological emergency)",
    Category.SUSPECTED_SPINAL_METASTASES: "Suspected spinal metastases (urgent)",
    Category.ONCOLOGY_ASSESSMENT: "Refer for urgent oncology assessment",
    Category.SAFETY_NET: "Safety-net advice",
    Category.NO_ACTION: "No MSCC pathway action",
}


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    NOT_KNOWN = "not_known"


class OrganisationKind(StrEnum):
    GP_PRACTICE = "gp_practice"
    WARD = "ward"
    EMERGENCY_DEPARTMENT = "emergency_department"
    OTHER = "other"


class ReferralStatus(StrEnum):
    """Referral states. Moves are in referrals/transitions.py."""

    RECEIVED = "received"
    TRIAGED = "triaged"
    INVESTIGATING = "investigating"
    TREATMENT_PLANNED = "treatment_planned"
    TREATING = "treating"
    REHABILITATION = "rehabilitation"
    CLOSED = "closed"
    CLOSED_NOT_MSCC = "closed_not_mscc"
    REDIRECTED = "redirected"
    WITHDRAWN = "withdrawn"
    DIED = "died"


TERMINAL_STATUSES = frozenset(
    {
        ReferralStatus.CLOSED,
        ReferralStatus.CLOSED_NOT_MSCC,
        ReferralStatus.REDIRECTED,
        ReferralStatus.WITHDRAWN,
        ReferralStatus.DIED,
    }
)
