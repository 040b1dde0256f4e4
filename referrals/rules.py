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
    ImagingModality,
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
    imaging_modality: ImagingModality | None = None
    known_spinal_metastases: bool = False
    back_pain: bool = False
    instability_signs: bool = False
    movement_pain: MovementPain = MovementPain.NONE
    primary_tumour: PrimaryTumour | None = None
    haematological: Haematological = Haematological.NO
    # Age in whole years when the referral was received (None: not known).
    age_years: int | None = None


@dataclass(frozen=True)
class Prompt:
    code: str
    recommendation: str
    text: str

    @property
    def citation(self) -> str:
        """How the source reads on screen: "NG234 1.3.2" for a numbered
        recommendation; a rule from elsewhere names itself ("NICE NG12 …",
        "Service rule (outside NG234)")."""
        if self.recommendation[:1].isdigit():
            return f"NG234 {self.recommendation}"
        return self.recommendation


@dataclass(frozen=True)
class TriageResult:
    category: Category
    prompts: tuple[Prompt, ...] = field(default_factory=tuple)


_MOVEMENT_PAIN_MODERATE_OR_WORSE = frozenset({MovementPain.MODERATE, MovementPain.SEVERE})
_HAEMATOLOGICAL_PRIMARIES = frozenset(
    {PrimaryTumour.MYELOMA, PrimaryTumour.LYMPHOMA, PrimaryTumour.OTHER_HAEMATOLOGICAL}
)


def has_pain(data: TriageInput) -> bool:
    """A box 1 pain characteristic. Moderate or severe pain on movement is
    mechanical pain ("aggravated by standing, sitting or moving"), whether or
    not the form ticked it: contradictions resolve to the safer reading."""
    return bool(data.pain_features) or data.movement_pain in _MOVEMENT_PAIN_MODERATE_OR_WORSE


def cord_features(data: TriageInput) -> frozenset[NeuroFeature]:
    """Symptoms or signs of cord or cauda equina compression other than
    radicular pain alone (radicular pain on its own, without cancer, is
    sciatica until shown otherwise)."""
    return data.neuro_features - {NeuroFeature.RADICULAR}


def haematological(data: TriageInput) -> Haematological:
    """A myeloma, lymphoma or other haematological primary with a current or
    past diagnosis is a confirmed haematological malignancy, whatever the
    haematological field says (NG234 1.8.5 then applies, not 1.8.7)."""
    if (
        data.cancer_status == CancerStatus.CURRENT_OR_PAST
        and data.primary_tumour in _HAEMATOLOGICAL_PRIMARIES
    ):
        return Haematological.CONFIRMED
    return data.haematological


def mechanical_pain(data: TriageInput) -> bool:
    """Mechanical pain (box 1: aggravated by standing, sitting or moving):
    ticked, or moderate or severe pain on movement (``has_pain``)."""
    return (
        PainFeature.MECHANICAL in data.pain_features
        or data.movement_pain in _MOVEMENT_PAIN_MODERATE_OR_WORSE
    )


def in_pain(data: TriageInput) -> bool:
    """Any pain recorded: a box 1 pain characteristic, back pain of any kind,
    or radicular pain."""
    return has_pain(data) or data.back_pain or NeuroFeature.RADICULAR in data.neuro_features


def primary_not_identified(data: TriageInput) -> bool:
    """The primary cancer has not been identified (NG234 1.11.2): the form
    says so, or no cancer is diagnosed (imaging can find metastases or cord
    compression before any diagnosis), whatever primary the form names."""
    return (
        data.primary_tumour == PrimaryTumour.UNKNOWN_PRIMARY
        or data.cancer_status != CancerStatus.CURRENT_OR_PAST
    )


def whole_spine_mri_shows(data: TriageInput, *findings: ImagingFindings) -> bool:
    """Imaging at referral shows one of ``findings`` on a whole-spine MRI, the
    scan NG234 1.5.2 and 1.5.3 ask for (1.5.5). Other imaging, or imaging of
    a kind not said, leaves the MRI advice standing."""
    return (
        data.imaging_modality == ImagingModality.MRI_WHOLE_SPINE
        and data.imaging_findings in findings
    )


def categorise(data: TriageInput) -> Category:
    """The category the inputs fall in (docs/clinical-rules.md, section 1)."""
    neuro = bool(data.neuro_features)
    pain = has_pain(data)
    cancer = data.cancer_status == CancerStatus.CURRENT_OR_PAST
    suspected = data.cancer_status == CancerStatus.SUSPECTED
    # Imaging that already shows spinal metastases is a diagnosis of metastatic
    # cancer, whatever the form says of cancer status: a quarter of MSCC is the
    # first presentation of cancer. With neurological features that is the
    # emergency row (NG234 1.3.2), not "no action".
    on_imaging = data.imaging_findings == ImagingFindings.SPINAL_METASTASES
    compression = data.imaging_findings == ImagingFindings.CORD_COMPRESSION

    # Suspected (not yet diagnosed) cancer with any cord compression feature
    # is suspected MSCC too: the service's safer reading of box 1, which lists
    # suspected cancer, and of 1.1.19 (MRI within 24 hours for everyone with
    # suspected MSCC and neurological signs).
    if compression or (neuro and (cancer or suspected or on_imaging)):
        return Category.SUSPECTED_MSCC
    if not cancer and not suspected and cord_features(data):
        # No cancer, none suspected, nothing on imaging, and cord or cauda
        # equina compression features: not MSCC, but an emergency all the same.
        return Category.EMERGENCY_SPINAL_ASSESSMENT
    if pain and (cancer or on_imaging):
        return Category.SUSPECTED_SPINAL_METASTASES
    if suspected and pain:
        return Category.ONCOLOGY_ASSESSMENT  # 1.3.5: cancer suspected, pain
    if cancer and data.back_pain and not on_imaging:
        return Category.SAFETY_NET
    return Category.NO_ACTION


def triage(data: TriageInput) -> TriageResult:
    category = categorise(data)
    return TriageResult(category=category, prompts=tuple(prompts_for(data, category)))


ADULT_AGE = 18
# Prompts that state an adult dose: never shown for a child or young person.
_ADULT_DOSES = frozenset(
    {
        "dexamethasone_16mg",
        "haematological_dexamethasone",
        "dexamethasone_continue",
        "radiotherapy_8gy_single_fraction",
        "radiotherapy_spinal_metastases_without_mscc",
    }
)


def outside_ng234_population(data: TriageInput) -> bool:
    """NG234 is for adults (18 and over): a younger person is outside it."""
    return data.age_years is not None and data.age_years < ADULT_AGE


def for_population(data: TriageInput, prompts: list[Prompt]) -> list[Prompt]:
    """The prompts as they may be shown for this person: for someone under 18,
    the paediatric / teenage and young adult oncology signpost first, and no
    adult dose (the category and the clocks stay: the safer course)."""
    if not outside_ng234_population(data):
        return prompts
    shown = [UNDER_18]
    for prompt in prompts:
        if prompt.code not in _ADULT_DOSES:
            shown.append(prompt)
        elif NO_ADULT_DOSE not in shown:
            shown.append(NO_ADULT_DOSE)
    return shown


def prompts_for(data: TriageInput, category: Category) -> list[Prompt]:
    """The initial advice for a category (NG234 1.1.16), most pressing first,
    as it may be shown for this person (``for_population``).

    Takes the category separately because a coordinator may override it: the
    advice then follows the coordinator's category.
    """
    return for_population(data, category_prompts(data, category))


def category_prompts(data: TriageInput, category: Category) -> list[Prompt]:
    """The category's prompts for an adult: ``prompts_for`` before
    ``for_population``, for callers that adjust them further first."""
    if category == Category.SUSPECTED_MSCC:
        return _mscc_prompts(data)
    if category == Category.EMERGENCY_SPINAL_ASSESSMENT:
        return [EMERGENCY_SPINAL_ASSESSMENT, NOT_ONCOLOGY]
    if category == Category.SUSPECTED_SPINAL_METASTASES:
        return _spinal_metastases_prompts(data)
    if category == Category.ONCOLOGY_ASSESSMENT:
        return _oncology_prompts(data)
    if category == Category.SAFETY_NET:
        return [SAFETY_NET, KNOW_WHO_TO_CONTACT]
    return _no_action_prompts(data)


def _mscc_prompts(data: TriageInput) -> list[Prompt]:
    known = (
        data.cancer_status == CancerStatus.CURRENT_OR_PAST
        or data.imaging_findings != ImagingFindings.NONE
    )
    prompts = [EMERGENCY if known else EMERGENCY_SUSPECTED_CANCER]
    compression_on_mri = whole_spine_mri_shows(data, ImagingFindings.CORD_COMPRESSION)
    if compression_on_mri:
        prompts.append(IMAGING_SHOWS_COMPRESSION)
    else:
        prompts.append(MRI_24H)
    if data.instability_signs:
        prompts += [IMMOBILISE_NOW, STABILITY_ADVICE_24H]
    elif data.movement_pain in _MOVEMENT_PAIN_MODERATE_OR_WORSE:
        prompts += [CONSIDER_IMMOBILISATION, STABILITY_ADVICE_24H]
    prompts += _steroid_prompts(data, Category.SUSPECTED_MSCC)
    prompts += _pain_relief(data)
    if not compression_on_mri:
        prompts += [MRI_SEQUENCES, CT_IF_MRI_CONTRAINDICATED, NO_PLAIN_XRAY]
    prompts += _pain_management(data)
    prompts += _tumour_prompts(data)
    return prompts


def _spinal_metastases_prompts(data: TriageInput) -> list[Prompt]:
    prompts = [ADVICE_24H]
    if not whole_spine_mri_shows(
        data, ImagingFindings.SPINAL_METASTASES, ImagingFindings.CORD_COMPRESSION
    ):
        prompts += [MRI_1_WEEK, MRI_SEQUENCES, CT_IF_MRI_CONTRAINDICATED, NO_PLAIN_XRAY]
    if data.movement_pain in _MOVEMENT_PAIN_MODERATE_OR_WORSE:
        prompts.append(CONSIDER_IMMOBILISATION)
    prompts += _steroid_prompts(data, Category.SUSPECTED_SPINAL_METASTASES)
    prompts += _pain_relief(data)
    prompts += _pain_management(data)
    if data.known_spinal_metastases or data.imaging_findings == ImagingFindings.SPINAL_METASTASES:
        # Spinal metastases already diagnosed, MSCC not suspected: the
        # treatment options for spinal metastases without MSCC apply now.
        prompts += spinal_metastases_treatment(data)
    prompts += _tumour_prompts(data)
    prompts.append(KNOW_WHO_TO_CONTACT)
    return prompts


def _steroid_prompts(data: TriageInput, category: Category) -> list[Prompt]:
    """Whether to start corticosteroids (NG234 1.8.1, 1.8.3, 1.8.5-1.8.8).

    1.8.1 is for neurological symptoms or signs of MSCC (so only while MSCC is
    suspected), haematological or not; 1.8.5, confirmed haematological
    malignancy, applies with or without them; 1.8.3, 1.8.6 and 1.8.7 only
    without them. Cord compression seen on imaging without any neurological
    feature therefore falls under 1.8.3-1.8.7, as the guideline words them."""
    neuro = bool(data.neuro_features)
    prompts = []
    if neuro and category == Category.SUSPECTED_MSCC:
        prompts.append(DEXAMETHASONE_16MG)  # 1.8.1
    if haematological(data) == Haematological.CONFIRMED:
        prompts.append(HAEMATOLOGICAL_DEXAMETHASONE)  # 1.8.5
    elif not neuro:
        prompts.append(_steroid_prompt_without_neuro(data))
    if any(p in _STEROIDS_OFFERED for p in prompts):
        prompts.append(STEROID_MONITORING)  # 1.8.8
    return prompts


def _steroid_prompt_without_neuro(data: TriageInput) -> Prompt:
    """No neurological symptoms or signs, no confirmed haematological malignancy."""
    if haematological(data) == Haematological.SUSPECTED:
        # Radiologically suspected lymphoma or myeloma: steroids can spoil the
        # diagnostic biopsy, so haematology advice comes first.
        return HAEMATOLOGY_ADVICE_FIRST  # 1.8.6
    severe_pain = (
        PainFeature.SEVERE_UNREMITTING in data.pain_features
        or data.movement_pain == MovementPain.SEVERE
    )
    if severe_pain:
        return CONSIDER_STEROIDS_SEVERE_PAIN  # 1.8.3
    return NO_ROUTINE_STEROIDS  # 1.8.7


def spinal_metastases_treatment(data: TriageInput) -> list[Prompt]:
    """Treatment options for spinal metastases without MSCC, by the pain:
    mechanical pain or signs of instability, 1.11.6; other spinal pain, 1.10.2
    (never 1.10.4's 24 hours, which is for MSCC)."""
    if mechanical_pain(data) or data.instability_signs:
        return [INTERVENTIONS_WITHOUT_MSCC]
    if in_pain(data):
        return [RADIOTHERAPY_WITHOUT_MSCC]
    return []


def _pain_relief(data: TriageInput) -> list[Prompt]:
    return [PAIN_RELIEF] if in_pain(data) else []  # 1.7.1


def _pain_management(data: TriageInput) -> list[Prompt]:
    """The individualised pain plan (1.7.2-1.7.5), for pain related to
    suspected or confirmed spinal metastases or MSCC."""
    if not in_pain(data):
        return []
    return [PAIN_ASSESSMENT, PAIN_PLAN, PAIN_PLAN_REVIEW, SPECIALIST_PAIN_REFERRAL]


def _oncology_prompts(data: TriageInput) -> list[Prompt]:
    return [URGENT_ONCOLOGY, KNOW_WHO_TO_CONTACT]


def _no_action_prompts(data: TriageInput) -> list[Prompt]:
    metastases = (
        data.known_spinal_metastases or data.imaging_findings == ImagingFindings.SPINAL_METASTASES
    )
    if metastases:
        prompts = [NO_SCREENING_MRI]  # 1.5.6: no symptoms or signs of compression
        if data.cancer_status != CancerStatus.CURRENT_OR_PAST:
            prompts.append(SUSPECTED_CANCER_REFERRAL)
        if primary_not_identified(data):
            prompts.append(BIOPSY_UNKNOWN_PRIMARY)
        return [*prompts, KNOW_WHO_TO_CONTACT]
    if data.cancer_status == CancerStatus.NONE and (has_pain(data) or data.neuro_features):
        return [NON_CANCER_BACK_PAIN]  # pain only, or radicular pain alone
    return [THINK_ABOUT_MSCC]


def _tumour_prompts(data: TriageInput) -> list[Prompt]:
    """Bone-targeted treatment by the primary (1.7.12-1.7.15), and a biopsy
    where the primary has not been identified (1.11.2)."""
    primary = data.primary_tumour
    prompts = []
    if primary in (PrimaryTumour.MYELOMA, PrimaryTumour.BREAST):
        prompts.append(BISPHOSPHONATES)  # 1.7.12
    elif primary == PrimaryTumour.PROSTATE:
        prompts.append(BISPHOSPHONATES_PROSTATE)  # 1.7.13
    elif primary in _OTHER_TUMOUR_TYPES:
        prompts.append(NO_BISPHOSPHONATES)  # 1.7.14
    if primary in _DENOSUMAB_PRIMARIES:
        prompts.append(DENOSUMAB)  # 1.7.15
    if primary_not_identified(data):
        prompts.append(BIOPSY_UNKNOWN_PRIMARY)  # 1.11.2
    return prompts


# Vertebral involvement from tumour types other than myeloma, breast or
# prostate cancer (1.7.14); breast cancer and solid tumours other than
# prostate (1.7.15). A primary not identified is neither.
_OTHER_TUMOUR_TYPES = frozenset(
    {
        PrimaryTumour.LUNG,
        PrimaryTumour.RENAL,
        PrimaryTumour.OTHER_SOLID,
        PrimaryTumour.LYMPHOMA,
        PrimaryTumour.OTHER_HAEMATOLOGICAL,
    }
)
_DENOSUMAB_PRIMARIES = frozenset(
    {PrimaryTumour.BREAST, PrimaryTumour.LUNG, PrimaryTumour.RENAL, PrimaryTumour.OTHER_SOLID}
)


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
    "A whole-spine MRI done before referral already shows cord compression: that is the MRI "
    "1.5.2 asks for, so the 24-hour MRI standard is met at referral.",
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
    "If MRI is contraindicated, carry out a CT scan; rarely, if more information is needed for "
    "diagnosis and to guide management, carry out myelography after CT (at a neuroscience or "
    "spinal surgical centre, 1.5.8).",
)
NO_PLAIN_XRAY = Prompt(
    "no_plain_xray",
    "1.5.9",
    "Do not perform plain X-ray of the spine to diagnose or rule out spinal metastases or MSCC.",
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
    "If immobilised: seek early advice (within 24 hours) from an expert clinician (for example, "
    "a specialist physiotherapist, oncologist or spinal surgeon) and start assessment of spinal "
    "stability, to minimise the duration of immobilisation if appropriate.",
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
    "Radiologically suspected lymphoma or myeloma with spinal metastases, without neurological "
    "symptoms or signs: seek specialist haematological advice before starting corticosteroid "
    "treatment.",
)
HAEMATOLOGICAL_DEXAMETHASONE = Prompt(
    "haematological_dexamethasone",
    "1.8.5",
    "Confirmed haematological malignancy with spinal metastases (with or without neurological "
    "symptoms or signs): offer 16 mg oral dexamethasone (or equivalent parenteral dose) as soon "
    "as possible; after the initial dose, offer further corticosteroid treatment in discussion "
    "with the haematology multidisciplinary team.",
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
    "No past or current diagnosis of cancer, but cancer is suspected and the back pain has "
    "characteristics from box 1: refer for urgent oncology assessment (see also the NICE "
    "guideline on suspected cancer).",
)
EMERGENCY_SUSPECTED_CANCER = Prompt(
    "suspected_mscc_suspected_cancer",
    "1.1.19",
    "Cancer is suspected, not yet diagnosed, and there are symptoms or signs of cord "
    "compression. This service treats that as suspected MSCC, an emergency: contact the MSCC "
    "coordinator now. NG234's box 1 counts a suspected cancer, and 1.1.19 asks for MRI within "
    "24 hours for everyone with suspected MSCC and neurological signs.",
)
EMERGENCY_SPINAL_ASSESSMENT = Prompt(
    "emergency_spinal_assessment",
    "Service rule (outside NG234)",
    "No cancer is diagnosed or suspected, yet there are symptoms or signs of spinal cord or "
    "cauda equina compression: not the MSCC pathway, but an emergency. Arrange emergency "
    "spinal assessment today (the emergency department or the on-call spinal team).",
)
NOT_ONCOLOGY = Prompt(
    "not_an_oncology_referral",
    "1.3.5",
    "Urgent oncology assessment (1.3.5) is for people in whom cancer is suspected: it is not "
    "the route for this person unless cancer becomes suspected.",
)
NON_CANCER_BACK_PAIN = Prompt(
    "non_cancer_back_pain",
    "1.3.1",
    "No cancer is diagnosed or suspected and there are no symptoms or signs of cord "
    "compression beyond radicular pain: assess as low back pain or sciatica (NICE guideline "
    "NG59). Think about spinal metastases or MSCC again if cancer becomes suspected or box 1 "
    "symptoms or signs develop.",
)
UNDER_18 = Prompt(
    "outside_ng234_population",
    "NG234 scope (adults)",
    "Under 18: outside NG234's population, which is adults. Seek advice from the paediatric "
    "or teenage and young adult (TYA) oncology team now. This service keeps the triage, the "
    "clocks and the escalations as the safer course.",
)
NO_ADULT_DOSE = Prompt(
    "no_adult_dose",
    "NG234 scope (adults)",
    "Corticosteroid and radiotherapy doses for a child or young person: as the paediatric or "
    "TYA oncology team advises (NG234's doses, such as 16 mg dexamethasone, are for adults).",
)
SUSPECTED_CANCER_REFERRAL = Prompt(
    "suspected_cancer_referral",
    "NICE NG12 (suspected cancer)",
    "Spinal metastases on imaging with no known cancer: this is a suspected cancer; refer "
    "urgently to find the primary (see the NICE guideline on suspected cancer).",
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
    "No box 1 pain characteristics and no symptoms or signs of cord compression recorded: no "
    "MSCC pathway action. Think about the possibility of spinal metastases or MSCC if any box 1 "
    "factor develops.",
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
    "Primary cancer not identified: carry out a radiologically guided biopsy if identifying "
    "the primary cancer may affect treatment decisions and there is no need for immediate "
    "treatment.",
)
PAIN_RELIEF = Prompt(
    "pain_relief",
    "1.7.1",
    "Ensure adequate pain relief is provided promptly, including while the person is waiting "
    "for investigations or treatment.",
)
PAIN_ASSESSMENT = Prompt(
    "pain_assessment",
    "1.7.2",
    "Carry out an individualised pain assessment: the severity, location and characteristics "
    "of the pain; its underlying cause and whether this has deteriorated; and its impact on "
    "lifestyle, daily activities (including sleep) and participation in work, education, "
    "training or recreation.",
)
PAIN_PLAN = Prompt(
    "pain_management_plan",
    "1.7.3",
    "Discuss and agree a pain management plan with the person, based on their individualised "
    "pain assessment and taking into account any previous strategies tried, and their "
    "concerns and expectations.",
)
PAIN_PLAN_REVIEW = Prompt(
    "pain_plan_review",
    "1.7.4",
    "After starting or changing a pain management plan, carry out a clinical review to assess "
    "the effectiveness of the chosen treatment.",
)
SPECIALIST_PAIN_REFERRAL = Prompt(
    "specialist_pain_referral",
    "1.7.5",
    "If pain is difficult to manage at any stage (including at initial presentation), and it "
    "is severe or significantly limits lifestyle, daily activities (including sleep) or "
    "participation in work, education, training or recreation: consider referral to a "
    "specialist pain service (or, if appropriate, a palliative care service).",
)
BISPHOSPHONATES_PROSTATE = Prompt(
    "bisphosphonates_prostate",
    "1.7.13",
    "Spinal metastases from prostate cancer: offer bisphosphonates to reduce pain only if "
    "conventional analgesia fails to control pain.",
)
NO_BISPHOSPHONATES = Prompt(
    "no_bisphosphonates",
    "1.7.14",
    "Vertebral involvement from a tumour type other than myeloma, breast cancer or prostate "
    "cancer: do not use bisphosphonates to treat spinal pain. Do not use them with the "
    "intention of preventing MSCC, except as part of a randomised controlled trial.",
)
DENOSUMAB = Prompt(
    "denosumab",
    "1.7.15",
    "Bone metastases from breast cancer or from a solid tumour other than prostate: follow the "
    "NICE technology appraisal guidance on denosumab for the prevention of skeletal-related "
    "events in adults with bone metastases from solid tumours.",
)
RADIOTHERAPY_WITHOUT_MSCC = Prompt(
    "radiotherapy_spinal_metastases_without_mscc",
    "1.10.2",
    "Spinal metastases without MSCC, with non-mechanical spinal pain: offer 8 Gy single "
    "fraction radiotherapy, even if the person is paralysed, or consider stereotactic ablative "
    "body radiotherapy for a good overall prognosis or for oligometastases (up to 3 discrete "
    "metastases anywhere in the body) with spinal involvement.",
)
INTERVENTIONS_WITHOUT_MSCC = Prompt(
    "interventions_spinal_metastases_without_mscc",
    "1.11.6",
    "Spinal metastases without MSCC, with suspected or confirmed spinal instability or pain not "
    "controlled by analgesia: consider, alone or in combination, vertebroplasty or "
    "kyphoplasty, radiofrequency ablation, surgical stabilisation of the spine, or spinal "
    "surgery to prevent MSCC.",
)

# Advice that corticosteroids be given (1.8.1, 1.8.3, 1.8.5): monitoring (1.8.8) goes with it.
_STEROIDS_OFFERED = frozenset(
    {DEXAMETHASONE_16MG, HAEMATOLOGICAL_DEXAMETHASONE, CONSIDER_STEROIDS_SEVERE_PAIN}
)
