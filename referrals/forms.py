"""The referral page form: what the page posts, in the shape the API takes.

Nothing here validates. ``ReferralCreateInput`` is the one validation path for
a new referral, so the page and the API accept and refuse exactly the same
things; this module only translates HTML form data into that serializer's
input (names, lists, local times) and its errors back onto the page's inputs.
It also holds the human wording of the codes, for the pages to show.
"""

import uuid
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone

from pathways import scoring
from pathways.codes import ClockKind, ClockStatus, EventKind, MdtDecisionKind, ScoreKind
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
    Role,
    Sex,
)
from referrals.models import Organisation, Service, User

# --- Human wording of the codes ------------------------------------------------

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
SCORE_KIND_LABELS: dict[str, str] = {
    ScoreKind.SINS: "SINS (Spinal Instability Neoplastic Score)",
    ScoreKind.TOKUHASHI: "Revised Tokuhashi score",
}
SINS_BAND_LABELS: dict[str, str] = {
    scoring.SinsBand.STABLE: "Stable (0 to 6)",
    scoring.SinsBand.INDETERMINATE: "Indeterminate: possibly impending instability (7 to 12)",
    scoring.SinsBand.UNSTABLE: "Unstable (13 to 18)",
}
TOKUHASHI_BAND_LABELS: dict[str, str] = {
    band.value: f"{band.value.replace('-', ' to ')} points" for band in scoring.TokuhashiBand
}

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
SINS_CODE_LABELS: dict[str, dict[str, str]] = {
    "location": {
        scoring.SinsLocation.JUNCTIONAL: "Junctional (occiput-C2, C7-T2, T11-L1, L5-S1)",
        scoring.SinsLocation.MOBILE: "Mobile spine (C3-C6, L2-L4)",
        scoring.SinsLocation.SEMI_RIGID: "Semi-rigid (T3-T10)",
        scoring.SinsLocation.RIGID: "Rigid (S2-S5)",
    },
    "pain": {
        scoring.SinsPain.MECHANICAL: "Mechanical (relieved lying down, worse on movement or load)",
        scoring.SinsPain.OCCASIONAL: "Occasional pain, not mechanical",
        scoring.SinsPain.NONE: "Pain-free lesion",
    },
    "bone_lesion": {
        scoring.SinsBoneLesion.LYTIC: "Lytic",
        scoring.SinsBoneLesion.MIXED: "Mixed (lytic and blastic)",
        scoring.SinsBoneLesion.BLASTIC: "Blastic",
    },
    "alignment": {
        scoring.SinsAlignment.SUBLUXATION: "Subluxation or translation present",
        scoring.SinsAlignment.DEFORMITY: "De novo deformity (kyphosis or scoliosis)",
        scoring.SinsAlignment.NORMAL: "Normal alignment",
    },
    "collapse": {
        scoring.SinsCollapse.OVER_50: "Over 50% collapse",
        scoring.SinsCollapse.UNDER_50: "Under 50% collapse",
        scoring.SinsCollapse.NONE_OVER_50_INVOLVED: (
            "No collapse, with over 50% of the vertebral body involved"
        ),
        scoring.SinsCollapse.NONE: "None of the above",
    },
    "posterolateral": {
        scoring.SinsPosterolateral.BILATERAL: "Bilateral (facet, pedicle or costovertebral joint)",
        scoring.SinsPosterolateral.UNILATERAL: "Unilateral",
        scoring.SinsPosterolateral.NONE: "None of the above",
    },
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
    "visceral_metastases": {
        scoring.TokuhashiVisceral.UNREMOVABLE: "Unremovable",
        scoring.TokuhashiVisceral.REMOVABLE: "Removable",
        scoring.TokuhashiVisceral.NONE: "No metastases",
    },
    "primary_site": {
        code.value: code.value.replace("_", " ").capitalize()
        for code in scoring.TokuhashiPrimarySite
    }
    | {scoring.TokuhashiPrimarySite.UNIDENTIFIED: "Unidentified"},
    "frankel": {
        scoring.Frankel.A: "A: complete (no motor or sensory function)",
        scoring.Frankel.B: "B: sensory only",
        scoring.Frankel.C: "C: motor useless",
        scoring.Frankel.D: "D: motor useful",
        scoring.Frankel.E: "E: normal",
    },
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

# --- The form's inputs -----------------------------------------------------------

# Page input name -> the serializer's patient field.
PATIENT_FIELDS = {
    "patient_nhs_number": "nhs_number",
    "patient_given_name": "given_name",
    "patient_family_name": "family_name",
    "patient_date_of_birth": "date_of_birth",
    "patient_sex": "sex",
    "patient_postcode": "postcode",
}
# Single-valued inputs passed to the serializer under the same name.
SCALAR_FIELDS = (
    "referring_organisation",
    "service",
    "cancer_status",
    "primary_tumour",
    "haematological",
    "neuro_progressing",
    "imaging_findings",
    "movement_pain",
    "performance_status",
    "frailty_score",
    "ambulatory",
    "presentation",
    "neurological_assessment",
    "imaging_report",
    "oncology_history",
    "individual_needs",
    "referrer_contact",
)
LIST_FIELDS = ("pain_features", "neuro_features")
# Checkboxes: absent from the post means "no".
CHECKBOX_FIELDS = ("known_spinal_metastases", "back_pain", "instability_signs")
# datetime-local inputs: UK wall-clock time, no offset.
LOCAL_TIME_FIELDS = ("neuro_onset_at", "suspected_at")

# For the error summary: what each input is called on the page.
FIELD_LABELS: dict[str, str] = {
    "patient_nhs_number": "NHS number",
    "patient_given_name": "Given name",
    "patient_family_name": "Family name",
    "patient_date_of_birth": "Date of birth",
    "patient_sex": "Sex",
    "patient_postcode": "Postcode",
    "referring_organisation": "Referring organisation",
    "service": "MSCC service",
    "cancer_status": "Cancer",
    "primary_tumour": "Primary tumour",
    "haematological": "Haematological malignancy",
    "pain_features": "Pain characteristics",
    "neuro_features": "Symptoms and signs of cord compression",
    "neuro_onset_at": "Onset of neurological symptoms",
    "neuro_progressing": "Neurological symptoms progressing",
    "suspected_at": "When MSCC or spinal metastases were first suspected",
    "imaging_findings": "Imaging so far",
    "known_spinal_metastases": "Known spinal metastases",
    "back_pain": "Back pain",
    "instability_signs": "Signs of spinal instability",
    "movement_pain": "Pain on movement",
    "performance_status": "WHO performance status",
    "frailty_score": "Clinical Frailty Scale",
    "ambulatory": "Able to walk",
    "presentation": "Presentation",
    "neurological_assessment": "Neurological assessment",
    "imaging_report": "Imaging report",
    "oncology_history": "Oncology history",
    "individual_needs": "Individual needs",
    "referrer_contact": "Your name and direct phone number",
    "__all__": "Referral",
}
NON_FIELD = "__all__"
# Hidden input: a random key per rendering of the referral form (double-submit guard).
SUBMISSION_KEY = "submission_key"


def is_submission_key(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def local_time_to_iso(value: str) -> str:
    """A datetime-local value (UK wall-clock time) as ISO 8601 with its offset.

    An ambiguous time (the hour repeated when the clocks go back) is read as
    the first of the two, BST: the earlier instant, so a clock started from it
    is never given extra time. Anything that is not a datetime-local value is
    passed on unchanged for the serializer to refuse.
    """
    try:
        naive = datetime.fromisoformat(value)
    except ValueError:
        return value
    if naive.tzinfo is not None:
        return value
    aware = naive.replace(tzinfo=timezone.get_default_timezone(), fold=0)
    return aware.isoformat()


def referral_data(post: QueryDict) -> dict[str, Any]:
    """The ReferralCreateInput body for what the page posted.

    An empty input is left out, so the serializer applies its default or says
    the field is required, exactly as for an API client that omits it.
    """
    patient = {
        field: post[name].strip() for name, field in PATIENT_FIELDS.items() if post.get(name, "")
    }
    data: dict[str, Any] = {"patient": patient}
    for name in SCALAR_FIELDS:
        value = post.get(name, "")
        if value != "":
            data[name] = value
    for name in LIST_FIELDS:
        data[name] = post.getlist(name)
    for name in CHECKBOX_FIELDS:
        data[name] = name in post
    for name in LOCAL_TIME_FIELDS:
        value = post.get(name, "").strip()
        if value:
            data[name] = local_time_to_iso(value)
    return data


def posted_values(post: QueryDict) -> dict[str, Any]:
    """What the user typed, to show again beside the errors."""
    values: dict[str, Any] = {
        name: post.get(name, "") for name in (*PATIENT_FIELDS, *SCALAR_FIELDS, *LOCAL_TIME_FIELDS)
    }
    for name in LIST_FIELDS:
        values[name] = post.getlist(name)
    for name in CHECKBOX_FIELDS:
        values[name] = name in post
    # Keep the key: a refused submission stored nothing, so it may be resent.
    values[SUBMISSION_KEY] = post.get(SUBMISSION_KEY, "")
    return values


def _messages(value: Any) -> list[str]:
    """Every message in a serializer error value (a list, or a dict of list items)."""
    if isinstance(value, dict):
        return [m for v in value.values() for m in _messages(v)]
    if isinstance(value, list | tuple):
        return [m for v in value for m in _messages(v)]
    return [str(value)]


def page_errors(errors: dict[str, Any]) -> dict[str, list[str]]:
    """Serializer errors keyed by the page's input names."""
    page: dict[str, list[str]] = {}
    patient_names = {field: name for name, field in PATIENT_FIELDS.items()}
    for key, value in errors.items():
        if key == "patient" and isinstance(value, dict):
            for field, messages in value.items():
                name = patient_names.get(field, NON_FIELD)
                page.setdefault(name, []).extend(_messages(messages))
        elif key in ("non_field_errors", "detail"):
            page.setdefault(NON_FIELD, []).extend(_messages(value))
        else:
            page.setdefault(key, []).extend(_messages(value))
    return page


def error_summary(errors: dict[str, list[str]]) -> list[dict[str, str]]:
    """One line per message, naming the input it belongs to, in form order."""
    order = list(FIELD_LABELS)
    keys = sorted(errors, key=lambda k: order.index(k) if k in order else len(order))
    return [
        {"name": key, "label": FIELD_LABELS.get(key, key.replace("_", " ")), "message": m}
        for key in keys
        for m in errors[key]
    ]


# --- Choices that depend on who is referring -----------------------------------------


def organisations_for(user: User) -> QuerySet[Organisation]:
    """Whom the user may refer on behalf of: a referrer their own organisation;
    a coordinator logging a phoned-in referral any organisation of their
    service's alliance."""
    if user.role == Role.REFERRER:
        return Organisation.objects.filter(pk=user.organisation_id)
    if user.service_id:
        return Organisation.objects.filter(alliance_id=user.service.alliance_id).order_by("name")
    return Organisation.objects.none()


def services_for(user: User) -> QuerySet[Service]:
    """The MSCC services the user may refer to: a referrer's alliance's; a
    coordinator's own (the service layer refuses any other)."""
    if user.role == Role.REFERRER and user.organisation_id:
        return Service.objects.filter(alliance_id=user.organisation.alliance_id).order_by("name")
    if user.service_id:
        return Service.objects.filter(pk=user.service_id)
    return Service.objects.none()


def initial_values(
    user: User, organisations: QuerySet[Organisation], services: QuerySet[Service]
) -> dict[str, Any]:
    """A blank form, with what is already known filled in."""
    values: dict[str, Any] = dict.fromkeys(
        (*PATIENT_FIELDS, *SCALAR_FIELDS, *LOCAL_TIME_FIELDS), ""
    )
    values.update({name: [] for name in LIST_FIELDS})
    values.update(dict.fromkeys(CHECKBOX_FIELDS, False))
    values[SUBMISSION_KEY] = str(uuid.uuid4())
    values["haematological"] = Haematological.NO.value
    values["imaging_findings"] = ImagingFindings.NONE.value
    values["movement_pain"] = MovementPain.NONE.value
    only_organisation = list(organisations[:2])
    if len(only_organisation) == 1:
        values["referring_organisation"] = only_organisation[0].code
    only_service = list(services[:2])
    if len(only_service) == 1:
        values["service"] = only_service[0].code
    if user.role == Role.REFERRER:
        values["referrer_contact"] = " ".join(
            part for part in (user.get_full_name(), user.phone) if part
        )
    return values


# --- The referral page's working forms -------------------------------------------------
#
# Each form posts the names its API serializer takes (EventInput, StatusInput,
# MdtInput, NotAppropriateInput, ScoreRecordInput), so the page and the API
# accept and refuse the same things. As for the referral form, an empty input
# is left out: the serializer then applies its default or says it is required.

EVENT_FIELDS = ("kind", "occurred_at", "details")
WITHDRAW_FIELDS = ("reason",)
STATUS_FIELDS = ("status", "reason", "redirected_to", "occurred_at")
MDT_FIELDS = (
    "decided_at",
    "participants",
    "decision",
    "reasons",
    "care_plan",
    "high_risk_of_side_effects",
)
NOT_APPROPRIATE_FIELDS = ("reason",)
SCORE_FIELDS: dict[str, tuple[str, ...]] = {
    ScoreKind.SINS: tuple(scoring.SINS_CODES),
    ScoreKind.TOKUHASHI: scoring.TOKUHASHI_COMPONENTS,
}
# Inputs of the working forms that are datetime-local (UK wall-clock time).
_LOCAL_TIMES = frozenset({"occurred_at", "decided_at"})
_CHECKBOXES = frozenset({"high_risk_of_side_effects"})


def form_values(post: QueryDict, names: tuple[str, ...]) -> dict[str, Any]:
    """What the user entered, to show again beside the errors."""
    return {name: (name in post) if name in _CHECKBOXES else post.get(name, "") for name in names}


def form_data(post: QueryDict, names: tuple[str, ...]) -> dict[str, Any]:
    """A working form's post as its serializer's input."""
    data: dict[str, Any] = {}
    for name in names:
        if name in _CHECKBOXES:
            data[name] = name in post
            continue
        value = post.get(name, "").strip()
        if value == "":
            continue
        data[name] = local_time_to_iso(value) if name in _LOCAL_TIMES else value
    return data


def score_data(kind: str, post: QueryDict) -> dict[str, Any]:
    """A score form's post as ScoreRecordInput's body: the kind, and its components."""
    return {"kind": kind, "inputs": form_data(post, SCORE_FIELDS[kind])}


def blank_values(names: tuple[str, ...]) -> dict[str, Any]:
    return {name: (False if name in _CHECKBOXES else "") for name in names}


def form_errors(
    errors: dict[str, Any], names: tuple[str, ...], renamed: dict[str, str] | None = None
) -> dict[str, list[str]]:
    """Errors (a serializer's, a service's) keyed by the form's inputs; an error
    about anything the form has no input for is the form's general error.
    ``renamed`` maps a serializer or service field to the page input it is about."""
    renamed = renamed or {}
    page: dict[str, list[str]] = {}
    for key, value in errors.items():
        if key == "inputs" and isinstance(value, dict):
            # A score's components: each is an input of the score form.
            for name, messages in form_errors(value, names, renamed).items():
                page.setdefault(name, []).extend(messages)
            continue
        name = renamed.get(key, key)
        page.setdefault(name if name in names else NON_FIELD, []).extend(_messages(value))
    return page


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
