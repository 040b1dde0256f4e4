"""The SINS and revised Tokuhashi scores in words: kinds, bands, components
and codes, and the choices the score forms offer.
"""

from typing import Any

from pathways import scoring
from pathways.codes import ScoreKind

# The score components, in the published tables' order, with the wording and
# points of Fisher 2010 (SINS) and Tokuhashi 2005: what a clinician reads off
# the imaging and the examination.
SINS_COMPONENT_LABELS: dict[str, str] = {
    "location": "Location",
    "pain": "Pain",
    "bone_lesion": "Bone lesion",
    "alignment": "Radiographic spinal alignment",
    "collapse": "Vertebral body collapse",
    "posterolateral": "Posterolateral involvement of spinal elements",
}
# Each component's codes with their published wording (the labels beside the
# codes in pathways/scoring.py).
SINS_CODE_LABELS: dict[str, dict[str, str]] = {
    name: codes.labels() for name, codes in scoring.SINS_CODES.items()
}
TOKUHASHI_COMPONENT_LABELS: dict[str, str] = {
    "karnofsky": "Karnofsky performance status",
    "extraspinal_bone_metastases": "Extraspinal bone metastatic foci (number)",
    "vertebral_metastases": "Metastases in the vertebral bodies (number)",
    "visceral_metastases": "Metastases to major internal organs",
    "primary_site": "Primary site of the cancer",
    "frankel": "Spinal cord palsy (Frankel grade)",
}
_KARNOFSKY_WORDS = {
    100: "normal, no complaints, no evidence of disease",
    90: "able to carry on normal activity, minor signs or symptoms",
    80: "normal activity with effort, some signs or symptoms",
    70: "cares for self, unable to carry on normal activity or work",
    60: "needs occasional help, cares for most needs",
    50: "needs considerable help and frequent medical care",
    40: "disabled, needs special care and help",
    30: "severely disabled, hospital admission indicated",
    20: "very sick, active supportive treatment needed",
    10: "moribund",
}
TOKUHASHI_CODE_LABELS: dict[str, dict[str, str]] = {
    "karnofsky": {str(value): f"{value}%: {words}" for value, words in _KARNOFSKY_WORDS.items()},
    "visceral_metastases": scoring.TokuhashiVisceral.labels(),
    "primary_site": scoring.TokuhashiPrimarySite.labels(),
    "frankel": scoring.Frankel.labels(),
}


def _with_points(labels: dict[str, str], points: dict[str, int]) -> list[tuple[str, str]]:
    def plural(n: int) -> str:
        return "1 point" if n == 1 else f"{n} points"

    return [(code, f"{text}: {plural(points[code])}") for code, text in labels.items()]


def sins_choices() -> dict[str, list[tuple[str, str]]]:
    """Each SINS component's codes, with the published wording and points."""
    return {
        name: _with_points(SINS_CODE_LABELS[name], dict(scoring.SINS_POINTS[name]))
        for name in scoring.SINS_CODES
    }


def tokuhashi_choices() -> dict[str, list[tuple[str, str]]]:
    """The revised Tokuhashi components that are chosen from a list (the two
    counts are typed), with the published wording and points."""
    karnofsky = {str(v): scoring.karnofsky_points(v) for v in scoring.KARNOFSKY_VALUES}
    tables: dict[str, dict[str, int]] = {
        "karnofsky": karnofsky,
        "visceral_metastases": dict(scoring.TOKUHASHI_VISCERAL_POINTS),
        "primary_site": dict(scoring.TOKUHASHI_PRIMARY_SITE_POINTS),
        "frankel": dict(scoring.TOKUHASHI_FRANKEL_POINTS),
    }
    return {name: _with_points(TOKUHASHI_CODE_LABELS[name], tables[name]) for name in tables}


def score_input_label(kind: str, name: str, value: Any) -> str:
    """A stored score input in words (``Location: Junctional (...)``)."""
    if kind == ScoreKind.SINS:
        component = SINS_COMPONENT_LABELS.get(name, name)
        text = SINS_CODE_LABELS.get(name, {}).get(str(value), str(value))
    else:
        component = TOKUHASHI_COMPONENT_LABELS.get(name, name)
        text = TOKUHASHI_CODE_LABELS.get(name, {}).get(str(value), str(value))
    return f"{component}: {text}"
