"""The audit's breakdowns: each one's codes, in order, with the words shown
for them (pure: no Django)."""

from referrals.codes import Category, OrganisationKind, PrimaryTumour, Sex

# The incidence and outcome breakdowns, in the order the report shows them.
BREAKDOWNS: tuple[str, ...] = (
    "category",
    "primary_tumour",
    "referring_setting",
    "organisation",
    "age_band",
    "sex",
    "imd_decile",
)
OUTCOMES: tuple[str, ...] = (
    "ambulatory_at_presentation",
    "ambulatory_after_treatment",
    "died_within_30_days",
)

BREAKDOWN_TITLES: dict[str, str] = {
    "category": "Category",
    "primary_tumour": "Primary tumour",
    "referring_setting": "Referring setting",
    "organisation": "Referring organisation",
    "age_band": "Age at referral",
    "sex": "Sex",
    "imd_decile": "Deprivation (IMD decile)",
    "ambulatory_at_presentation": "Walking at presentation",
    "ambulatory_after_treatment": "Walking after treatment",
    "died_within_30_days": "Died within 30 days of referral",
}

_WALKING = {"yes": "Walking", "no": "Not walking", "not_recorded": "Not recorded"}

FIXED_CODES: dict[str, dict[str, str]] = {
    "category": {c.value: c.label for c in Category},
    "primary_tumour": {
        **{p.value: p.label for p in PrimaryTumour},
        "none_known": "No cancer known",
    },
    "referring_setting": {k.value: k.label for k in OrganisationKind},
    "age_band": {
        "under_18": "Under 18",
        "18_49": "18 to 49",
        "50_59": "50 to 59",
        "60_69": "60 to 69",
        "70_79": "70 to 79",
        "80_plus": "80 and over",
    },
    "sex": {s.value: s.label for s in Sex},
    "imd_decile": {
        **{str(d): f"Decile {d}" for d in range(1, 11)},
        "unknown": "Unknown postcode",
    },
    "ambulatory_at_presentation": _WALKING,
    "ambulatory_after_treatment": _WALKING,
    "died_within_30_days": {"yes": "Died within 30 days", "no": "No death recorded"},
}
FIXED_CODES["imd_decile"]["1"] = "Decile 1 (most deprived)"
FIXED_CODES["imd_decile"]["10"] = "Decile 10 (least deprived)"

INTERVAL_TITLES: dict[str, str] = {
    "onset_to_referral": "Neurological symptoms to referral",
    "referral_to_acknowledgement": "Referral to acknowledgement by the coordinator",
}
