"""A referral walked through every state; forbidden moves; MDT decisions;
frozen pathway versions; and two coordinators recording at once."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.services import token_create
from pathways.models import ClinicalEvent, Clock, ClockDefinition, MdtDecision, PathwayVersion
from referrals.codes import TERMINAL_STATUSES
from referrals.models import Referral

STATUS = "/api/v1/referrals/{}/status/"
MDT = "/api/v1/referrals/{}/mdt/"


def move(api, user, referral, status, **fields):
    return api(user).post(STATUS.format(referral.pk), {"status": status, **fields}, format="json")


def mdt_body(decision="radiotherapy", **extra):
    return {
        "decided_at": (timezone.now() - timedelta(minutes=30)).isoformat(),
        "participants": "Dr Onc (clinical oncologist), Mr Spine (spinal surgeon), CNS",
        "decision": decision,
        "reasons": "Not suitable for surgery: multilevel disease.",
        "care_plan": "Single fraction 8 Gy tomorrow morning; physiotherapy review.",
        **extra,
    }


def test_lifecycle_through_every_main_state(coordinator, api, referral):
    path = ["triaged", "investigating", "treatment_planned", "treating", "rehabilitation"]
    for status in path:
        response = move(api, coordinator, referral, status)
        assert response.status_code == 200, (status, response.content)
        assert response.json()["status"] == status
    response = move(api, coordinator, referral, "closed", reason="Discharged home")
    assert response.json()["status"] == "closed"
    assert response.json()["status_reason"] == "Discharged home"
    assert not Clock.objects.filter(referral=referral, status="running").exists()
    history = [
        h.status for h in Referral.objects.get(pk=referral.pk).history.order_by("history_date")
    ]
    for status in [*path, "closed"]:
        assert status in history


@pytest.mark.parametrize(
    ("status", "fields"),
    [
        ("closed_not_mscc", {"reason": "MRI: degenerative change only"}),
        ("redirected", {"reason": "Lives in another alliance", "redirected_to": "B-MSCC"}),
        ("withdrawn", {"reason": "Referrer withdrew: duplicate"}),
        ("died", {"occurred_at": "PAST"}),
    ],
)
def test_every_terminal_state_cancels_running_clocks_and_ends_changes(
    coordinator, api, make_referral, status, fields
):
    referral = make_referral(now=timezone.now() - timedelta(hours=2))
    if fields.get("occurred_at") == "PAST":
        fields = {"occurred_at": (timezone.now() - timedelta(minutes=10)).isoformat()}
    response = move(api, coordinator, referral, status, **fields)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == status
    assert {c["status"] for c in response.json()["clocks"]} == {"cancelled"}
    again = move(api, coordinator, referral, "investigating")
    assert again.status_code == 409
    assert "cannot change" in again.json()["detail"]


def test_closing_as_not_mscc_records_that_mscc_was_ruled_out(coordinator, api, referral):
    move(api, coordinator, referral, "closed_not_mscc", reason="MRI normal")
    assert ClinicalEvent.objects.filter(referral=referral, kind="mscc_ruled_out").exists()


@pytest.mark.parametrize(
    ("status", "fields", "missing"),
    [
        ("closed_not_mscc", {}, ["reason"]),
        ("redirected", {"reason": "x"}, ["redirected_to"]),
        ("redirected", {}, ["reason", "redirected_to"]),
        ("withdrawn", {"reason": "  "}, ["reason"]),
        ("died", {}, ["occurred_at"]),
    ],
)
def test_a_move_without_its_fields_is_a_400_naming_them(
    coordinator, api, referral, status, fields, missing
):
    response = move(api, coordinator, referral, status, **fields)
    assert response.status_code == 400
    assert sorted(response.json()) == missing
    assert Referral.objects.get(pk=referral.pk).status == "received"


@pytest.mark.parametrize(
    ("start", "target"),
    [
        ("received", "treating"),
        ("triaged", "rehabilitation"),
        ("treating", "investigating"),
    ],
)
def test_a_forbidden_move_is_a_409_that_says_why(coordinator, api, referral, start, target):
    Referral.objects.filter(pk=referral.pk).update(status=start)
    response = move(api, coordinator, referral, target)
    assert response.status_code == 409
    assert f"cannot move from {start} to {target}" in response.json()["detail"]


def test_status_moves_are_for_clinicians_of_the_service(world, api, referral):
    assert move(api, world.referrer, referral, "investigating").status_code == 403
    assert move(api, world.coordinator_other, referral, "investigating").status_code == 404


def test_mdt_radiotherapy_decision_starts_its_clock_and_keeps_the_care_plan(
    senior_clinician, api, referral
):
    response = api(senior_clinician).post(MDT.format(referral.pk), mdt_body(), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    (decision,) = body["mdt_decisions"]
    assert decision["decision"] == "radiotherapy"
    assert decision["recorded_by"] == "senior"
    assert "8 Gy" in decision["care_plan"]
    rt = [c for c in body["clocks"] if c["kind"] == "radiotherapy"]
    assert [c["status"] for c in rt] == ["running"]
    assert (
        ClinicalEvent.objects.get(referral=referral, kind="rt_decision").occurred_at
        == MdtDecision.objects.get().decided_at
    )


def test_mdt_high_risk_of_side_effects_turns_the_advice_to_multiple_fractions(
    senior_clinician, api, referral
):
    response = api(senior_clinician).post(
        MDT.format(referral.pk), mdt_body(high_risk_of_side_effects=True), format="json"
    )
    codes = [p["code"] for p in response.json()["prompts"]]
    assert "radiotherapy_multiple_fractions" in codes  # 1.10.6
    assert "radiotherapy_8gy_single_fraction" not in codes


@pytest.mark.parametrize(
    ("decision", "events"),
    [
        ("both", {"rt_decision", "surgery_decision"}),
        ("surgery", {"surgery_decision"}),
        ("supportive_care", set()),
    ],
)
def test_mdt_decisions_record_their_events(senior_clinician, api, referral, decision, events):
    api(senior_clinician).post(MDT.format(referral.pk), mdt_body(decision), format="json")
    assert set(ClinicalEvent.objects.values_list("kind", flat=True)) == events


@pytest.mark.parametrize("missing", ["participants", "reasons", "care_plan", "decided_at"])
def test_an_mdt_decision_needs_its_record(senior_clinician, api, referral, missing):
    body = mdt_body()
    body.pop(missing)
    response = api(senior_clinician).post(MDT.format(referral.pk), body, format="json")
    assert response.status_code == 400
    assert missing in response.json()
    assert MdtDecision.objects.count() == 0


def test_a_referral_keeps_the_pathway_version_it_started_on(
    service, pathway, coordinator, api, make_referral
):
    before = make_referral()
    # The service publishes version 2 with a 12-hour stability target.
    v2 = PathwayVersion.objects.create(service=service, number=2, published_at=timezone.now())
    for definition in pathway.clock_definitions.all():
        definition.pk = None
        definition.version = v2
        if definition.kind == "stability_advice":
            definition.target = timedelta(hours=12)
        definition.save()
    after = make_referral()
    assert (before.pathway_version, after.pathway_version) == (pathway, v2)
    for referral, hours in ((before, 24), (after, 12)):
        response = api(coordinator).post(
            f"/api/v1/referrals/{referral.pk}/events/",
            {"kind": "immobilisation_started"},
            format="json",
        )
        clock = next(c for c in response.json()["clocks"] if c["kind"] == "stability_advice")
        assert clock["target_hours"] == hours
    # Editing a definition later changes no clock already started.
    ClockDefinition.objects.filter(version=pathway, kind="mri").update(target=timedelta(hours=2))
    mri = Clock.objects.get(referral=before, kind="mri")
    assert mri.due_at - mri.started_at == timedelta(hours=24)


def test_terminal_statuses_are_all_reachable_and_final():
    from referrals.transitions import TRANSITIONS

    reachable = set().union(*TRANSITIONS.values())
    assert reachable >= TERMINAL_STATUSES


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_coordinators_recording_at_once_lose_nothing(coordinator, senior_clinician, referral):
    """Eight threads on their own connections record events on one referral
    at the same moment: every event is stored and the clocks are consistent
    (one radiotherapy clock however many decisions race)."""
    tokens = [token_create(user=u).token for u in (coordinator, senior_clinician)]
    kinds = [
        "rt_decision",
        "rt_decision",
        "immobilisation_started",
        "dexamethasone_given",
        "mri_requested",
        "rt_decision",
        "immobilisation_started",
        "admitted",
    ]
    barrier = threading.Barrier(len(kinds))
    statuses: list[int] = []
    lock = threading.Lock()

    def record(i: int, kind: str) -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {tokens[i % 2]}")
        barrier.wait()
        try:
            response = client.post(
                f"/api/v1/referrals/{referral.pk}/events/", {"kind": kind}, format="json"
            )
            with lock:
                statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=record, args=(i, k)) for i, k in enumerate(kinds)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [201] * len(kinds)
    assert ClinicalEvent.objects.filter(referral=referral).count() == len(kinds)
    assert Clock.objects.filter(referral=referral, kind="radiotherapy").count() == 1
    assert Clock.objects.filter(referral=referral, kind="stability_advice").count() == 1


def test_detail_shows_recorded_scores(coordinator, api, referral):
    sins = {
        "location": "junctional",
        "pain": "mechanical",
        "bone_lesion": "lytic",
        "alignment": "subluxation",
        "collapse": "over_50",
        "posterolateral": "bilateral",
    }
    response = api(coordinator).post(
        f"/api/v1/referrals/{referral.pk}/scores/", {"kind": "sins", "inputs": sins}, format="json"
    )
    assert response.status_code == 201, response.content
    detail = api(coordinator).get(f"/api/v1/referrals/{referral.pk}/").json()
    (score,) = detail["scores"]
    assert (score["kind"], score["score"], score["band"]) == ("sins", 18, "unstable")
    assert score["recorded_by"] == "coordinator"
