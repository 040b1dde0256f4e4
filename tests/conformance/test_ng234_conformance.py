"""NG234 conformance: for each recommendation the service implements, a
scenario through the public API (a referral as a referrer sends it, then
events as a coordinator records them) with the category, the clocks and the
cited recommendations expected. The table is the specification; the tests
of the rules and clocks behind it are in docs/clinical-rules.md."""

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from tests.conftest import referral_body

NONE = {"cancer_status": "none", "primary_tumour": ""}
SUSPECTED = {"cancer_status": "suspected", "primary_tumour": ""}
PAIN_ONLY = {"pain_features": ["progressive"], "neuro_features": []}


@dataclass(frozen=True)
class Scenario:
    recommendations: str  # what the scenario proves
    body: dict[str, Any]
    category: str
    # running clock kind → target hours (None: measured, no target; the
    # dexamethasone clock runs where there are neurological features or a
    # confirmed haematological malignancy, 1.8.1, 1.8.5)
    clocks: dict[str, float | None]
    cited: frozenset[str] = frozenset()  # recommendations the prompts must cite
    not_cited: frozenset[str] = frozenset()
    events: tuple[tuple[str, float], ...] = ()  # (kind, hours ago), recorded in order
    met: frozenset[str] = frozenset()  # clock kinds that must read met
    category_after: str = ""  # the category once the events are recorded, if it moved
    mdt: str = ""  # an MDT decision recorded an hour ago, after the events
    id: str = field(default="")


# What runs on each urgent category from referral (target hours; None:
# measured, no target). Dexamethasone (1.8.1, 1.8.5) runs where there are
# neurological features or a confirmed haematological malignancy.
ACK_NOW = {"acknowledgement": 0.5}
MSCC_CLOCKS = {"acknowledgement": 0.5, "dexamethasone": None, "mri": 24}
SSM_CLOCKS = {"acknowledgement": 4, "advice": 24, "mri": 168}
MECHANICAL = {"pain_features": ["mechanical"], "neuro_features": []}

SCENARIOS = [
    Scenario("1.3.2, 1.5.2, 1.5.5, 1.5.7, 1.5.9, 1.8.1, 1.8.8", {}, "suspected_mscc",
             MSCC_CLOCKS,
             frozenset({"1.3.2", "1.5.2", "1.5.5", "1.5.7", "1.5.9", "1.8.1", "1.8.8"}),
             id="cancer-and-cord-symptoms"),
    Scenario("box 1, 1.1.19: suspected cancer with cord symptoms", SUSPECTED, "suspected_mscc",
             MSCC_CLOCKS, frozenset({"1.1.19", "1.5.2"}),
             frozenset({"1.3.2", "1.3.5"}), id="suspected-cancer-cord-symptoms"),
    Scenario("outside NG234: no cancer, cord or cauda equina symptoms", NONE,
             "emergency_spinal_assessment", ACK_NOW, frozenset(),
             frozenset({"1.5.2"}), id="no-cancer-cord-symptoms"),
    Scenario("1.3.3, 1.5.3, 1.5.5, 1.5.7, 1.8.7, 1.2.4", PAIN_ONLY,
             "suspected_spinal_metastases", SSM_CLOCKS,
             frozenset({"1.3.3", "1.5.3", "1.5.5", "1.5.7", "1.8.7", "1.2.4"}),
             frozenset({"1.8.1"}), id="cancer-and-pain"),
    Scenario("1.3.5: suspected cancer with pain", {**SUSPECTED, **PAIN_ONLY},
             "oncology_assessment", {"acknowledgement": 4}, frozenset({"1.3.5"}),
             id="suspected-cancer-pain"),
    Scenario("1.3.5 not for no cancer: back pain (NG59)", {**NONE, **PAIN_ONLY}, "no_action",
             {"acknowledgement": 4}, frozenset({"1.3.1"}), frozenset({"1.3.5"}),
             id="no-cancer-pain"),
    Scenario("1.3.6, 1.2.4: cancer with back pain, no box 1 feature",
             {"pain_features": [], "neuro_features": [], "back_pain": True}, "safety_net",
             {"acknowledgement": 4}, frozenset({"1.3.6", "1.2.4"}), id="safety-net"),
    Scenario("1.5.6: asymptomatic known spinal metastases",
             {"pain_features": [], "neuro_features": [], "known_spinal_metastases": True},
             "no_action", {"acknowledgement": 4}, frozenset({"1.5.6"}),
             frozenset({"1.5.2", "1.5.3"}), id="asymptomatic-metastases"),
    Scenario("1.5.6, 1.11.2: metastases on imaging, no known cancer, no symptoms",
             {**NONE, "pain_features": [], "neuro_features": [],
              "imaging_findings": "spinal_metastases"}, "no_action", {"acknowledgement": 4},
             frozenset({"1.5.6", "1.11.2"}), id="metastases-on-imaging-unknown-cancer"),
    Scenario("1.4.1, 1.4.4: instability signs", {"instability_signs": True}, "suspected_mscc",
             MSCC_CLOCKS, frozenset({"1.4.1", "1.4.4"}), id="instability"),
    Scenario("1.4.2: moderate movement pain (mechanical pain)",
             {"pain_features": [], "neuro_features": [], "movement_pain": "moderate"},
             "suspected_spinal_metastases", SSM_CLOCKS,
             frozenset({"1.4.2", "1.3.3"}), id="movement-pain"),
    Scenario("1.8.3: severe pain, no neurological symptoms",
             {"pain_features": ["severe_unremitting"], "neuro_features": []},
             "suspected_spinal_metastases", SSM_CLOCKS,
             frozenset({"1.8.3", "1.8.8"}), frozenset({"1.8.7"}), id="severe-pain"),
    Scenario("1.8.5: a myeloma primary is a confirmed haematological malignancy",
             {**PAIN_ONLY, "primary_tumour": "myeloma", "haematological": "suspected"},
             "suspected_spinal_metastases", {**SSM_CLOCKS, "dexamethasone": None},
             frozenset({"1.8.5", "1.7.12"}), frozenset({"1.8.6", "1.8.7"}), id="myeloma"),
    Scenario("1.8.6: radiologically suspected lymphoma or myeloma",
             {**PAIN_ONLY, "primary_tumour": "unknown_primary", "haematological": "suspected"},
             "suspected_spinal_metastases", SSM_CLOCKS,
             frozenset({"1.8.6", "1.11.2"}), frozenset({"1.8.3", "1.8.7"}),
             id="suspected-haematological"),
    Scenario("1.5.2 met at referral: whole-spine MRI shows compression",
             {"imaging_findings": "cord_compression", "imaging_modality": "mri_whole_spine"},
             "suspected_mscc", {"acknowledgement": 0.5, "dexamethasone": None},
             frozenset({"1.5.2"}), met=frozenset({"mri"}), id="mri-at-referral"),
    Scenario("1.5.5: a partial MRI is not the MRI asked for",
             {"imaging_findings": "cord_compression", "imaging_modality": "mri_partial"},
             "suspected_mscc", MSCC_CLOCKS, frozenset({"1.5.2", "1.5.5"}), id="partial-mri"),
    Scenario("1.5.7: CT where MRI is contraindicated stops the MRI clock", {}, "suspected_mscc",
             {"acknowledgement": 0.5, "dexamethasone": None}, events=(("ct_performed", 1),),
             met=frozenset({"mri"}), not_cited=frozenset({"1.5.2", "1.5.7"}),
             id="ct-instead-of-mri"),
    Scenario("1.4.4: immobilisation starts the 24-hour stability advice clock", {},
             "suspected_mscc", {**MSCC_CLOCKS, "stability_advice": 24},
             frozenset({"1.4.4"}), events=(("immobilisation_started", 1),),
             id="immobilised"),
    Scenario("1.10.4, 1.10.5, 1.10.1: a decision to treat MSCC not suitable for surgery with "
             "radiotherapy", {}, "suspected_mscc", {**MSCC_CLOCKS, "radiotherapy": 24},
             frozenset({"1.10.4", "1.10.5", "1.10.1", "1.11.5"}), events=(("rt_decision", 1),),
             id="radiotherapy-decision"),
    # After triage (docs/clinical-rules.md, section 4).
    Scenario("1.8.1: dexamethasone measured from suspicion, met when given", {},
             "suspected_mscc", {"acknowledgement": 0.5, "mri": 24},
             events=(("dexamethasone_given", 2),), met=frozenset({"dexamethasone"}),
             id="dexamethasone-given"),
    Scenario("1.5.3: MSCC ruled out on suspected MSCC; spinal metastases standards run, "
             "1.8.2 not yet", {}, "suspected_mscc",
             {"acknowledgement": 0.5, "dexamethasone": None, "mri": 168},
             frozenset({"1.5.3"}), frozenset({"1.8.2", "1.5.2"}),
             events=(("mscc_ruled_out", 1),), category_after="suspected_spinal_metastases",
             id="mscc-ruled-out"),
    Scenario("1.8.2: spinal metastases and MSCC ruled out, dexamethasone given before imaging",
             {}, "suspected_mscc", {"acknowledgement": 0.5}, frozenset({"1.8.2"}),
             events=(("dexamethasone_given", 2), ("spinal_metastases_ruled_out", 1)),
             id="both-ruled-out"),
    Scenario("1.3.2, 1.5.2: MSCC confirmed on suspected spinal metastases is an emergency",
             PAIN_ONLY, "suspected_spinal_metastases", {"acknowledgement": 4, "mri": 24},
             frozenset({"1.5.2"}), frozenset({"1.5.3"}), events=(("mscc_confirmed", 1),),
             category_after="suspected_mscc", id="mscc-confirmed"),
    Scenario("the later occurred_at wins: ruled out, then confirmed", {}, "suspected_mscc",
             MSCC_CLOCKS, frozenset({"1.5.2"}),
             events=(("mscc_ruled_out", 2), ("mscc_confirmed", 1)),
             category_after="suspected_mscc", id="ruled-out-then-confirmed"),
    Scenario("1.10.8: radiotherapy after surgery is measured, never the 24-hour standard",
             {}, "suspected_mscc", {**MSCC_CLOCKS, "radiotherapy": None},
             frozenset({"1.10.8"}), frozenset({"1.10.4"}),
             events=(("surgery_decision", 3), ("surgery_performed", 2), ("rt_decision", 1)),
             met=frozenset({"surgery"}), id="postoperative-radiotherapy"),
    Scenario("1.11.3: surgery measured from the onset of neurological symptoms", {},
             "suspected_mscc", {**MSCC_CLOCKS, "surgery": None},
             events=(("surgery_decision", 1),), id="surgery-decision"),
    Scenario("1.10.2: spinal metastases without MSCC, non-mechanical pain: radiotherapy "
             "measured", PAIN_ONLY, "suspected_spinal_metastases",
             {**SSM_CLOCKS, "radiotherapy": None}, frozenset({"1.10.2"}),
             frozenset({"1.10.4", "1.11.6"}), events=(("rt_decision", 1),),
             id="radiotherapy-without-mscc"),
    Scenario("1.8.4: supportive care only, dexamethasone given: reduce it gradually", {},
             "suspected_mscc", {"acknowledgement": 0.5, "mri": 24}, frozenset({"1.8.4", "1.8.8"}),
             frozenset({"1.8.2"}), events=(("dexamethasone_given", 2),),
             mdt="supportive_care", met=frozenset({"dexamethasone"}), id="supportive-care"),
    Scenario("1.7.1, 1.7.2: pain relief and an individualised pain assessment", PAIN_ONLY,
             "suspected_spinal_metastases", SSM_CLOCKS, frozenset({"1.7.1", "1.7.2", "1.7.3"}),
             id="pain-management"),
    Scenario("1.11.6: spinal metastases without MSCC, mechanical pain", MECHANICAL,
             "suspected_spinal_metastases", {**SSM_CLOCKS, "radiotherapy": None},
             frozenset({"1.11.6"}), frozenset({"1.10.4", "1.10.2"}),
             events=(("rt_decision", 1),), id="mechanical-pain-without-mscc"),
]  # fmt: skip


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])
def test_ng234_conformance(world, api, scenario: Scenario):
    now = timezone.now()
    body = referral_body(**scenario.body)
    body["suspected_at"] = (now - timedelta(hours=3)).isoformat()
    created = api(world.referrer).post("/api/v1/referrals/", body, format="json")
    assert created.status_code == 201, created.content
    referral = created.json()
    assert referral["category"] == scenario.category, scenario.recommendations

    coordinator = api(world.coordinator)
    for kind, hours_ago in scenario.events:
        recorded = coordinator.post(
            f"/api/v1/referrals/{referral['id']}/events/",
            {"kind": kind, "occurred_at": (now - timedelta(hours=hours_ago)).isoformat()},
            format="json",
        )
        assert recorded.status_code == 201, recorded.content
    if scenario.mdt:
        decided = coordinator.post(
            f"/api/v1/referrals/{referral['id']}/mdt/",
            {"decided_at": (now - timedelta(hours=1)).isoformat(), "decision": scenario.mdt,
             "participants": "Oncologist, spinal surgeon", "reasons": "Synthetic",
             "care_plan": "Synthetic"},
            format="json",
        )  # fmt: skip
        assert decided.status_code == 201, decided.content
    detail = coordinator.get(f"/api/v1/referrals/{referral['id']}/").json()
    after = scenario.category_after or scenario.category
    assert detail["category"] == after, scenario.recommendations

    running = {
        c["kind"]: c["target_hours"]
        for c in detail["clocks"]
        if c["status"] in ("running", "breached")
    }
    assert running == scenario.clocks, scenario.recommendations
    met = {c["kind"] for c in detail["clocks"] if c["status"] == "met"}
    assert scenario.met <= met, scenario.recommendations
    cited = {p["recommendation"] for p in detail["prompts"]}
    assert scenario.cited <= cited, (scenario.recommendations, sorted(cited))
    assert not scenario.not_cited & cited, (scenario.recommendations, sorted(cited))
