"""The historic referral CSV: its columns, in order, and the codes each takes.

One format for both directions: ``manage.py export_referrals`` writes every
column below, and ``manage.py import_referrals`` reads it back (README,
"Historic audit data"). Plain Python (no Django), so the format can be read
in one place and checked without a database.

Codes are the public vocabularies of ``referrals/codes.py`` and
``pathways/codes.py``; times are ISO 8601 with their UTC offset, dates
``YYYY-MM-DD``, booleans ``true``/``false`` (blank: not recorded), and the
feature lists their codes separated by ``;``.
"""

from enum import StrEnum

from pathways.codes import ClockKind, EventKind
from referrals.codes import (
    CancerStatus,
    Category,
    Haematological,
    ImagingFindings,
    ImagingModality,
    MovementPain,
    NeuroFeature,
    PainFeature,
    PrimaryTumour,
    ReferralStatus,
    Sex,
)

LIST_SEPARATOR = ";"
TRUE, FALSE = "true", "false"

# ``<kind>_at`` for every clinical event but ``entered_in_error``: a file
# holds what stands, never the corrections (a withdrawn event is left out).
EVENT_KINDS: tuple[EventKind, ...] = tuple(k for k in EventKind if k != EventKind.ENTERED_IN_ERROR)
EVENT_COLUMNS: dict[str, EventKind] = {f"{kind.value}_at": kind for kind in EVENT_KINDS}

# ``<kind>_not_appropriate_reason`` for every clock kind: the reason the
# standard did not apply to this person (out of the audit's denominator).
NOT_APPROPRIATE_COLUMNS: dict[str, ClockKind] = {
    f"{kind.value}_not_appropriate_reason": kind for kind in ClockKind
}

# Every column a file must have in its header (a value may still be blank
# where the record allows it: see ``BLANK_ALLOWED``).
REQUIRED: tuple[str, ...] = (
    "reference",
    "nhs_number",
    "date_of_birth",
    "sex",
    "postcode",
    "imd_decile",
    "referring_organisation",
    "service",
    "received_at",
    "cancer_status",
    "primary_tumour",
    "category",
    "pain_features",
    "neuro_features",
    "neuro_onset_at",
    "suspected_at",
    "imaging_findings",
    *EVENT_COLUMNS,
    "ambulatory_at_presentation",
    "ambulatory_after_treatment",
)

# Read when present, always written by the export.
OPTIONAL: tuple[str, ...] = (
    "status",
    "imaging_modality",
    "movement_pain",
    "instability_signs",
    "haematological",
    "back_pain",
    "known_spinal_metastases",
    *NOT_APPROPRIATE_COLUMNS,
)

COLUMNS: tuple[str, ...] = REQUIRED + OPTIONAL

# Columns that must hold a value on every row.
NOT_BLANK: frozenset[str] = frozenset(
    {
        "reference",
        "nhs_number",
        "date_of_birth",
        "sex",
        "postcode",
        "referring_organisation",
        "service",
        "received_at",
        "cancer_status",
    }
)

# A single code from a closed vocabulary.
CODE_COLUMNS: dict[str, type[StrEnum]] = {
    "sex": Sex,
    "cancer_status": CancerStatus,
    "primary_tumour": PrimaryTumour,
    "category": Category,
    "imaging_findings": ImagingFindings,
    "imaging_modality": ImagingModality,
    "movement_pain": MovementPain,
    "haematological": Haematological,
    "status": ReferralStatus,
}

# ``;``-separated codes.
CODE_LIST_COLUMNS: dict[str, type[StrEnum]] = {
    "pain_features": PainFeature,
    "neuro_features": NeuroFeature,
}

# ``true``/``false``; blank is "not recorded" for the nullable one and
# ``false`` (the referral form's unticked box) for the others.
NULLABLE_BOOLEAN_COLUMNS: frozenset[str] = frozenset(
    {"ambulatory_at_presentation", "ambulatory_after_treatment"}
)
BOOLEAN_COLUMNS: frozenset[str] = (
    frozenset({"instability_signs", "back_pain", "known_spinal_metastases"})
    | NULLABLE_BOOLEAN_COLUMNS
)

TIME_COLUMNS: frozenset[str] = frozenset(
    {"received_at", "neuro_onset_at", "suspected_at", *EVENT_COLUMNS}
)

IMD_DECILES = range(1, 11)

# A reference as the file gives it, kept as the imported referral's own
# (``Referral.reference`` holds 16 characters).
REFERENCE_MAX = 16


def event_column(kind: str) -> str:
    return f"{kind}_at"


def not_appropriate_column(kind: str) -> str:
    return f"{kind}_not_appropriate_reason"


def boolean_text(value: bool | None) -> str:
    """How the file writes a boolean (blank: not recorded)."""
    if value is None:
        return ""
    return TRUE if value else FALSE
