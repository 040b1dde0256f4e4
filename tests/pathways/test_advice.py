"""The advice that follows the patient (pathways/advice.py), held to NG234's
words: each prompt shown where its recommendation applies, and only there.

The pure tests call ``advice_for`` with the category the caller passes (after
``mscc_ruled_out`` on a suspected-MSCC referral that is suspected spinal
metastases); the API tests at the end go through ``referral_progress``."""

import re
from datetime import timedelta
from itertools import product

import pytest
from django.utils import timezone

from coordinator.selectors import referral_progress
from pathways import advice
from pathways.advice import Progress, advice_for
from pathways.codes import EventKind
from pathways.models import ClinicalEvent
from referrals import rules
from referrals.codes import (
    CancerStatus,
    Category,
    Haematological,
    ImagingFindings,
    MovementPain,
    NeuroFeature,
    PainFeature,
    PrimaryTumour,
)
from referrals.rules import Prompt, TriageInput, categorise, for_population

E = EventKind
MSCC = Category.SUSPECTED_MSCC
METS = Category.SUSPECTED_SPINAL_METASTASES
EVENTS = "/api/v1/referrals/{}/events/"
MDT = "/api/v1/referrals/{}/mdt/"


def _in(**kwargs: object) -> TriageInput:
    kwargs.setdefault("cancer_status", CancerStatus.CURRENT_OR_PAST)
    kwargs.setdefault("primary_tumour", PrimaryTumour.BREAST)
    for key in ("pain_features", "neuro_features"):
        if key in kwargs:
            kwargs[key] = frozenset(kwargs[key])  # type: ignore[arg-type]
    return TriageInput(**kwargs)  # type: ignore[arg-type]


# Suspected MSCC: limb weakness and progressive pain; suspected spinal
# metastases: night pain only (not mechanical), or mechanical pain.
CORD = _in(neuro_features={NeuroFeature.LIMB_WEAKNESS}, pain_features={PainFeature.PROGRESSIVE})
NIGHT_PAIN = _in(pain_features={PainFeature.NOCTURNAL})
MECHANICAL = _in(pain_features={PainFeature.MECHANICAL})


def progress(*kinds: EventKind, **fields: bool) -> Progress:
    return Progress(events=frozenset(k.value for k in kinds), **fields)


def codes(data: TriageInput, category: Category, *kinds: EventKind, **fields: bool) -> list[str]:
    return [p.code for p in advice_for(data, category, progress(*kinds, **fields))]


def cited(data: TriageInput, category: Category, *kinds: EventKind, **fields: bool) -> set[str]:
    return {p.recommendation for p in advice_for(data, category, progress(*kinds, **fields))}


def all_prompts() -> list[Prompt]:
    """Every prompt the two modules define."""
    found = {
        value.code: value
        for module in (rules, advice)
        for value in vars(module).values()
        if isinstance(value, Prompt)
    }
    return list(found.values())


def test_the_sample_inputs_fall_in_the_categories_they_stand_for():
    assert categorise(CORD) == MSCC
    assert categorise(NIGHT_PAIN) == METS
    assert categorise(MECHANICAL) == METS


# --- 1.8.2: only when spinal metastases AND MSCC are ruled out --------------------------


@pytest.mark.parametrize("category", [MSCC, METS])
def test_mscc_ruled_out_alone_never_stops_dexamethasone(category):
    # After mscc_ruled_out the caller passes suspected spinal metastases; the
    # advice for them follows, not an end to the advice.
    shown = codes(CORD, category, E.DEXAMETHASONE_GIVEN, E.MSCC_RULED_OUT)
    assert "dexamethasone_stop" not in shown
    assert "steroid_monitoring" in shown  # 1.8.8: still taking corticosteroids
    assert len(shown) > 2


def test_mscc_ruled_out_on_a_spinal_metastases_referral_keeps_its_advice():
    shown = codes(NIGHT_PAIN, METS, E.MSCC_RULED_OUT)
    assert shown == codes(NIGHT_PAIN, METS)
    assert "mri_within_1_week" in shown  # 1.5.3 still applies


@pytest.mark.parametrize("category", list(Category))
def test_spinal_metastases_and_mscc_excluded_stop_dexamethasone_given(category):
    excluded = {"spinal_metastases_excluded": True}
    assert codes(CORD, category, E.DEXAMETHASONE_GIVEN, E.MSCC_RULED_OUT, **excluded) == [
        "dexamethasone_stop",  # 1.8.2
        "who_to_contact",  # 1.2.4
    ]
    assert codes(CORD, category, **excluded) == ["who_to_contact"]  # no dexamethasone given


def test_the_stop_prompt_says_what_1_8_2_says():
    (stop,) = advice_for(
        CORD, MSCC, progress(E.DEXAMETHASONE_GIVEN, spinal_metastases_excluded=True)
    )[:1]
    assert stop.recommendation == "1.8.2"
    assert "Spinal metastases and MSCC have been ruled out" in stop.text
    assert "given before imaging" in stop.text
    assert "discontinue" in stop.text


# --- 1.8.4, 1.8.5, 1.8.6 -------------------------------------------------------------------


def test_supportive_care_only_reduces_dexamethasone_gradually():
    shown = codes(CORD, MSCC, E.DEXAMETHASONE_GIVEN, supportive_care_only=True)
    assert "dexamethasone_reduce_without_treatment" in shown  # 1.8.4
    # Not awaiting surgery or radiotherapy: 1.8.1's "continue daily" does not apply.
    assert "dexamethasone_continue" not in shown
    text = advice.REDUCE_DEXAMETHASONE.text
    assert "reduce dexamethasone gradually until stopped" in text
    assert "Only continue it if the person's symptoms return or worsen" in text


def test_1_8_4_only_after_a_supportive_care_decision_and_only_when_dexamethasone_was_given():
    assert "dexamethasone_reduce_without_treatment" not in codes(CORD, MSCC, E.DEXAMETHASONE_GIVEN)
    assert "dexamethasone_reduce_without_treatment" not in codes(
        CORD, MSCC, supportive_care_only=True
    )


@pytest.mark.parametrize("neuro", [frozenset(), frozenset({NeuroFeature.LIMB_WEAKNESS})])
@pytest.mark.parametrize(
    "haem",
    [
        {"primary_tumour": PrimaryTumour.MYELOMA},
        {"primary_tumour": PrimaryTumour.LYMPHOMA, "haematological": Haematological.SUSPECTED},
        {"primary_tumour": PrimaryTumour.OTHER_SOLID, "haematological": Haematological.CONFIRMED},
    ],
)
def test_1_8_5_applies_with_or_without_neurological_signs(neuro, haem):
    data = _in(pain_features={PainFeature.PROGRESSIVE}, neuro_features=neuro, **haem)
    category = categorise(data)
    at_referral = codes(data, category)
    assert "haematological_dexamethasone" in at_referral  # 1.8.5
    assert "haematology_advice_before_steroids" not in at_referral  # 1.8.6: not confirmed
    assert "steroid_monitoring" in at_referral
    given = codes(data, category, E.DEXAMETHASONE_GIVEN)
    assert "haematological_further_corticosteroids" in given  # 1.8.5, after the first dose
    assert "haematological_dexamethasone" not in given


def test_with_neurological_signs_both_1_8_1_and_1_8_5_are_shown():
    data = _in(neuro_features={NeuroFeature.GAIT}, primary_tumour=PrimaryTumour.MYELOMA)
    assert {"1.8.1", "1.8.5"} <= cited(data, MSCC)


@pytest.mark.parametrize(
    ("neuro", "shown"),
    [(frozenset(), True), (frozenset({NeuroFeature.SENSORY}), False)],
)
def test_1_8_6_only_without_neurological_signs(neuro, shown):
    data = _in(
        pain_features={PainFeature.PROGRESSIVE},
        neuro_features=neuro,
        primary_tumour=PrimaryTumour.UNKNOWN_PRIMARY,
        haematological=Haematological.SUSPECTED,
    )
    for category in (MSCC, METS):
        assert ("haematology_advice_before_steroids" in codes(data, category)) == shown


def test_1_8_1_continuing_dexamethasone_is_for_neurological_signs_of_mscc_only():
    severe = _in(pain_features={PainFeature.SEVERE_UNREMITTING})
    assert "consider_steroids_severe_pain" in codes(severe, METS)  # 1.8.3
    given = codes(severe, METS, E.DEXAMETHASONE_GIVEN)
    assert "dexamethasone_continue" not in given
    assert "steroid_monitoring" in given
    # Neurological symptoms, but MSCC ruled out (now suspected spinal metastases).
    assert "dexamethasone_continue" not in codes(CORD, METS, E.DEXAMETHASONE_GIVEN)
    assert "dexamethasone_continue" in codes(CORD, MSCC, E.DEXAMETHASONE_GIVEN)


# --- Radiotherapy and surgery --------------------------------------------------------------


def test_radiotherapy_for_mscc_not_suitable_for_surgery():
    shown = codes(CORD, MSCC, E.RT_DECISION)
    for code in (
        "radiotherapy_within_24_hours",  # 1.10.4
        "paralysis_time_limit_not_the_only_factor",  # 1.11.5
        "radiotherapy_8gy_single_fraction",  # 1.10.5
        "fertility_discussion",  # 1.10.1
    ):
        assert code in shown
    high_risk = codes(CORD, MSCC, E.RT_DECISION, high_risk_of_side_effects=True)
    assert "radiotherapy_multiple_fractions" in high_risk  # 1.10.6
    assert "radiotherapy_8gy_single_fraction" not in high_risk


def test_1_10_4_says_what_it_says():
    text = advice.RT_WITHIN_24_HOURS.text
    assert "not suitable for spinal surgery" in text
    assert "considered to be poor" in text
    assert "2 weeks or longer" in text
    assert "too poor" not in text


@pytest.mark.parametrize("surgery", [E.SURGERY_DECISION, E.SURGERY_PERFORMED])
@pytest.mark.parametrize(
    ("data", "category"), [(CORD, MSCC), (NIGHT_PAIN, METS), (MECHANICAL, METS)]
)
def test_radiotherapy_decided_after_surgery_is_neither_1_10_4_nor_1_10_2(surgery, data, category):
    shown = cited(data, category, surgery, E.RT_DECISION, surgery_before_radiotherapy_decision=True)
    assert not {"1.10.4", "1.11.5", "1.10.5", "1.10.6", "1.10.2", "1.11.6"} & shown
    assert "1.10.1" in shown
    assert ("1.10.8" in shown) == (surgery == E.SURGERY_PERFORMED)


@pytest.mark.parametrize("data", [NIGHT_PAIN, MECHANICAL])
def test_never_the_24_hour_mscc_standard_for_spinal_metastases_without_mscc(data):
    shown = cited(data, METS, E.RT_DECISION)
    assert not {"1.10.4", "1.11.5", "1.10.5", "1.10.6"} & shown
    assert "1.10.1" in shown


@pytest.mark.parametrize(
    ("data", "expected", "not_expected"),
    [
        (NIGHT_PAIN, "1.10.2", "1.11.6"),
        (_in(pain_features={PainFeature.SEVERE_UNREMITTING}), "1.10.2", "1.11.6"),
        (MECHANICAL, "1.11.6", "1.10.2"),
        (_in(movement_pain=MovementPain.MODERATE), "1.11.6", "1.10.2"),  # mechanical pain
        (_in(movement_pain=MovementPain.SEVERE), "1.11.6", "1.10.2"),
        (_in(pain_features={PainFeature.NOCTURNAL}, instability_signs=True), "1.11.6", "1.10.2"),
    ],
)
def test_spinal_metastases_without_mscc_by_the_pain(data, expected, not_expected):
    assert categorise(data) == METS
    shown = cited(data, METS, E.RT_DECISION)
    assert expected in shown
    assert not_expected not in shown
    # Not before the metastases are known or treatment is decided ...
    assert not {"1.10.2", "1.11.6"} & cited(data, METS)
    # ... but at referral when they are already known, and gone once treated.
    known = _in(**{**vars(data), "known_spinal_metastases": True})
    assert expected in cited(known, METS)
    assert expected not in cited(known, METS, E.RT_DECISION, E.RT_DELIVERED)


def test_1_10_2_and_1_11_6_say_what_they_say():
    rt = rules.RADIOTHERAPY_WITHOUT_MSCC.text
    assert "offer 8 Gy single fraction radiotherapy, even if the person is paralysed" in rt
    assert "consider stereotactic ablative body radiotherapy" in rt
    assert "oligometastases (up to 3 discrete metastases anywhere in the body)" in rt
    options = rules.INTERVENTIONS_WITHOUT_MSCC.text
    for option in (
        "vertebroplasty or kyphoplasty",
        "radiofrequency ablation",
        "surgical stabilisation of the spine",
        "spinal surgery to prevent MSCC",
    ):
        assert option in options
    assert options.split(": ")[1].startswith("consider")


def _progress_variants():
    kinds = [E.RT_DECISION, E.RT_DELIVERED, E.SURGERY_DECISION, E.SURGERY_PERFORMED]
    for chosen in product([False, True], repeat=len(kinds)):
        events = [k for k, on in zip(kinds, chosen, strict=True) if on]
        for surgery_first, high_risk in product([False, True], repeat=2):
            yield progress(
                *events,
                surgery_before_radiotherapy_decision=surgery_first,
                high_risk_of_side_effects=high_risk,
            )


def test_wherever_1_10_4_shows_so_does_1_11_5_and_only_for_mscc():
    for data, category, state in product(
        [CORD, NIGHT_PAIN, MECHANICAL], list(Category), _progress_variants()
    ):
        shown = {p.recommendation for p in advice_for(data, category, state)}
        assert ("1.10.4" in shown) == ("1.11.5" in shown), (category, state)
        if "1.10.4" in shown:
            assert category == MSCC
            assert not state.surgery_before_radiotherapy_decision


def test_postoperative_radiotherapy_after_surgery():
    for data, category in ((CORD, MSCC), (NIGHT_PAIN, METS)):
        assert "postoperative_radiotherapy" in codes(data, category, E.SURGERY_PERFORMED)  # 1.10.8
        assert "postoperative_radiotherapy" not in codes(data, category, E.SURGERY_DECISION)
        done = codes(
            data, category, E.SURGERY_PERFORMED, E.RT_DELIVERED, radiotherapy_since_surgery=True
        )
        assert "postoperative_radiotherapy" not in done
    assert "recovered from surgery" in advice.POSTOPERATIVE_RADIOTHERAPY.text


# --- 1.11.2: biopsy whenever the primary is not identified ----------------------------------


UNKNOWN = PrimaryTumour.UNKNOWN_PRIMARY
SUSPECTED = CancerStatus.SUSPECTED
NO_CANCER = CancerStatus.NONE


@pytest.mark.parametrize(
    ("data", "category"),
    [
        (_in(neuro_features={NeuroFeature.GAIT}, primary_tumour=UNKNOWN), MSCC),
        (_in(cancer_status=SUSPECTED, neuro_features={NeuroFeature.GAIT}, primary_tumour=None),
         MSCC),
        (_in(cancer_status=NO_CANCER, imaging_findings=ImagingFindings.CORD_COMPRESSION,
             primary_tumour=None), MSCC),
        (_in(pain_features={PainFeature.NOCTURNAL}, primary_tumour=UNKNOWN), METS),
        (_in(cancer_status=SUSPECTED, imaging_findings=ImagingFindings.SPINAL_METASTASES,
             pain_features={PainFeature.NOCTURNAL}, primary_tumour=None), METS),
        (_in(cancer_status=NO_CANCER, known_spinal_metastases=True, primary_tumour=None),
         Category.NO_ACTION),
    ],
)  # fmt: skip
def test_biopsy_whenever_the_primary_is_not_identified(data, category):
    assert categorise(data) == category
    assert "biopsy_unknown_primary" in codes(data, category)  # 1.11.2
    assert "biopsy_unknown_primary" in codes(data, category, E.MRI_PERFORMED, E.RT_DECISION)


@pytest.mark.parametrize("category", [MSCC, METS])
def test_no_biopsy_prompt_when_the_primary_is_known(category):
    assert "biopsy_unknown_primary" not in codes(CORD, category)


# --- 1.7: pain management and bone-targeted treatment -----------------------------------------


PAIN = {"1.7.1", "1.7.2", "1.7.3", "1.7.4", "1.7.5"}


@pytest.mark.parametrize(
    ("data", "category"),
    [
        (CORD, MSCC),
        (NIGHT_PAIN, METS),
        (MECHANICAL, METS),
        (_in(neuro_features={NeuroFeature.RADICULAR}), MSCC),  # radicular pain is pain
    ],
)
def test_pain_management_for_spinal_metastases_or_mscc_with_pain(data, category):
    assert cited(data, category) >= PAIN
    assert cited(data, category, E.MRI_PERFORMED, E.DEXAMETHASONE_GIVEN) >= PAIN


def test_no_pain_management_prompts_without_pain_or_outside_the_spinal_categories():
    no_pain = _in(neuro_features={NeuroFeature.LIMB_WEAKNESS})
    assert not PAIN & cited(no_pain, MSCC)
    for category in (Category.ONCOLOGY_ASSESSMENT, Category.SAFETY_NET, Category.NO_ACTION):
        assert not PAIN & cited(NIGHT_PAIN, category)


def test_1_7_1_and_1_7_5_say_what_they_say():
    assert "while the person is waiting for investigations or treatment" in rules.PAIN_RELIEF.text
    text = rules.SPECIALIST_PAIN_REFERRAL.text
    assert "difficult to manage" in text and "severe" in text
    assert "consider referral to a specialist pain service" in text
    assert "palliative care service" in text


BONE = {"1.7.12", "1.7.13", "1.7.14", "1.7.15"}


@pytest.mark.parametrize(
    ("primary", "expected"),
    [
        (PrimaryTumour.MYELOMA, {"1.7.12"}),
        (PrimaryTumour.BREAST, {"1.7.12", "1.7.15"}),
        (PrimaryTumour.PROSTATE, {"1.7.13"}),
        (PrimaryTumour.LUNG, {"1.7.14", "1.7.15"}),
        (PrimaryTumour.RENAL, {"1.7.14", "1.7.15"}),
        (PrimaryTumour.OTHER_SOLID, {"1.7.14", "1.7.15"}),
        (PrimaryTumour.LYMPHOMA, {"1.7.14"}),
        (PrimaryTumour.OTHER_HAEMATOLOGICAL, {"1.7.14"}),
        (PrimaryTumour.UNKNOWN_PRIMARY, set()),
        (None, set()),
    ],
)
@pytest.mark.parametrize("category", [MSCC, METS])
def test_bone_targeted_treatment_by_primary(primary, expected, category):
    data = _in(pain_features={PainFeature.PROGRESSIVE}, primary_tumour=primary)
    assert BONE & cited(data, category) == expected
    assert not BONE & cited(data, Category.SAFETY_NET)


def test_bone_targeted_prompts_say_what_they_say():
    assert rules.BISPHOSPHONATES.text == (
        "Spinal involvement from myeloma or breast cancer: offer bisphosphonates to reduce pain "
        "and the risk of vertebral fracture or collapse."
    )
    assert "only if conventional analgesia fails to control pain" in (
        rules.BISPHOSPHONATES_PROSTATE.text
    )
    other = rules.NO_BISPHOSPHONATES.text
    assert "do not use bisphosphonates to treat spinal pain" in other
    assert "preventing MSCC, except as part of a randomised controlled trial" in other
    assert "denosumab" in rules.DENOSUMAB.text and "other than prostate" in rules.DENOSUMAB.text


# --- The wording of every prompt -----------------------------------------------------------


def test_nothing_cited_to_1_5_2_says_no_further_mri_is_needed():
    for prompt in all_prompts():
        if prompt.recommendation == "1.5.2":
            assert "no further mri" not in prompt.text.lower()


def test_bereavement_support_says_what_1_2_11_says():
    text = advice.BEREAVEMENT.text
    assert advice.BEREAVEMENT.recommendation == "1.2.11"
    assert text.startswith("If not already done, discuss the bereavement support available")
    assert "family or carers" in text and "written information" in text
    assert codes(CORD, MSCC, E.DIED, E.DEXAMETHASONE_GIVEN) == ["bereavement_support"]


_DOSE = re.compile(r"\d\s*(?:mg|Gy)\b")


def test_every_prompt_stating_a_dose_is_taken_away_for_someone_under_18():
    child = _in(age_years=15)
    dosed = [p for p in all_prompts() if _DOSE.search(p.text) and p != rules.NO_ADULT_DOSE]
    assert {p.code for p in dosed} >= {
        "dexamethasone_16mg",
        "haematological_dexamethasone",
        "dexamethasone_continue",
        "radiotherapy_8gy_single_fraction",
        "radiotherapy_spinal_metastases_without_mscc",
    }
    shown = for_population(child, dosed)
    assert shown == [rules.UNDER_18, rules.NO_ADULT_DOSE]


def test_under_18_advice_after_events_states_no_adult_dose():
    child = _in(age_years=16, pain_features={PainFeature.NOCTURNAL}, known_spinal_metastases=True)
    for category, state in product([MSCC, METS], _progress_variants()):
        shown = advice_for(child, category, state)
        assert shown[0] == rules.UNDER_18
        assert not any(_DOSE.search(p.text) for p in shown if p != rules.NO_ADULT_DOSE)


def test_every_prompt_cites_a_recommendation_and_is_advice():
    for prompt in all_prompts():
        assert prompt.recommendation and prompt.text.strip()
        assert "must" not in prompt.text.lower().split()


# --- Through referral_progress (the standing events, the latest MDT decision) ---------------


def post(api, user, referral, kind, at, **extra):
    body = {"kind": kind, "occurred_at": at.isoformat(), "details": "Synthetic", **extra}
    response = api(user).post(EVENTS.format(referral.pk), body, format="json")
    assert response.status_code == 201, response.content
    return [p["code"] for p in response.json()["prompts"]]


def mdt(api, user, referral, decision, at):
    body = {
        "decided_at": at.isoformat(),
        "participants": "Clinical oncologist, spinal surgeon",
        "decision": decision,
        "reasons": "Synthetic",
        "care_plan": "Synthetic",
    }
    response = api(user).post(MDT.format(referral.pk), body, format="json")
    assert response.status_code == 201, response.content
    return [p["code"] for p in response.json()["prompts"]]


def test_exclusion_stands_until_a_later_confirmation_or_its_withdrawal(
    coordinator, api, make_referral
):
    now = timezone.now()
    referral = make_referral(now=now - timedelta(hours=6))
    post(api, coordinator, referral, "dexamethasone_given", now - timedelta(hours=5))
    shown = post(api, coordinator, referral, "mscc_ruled_out", now - timedelta(hours=4))
    assert "dexamethasone_stop" not in shown  # MSCC alone
    shown = post(
        api, coordinator, referral, "spinal_metastases_ruled_out", now - timedelta(hours=3)
    )
    assert shown == ["dexamethasone_stop", "who_to_contact"]  # 1.8.2, 1.2.4
    referral.refresh_from_db()
    assert referral_progress(referral).spinal_metastases_excluded

    # A confirmation that happened before the exclusion changes nothing ...
    shown = post(api, coordinator, referral, "mscc_confirmed", now - timedelta(hours=3, minutes=30))
    assert shown == ["dexamethasone_stop", "who_to_contact"]
    # ... a later one supersedes it.
    shown = post(api, coordinator, referral, "mscc_confirmed", now - timedelta(hours=1))
    assert "dexamethasone_stop" not in shown
    assert "dexamethasone_continue" in shown


def test_a_withdrawn_exclusion_no_longer_stops_dexamethasone(coordinator, api, make_referral):
    now = timezone.now()
    referral = make_referral(now=now - timedelta(hours=6))
    post(api, coordinator, referral, "dexamethasone_given", now - timedelta(hours=5))
    post(api, coordinator, referral, "spinal_metastases_ruled_out", now - timedelta(hours=3))
    wrong = ClinicalEvent.objects.get(referral=referral, kind="spinal_metastases_ruled_out")
    shown = post(api, coordinator, referral, "entered_in_error", now, corrects=str(wrong.pk))
    assert "dexamethasone_stop" not in shown
    assert "dexamethasone_continue" in shown


def test_a_supportive_care_decision_turns_dexamethasone_to_gradual_reduction(
    coordinator, senior_clinician, api, make_referral
):
    now = timezone.now()
    referral = make_referral(now=now - timedelta(hours=6))
    post(api, coordinator, referral, "dexamethasone_given", now - timedelta(hours=5))
    shown = mdt(api, senior_clinician, referral, "supportive_care", now - timedelta(hours=1))
    assert "dexamethasone_reduce_without_treatment" in shown  # 1.8.4
    assert "dexamethasone_continue" not in shown
    # A later decision to treat ends "supportive care only".
    shown = mdt(api, senior_clinician, referral, "radiotherapy", now - timedelta(minutes=30))
    assert "dexamethasone_reduce_without_treatment" not in shown
    assert "dexamethasone_continue" in shown


def test_a_decision_to_treat_recorded_after_supportive_care_ends_supportive_care_only(
    coordinator, senior_clinician, api, make_referral
):
    now = timezone.now()
    referral = make_referral(now=now - timedelta(hours=6))
    post(api, coordinator, referral, "dexamethasone_given", now - timedelta(hours=5))
    mdt(api, senior_clinician, referral, "supportive_care", now - timedelta(hours=2))
    # A decision to treat from before the supportive-care decision changes nothing ...
    shown = post(api, coordinator, referral, "rt_decision", now - timedelta(hours=3))
    assert "dexamethasone_reduce_without_treatment" in shown
    # ... one since then does.
    shown = post(api, coordinator, referral, "surgery_decision", now - timedelta(hours=1))
    assert "dexamethasone_reduce_without_treatment" not in shown
    referral.refresh_from_db()
    assert not referral_progress(referral).supportive_care_only


@pytest.mark.parametrize(
    ("decision", "twenty_four_hours"),
    [("radiotherapy", True), ("both", False), ("surgery", False)],
)
def test_mdt_decisions_and_the_24_hour_radiotherapy_advice(
    senior_clinician, api, make_referral, decision, twenty_four_hours
):
    now = timezone.now()
    referral = make_referral(now=now - timedelta(hours=6))
    shown = mdt(api, senior_clinician, referral, decision, now - timedelta(hours=1))
    assert ("radiotherapy_within_24_hours" in shown) == twenty_four_hours  # 1.10.4
    assert ("paralysis_time_limit_not_the_only_factor" in shown) == twenty_four_hours  # 1.11.5
    assert ("radiotherapy_8gy_single_fraction" in shown) == twenty_four_hours  # 1.10.5


def test_a_radiotherapy_decision_after_surgery_is_postoperative(coordinator, api, make_referral):
    now = timezone.now()
    referral = make_referral(now=now - timedelta(hours=30))
    shown = post(api, coordinator, referral, "surgery_performed", now - timedelta(hours=20))
    assert "postoperative_radiotherapy" in shown  # 1.10.8
    shown = post(api, coordinator, referral, "rt_decision", now - timedelta(hours=2))
    assert "radiotherapy_within_24_hours" not in shown
    assert "postoperative_radiotherapy" in shown
    referral.refresh_from_db()
    state = referral_progress(referral)
    assert state.surgery_before_radiotherapy_decision
    assert not state.radiotherapy_since_surgery
    shown = post(api, coordinator, referral, "rt_delivered", now - timedelta(hours=1))
    assert "postoperative_radiotherapy" not in shown
