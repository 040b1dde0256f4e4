"""Spinal stability and prognosis scores (NG234 1.9): the Spinal Instability
Neoplastic Score (SINS, NG234 1.9.1) and the revised Tokuhashi score
(Tokuhashi 2005, NG234 1.9.2), from their published component tables
(Fisher et al. 2010; Tokuhashi et al. 2005). docs/clinical-rules.md, section 6,
says which NG234 recommendation each follows.

Pure Python: no Django, no database, so the tables can be read and tested on
their own. Every component is required: a missing or invalid component is a
``ScoreInputError`` naming it, never a partial total (a total computed from
five of six components would look like a valid, lower score).

A score supports, and never replaces, a full clinical assessment (NG234
1.9.3): every result carries ``NOTE`` saying so.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from core.labels import LabelledEnum
from pathways.codes import ScoreKind

NOTE: Final = (
    "A scoring system supports, and never replaces, a full clinical assessment "
    "(including general health, pain and information from imaging); use it to "
    "support clinical decisions and discussions with the person, never as the "
    "decision itself (NG234 1.9.3)."
)


class ScoreInputError(ValueError):
    """One or more components are missing, unknown or invalid. ``errors``
    maps each offending component (or field) to what was wrong with it."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors: dict[str, str] = dict(errors)
        super().__init__("; ".join(f"{name}: {problem}" for name, problem in self.errors.items()))


@dataclass(frozen=True)
class ScoreResult:
    """A computed score. ``inputs`` are the components as normalised (in table
    order); ``components`` the points each one scored; ``score`` their sum."""

    kind: ScoreKind
    score: int
    band: str
    components: Mapping[str, int]
    inputs: Mapping[str, str | int]
    predicted_survival: str | None = None
    note: str = NOTE


# --- SINS (Fisher et al. 2010), NG234 1.9.1 ----------------------------------


class SinsLocation(LabelledEnum):
    JUNCTIONAL = (
        "junctional",
        "Junctional (occiput-C2, C7-T2, T11-L1, L5-S1)",
    )  # occiput-C2, C7-T2, T11-L1, L5-S1
    MOBILE = "mobile", "Mobile spine (C3-C6, L2-L4)"  # C3-C6, L2-L4
    SEMI_RIGID = "semi_rigid", "Semi-rigid (T3-T10)"  # T3-T10
    RIGID = "rigid", "Rigid (S2-S5)"  # S2-S5


class SinsPain(LabelledEnum):
    MECHANICAL = (
        "mechanical",
        "Mechanical (relieved lying down, worse on movement or load)",
    )  # relieved by recumbency, worse on movement or loading
    OCCASIONAL = "occasional", "Occasional pain, not mechanical"  # occasional pain, not mechanical
    NONE = "none", "Pain-free lesion"


class SinsBoneLesion(LabelledEnum):
    LYTIC = "lytic", "Lytic"
    MIXED = "mixed", "Mixed (lytic and blastic)"
    BLASTIC = "blastic", "Blastic"


class SinsAlignment(LabelledEnum):
    SUBLUXATION = "subluxation", "Subluxation or translation present"  # subluxation or translation
    DEFORMITY = (
        "deformity",
        "De novo deformity (kyphosis or scoliosis)",
    )  # de novo kyphosis or scoliosis
    NORMAL = "normal", "Normal alignment"


class SinsCollapse(LabelledEnum):
    OVER_50 = "over_50", "Over 50% collapse"  # collapse over 50%
    UNDER_50 = "under_50", "Under 50% collapse"  # collapse under 50%
    NONE_OVER_50_INVOLVED = (
        "none_over_50_involved",
        "No collapse, with over 50% of the vertebral body involved",
    )  # no collapse, over 50% of body involved
    NONE = "none", "None of the above"


class SinsPosterolateral(LabelledEnum):
    BILATERAL = (
        "bilateral",
        "Bilateral (facet, pedicle or costovertebral joint)",
    )  # facet, pedicle or costovertebral joint involvement
    UNILATERAL = "unilateral", "Unilateral"
    NONE = "none", "None of the above"


#: Component → its codes, in the published table's order.
SINS_CODES: Final[Mapping[str, type[LabelledEnum]]] = {
    "location": SinsLocation,
    "pain": SinsPain,
    "bone_lesion": SinsBoneLesion,
    "alignment": SinsAlignment,
    "collapse": SinsCollapse,
    "posterolateral": SinsPosterolateral,
}

#: Component → points per code.
SINS_POINTS: Final[Mapping[str, Mapping[str, int]]] = {
    "location": {
        SinsLocation.JUNCTIONAL: 3,
        SinsLocation.MOBILE: 2,
        SinsLocation.SEMI_RIGID: 1,
        SinsLocation.RIGID: 0,
    },
    "pain": {SinsPain.MECHANICAL: 3, SinsPain.OCCASIONAL: 1, SinsPain.NONE: 0},
    "bone_lesion": {SinsBoneLesion.LYTIC: 2, SinsBoneLesion.MIXED: 1, SinsBoneLesion.BLASTIC: 0},
    "alignment": {
        SinsAlignment.SUBLUXATION: 4,
        SinsAlignment.DEFORMITY: 2,
        SinsAlignment.NORMAL: 0,
    },
    "collapse": {
        SinsCollapse.OVER_50: 3,
        SinsCollapse.UNDER_50: 2,
        SinsCollapse.NONE_OVER_50_INVOLVED: 1,
        SinsCollapse.NONE: 0,
    },
    "posterolateral": {
        SinsPosterolateral.BILATERAL: 3,
        SinsPosterolateral.UNILATERAL: 1,
        SinsPosterolateral.NONE: 0,
    },
}

SINS_MAX: Final = 18


class SinsBand(LabelledEnum):
    STABLE = "stable", "Stable (0 to 6)"  # 0-6
    INDETERMINATE = (
        "indeterminate",
        "Indeterminate: possibly impending instability (7 to 12)",
    )  # 7-12: possibly impending instability
    UNSTABLE = "unstable", "Unstable (13 to 18)"  # 13-18


def sins_band(score: int) -> SinsBand:
    """The SINS category of a total (NG234 1.9.1): 0-6 stable, 7-12
    indeterminate, 13-18 unstable."""
    if not 0 <= score <= SINS_MAX:
        raise ValueError(f"A SINS total is 0 to {SINS_MAX}, not {score}.")
    if score <= 6:
        return SinsBand.STABLE
    if score <= 12:
        return SinsBand.INDETERMINATE
    return SinsBand.UNSTABLE


def sins_score(inputs: Mapping[str, object]) -> ScoreResult:
    """The Spinal Instability Neoplastic Score from its six components
    (``location``, ``pain``, ``bone_lesion``, ``alignment``, ``collapse``,
    ``posterolateral``), each a code of ``SINS_CODES``.

    Support to a full clinical assessment of spinal stability (NG234 1.9.1,
    1.9.3), never a decision on its own. Raises ``ScoreInputError`` naming
    every missing, unknown or invalid component; never returns a partial total.
    """
    errors = _unknown_fields(inputs, SINS_POINTS)
    normalised: dict[str, str | int] = {}
    components: dict[str, int] = {}
    for name, points in SINS_POINTS.items():
        code = _code(inputs, name, points, errors)
        if code is not None:
            normalised[name] = code
            components[name] = points[code]
    if errors:
        raise ScoreInputError(errors)
    total = sum(components.values())
    return ScoreResult(
        kind=ScoreKind.SINS,
        score=total,
        band=sins_band(total),
        components=components,
        inputs=normalised,
    )


# --- Revised Tokuhashi (Tokuhashi et al. 2005), NG234 1.9.2 -------------------


class TokuhashiVisceral(LabelledEnum):
    UNREMOVABLE = "unremovable", "Unremovable"
    REMOVABLE = "removable", "Removable"
    NONE = "none", "No metastases"


class TokuhashiPrimarySite(LabelledEnum):
    LUNG = "lung"
    OSTEOSARCOMA = "osteosarcoma"
    STOMACH = "stomach"
    BLADDER = "bladder"
    OESOPHAGUS = "oesophagus"
    PANCREAS = "pancreas"
    LIVER = "liver"
    GALLBLADDER = "gallbladder"
    UNIDENTIFIED = "unidentified"
    OTHER = "other"
    KIDNEY = "kidney"
    UTERUS = "uterus"
    RECTUM = "rectum"
    THYROID = "thyroid"
    BREAST = "breast"
    PROSTATE = "prostate"
    CARCINOID = "carcinoid"


class Frankel(LabelledEnum):
    A = (
        "A",
        "A: complete (no motor or sensory function)",
    )  # complete: no motor or sensory function below the lesion
    B = "B", "B: sensory only"  # sensory only
    C = "C", "C: motor useless"  # motor useless
    D = "D", "D: motor useful"  # motor useful
    E = "E", "E: normal"  # normal


TOKUHASHI_VISCERAL_POINTS: Final[Mapping[str, int]] = {
    TokuhashiVisceral.UNREMOVABLE: 0,
    TokuhashiVisceral.REMOVABLE: 1,
    TokuhashiVisceral.NONE: 2,
}

TOKUHASHI_PRIMARY_SITE_POINTS: Final[Mapping[str, int]] = {
    TokuhashiPrimarySite.LUNG: 0,
    TokuhashiPrimarySite.OSTEOSARCOMA: 0,
    TokuhashiPrimarySite.STOMACH: 0,
    TokuhashiPrimarySite.BLADDER: 0,
    TokuhashiPrimarySite.OESOPHAGUS: 0,
    TokuhashiPrimarySite.PANCREAS: 0,
    TokuhashiPrimarySite.LIVER: 1,
    TokuhashiPrimarySite.GALLBLADDER: 1,
    TokuhashiPrimarySite.UNIDENTIFIED: 1,
    TokuhashiPrimarySite.OTHER: 2,
    TokuhashiPrimarySite.KIDNEY: 3,
    TokuhashiPrimarySite.UTERUS: 3,
    TokuhashiPrimarySite.RECTUM: 4,
    TokuhashiPrimarySite.THYROID: 5,
    TokuhashiPrimarySite.BREAST: 5,
    TokuhashiPrimarySite.PROSTATE: 5,
    TokuhashiPrimarySite.CARCINOID: 5,
}

TOKUHASHI_FRANKEL_POINTS: Final[Mapping[str, int]] = {
    Frankel.A: 0,
    Frankel.B: 0,
    Frankel.C: 1,
    Frankel.D: 1,
    Frankel.E: 2,
}

#: The components in the published table's order.
TOKUHASHI_COMPONENTS: Final = (
    "karnofsky",
    "extraspinal_bone_metastases",
    "vertebral_metastases",
    "visceral_metastases",
    "primary_site",
    "frankel",
)

TOKUHASHI_MAX: Final = 15
KARNOFSKY_VALUES: Final = tuple(range(10, 101, 10))


class TokuhashiBand(LabelledEnum):
    UNDER_9 = "0-8", "0 to 8 points"
    NINE_TO_11 = "9-11", "9 to 11 points"
    OVER_11 = "12-15", "12 to 15 points"


#: Band → predicted survival, as Tokuhashi 2005 reports it.
TOKUHASHI_SURVIVAL: Final[Mapping[str, str]] = {
    TokuhashiBand.UNDER_9: "under 6 months",
    TokuhashiBand.NINE_TO_11: "6 months or more",
    TokuhashiBand.OVER_11: "a year or more",
}


def tokuhashi_band(score: int) -> TokuhashiBand:
    """The revised Tokuhashi band of a total (NG234 1.9.2): 0-8, 9-11, 12-15."""
    if not 0 <= score <= TOKUHASHI_MAX:
        raise ValueError(f"A revised Tokuhashi total is 0 to {TOKUHASHI_MAX}, not {score}.")
    if score <= 8:
        return TokuhashiBand.UNDER_9
    if score <= 11:
        return TokuhashiBand.NINE_TO_11
    return TokuhashiBand.OVER_11


def karnofsky_points(value: int) -> int:
    """Karnofsky performance status: 10-40 → 0, 50-70 → 1, 80-100 → 2."""
    if value <= 40:
        return 0
    return 1 if value <= 70 else 2


def extraspinal_points(count: int) -> int:
    """Extraspinal bone metastatic foci: 3 or more → 0, 1-2 → 1, none → 2."""
    if count >= 3:
        return 0
    return 1 if count >= 1 else 2


def vertebral_points(count: int) -> int:
    """Metastases in the vertebral body: 3 or more → 0, 2 → 1, 1 → 2."""
    if count >= 3:
        return 0
    return 1 if count == 2 else 2


def tokuhashi_score(inputs: Mapping[str, object]) -> ScoreResult:
    """The revised Tokuhashi score (Tokuhashi 2005) from its six components:
    ``karnofsky`` (10-100 in steps of 10), ``extraspinal_bone_metastases``
    (a count, 0 or more), ``vertebral_metastases`` (a count, 1 or more),
    ``visceral_metastases``, ``primary_site`` and ``frankel`` (codes).

    A prognostic score to consider alongside recognised prognostic factors
    (NG234 1.9.2), only as part of a full clinical assessment (NG234 1.9.3):
    many people live longer or shorter than predicted. Raises
    ``ScoreInputError`` naming every missing, unknown or invalid component;
    never returns a partial total.
    """
    errors = _unknown_fields(inputs, TOKUHASHI_COMPONENTS)
    normalised: dict[str, str | int] = {}
    components: dict[str, int] = {}

    karnofsky = _integer(inputs, "karnofsky", errors)
    if karnofsky is not None:
        if karnofsky in KARNOFSKY_VALUES:
            normalised["karnofsky"] = karnofsky
            components["karnofsky"] = karnofsky_points(karnofsky)
        else:
            errors["karnofsky"] = (
                f"The Karnofsky performance status is 10 to 100 in steps of 10, not {karnofsky}."
            )

    extraspinal = _integer(inputs, "extraspinal_bone_metastases", errors)
    if extraspinal is not None:
        if extraspinal >= 0:
            normalised["extraspinal_bone_metastases"] = extraspinal
            components["extraspinal_bone_metastases"] = extraspinal_points(extraspinal)
        else:
            errors["extraspinal_bone_metastases"] = (
                f"A count of extraspinal bone metastatic foci is 0 or more, not {extraspinal}."
            )

    vertebral = _integer(inputs, "vertebral_metastases", errors)
    if vertebral is not None:
        if vertebral >= 1:
            normalised["vertebral_metastases"] = vertebral
            components["vertebral_metastases"] = vertebral_points(vertebral)
        else:
            errors["vertebral_metastases"] = (
                "A count of vertebral-body metastases is 1 or more (the score is for "
                f"spinal metastases), not {vertebral}."
            )

    for name, points in (
        ("visceral_metastases", TOKUHASHI_VISCERAL_POINTS),
        ("primary_site", TOKUHASHI_PRIMARY_SITE_POINTS),
        ("frankel", TOKUHASHI_FRANKEL_POINTS),
    ):
        code = _code(inputs, name, points, errors)
        if code is not None:
            normalised[name] = code
            components[name] = points[code]

    if errors:
        raise ScoreInputError(errors)
    total = sum(components.values())
    band = tokuhashi_band(total)
    return ScoreResult(
        kind=ScoreKind.TOKUHASHI,
        score=total,
        band=band,
        # Present the components in the published table's order.
        components={name: components[name] for name in TOKUHASHI_COMPONENTS},
        inputs={name: normalised[name] for name in TOKUHASHI_COMPONENTS},
        predicted_survival=TOKUHASHI_SURVIVAL[band],
    )


def calculate(kind: str, inputs: Mapping[str, object]) -> ScoreResult:
    """The score of ``kind`` (``sins`` or ``tokuhashi``) from ``inputs``
    (NG234 1.9): support to a full clinical assessment (1.9.3)."""
    if kind == ScoreKind.SINS:
        return sins_score(inputs)
    if kind == ScoreKind.TOKUHASHI:
        return tokuhashi_score(inputs)
    raise ScoreInputError(
        {"kind": f"Unknown code {kind!r}; expected one of: {', '.join(ScoreKind)}."}
    )


# --- Validation helpers --------------------------------------------------------

_MISSING = "This component is required: a score is never totalled without it."


def _unknown_fields(
    inputs: Mapping[str, object], known: Mapping[str, object] | tuple[str, ...]
) -> dict[str, str]:
    if not isinstance(inputs, Mapping):
        raise ScoreInputError({"inputs": "Give the components as an object of name → value."})
    return {str(name): "Unknown field." for name in sorted(set(inputs) - set(known), key=str)}


def _code(
    inputs: Mapping[str, object], name: str, points: Mapping[str, int], errors: dict[str, str]
) -> str | None:
    value = inputs.get(name)
    if value is None:
        errors[name] = _MISSING
        return None
    if not isinstance(value, str) or value not in points:
        errors[name] = f"Unknown code {value!r}; expected one of: {', '.join(points)}."
        return None
    return str(value)


def _integer(inputs: Mapping[str, object], name: str, errors: dict[str, str]) -> int | None:
    value = inputs.get(name)
    if value is None:
        errors[name] = _MISSING
        return None
    # bool is an int subclass in Python: True must not count as 1.
    if isinstance(value, bool) or not isinstance(value, int):
        errors[name] = f"A whole number is required, not {value!r}."
        return None
    return value
