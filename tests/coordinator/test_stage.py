"""The referral's stage through the service: derived from its status,
acknowledgement, clocks and the events that stand; in the API (create,
detail, list, queue) and in words on the queue and the referral's page."""

from datetime import timedelta
from typing import Any

from django.utils import timezone

from tests.conftest import referral_body
from tests.page_helpers import fragment, html, signed_in, text


def _event(client: Any, referral: Any, kind: str, **extra: Any) -> dict[str, Any]:
    response = client.post(
        f"/api/v1/referrals/{referral.pk}/events/", {"kind": kind, **extra}, format="json"
    )
    assert response.status_code == 201, response.json()
    return response.json()


def test_the_stage_follows_the_clinical_story(world: Any, api: Any, make_referral: Any) -> None:
    referral = make_referral(now=timezone.now() - timedelta(hours=3))
    client = api(world.coordinator)
    detail = f"/api/v1/referrals/{referral.pk}/"
    assert client.get(detail).json()["stage"] == "awaiting_acknowledgement"
    body = client.post(f"/api/v1/referrals/{referral.pk}/acknowledge/").json()
    assert (body["stage"], body["stage_label"]) == ("awaiting_mri", "Awaiting MRI")
    assert body["status"] == "triaged"  # status is unchanged by the stage
    assert _event(client, referral, "mri_performed")["stage"] == "awaiting_decision"
    body = _event(client, referral, "rt_decision")
    assert body["stage"] == "awaiting_radiotherapy"
    assert body["status"] == "triaged"
    assert _event(client, referral, "rt_delivered")["stage"] == "treated"


def test_an_event_entered_in_error_no_longer_moves_the_stage(
    world: Any, api: Any, make_referral: Any
) -> None:
    referral = make_referral(now=timezone.now() - timedelta(hours=3))
    client = api(world.coordinator)
    client.post(f"/api/v1/referrals/{referral.pk}/acknowledge/")
    body = _event(client, referral, "mri_performed")
    decided = _event(client, referral, "rt_decision")
    assert decided["stage"] == "awaiting_radiotherapy"
    decision = next(e for e in decided["events"] if e["kind"] == "rt_decision")
    body = _event(
        client, referral, "entered_in_error", corrects=decision["id"], details="Wrong patient"
    )
    assert body["stage"] == "awaiting_decision"
    mri = next(e for e in body["events"] if e["kind"] == "mri_performed")
    body = _event(client, referral, "entered_in_error", corrects=mri["id"], details="Not done")
    assert body["stage"] == "awaiting_mri"  # the MRI clock runs again


def test_mri_then_mscc_ruled_out_awaits_a_decision_until_closed(
    world: Any, api: Any, make_referral: Any
) -> None:
    referral = make_referral(now=timezone.now() - timedelta(hours=3))
    client = api(world.coordinator)
    client.post(f"/api/v1/referrals/{referral.pk}/acknowledge/")
    # A report alone leaves the MRI clock running (it stops when the MRI is
    # performed), and the stage follows the clock.
    assert _event(client, referral, "mri_reported")["stage"] == "awaiting_mri"
    assert _event(client, referral, "mri_performed")["stage"] == "awaiting_decision"
    body = _event(client, referral, "mscc_ruled_out")
    assert body["category"] == "suspected_spinal_metastases"
    assert body["stage"] == "awaiting_decision"
    closed = client.post(
        f"/api/v1/referrals/{referral.pk}/status/",
        {"status": "closed_not_mscc", "reason": "MRI: no compression"},
        format="json",
    )
    assert closed.status_code == 200, closed.json()
    assert closed.json()["stage"] == "closed"


def test_the_create_list_and_queue_answers_carry_the_stage(
    world: Any, api: Any, make_referral: Any
) -> None:
    created = api(world.referrer).post("/api/v1/referrals/", referral_body(), format="json")
    assert created.status_code == 201
    assert created.json()["stage"] == "awaiting_acknowledgement"
    assert created.json()["stage_label"] == "Awaiting acknowledgement"
    client = api(world.coordinator)
    queued = client.get("/api/v1/queue/").json()["results"]
    listed = client.get("/api/v1/referrals/").json()["results"]
    assert [r["stage"] for r in queued] == ["awaiting_acknowledgement"]
    assert [r["stage"] for r in listed] == ["awaiting_acknowledgement"]
    # The referrer sees the stage of their own referral too.
    mine = api(world.referrer).get("/api/v1/referrals/").json()["results"]
    assert mine[0]["stage"] == "awaiting_acknowledgement"


def test_the_stage_is_a_line_in_words_on_the_queue_and_the_page(
    world: Any, api: Any, make_referral: Any
) -> None:
    referral = make_referral()
    api(world.coordinator).post(f"/api/v1/referrals/{referral.pk}/acknowledge/")
    client = signed_in(world.coordinator)
    row = text(fragment(html(client.get("/queue/")), f"row-{referral.pk}"))
    assert "Stage: awaiting MRI" in row
    summary = text(fragment(html(client.get(f"/referrals/{referral.pk}/")), "summary"))
    assert "Stage Awaiting MRI" in summary
    printed = text(html(client.get("/queue/print/")))
    assert "Stage: awaiting MRI" in printed
