"""Decision support that follows the patient (NG234 1.1.16, 1.4, 1.8, 1.10, 1.11).

The triage prompts (referrals/rules.py) say what to do at referral; this
module adjusts them to what has happened since: the clinical events recorded
(those not withdrawn as entered in error) and the MDT's decision. Pure Python,
no Django. Every prompt cites its recommendation and is advice, never an order.
"""

from dataclasses import dataclass

from pathways.codes import EventKind
from referrals.codes import Category, Haematological, PrimaryTumour
from referrals.rules import (
    CONSIDER_STEROIDS_SEVERE_PAIN,
    CT_IF_MRI_CONTRAINDICATED,
    DEXAMETHASONE_16MG,
    HAEMATOLOGICAL_DEXAMETHASONE,
    KNOW_WHO_TO_CONTACT,
    MRI_1_WEEK,
    MRI_24H,
    MRI_SEQUENCES,
    NO_PLAIN_XRAY,
    NO_ROUTINE_STEROIDS,
    STABILITY_ADVICE_24H,
    STEROID_MONITORING,
    Prompt,
    TriageInput,
    category_prompts,
    for_population,
)

E = EventKind


@dataclass(frozen=True)
class Progress:
    """What has happened: active event kinds, and the MDT's radiotherapy view."""

    events: frozenset[str] = frozenset()
    high_risk_of_side_effects: bool = False

    def has(self, kind: EventKind) -> bool:
        return kind.value in self.events


_MRI_PROMPTS = frozenset(
    {MRI_24H, MRI_1_WEEK, MRI_SEQUENCES, CT_IF_MRI_CONTRAINDICATED, NO_PLAIN_XRAY}
)
# Advice on whether to start corticosteroids (1.8.1, 1.8.3, 1.8.5, 1.8.7).
_STARTING_STEROIDS = frozenset(
    {
        DEXAMETHASONE_16MG,
        HAEMATOLOGICAL_DEXAMETHASONE,
        CONSIDER_STEROIDS_SEVERE_PAIN,
        NO_ROUTINE_STEROIDS,
    }
)
_HAEM_PRIMARIES = frozenset(
    {PrimaryTumour.MYELOMA, PrimaryTumour.LYMPHOMA, PrimaryTumour.OTHER_HAEMATOLOGICAL}
)


def advice_for(data: TriageInput, category: Category, progress: Progress) -> list[Prompt]:
    """The prompts that apply now, most pressing first."""
    if progress.has(E.DIED):
        return [BEREAVEMENT]
    on_steroids = progress.has(E.DEXAMETHASONE_GIVEN)
    if progress.has(E.MSCC_RULED_OUT):
        # The MSCC pathway no longer applies: only what undoes its treatment.
        ruled_out = [STOP_DEXAMETHASONE] if on_steroids else []
        return [*ruled_out, KNOW_WHO_TO_CONTACT]

    # For an adult first; for_population adjusts the whole advice once, at the end.
    prompts = category_prompts(data, category)
    if any(progress.has(k) for k in (E.MRI_PERFORMED, E.CT_PERFORMED, E.MYELOGRAPHY_PERFORMED)):
        # The scan the MRI advice asked for is done (CT or myelography where
        # MRI was contraindicated, 1.5.7).
        prompts = [p for p in prompts if p not in _MRI_PROMPTS]
    if on_steroids:
        # Whether to start steroids is decided: say what to do now they are given.
        treated = progress.has(E.RT_DELIVERED) or progress.has(E.SURGERY_PERFORMED)
        steroid_now = TAPER_DEXAMETHASONE if treated else CONTINUE_DEXAMETHASONE
        first = next((i for i, p in enumerate(prompts) if p in _STARTING_STEROIDS), len(prompts))
        prompts = [p for p in prompts if p not in _STARTING_STEROIDS]
        prompts.insert(min(first, len(prompts)), steroid_now)
        if STEROID_MONITORING not in prompts:
            prompts.append(STEROID_MONITORING)
    immobilised = progress.has(E.IMMOBILISATION_STARTED)
    if progress.has(E.STABILITY_ADVICE_GIVEN):
        prompts = [p for p in prompts if p != STABILITY_ADVICE_24H]
    elif immobilised and STABILITY_ADVICE_24H not in prompts:
        prompts.append(STABILITY_ADVICE_24H)
    if progress.has(E.RT_DECISION) and not progress.has(E.RT_DELIVERED):
        prompts += _radiotherapy_prompts(data, progress)
    return for_population(data, prompts)


def _radiotherapy_prompts(data: TriageInput, progress: Progress) -> list[Prompt]:
    fractions = RT_MULTIPLE_FRACTIONS if progress.high_risk_of_side_effects else RT_8GY_SINGLE
    prompts = [RT_WITHIN_24_HOURS, fractions, FERTILITY]
    if data.haematological != Haematological.NO or data.primary_tumour in _HAEM_PRIMARIES:
        prompts.append(STEM_CELL_HARVEST)
    return prompts


RT_WITHIN_24_HOURS = Prompt(
    "radiotherapy_within_24_hours",
    "1.10.4",
    "Offer urgent radiotherapy as soon as possible and within 24 hours of the decision, unless "
    "the person has had complete tetraplegia or paraplegia for 2 weeks or more and their pain "
    "is well controlled, or their overall prognosis is considered too poor.",
)
RT_8GY_SINGLE = Prompt(
    "radiotherapy_8gy_single_fraction",
    "1.10.5",
    "Use 8 Gy single fraction radiotherapy unless the person is at high risk of side effects.",
)
RT_MULTIPLE_FRACTIONS = Prompt(
    "radiotherapy_multiple_fractions",
    "1.10.6",
    "High risk of side effects recorded by the MDT: consider multiple fraction radiotherapy.",
)
FERTILITY = Prompt(
    "fertility_discussion",
    "1.10.1",
    "Explain the impact of the cancer and its treatment on future fertility and offer referral "
    "to a fertility specialist if suitable, without delaying urgent treatment.",
)
STEM_CELL_HARVEST = Prompt(
    "stem_cell_harvest",
    "1.10.3",
    "Radiotherapy for haematological malignancy may reduce the success of stem cell harvest: "
    "if harvest is being considered, discuss radiotherapy with the haematology MDT.",
)
CONTINUE_DEXAMETHASONE = Prompt(
    "dexamethasone_continue",
    "1.8.1",
    "Dexamethasone given: continue 16 mg daily while awaiting surgery or radiotherapy.",
)
TAPER_DEXAMETHASONE = Prompt(
    "dexamethasone_taper",
    "1.8.1",
    "Surgery done or radiotherapy started: reduce the dexamethasone dose gradually until stopped.",
)
STOP_DEXAMETHASONE = Prompt(
    "dexamethasone_stop",
    "1.8.2",
    "Dexamethasone was given and spinal metastases and MSCC have been ruled out: discontinue it.",
)
BEREAVEMENT = Prompt(
    "bereavement_support",
    "1.2.11",
    "Discuss the bereavement support available with the family or carers and provide written "
    "information.",
)
