"""NG234 triage (docs/clinical-rules.md): every row of the table, every box 1
feature, and the prompts that follow, each with its recommendation number."""

import pytest

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
)
from referrals.rules import TriageInput, categorise, prompts_for, triage

CURRENT = CancerStatus.CURRENT_OR_PAST


def _in(**kwargs: object) -> TriageInput:
    kwargs.setdefault("cancer_status", CURRENT)
    for key in ("pain_features", "neuro_features"):
        if key in kwargs:
            kwargs[key] = frozenset(kwargs[key])  # type: ignore[arg-type]
    return TriageInput(**kwargs)  # type: ignore[arg-type]


def _codes(data: TriageInput, category: Category | None = None) -> list[str]:
    return [p.code for p in prompts_for(data, category or categorise(data))]


# --- Row 1: suspected MSCC ---------------------------------------------------


@pytest.mark.parametrize("feature", list(NeuroFeature))
def test_every_neurological_feature_with_cancer_is_suspected_mscc(feature):
    assert categorise(_in(neuro_features={feature})) == Category.SUSPECTED_MSCC


@pytest.mark.parametrize("status", list(CancerStatus))
def test_imaging_showing_cord_compression_is_suspected_mscc_whatever_the_cancer_status(status):
    data = _in(cancer_status=status, imaging_findings=ImagingFindings.CORD_COMPRESSION)
    assert categorise(data) == Category.SUSPECTED_MSCC


@pytest.mark.parametrize("status", [CancerStatus.SUSPECTED, CancerStatus.NONE])
def test_imaging_showing_metastases_with_neuro_features_is_an_emergency(status):
    # Spinal metastases on imaging are metastatic cancer: with cord symptoms
    # this is the 1.3.2 emergency, never "refer for oncology" or "no action".
    data = _in(
        cancer_status=status,
        imaging_findings=ImagingFindings.SPINAL_METASTASES,
        neuro_features={NeuroFeature.GAIT},
    )
    assert categorise(data) == Category.SUSPECTED_MSCC


def test_neuro_features_outrank_pain_features():
    data = _in(pain_features={PainFeature.MECHANICAL}, neuro_features={NeuroFeature.RADICULAR})
    assert categorise(data) == Category.SUSPECTED_MSCC


def test_suspected_mscc_prompts_cite_their_recommendations():
    result = triage(_in(neuro_features={NeuroFeature.LIMB_WEAKNESS}))
    by_code = {p.code: p.recommendation for p in result.prompts}
    assert result.prompts[0].code == "oncological_emergency"
    assert by_code["oncological_emergency"] == "1.3.2"
    assert by_code["mri_within_24_hours"] == "1.5.2"
    assert by_code["dexamethasone_16mg"] == "1.8.1"
    assert by_code["steroid_monitoring"] == "1.8.8"
    assert by_code["mri_whole_spine"] == "1.5.5"
    assert by_code["ct_if_mri_contraindicated"] == "1.5.7"
    assert by_code["no_plain_xray"] == "1.5.9"
    assert "immobilise_now" not in by_code


def test_instability_signs_prompt_immobilisation_now_and_stability_advice():
    codes = _codes(_in(neuro_features={NeuroFeature.GAIT}, instability_signs=True))
    assert "immobilise_now" in codes  # 1.4.1
    assert "stability_advice_24_hours" in codes  # 1.4.4
    assert "consider_immobilisation" not in codes


@pytest.mark.parametrize("pain", [MovementPain.MODERATE, MovementPain.SEVERE])
def test_moderate_or_severe_movement_pain_prompts_considering_immobilisation(pain):
    codes = _codes(_in(neuro_features={NeuroFeature.GAIT}, movement_pain=pain))
    assert "consider_immobilisation" in codes  # 1.4.2
    assert "immobilise_now" not in codes


@pytest.mark.parametrize("pain", [MovementPain.NONE, MovementPain.MILD])
def test_no_or_mild_movement_pain_does_not_prompt_immobilisation(pain):
    codes = _codes(_in(neuro_features={NeuroFeature.GAIT}, movement_pain=pain))
    assert "consider_immobilisation" not in codes
    assert "immobilise_now" not in codes


def test_cord_compression_on_imaging_skips_the_mri_prompt():
    # Changed (issue 8): only when that imaging was a whole-spine MRI.
    data = _in(
        imaging_findings=ImagingFindings.CORD_COMPRESSION,
        imaging_modality=ImagingModality.MRI_WHOLE_SPINE,
        neuro_features={NeuroFeature.SENSORY},
    )
    codes = _codes(data)
    assert "imaging_shows_compression" in codes
    assert "mri_within_24_hours" not in codes
    assert "dexamethasone_16mg" in codes


def test_cord_compression_without_neuro_features_follows_1_8_7_not_1_8_1():
    # NG234 1.8.1 is for neurological symptoms or signs; without them, 1.8.7.
    codes = _codes(_in(imaging_findings=ImagingFindings.CORD_COMPRESSION))
    assert "dexamethasone_16mg" not in codes
    assert "no_routine_steroids" in codes


def test_mscc_with_suspected_haematological_malignancy_still_gets_dexamethasone():
    # 1.8.6 (haematology advice first) is only for those WITHOUT neuro signs.
    data = _in(
        neuro_features={NeuroFeature.LIMB_WEAKNESS},
        haematological=Haematological.SUSPECTED,
        primary_tumour=PrimaryTumour.LYMPHOMA,
    )
    codes = _codes(data)
    assert "dexamethasone_16mg" in codes
    assert "haematology_advice_before_steroids" not in codes


# --- Row 2: suspected spinal metastases --------------------------------------


@pytest.mark.parametrize("feature", list(PainFeature))
def test_every_pain_feature_with_cancer_and_no_neuro_is_suspected_spinal_metastases(feature):
    assert categorise(_in(pain_features={feature})) == Category.SUSPECTED_SPINAL_METASTASES


@pytest.mark.parametrize("status", list(CancerStatus))
def test_imaging_showing_metastases_with_pain_and_no_neuro_is_suspected_spinal_metastases(status):
    data = _in(
        cancer_status=status,
        imaging_findings=ImagingFindings.SPINAL_METASTASES,
        pain_features={PainFeature.NOCTURNAL},
    )
    assert categorise(data) == Category.SUSPECTED_SPINAL_METASTASES


# Changed for NG234 1.5.6 (issue 8): spinal metastases on imaging with no
# symptoms are not the urgent pathway (it used to be suspected spinal metastases).
@pytest.mark.parametrize("status", list(CancerStatus))
def test_asymptomatic_metastases_on_imaging_are_not_the_urgent_pathway(status):
    data = _in(cancer_status=status, imaging_findings=ImagingFindings.SPINAL_METASTASES)
    assert categorise(data) == Category.NO_ACTION
    codes = _codes(data)
    assert codes[0] == "no_screening_mri"  # 1.5.6
    unknown = status != CancerStatus.CURRENT_OR_PAST
    assert ("suspected_cancer_referral" in codes) == unknown
    assert ("biopsy_unknown_primary" in codes) == unknown  # 1.11.2


def test_spinal_metastases_prompts():
    codes = _codes(_in(pain_features={PainFeature.NOCTURNAL}))
    assert codes[0] == "advice_within_24_hours"  # 1.3.3
    assert "mri_within_1_week" in codes  # 1.5.3
    assert "no_routine_steroids" in codes  # 1.8.7
    assert "dexamethasone_16mg" not in codes
    assert "who_to_contact" in codes  # 1.2.4


def test_imaging_already_showing_metastases_skips_the_one_week_mri_prompt():
    codes = _codes(_in(imaging_findings=ImagingFindings.SPINAL_METASTASES))
    assert "mri_within_1_week" not in codes


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"pain_features": {PainFeature.SEVERE_UNREMITTING}}, "consider_steroids_severe_pain"),
        ({"movement_pain": MovementPain.SEVERE}, "consider_steroids_severe_pain"),
        ({"haematological": Haematological.CONFIRMED}, "haematological_dexamethasone"),
        (
            # Radiologically suspected, primary not yet known (a myeloma primary
            # on record would be a confirmed haematological malignancy: issue 8).
            {
                "haematological": Haematological.SUSPECTED,
                "primary_tumour": PrimaryTumour.UNKNOWN_PRIMARY,
            },
            "haematology_advice_before_steroids",
        ),
    ],
)
def test_steroid_advice_without_neuro_features(extra, expected):
    data = _in(
        pain_features={PainFeature.MECHANICAL} | set(extra.pop("pain_features", ())), **extra
    )
    codes = _codes(data)
    assert expected in codes
    assert "no_routine_steroids" not in codes


def test_suspected_haematological_malignancy_gets_advice_before_steroids_even_with_severe_pain():
    data = _in(
        pain_features={PainFeature.SEVERE_UNREMITTING},
        haematological=Haematological.SUSPECTED,
        primary_tumour=PrimaryTumour.UNKNOWN_PRIMARY,  # was LYMPHOMA: see the test below
    )
    codes = _codes(data)
    assert "haematology_advice_before_steroids" in codes  # 1.8.6
    assert "consider_steroids_severe_pain" not in codes


@pytest.mark.parametrize("tumour", [PrimaryTumour.MYELOMA, PrimaryTumour.BREAST])
def test_bisphosphonates_for_myeloma_and_breast(tumour):
    codes = _codes(_in(pain_features={PainFeature.PROGRESSIVE}, primary_tumour=tumour))
    assert "bisphosphonates" in codes  # 1.7.12


def test_unknown_primary_prompts_biopsy():
    codes = _codes(
        _in(pain_features={PainFeature.PROGRESSIVE}, primary_tumour=PrimaryTumour.UNKNOWN_PRIMARY)
    )
    assert "biopsy_unknown_primary" in codes  # 1.11.2


# --- Row 3: refer for oncology assessment --------------------------------------


# Changed for NG234 1.3.5 (issue 8): urgent oncology assessment only when
# cancer is suspected; with no cancer at all, pain is assessed as back pain.
@pytest.mark.parametrize("feature", list(PainFeature))
def test_pain_feature_with_suspected_cancer_is_oncology_assessment(feature):
    data = _in(cancer_status=CancerStatus.SUSPECTED, pain_features={feature})
    assert categorise(data) == Category.ONCOLOGY_ASSESSMENT
    assert _codes(data) == ["urgent_oncology_assessment", "who_to_contact"]  # 1.3.5, 1.2.4


@pytest.mark.parametrize("feature", list(PainFeature))
def test_pain_feature_without_any_cancer_is_non_cancer_back_pain(feature):
    data = _in(cancer_status=CancerStatus.NONE, pain_features={feature})
    assert categorise(data) == Category.NO_ACTION
    assert _codes(data) == ["non_cancer_back_pain"]
    assert "urgent_oncology_assessment" not in _codes(data)


# Changed (issue 8): suspected cancer with any cord compression feature is
# suspected MSCC (the emergency), and no cancer at all with cord or cauda
# equina features is an emergency spinal assessment, never an oncology
# referral. Both used to be "oncology assessment".
@pytest.mark.parametrize("feature", list(NeuroFeature))
def test_neuro_feature_with_suspected_cancer_is_suspected_mscc(feature):
    data = _in(cancer_status=CancerStatus.SUSPECTED, neuro_features={feature})
    assert categorise(data) == Category.SUSPECTED_MSCC
    codes = _codes(data)
    assert codes[0] == "suspected_mscc_suspected_cancer"
    assert "oncological_emergency" not in codes  # 1.3.2 speaks of a diagnosed cancer
    assert "mri_within_24_hours" in codes


@pytest.mark.parametrize("feature", sorted(set(NeuroFeature) - {NeuroFeature.RADICULAR}))
def test_cord_features_without_any_cancer_need_emergency_spinal_assessment(feature):
    data = _in(cancer_status=CancerStatus.NONE, neuro_features={feature})
    assert categorise(data) == Category.EMERGENCY_SPINAL_ASSESSMENT
    codes = _codes(data)
    assert codes[0] == "emergency_spinal_assessment"
    assert "urgent_oncology_assessment" not in codes


def test_radicular_pain_alone_without_any_cancer_is_non_cancer_back_pain():
    data = _in(cancer_status=CancerStatus.NONE, neuro_features={NeuroFeature.RADICULAR})
    assert categorise(data) == Category.NO_ACTION
    assert _codes(data) == ["non_cancer_back_pain"]


@pytest.mark.parametrize(
    "primary", [PrimaryTumour.MYELOMA, PrimaryTumour.LYMPHOMA, PrimaryTumour.OTHER_HAEMATOLOGICAL]
)
@pytest.mark.parametrize("stated", list(Haematological))
def test_a_haematological_primary_is_a_confirmed_haematological_malignancy(primary, stated):
    """Whatever the haematological field says (issue 8): 1.8.5, never 1.8.7."""
    data = _in(
        pain_features={PainFeature.PROGRESSIVE}, primary_tumour=primary, haematological=stated
    )
    codes = _codes(data)
    assert "haematological_dexamethasone" in codes  # 1.8.5
    assert "no_routine_steroids" not in codes  # 1.8.7
    assert "haematology_advice_before_steroids" not in codes  # 1.8.6


@pytest.mark.parametrize("movement", [MovementPain.MODERATE, MovementPain.SEVERE])
def test_moderate_or_severe_pain_on_movement_counts_as_mechanical_pain(movement):
    data = _in(movement_pain=movement)
    assert categorise(data) == Category.SUSPECTED_SPINAL_METASTASES
    assert "consider_immobilisation" in _codes(data)  # 1.4.2


# --- Row 4: safety net ---------------------------------------------------------


def test_back_pain_without_box_1_features_is_safety_net():
    data = _in(back_pain=True)
    assert categorise(data) == Category.SAFETY_NET
    assert [p.recommendation for p in prompts_for(data, Category.SAFETY_NET)] == ["1.3.6", "1.2.4"]


@pytest.mark.parametrize("status", [CancerStatus.SUSPECTED, CancerStatus.NONE])
def test_back_pain_without_cancer_diagnosis_is_not_safety_net(status):
    assert categorise(_in(cancer_status=status, back_pain=True)) == Category.NO_ACTION


# --- Row 5: no MSCC pathway action ---------------------------------------------


def test_asymptomatic_known_spinal_metastases_get_no_screening_mri():
    data = _in(known_spinal_metastases=True)
    assert categorise(data) == Category.NO_ACTION
    assert _codes(data)[0] == "no_screening_mri"  # 1.5.6


@pytest.mark.parametrize("status", list(CancerStatus))
def test_nothing_reported_is_no_action(status):
    assert categorise(_in(cancer_status=status)) == Category.NO_ACTION


# --- The wording -----------------------------------------------------------------


def test_every_prompt_cites_a_recommendation_and_is_advice():
    samples = [
        _in(
            neuro_features={NeuroFeature.GAIT},
            instability_signs=True,
            primary_tumour=PrimaryTumour.UNKNOWN_PRIMARY,
        ),
        _in(pain_features={PainFeature.SEVERE_UNREMITTING}, primary_tumour=PrimaryTumour.BREAST),
        _in(cancer_status=CancerStatus.NONE, neuro_features={NeuroFeature.GAIT}),
        _in(back_pain=True),
        _in(known_spinal_metastases=True),
    ]
    for data in samples:
        for category in Category:
            for prompt in prompts_for(data, category):
                assert prompt.recommendation
                assert prompt.text.strip()
                # Advice, never an order to the clinician.
                assert not prompt.text.lower().startswith(("you must", "must "))


def test_prompts_follow_an_overridden_category():
    data = _in(back_pain=True)
    assert _codes(data, Category.SUSPECTED_MSCC)[0] == "oncological_emergency"
