"""The corrected triage (NG234, issue 8) through the API, and the data
migration that brings existing services and open referrals under it."""

from datetime import datetime, timedelta
from importlib import import_module

from django.utils import timezone

from pathways.models import Clock, PathwayVersion
from pathways.selectors import pathway_version_current
from pathways.services import clocks_recompute
from referrals.models import Referral
from tests.conftest import referral_body

correct = import_module("coordinator.migrations.0001_ng234_triage_corrections").correct
ESA = "emergency_spinal_assessment"


def create(api, user, **fields):
    response = api(user).post("/api/v1/referrals/", referral_body(**fields), format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_cord_features_without_cancer_are_an_emergency_spinal_assessment(world, api):
    body = create(
        api, world.referrer, cancer_status="none", primary_tumour="", pain_features=[],
        neuro_features=["bladder_bowel"],
    )  # fmt: skip
    assert body["category"] == ESA
    codes = [p["code"] for p in body["prompts"]]
    assert codes[0] == "emergency_spinal_assessment"
    assert "urgent_oncology_assessment" not in codes
    ack = next(c for c in body["clocks"] if c["kind"] == "acknowledgement")
    assert ack["target_hours"] == 0.5
    assert {c["kind"] for c in body["clocks"]} == {"acknowledgement"}  # no MSCC clocks

    # In the queue right after suspected MSCC, before suspected metastases.
    create(api, world.referrer, pain_features=["nocturnal"], neuro_features=[])
    create(api, world.referrer)  # suspected MSCC
    queue = api(world.coordinator).get("/api/v1/queue/").json()["results"]
    assert [r["category"] for r in queue][:3] == [
        "suspected_mscc",
        ESA,
        "suspected_spinal_metastases",
    ]


def test_suspected_cancer_with_cord_features_gets_the_24_hour_mri_clock(world, api):
    suspected = timezone.now() - timedelta(hours=3)
    body = create(
        api, world.referrer, cancer_status="suspected", primary_tumour="",
        neuro_features=["gait"], suspected_at=suspected.isoformat(),
    )  # fmt: skip
    assert body["category"] == "suspected_mscc"
    mri = next(c for c in body["clocks"] if c["kind"] == "mri")
    assert mri["target_hours"] == 24
    assert datetime.fromisoformat(mri["started_at"]) == suspected
    assert body["prompts"][0]["code"] == "suspected_mscc_suspected_cancer"


def _as_before(referral, category):
    """What the old rules and the old default pathway left: the referral in
    ``category``, the 30-minute acknowledgement covering suspected MSCC only."""
    version = referral.pathway_version
    for definition in version.clock_definitions.filter(kind="acknowledgement"):
        definition.categories = [c for c in definition.categories if c != ESA]
        definition.save()
    Referral.objects.filter(pk=referral.pk).update(triage_category=category, category=category)
    referral.refresh_from_db()
    Clock.objects.filter(referral=referral).delete()
    clocks_recompute(referral=referral, user=None, now=referral.received_at)


def test_the_migration_corrects_services_and_retriages_open_referrals(world, make_referral):
    now = timezone.now()
    was_oncology = make_referral(
        now=now - timedelta(hours=5), cancer_status="suspected", primary_tumour="",
        neuro_features=["limb_weakness"],
    )  # fmt: skip
    _as_before(was_oncology, "oncology_assessment")
    unchanged = make_referral(now=now - timedelta(hours=1))
    old_version = was_oncology.pathway_version
    assert not Clock.objects.filter(referral=was_oncology, kind="mri").exists()

    done = correct(None, None)
    assert done["retriaged"] == 1

    # A corrected version is what new referrals start on, ESA acknowledged in 30 min.
    version = pathway_version_current(service=world.service)
    assert version.number > old_version.number
    urgent = version.clock_definitions.get(kind="acknowledgement", target=timedelta(minutes=30))
    assert ESA in urgent.categories and "suspected_mscc" in urgent.categories
    other = version.clock_definitions.get(kind="acknowledgement", target=timedelta(hours=4))
    assert ESA not in other.categories

    was_oncology.refresh_from_db()
    assert was_oncology.category == "suspected_mscc"
    assert was_oncology.triage_category == "oncology_assessment"  # the first triage stays
    assert "corrected NG234 rules" in was_oncology.category_override_reason
    assert was_oncology.pathway_version == version
    mri = Clock.objects.get(referral=was_oncology, kind="mri", void=False)
    assert (mri.status, mri.started_at) == ("running", was_oncology.suspected_at)
    assert mri.due_at == was_oncology.suspected_at + timedelta(hours=24)
    assert mri.next_escalation_at is not None
    running = [c.kind for c in Clock.objects.filter(referral=was_oncology, status="running")]
    assert len(running) == len(set(running))
    assert all(c.definition.version == version for c in Clock.objects.filter(referral=was_oncology))

    unchanged.refresh_from_db()
    assert unchanged.category_overridden_at is None
    assert correct(None, None)["retriaged"] == 0  # idempotent
    assert PathwayVersion.objects.filter(service=world.service).count() == version.number
