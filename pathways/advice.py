"""Decision support that follows the patient (NG234 1.1.16, 1.4, 1.7, 1.8,
1.10, 1.11).

The triage prompts (referrals/rules.py) say what to do at referral; this
module adjusts them to what has happened since: the clinical events recorded
(those not withdrawn as entered in error), the MDT's latest decision, and
what the exclusion events mean together (pathways/exclusions.py). The caller
passes the referral's current category: MSCC ruled out on a suspected-MSCC
referral makes it suspected spinal metastases, whose advice then applies
(MSCC ruled out is not spinal metastases ruled out). Pure Python, no Django.
Every prompt cites its recommendation and is advice, never an order.
"""

from dataclasses import dataclass

from pathways.codes import EventKind
from referrals.codes import Category, Haematological, PrimaryTumour
from referrals.rules import (
    CONSIDER_STEROIDS_SEVERE_PAIN,
    CT_IF_MRI_CONTRAINDICATED,
    DEXAMETHASONE_16MG,
    HAEMATOLOGICAL_DEXAMETHASONE,
    HAEMATOLOGY_ADVICE_FIRST,
    INTERVENTIONS_WITHOUT_MSCC,
    KNOW_WHO_TO_CONTACT,
    MRI_1_WEEK,
    MRI_24H,
    MRI_SEQUENCES,
    NO_PLAIN_XRAY,
    NO_ROUTINE_STEROIDS,
    RADIOTHERAPY_WITHOUT_MSCC,
    STABILITY_ADVICE_24H,
    STEROID_MONITORING,
    Prompt,
    TriageInput,
    category_prompts,
    for_population,
    haematological,
    spinal_metastases_treatment,
)

E = EventKind


@dataclass(frozen=True)
class Progress:
    """What has happened, as the advice needs it. Every field has a default,
    so a caller that knows less still gets the advice for what it knows."""

    # The kinds of the events that stand (not withdrawn).
    events: frozenset[str] = frozenset()
    # The latest MDT decision recorded a high risk of side effects (1.10.5, 1.10.6).
    high_risk_of_side_effects: bool = False
    # Spinal metastases and MSCC both ruled out, and no later confirmation of
    # MSCC (pathways.exclusions.spinal_metastases_excluded): only then 1.8.2.
    spinal_metastases_excluded: bool = False
    # The latest MDT decision is supportive care, no definitive treatment (1.8.4).
    supportive_care_only: bool = False
    # A surgery decision or surgery stands at or before the latest decision to
    # treat with radiotherapy: that radiotherapy is not 1.10.4's, which is for
    # MSCC not suitable for spinal surgery.
    surgery_before_radiotherapy_decision: bool = False
    # Radiotherapy delivered at or after the latest surgery (1.10.8 is then done).
    radiotherapy_since_surgery: bool = False

    def has(self, kind: EventKind) -> bool:
        return kind.value in self.events


_MRI_PROMPTS = frozenset(
    {MRI_24H, MRI_1_WEEK, MRI_SEQUENCES, CT_IF_MRI_CONTRAINDICATED, NO_PLAIN_XRAY}
)
# Advice on whether to start corticosteroids (1.8.1, 1.8.3, 1.8.5, 1.8.6,
# 1.8.7) and its monitoring (1.8.8): once they are given, what to do now.
_STARTING_STEROIDS = frozenset(
    {
        DEXAMETHASONE_16MG,
        HAEMATOLOGICAL_DEXAMETHASONE,
        HAEMATOLOGY_ADVICE_FIRST,
        CONSIDER_STEROIDS_SEVERE_PAIN,
        NO_ROUTINE_STEROIDS,
        STEROID_MONITORING,
    }
)
# Treatment options for spinal metastases without MSCC: done with once
# radiotherapy is delivered or surgery performed.
_METASTASES_TREATMENT = frozenset({RADIOTHERAPY_WITHOUT_MSCC, INTERVENTIONS_WITHOUT_MSCC})
_HAEM_PRIMARIES = frozenset(
    {PrimaryTumour.MYELOMA, PrimaryTumour.LYMPHOMA, PrimaryTumour.OTHER_HAEMATOLOGICAL}
)
# The categories of people with suspected or confirmed spinal metastases or MSCC.
_SPINAL_CATEGORIES = frozenset({Category.SUSPECTED_MSCC, Category.SUSPECTED_SPINAL_METASTASES})


def advice_for(data: TriageInput, category: Category, progress: Progress) -> list[Prompt]:
    """The prompts that apply now, most pressing first."""
    if progress.has(E.DIED):
        return [BEREAVEMENT]
    on_steroids = progress.has(E.DEXAMETHASONE_GIVEN)
    if progress.spinal_metastases_excluded:
        # Neither spinal metastases nor MSCC: the pathway no longer applies,
        # only what undoes its treatment (1.8.2). MSCC ruled out alone is not this.
        excluded = [STOP_DEXAMETHASONE] if on_steroids else []
        return for_population(data, [*excluded, KNOW_WHO_TO_CONTACT])

    # For an adult first; for_population adjusts the whole advice once, at the end.
    prompts = category_prompts(data, category)
    if any(progress.has(k) for k in (E.MRI_PERFORMED, E.CT_PERFORMED, E.MYELOGRAPHY_PERFORMED)):
        # The scan the MRI advice asked for is done (CT or myelography where
        # MRI was contraindicated, 1.5.7).
        prompts = [p for p in prompts if p not in _MRI_PROMPTS]
    if on_steroids:
        prompts = _steroids_given(data, category, progress, prompts)
    immobilised = progress.has(E.IMMOBILISATION_STARTED)
    if progress.has(E.STABILITY_ADVICE_GIVEN):
        prompts = [p for p in prompts if p != STABILITY_ADVICE_24H]
    elif immobilised and STABILITY_ADVICE_24H not in prompts:
        prompts.append(STABILITY_ADVICE_24H)
    if progress.has(E.RT_DELIVERED) or progress.has(E.SURGERY_PERFORMED):
        prompts = [p for p in prompts if p not in _METASTASES_TREATMENT]
    prompts += _treatment_prompts(data, category, progress, prompts)
    return for_population(data, prompts)


def _steroids_given(
    data: TriageInput, category: Category, progress: Progress, prompts: list[Prompt]
) -> list[Prompt]:
    """Whether to start steroids is decided: say what to do now they are given,
    where the advice on starting them stood."""
    now = []
    if progress.supportive_care_only:
        now.append(REDUCE_DEXAMETHASONE)  # 1.8.4: no other effective treatment option
    elif data.neuro_features and category == Category.SUSPECTED_MSCC:
        # 1.8.1: neurological symptoms or signs of MSCC.
        treated = progress.has(E.RT_DELIVERED) or progress.has(E.SURGERY_PERFORMED)
        now.append(TAPER_DEXAMETHASONE if treated else CONTINUE_DEXAMETHASONE)
    if haematological(data) == Haematological.CONFIRMED:
        now.append(HAEMATOLOGICAL_FURTHER_STEROIDS)  # 1.8.5, with or without neuro signs
    now.append(STEROID_MONITORING)  # 1.8.8
    first = next((i for i, p in enumerate(prompts) if p in _STARTING_STEROIDS), len(prompts))
    rest = [p for p in prompts if p not in _STARTING_STEROIDS]
    return [*rest[:first], *now, *rest[first:]]


def _treatment_prompts(
    data: TriageInput, category: Category, progress: Progress, shown: list[Prompt]
) -> list[Prompt]:
    """Radiotherapy and surgery: what the decisions recorded and the
    treatment given call for, beyond the ``shown`` prompts."""
    prompts: list[Prompt] = []
    radiotherapy_pending = progress.has(E.RT_DECISION) and not progress.has(E.RT_DELIVERED)
    # Radiotherapy decided after surgery was decided or done is postoperative
    # (1.10.8), whatever the category.
    first_treatment = not progress.surgery_before_radiotherapy_decision
    if radiotherapy_pending:
        if category == Category.SUSPECTED_MSCC and first_treatment:
            # MSCC not suitable for spinal surgery (1.10.4, 1.10.5, 1.10.6). Where
            # 1.10.4's exception for paralysis shows, so does 1.11.5.
            fractions = (
                RT_MULTIPLE_FRACTIONS if progress.high_risk_of_side_effects else RT_8GY_SINGLE
            )
            prompts += [RT_WITHIN_24_HOURS, PARALYSIS_TIME_LIMIT, fractions]
        if category == Category.SUSPECTED_SPINAL_METASTASES and first_treatment:
            # Spinal metastases without MSCC: 1.10.2 or 1.11.6, never 1.10.4's 24 hours.
            prompts += [p for p in spinal_metastases_treatment(data) if p not in shown]
        prompts.append(FERTILITY)
        if data.haematological != Haematological.NO or data.primary_tumour in _HAEM_PRIMARIES:
            prompts.append(STEM_CELL_HARVEST)
    if (
        progress.has(E.SURGERY_PERFORMED)
        and not progress.radiotherapy_since_surgery
        and category in _SPINAL_CATEGORIES
    ):
        prompts.append(POSTOPERATIVE_RADIOTHERAPY)  # 1.10.8
    return prompts


RT_WITHIN_24_HOURS = Prompt(
    "radiotherapy_within_24_hours",
    "1.10.4",
    "MSCC not suitable for spinal surgery: offer urgent radiotherapy (to be given as soon as "
    "possible and within 24 hours), unless the person has had complete tetraplegia or "
    "paraplegia for 2 weeks or longer and their pain is well controlled, or their overall "
    "prognosis is considered to be poor.",
)
PARALYSIS_TIME_LIMIT = Prompt(
    "paralysis_time_limit_not_the_only_factor",
    "1.11.5",
    "Do not use a time limit after complete tetraplegia or paraplegia as the only factor to "
    "decide whether to offer surgical intervention to restore neurological function.",
)
RT_8GY_SINGLE = Prompt(
    "radiotherapy_8gy_single_fraction",
    "1.10.5",
    "Use 8 Gy single fraction radiotherapy for people with MSCC having radiotherapy unless they "
    "are at high risk of side effects.",
)
RT_MULTIPLE_FRACTIONS = Prompt(
    "radiotherapy_multiple_fractions",
    "1.10.6",
    "High risk of side effects from radiation recorded by the MDT (for example, disease needing "
    "a large treatment field or fields, or previous radiotherapy): consider multiple fraction "
    "radiotherapy.",
)
FERTILITY = Prompt(
    "fertility_discussion",
    "1.10.1",
    "When considering radiotherapy: explain the impact of the cancer and its treatment on "
    "future fertility, explore the person's priorities for fertility and offer referral to a "
    "fertility specialist if suitable, but do not delay urgent treatment for spinal metastases "
    "or MSCC.",
)
STEM_CELL_HARVEST = Prompt(
    "stem_cell_harvest",
    "1.10.3",
    "Radiotherapy for haematological malignancy may reduce the success of stem cell harvest: "
    "if harvest is being considered, discuss radiotherapy with the haematology MDT.",
)
POSTOPERATIVE_RADIOTHERAPY = Prompt(
    "postoperative_radiotherapy",
    "1.10.8",
    "Offer postoperative radiotherapy after the person has recovered from surgery for spinal "
    "metastases or MSCC.",
)
CONTINUE_DEXAMETHASONE = Prompt(
    "dexamethasone_continue",
    "1.8.1",
    "Dexamethasone given: continue 16 mg oral dexamethasone (or equivalent parenteral dose) "
    "daily while awaiting surgery or radiotherapy.",
)
TAPER_DEXAMETHASONE = Prompt(
    "dexamethasone_taper",
    "1.8.1",
    "Surgery done or radiotherapy started: reduce the dexamethasone dose gradually until stopped.",
)
REDUCE_DEXAMETHASONE = Prompt(
    "dexamethasone_reduce_without_treatment",
    "1.8.4",
    "The MDT decided on supportive care, with no definitive treatment: for people without "
    "other effective treatment options, reduce dexamethasone gradually until stopped. Only "
    "continue it if the person's symptoms return or worsen as it is reduced.",
)
HAEMATOLOGICAL_FURTHER_STEROIDS = Prompt(
    "haematological_further_corticosteroids",
    "1.8.5",
    "Confirmed haematological malignancy: after the initial dose of dexamethasone, offer "
    "further corticosteroid treatment in discussion with the haematology multidisciplinary "
    "team.",
)
STOP_DEXAMETHASONE = Prompt(
    "dexamethasone_stop",
    "1.8.2",
    "Spinal metastases and MSCC have been ruled out: if dexamethasone was given before imaging, "
    "discontinue it.",
)
BEREAVEMENT = Prompt(
    "bereavement_support",
    "1.2.11",
    "If not already done, discuss the bereavement support available with the family or carers "
    "and provide written information, with advice on how to access bereavement support "
    "according to their wishes and preferences.",
)
