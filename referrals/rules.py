"""NG234 triage as one pure function (the table is in docs/clinical-rules.md).

``triage()`` takes what the referrer told us and returns the category and the
decision-support prompts, each with its NG234 recommendation number. Prompts are
advice to the clinician, never orders: the wording says "offer", "consider",
"seek", as the guideline does. No Django here, so the rules can be read and
tested on their own.
"""

from dataclasses import dataclass, field

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


@dataclass(frozen=True)
class TriageInput:
    cancer_status: CancerStatus
    pain_features: frozenset[PainFeature] = frozenset()
    neuro_features: frozenset[NeuroFeature] = frozenset()
    imaging_findings: ImagingFindings = ImagingFindings.NONE
    known_spinal_metastases: bool = False
    back_pain: bool = False
    instability_signs: bool = False
    movement_pain: MovementPain = MovementPain.NONE
    primary_tumour: PrimaryTumour | None = None
    haematological: Haematological = Haematological.NO


@dataclass(frozen=True)
class Prompt:
    code: str
    recommendation: str
    text: str


@dataclass(frozen=True)
class TriageResult:
    category: Category
    prompts: tuple[Prompt, ...] = field(default_factory=tuple)


_MOVEMENT_PAIN_MODERATE_OR_WORSE = frozenset({MovementPain.MODERATE, MovementPain.SEVERE})


def categorise(data: TriageInput) -> Category:
    """The category the inputs fall in (docs/clinical-rules.md, section 1)."""
    neuro = bool(data.neuro_features)
    pain = bool(data.pain_features)
    cancer = data.cancer_status == CancerStatus.CURRENT_OR_PAST
    # Imaging that already shows spinal metastases is a diagnosis of metastatic
    # cancer, whatever the form says of cancer status: a quarter of MSCC is the
    # first presentation of cancer. With neurological features that is the
    # emergency row (NG234 1.3.2), not "no action".
    metastatic = cancer or data.imaging_findings == ImagingFindings.SPINAL_METASTASES

    if data.imaging_findings == ImagingFindings.CORD_COMPRESSION or (metastatic and neuro):
        return Category.SUSPECTED_MSCC
    if data.imaging_findings == ImagingFindings.SPINAL_METASTASES or (cancer and pain):
        return Category.SUSPECTED_SPINAL_METASTASES
    if data.cancer_status != CancerStatus.CURRENT_OR_PAST and (pain or neuro):
        return Category.ONCOLOGY_ASSESSMENT
    if cancer and data.back_pain:
        return Category.SAFETY_NET
    return Category.NO_ACTION


def triage(data: TriageInput) -> TriageResult:
    category = categorise(data)
    return TriageResult(category=category, prompts=tuple(prompts_for(data, category)))


def prompts_for(data: TriageInput, category: Category) -> list[Prompt]:
    """The initial advice for a category (NG234 1.1.16), most pressing first.

    Takes the category separately because a coordinator may override it: the
    advice then follows the coordinator's category.
    """
    if category == Category.SUSPECTED_MSCC:
        return _mscc_prompts(data)
    if category == Category.SUSPECTED_SPINAL_METASTASES:
        return _spinal_metastases_prompts(data)
    if category == Category.ONCOLOGY_ASSESSMENT:
        return _oncology_prompts(data)
    if category == Category.SAFETY_NET:
        return [SAFETY_NET, KNOW_WHO_TO_CONTACT]
    return _no_action_prompts(data)


def _mscc_prompts(data: TriageInput) -> list[Prompt]:
    prompts = [EMERGENCY]
    if data.imaging_findings == ImagingFindings.CORD_COMPRESSION:
        prompts.append(IMAGING_SHOWS_COMPRESSION)
    else:
        prompts.append(MRI_24H)
    if data.instability_signs:
        prompts += [IMMOBILISE_NOW, STABILITY_ADVICE_24H]
    elif data.movement_pain in _MOVEMENT_PAIN_MODERATE_OR_WORSE:
        prompts += [CONSIDER_IMMOBILISATION, STABILITY_ADVICE_24H]
    # 1.8.1 covers everyone with neurological symptoms or signs of MSCC,
    # haematological or not. Cord compression seen on imaging without any
    # neurological feature falls under 1.8.3-1.8.7 instead, as the guideline
    # words them.
    if data.neuro_features:
        prompts += [DEXAMETHASONE_16MG, STEROID_MONITORING]
    else:
        prompts += _steroid_prompts_without_neuro(data)
    if data.imaging_findings != ImagingFindings.CORD_COMPRESSION:
        prompts += [MRI_SEQUENCES, CT_IF_MRI_CONTRAINDICATED, NO_PLAIN_XRAY]
    prompts += _tumour_prompts(data)
    return prompts


def _spinal_metastases_prompts(data: TriageInput) -> list[Prompt]:
    prompts = [ADVICE_24H]
    if data.imaging_findings != ImagingFindings.SPINAL_METASTASES:
        prompts += [MRI_1_WEEK, MRI_SEQUENCES, NO_PLAIN_XRAY]
    if data.movement_pain in _MOVEMENT_PAIN_MODERATE_OR_WORSE:
        prompts.append(CONSIDER_IMMOBILISATION)
    prompts += _steroid_prompts_without_neuro(data)
    prompts += _tumour_prompts(data)
    prompts.append(KNOW_WHO_TO_CONTACT)
    return prompts


def _steroid_prompts_without_neuro(data: TriageInput) -> list[Prompt]:
    """Corticosteroid advice when there are no neurological symptoms or signs."""
    if data.haematological == Haematological.CONFIRMED:
        return [HAEMATOLOGICAL_DEXAMETHASONE, STEROID_MONITORING]  # 1.8.5
    if data.haematological == Haematological.SUSPECTED:
        # Radiologically suspected lymphoma or myeloma: steroids can spoil the
        # diagnostic biopsy, so haematology advice comes first.
        return [HAEMATOLOGY_ADVICE_FIRST]  # 1.8.6
    severe_pain = (
        PainFeature.SEVERE_UNREMITTING in data.pain_features
        or data.movement_pain == MovementPain.SEVERE
    )
    if severe_pain:
        return [CONSIDER_STEROIDS_SEVERE_PAIN, STEROID_MONITORING]  # 1.8.3
    return [NO_ROUTINE_STEROIDS]  # 1.8.7


def _oncology_prompts(data: TriageInput) -> list[Prompt]:
    prompts = [URGENT_ONCOLOGY]
    if data.neuro_features:
        prompts.insert(0, NEURO_WITHOUT_CANCER)
    return prompts


def _no_action_prompts(data: TriageInput) -> list[Prompt]:
    if data.known_spinal_metastases:
        return [NO_SCREENING_MRI, KNOW_WHO_TO_CONTACT]
    return [THINK_ABOUT_MSCC]


def _tumour_prompts(data: TriageInput) -> list[Prompt]:
    prompts = []
    if data.primary_tumour in (PrimaryTumour.MYELOMA, PrimaryTumour.BREAST):
        prompts.append(BISPHOSPHONATES)
    if data.primary_tumour == PrimaryTumour.UNKNOWN_PRIMARY:
        prompts.append(BIOPSY_UNKNOWN_PRIMARY)
    return prompts


# --- The prompts, worded as NG234 words them: advice, never orders. -----------

EMERGENCY = Prompt(
    "oncological_emergency",
    "1.3.2",
    "Treat as an oncological emergency: contact the MSCC coordinator immediately.",
)
MRI_24H = Prompt(
    "mri_within_24_hours",
    "1.5.2",
    "Offer an MRI scan as soon as possible and always within 24 hours, at the local hospital "
    "or an appropriate centre with direct access to imaging.",
)
IMAGING_SHOWS_COMPRESSION = Prompt(
    "imaging_shows_compression",
    "1.5.2",
    "Imaging already shows cord compression: no further MRI is needed to start the pathway; "
    "discuss definitive treatment with the MSCC coordinator and senior clinician now.",
)
MRI_1_WEEK = Prompt(
    "mri_within_1_week",
    "1.5.3",
    "Offer an MRI scan within 1 week, at the local hospital, to guide treatment options.",
)
MRI_SEQUENCES = Prompt(
    "mri_whole_spine",
    "1.5.5",
    "MRI should include sagittal T1 and/or STIR and sagittal T2 sequences of the whole spine, "
    "with axial imaging through any significant abnormality.",
)
CT_IF_MRI_CONTRAINDICATED = Prompt(
    "ct_if_mri_contraindicated",
    "1.5.7",
    "If MRI is contraindicated, consider a CT scan instead.",
)
NO_PLAIN_XRAY = Prompt(
    "no_plain_xray",
    "1.5.9",
    "Do not use plain X-ray of the spine to diagnose or rule out spinal metastases or MSCC.",
)
IMMOBILISE_NOW = Prompt(
    "immobilise_now",
    "1.4.1",
    "Neurological symptoms or signs suggest spinal instability: start immobilisation without "
    "delay, including for transfer to hospital.",
)
CONSIDER_IMMOBILISATION = Prompt(
    "consider_immobilisation",
    "1.4.2",
    "Moderate to severe pain on movement: consider immobilisation.",
)
STABILITY_ADVICE_24H = Prompt(
    "stability_advice_24_hours",
    "1.4.4",
    "If immobilised, seek expert advice on spinal stability within 24 hours to keep "
    "immobilisation as short as possible.",
)
DEXAMETHASONE_16MG = Prompt(
    "dexamethasone_16mg",
    "1.8.1",
    "Offer 16 mg oral dexamethasone (or equivalent parenteral dose) as soon as possible, then "
    "16 mg daily while awaiting surgery or radiotherapy; reduce gradually after surgery or at "
    "the start of radiotherapy.",
)
STEROID_MONITORING = Prompt(
    "steroid_monitoring",
    "1.8.8",
    "While on corticosteroids: monitor blood glucose and offer proton pump inhibitor acid "
    "suppression.",
)
HAEMATOLOGY_ADVICE_FIRST = Prompt(
    "haematology_advice_before_steroids",
    "1.8.6",
    "Radiologically suspected lymphoma or myeloma: seek specialist haematology advice before "
    "starting corticosteroids.",
)
HAEMATOLOGICAL_DEXAMETHASONE = Prompt(
    "haematological_dexamethasone",
    "1.8.5",
    "Confirmed haematological malignancy: offer 16 mg oral dexamethasone as soon as possible; "
    "further corticosteroids in discussion with the haematology MDT.",
)
CONSIDER_STEROIDS_SEVERE_PAIN = Prompt(
    "consider_steroids_severe_pain",
    "1.8.3",
    "Severe pain without neurological symptoms or signs: consider corticosteroids as part of "
    "initial management.",
)
NO_ROUTINE_STEROIDS = Prompt(
    "no_routine_steroids",
    "1.8.7",
    "Without neurological symptoms or signs, do not routinely offer corticosteroids (except as "
    "part of a radiotherapy regimen).",
)
ADVICE_24H = Prompt(
    "advice_within_24_hours",
    "1.3.3",
    "Pain suggesting spinal metastases: seek advice through the MSCC coordinator within 24 hours.",
)
URGENT_ONCOLOGY = Prompt(
    "urgent_oncology_assessment",
    "1.3.5",
    "No current or past cancer diagnosis: refer for urgent oncology assessment (NICE suspected "
    "cancer guideline). This is not the MSCC pathway.",
)
NEURO_WITHOUT_CANCER = Prompt(
    "emergency_assessment",
    "1.3.1",
    "Symptoms or signs of cord compression are present: arrange emergency assessment today; "
    "do not wait for an outpatient oncology appointment.",
)
SAFETY_NET = Prompt(
    "safety_net",
    "1.3.6",
    "Explain what changes in symptoms to look out for (box 1) and to contact their healthcare "
    "professional urgently if symptoms change or worsen.",
)
KNOW_WHO_TO_CONTACT = Prompt(
    "who_to_contact",
    "1.2.4",
    "Make sure the person and their family or carers know whom to contact if new symptoms or "
    "signs develop or existing ones worsen.",
)
NO_SCREENING_MRI = Prompt(
    "no_screening_mri",
    "1.5.6",
    "Known spinal metastases without symptoms or signs of cord compression: do not perform MRI "
    "solely for early detection of cord compression.",
)
THINK_ABOUT_MSCC = Prompt(
    "think_about_mscc",
    "1.3.1",
    "No box 1 factors recorded: no MSCC pathway action. Think about spinal metastases or MSCC "
    "again if any box 1 factor develops.",
)
BISPHOSPHONATES = Prompt(
    "bisphosphonates",
    "1.7.12",
    "Spinal involvement from myeloma or breast cancer: offer bisphosphonates to reduce pain and "
    "the risk of vertebral fracture or collapse.",
)
BIOPSY_UNKNOWN_PRIMARY = Prompt(
    "biopsy_unknown_primary",
    "1.11.2",
    "Primary cancer not identified: consider a radiologically guided biopsy if there is no "
    "immediate need to treat.",
)
