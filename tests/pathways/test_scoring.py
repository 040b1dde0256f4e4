"""SINS and the revised Tokuhashi score (NG234 1.9), pure functions.

The expected points below are typed out again from the published tables
(SINS, Fisher et al. 2010; revised Tokuhashi 2005) rather than read from the
module, so a slip in the module's tables fails here."""

import subprocess
import sys
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pathways import scoring
from pathways.scoring import ScoreInputError, calculate, sins_score, tokuhashi_score

# --- SINS -----------------------------------------------------------------------

SINS_TABLE: dict[str, dict[str, int]] = {
    "location": {"junctional": 3, "mobile": 2, "semi_rigid": 1, "rigid": 0},
    "pain": {"mechanical": 3, "occasional": 1, "none": 0},
    "bone_lesion": {"lytic": 2, "mixed": 1, "blastic": 0},
    "alignment": {"subluxation": 4, "deformity": 2, "normal": 0},
    "collapse": {"over_50": 3, "under_50": 2, "none_over_50_involved": 1, "none": 0},
    "posterolateral": {"bilateral": 3, "unilateral": 1, "none": 0},
}
SINS_MIN = {
    "location": "rigid",
    "pain": "none",
    "bone_lesion": "blastic",
    "alignment": "normal",
    "collapse": "none",
    "posterolateral": "none",
}
SINS_MAX = {
    "location": "junctional",
    "pain": "mechanical",
    "bone_lesion": "lytic",
    "alignment": "subluxation",
    "collapse": "over_50",
    "posterolateral": "bilateral",
}


def sins(**changes: Any) -> dict[str, Any]:
    return SINS_MIN | changes


@pytest.mark.parametrize(
    ("component", "code", "points"),
    [(c, code, p) for c, codes in SINS_TABLE.items() for code, p in codes.items()],
)
def test_sins_every_code_of_every_component(component, code, points):
    result = sins_score(sins(**{component: code}))
    assert result.components[component] == points
    assert result.score == points
    assert result.inputs[component] == code


@pytest.mark.parametrize(
    ("inputs", "score", "band"),
    [
        (SINS_MIN, 0, "stable"),
        (sins(location="junctional", pain="mechanical"), 6, "stable"),
        (sins(location="junctional", pain="mechanical", bone_lesion="mixed"), 7, "indeterminate"),
        (
            sins(
                location="junctional",
                pain="mechanical",
                bone_lesion="lytic",
                alignment="subluxation",
            ),
            12,
            "indeterminate",
        ),
        (
            sins(
                location="junctional",
                pain="mechanical",
                bone_lesion="lytic",
                alignment="subluxation",
                collapse="none_over_50_involved",
            ),
            13,
            "unstable",
        ),
        (SINS_MAX, 18, "unstable"),
    ],
)
def test_sins_band_boundaries(inputs, score, band):
    result = sins_score(inputs)
    assert (result.score, result.band) == (score, band)
    assert result.predicted_survival is None


@pytest.mark.parametrize("score", range(19))
def test_sins_band_of_every_total(score):
    expected = "stable" if score <= 6 else "indeterminate" if score <= 12 else "unstable"
    assert scoring.sins_band(score) == expected


@pytest.mark.parametrize("score", [-1, 19])
def test_sins_band_refuses_impossible_totals(score):
    with pytest.raises(ValueError, match="0 to 18"):
        scoring.sins_band(score)


@pytest.mark.parametrize("component", list(SINS_TABLE))
def test_sins_missing_component_is_an_error_naming_it(component):
    inputs = dict(SINS_MAX)
    del inputs[component]
    with pytest.raises(ScoreInputError) as caught:
        sins_score(inputs)
    assert list(caught.value.errors) == [component]
    assert "required" in caught.value.errors[component]
    assert component in str(caught.value)


@pytest.mark.parametrize("component", list(SINS_TABLE))
def test_sins_null_component_is_missing(component):
    with pytest.raises(ScoreInputError) as caught:
        sins_score(sins(**{component: None}))
    assert list(caught.value.errors) == [component]


@pytest.mark.parametrize("component", list(SINS_TABLE))
@pytest.mark.parametrize("bad", ["", "JUNCTIONAL", "unknown", 3, True, ["mixed"]])
def test_sins_unknown_code_names_the_component_and_lists_the_codes(component, bad):
    with pytest.raises(ScoreInputError) as caught:
        sins_score(sins(**{component: bad}))
    assert list(caught.value.errors) == [component]
    message = caught.value.errors[component]
    assert "expected one of" in message
    for code in SINS_TABLE[component]:
        assert code in message


def test_sins_every_problem_is_named_at_once():
    with pytest.raises(ScoreInputError) as caught:
        sins_score({"location": "mobile", "pain": "severe", "extra": 1})
    assert set(caught.value.errors) == {
        "extra",
        "pain",
        "bone_lesion",
        "alignment",
        "collapse",
        "posterolateral",
    }
    assert caught.value.errors["extra"] == "Unknown field."


def test_sins_result_carries_components_and_the_note():
    result = sins_score(SINS_MAX)
    assert dict(result.components) == {c: max(t.values()) for c, t in SINS_TABLE.items()}
    assert "1.9.3" in result.note
    assert "never replaces" in result.note


# --- Revised Tokuhashi --------------------------------------------------------------

PRIMARY_SITE = {
    **dict.fromkeys(["lung", "osteosarcoma", "stomach", "bladder", "oesophagus", "pancreas"], 0),
    **dict.fromkeys(["liver", "gallbladder", "unidentified"], 1),
    "other": 2,
    **dict.fromkeys(["kidney", "uterus"], 3),
    "rectum": 4,
    **dict.fromkeys(["thyroid", "breast", "prostate", "carcinoid"], 5),
}
VISCERAL = {"unremovable": 0, "removable": 1, "none": 2}
FRANKEL = {"A": 0, "B": 0, "C": 1, "D": 1, "E": 2}
KARNOFSKY = {10: 0, 20: 0, 30: 0, 40: 0, 50: 1, 60: 1, 70: 1, 80: 2, 90: 2, 100: 2}
EXTRASPINAL = {0: 2, 1: 1, 2: 1, 3: 0, 4: 0, 25: 0}
VERTEBRAL = {1: 2, 2: 1, 3: 0, 4: 0, 24: 0}

TOKUHASHI_MIN = {
    "karnofsky": 10,
    "extraspinal_bone_metastases": 3,
    "vertebral_metastases": 3,
    "visceral_metastases": "unremovable",
    "primary_site": "lung",
    "frankel": "A",
}
TOKUHASHI_MAX = {
    "karnofsky": 100,
    "extraspinal_bone_metastases": 0,
    "vertebral_metastases": 1,
    "visceral_metastases": "none",
    "primary_site": "breast",
    "frankel": "E",
}
TOKUHASHI_COMPONENTS = list(TOKUHASHI_MIN)


def tokuhashi(**changes: Any) -> dict[str, Any]:
    return TOKUHASHI_MIN | changes


@pytest.mark.parametrize(
    ("component", "value", "points"),
    [("karnofsky", v, p) for v, p in KARNOFSKY.items()]
    + [("extraspinal_bone_metastases", v, p) for v, p in EXTRASPINAL.items()]
    + [("vertebral_metastases", v, p) for v, p in VERTEBRAL.items()]
    + [("visceral_metastases", v, p) for v, p in VISCERAL.items()]
    + [("primary_site", v, p) for v, p in PRIMARY_SITE.items()]
    + [("frankel", v, p) for v, p in FRANKEL.items()],
)
def test_tokuhashi_every_value_of_every_component(component, value, points):
    result = tokuhashi_score(tokuhashi(**{component: value}))
    assert result.components[component] == points
    assert result.score == points
    assert result.inputs[component] == value


def test_tokuhashi_primary_site_codes_are_exactly_the_published_list():
    assert set(scoring.TokuhashiPrimarySite) == set(PRIMARY_SITE)


@pytest.mark.parametrize(
    ("inputs", "score", "band", "survival"),
    [
        (TOKUHASHI_MIN, 0, "0-8", "under 6 months"),
        (tokuhashi(primary_site="breast", karnofsky=80, frankel="C"), 8, "0-8", "under 6 months"),
        (
            tokuhashi(
                primary_site="breast", karnofsky=80, frankel="C", visceral_metastases="removable"
            ),
            9,
            "9-11",
            "6 months or more",
        ),
        (
            tokuhashi(primary_site="breast", karnofsky=80, frankel="E", visceral_metastases="none"),
            11,
            "9-11",
            "6 months or more",
        ),
        (
            tokuhashi(
                primary_site="breast",
                karnofsky=80,
                frankel="E",
                visceral_metastases="none",
                extraspinal_bone_metastases=2,
            ),
            12,
            "12-15",
            "a year or more",
        ),
        (TOKUHASHI_MAX, 15, "12-15", "a year or more"),
    ],
)
def test_tokuhashi_band_boundaries(inputs, score, band, survival):
    result = tokuhashi_score(inputs)
    assert (result.score, result.band, result.predicted_survival) == (score, band, survival)


@pytest.mark.parametrize("score", range(16))
def test_tokuhashi_band_of_every_total(score):
    expected = "0-8" if score <= 8 else "9-11" if score <= 11 else "12-15"
    assert scoring.tokuhashi_band(score) == expected


@pytest.mark.parametrize("score", [-1, 16])
def test_tokuhashi_band_refuses_impossible_totals(score):
    with pytest.raises(ValueError, match="0 to 15"):
        scoring.tokuhashi_band(score)


@pytest.mark.parametrize("component", TOKUHASHI_COMPONENTS)
def test_tokuhashi_missing_component_is_an_error_naming_it(component):
    inputs = dict(TOKUHASHI_MAX)
    del inputs[component]
    with pytest.raises(ScoreInputError) as caught:
        tokuhashi_score(inputs)
    assert list(caught.value.errors) == [component]
    assert "required" in caught.value.errors[component]


@pytest.mark.parametrize(
    ("component", "bad"),
    [
        ("karnofsky", 45),
        ("karnofsky", 0),
        ("karnofsky", 110),
        ("karnofsky", 5),
        ("karnofsky", -10),
        ("karnofsky", 50.0),
        ("karnofsky", "50"),
        ("karnofsky", True),
        ("extraspinal_bone_metastases", -1),
        ("extraspinal_bone_metastases", 1.5),
        ("extraspinal_bone_metastases", "two"),
        ("vertebral_metastases", 0),
        ("vertebral_metastases", -2),
        ("vertebral_metastases", False),
        ("visceral_metastases", "resectable"),
        ("primary_site", "lung_cancer"),
        ("primary_site", "Breast"),
        ("frankel", "F"),
        ("frankel", "e"),
        ("frankel", 1),
    ],
)
def test_tokuhashi_invalid_values_are_errors_naming_the_component(component, bad):
    with pytest.raises(ScoreInputError) as caught:
        tokuhashi_score(tokuhashi(**{component: bad}))
    assert list(caught.value.errors) == [component]


def test_tokuhashi_unknown_code_lists_the_allowed_codes():
    with pytest.raises(ScoreInputError) as caught:
        tokuhashi_score(tokuhashi(primary_site="colon"))
    message = caught.value.errors["primary_site"]
    for code in PRIMARY_SITE:
        assert code in message


def test_tokuhashi_unknown_field_is_refused():
    with pytest.raises(ScoreInputError) as caught:
        tokuhashi_score(TOKUHASHI_MAX | {"ecog": 1})
    assert caught.value.errors == {"ecog": "Unknown field."}


def test_tokuhashi_result_carries_components_in_table_order_and_the_note():
    result = tokuhashi_score(dict(reversed(list(TOKUHASHI_MAX.items()))))
    assert list(result.components) == TOKUHASHI_COMPONENTS
    assert list(result.inputs) == TOKUHASHI_COMPONENTS
    assert "1.9.3" in result.note


# --- Both ------------------------------------------------------------------------


def test_calculate_dispatches_on_kind():
    assert calculate("sins", SINS_MAX).score == 18
    assert calculate("tokuhashi", TOKUHASHI_MAX).score == 15


def test_calculate_refuses_an_unknown_kind():
    with pytest.raises(ScoreInputError) as caught:
        calculate("bilsky", SINS_MAX)
    assert "sins, tokuhashi" in caught.value.errors["kind"]


@pytest.mark.parametrize("inputs", [None, [], "location=junctional"])
def test_inputs_must_be_a_mapping(inputs):
    with pytest.raises(ScoreInputError) as caught:
        sins_score(inputs)
    assert list(caught.value.errors) == ["inputs"]


def test_the_module_imports_no_django():
    code = (
        "import sys, pathways.scoring; "
        "sys.exit(any(m == 'django' or m.startswith('django.') for m in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


sins_inputs = st.fixed_dictionaries(
    {name: st.sampled_from(list(codes)) for name, codes in SINS_TABLE.items()}
)
tokuhashi_inputs = st.fixed_dictionaries(
    {
        "karnofsky": st.sampled_from(list(KARNOFSKY)),
        "extraspinal_bone_metastases": st.integers(min_value=0, max_value=200),
        "vertebral_metastases": st.integers(min_value=1, max_value=33),
        "visceral_metastases": st.sampled_from(list(VISCERAL)),
        "primary_site": st.sampled_from(list(PRIMARY_SITE)),
        "frankel": st.sampled_from(list(FRANKEL)),
    }
)


@pytest.mark.slow
@given(sins_inputs)
def test_sins_total_is_the_sum_of_its_components_and_the_band_matches(inputs):
    result = sins_score(inputs)
    assert result.score == sum(result.components.values())
    assert result.components == {c: SINS_TABLE[c][code] for c, code in inputs.items()}
    assert 0 <= result.score <= 18
    assert result.band == scoring.sins_band(result.score)


@pytest.mark.slow
@given(tokuhashi_inputs)
def test_tokuhashi_total_is_the_sum_of_its_components_and_the_band_matches(inputs):
    result = tokuhashi_score(inputs)
    assert result.score == sum(result.components.values())
    assert 0 <= result.score <= 15
    assert result.band == scoring.tokuhashi_band(result.score)
    assert (
        result.predicted_survival
        == {
            "0-8": "under 6 months",
            "9-11": "6 months or more",
            "12-15": "a year or more",
        }[result.band]
    )
