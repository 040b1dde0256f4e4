"""Clinical events over the API: every kind, the clocks they start, stop and
cancel, withdrawal of a mistake, and "not appropriate"."""

from datetime import timedelta

import pytest
from django.utils import timezone

from pathways.codes import EventKind
from pathways.models import ClinicalEvent, Clock

EVENTS = "/api/v1/referrals/{}/events/"


def post_event(api, user, referral, kind, at=None, **extra):
    body = {"kind": kind, **extra}
    if at is not None:
        body["occurred_at"] = at.isoformat()
    return api(user).post(EVENTS.format(referral.pk), body, format="json")


def clocks(response) -> dict[str, list[dict]]:
    by_kind: dict[str, list[dict]] = {}
    for clock in response.json()["clocks"]:
        by_kind.setdefault(clock["kind"], []).append(clock)
    return by_kind


def running(response, kind) -> dict:
    (clock,) = [c for c in clocks(response).get(kind, []) if c["status"] in ("running", "breached")]
    return clock


@pytest.mark.parametrize(
    "kind",
    [k for k in EventKind if k not in (EventKind.ENTERED_IN_ERROR, EventKind.DIED)],
)
def test_every_event_kind_is_recorded(coordinator, api, make_referral, kind):
    referral = make_referral(now=timezone.now() - timedelta(hours=1))
    response = post_event(
        api,
        coordinator,
        referral,
        kind,
        at=timezone.now() - timedelta(minutes=5),
        details="Synthetic",
        **({"ambulatory": True} if kind == EventKind.AMBULATORY_ASSESSED else {}),
    )
    assert response.status_code == 201, response.content
    event = ClinicalEvent.objects.get(referral=referral, kind=kind)
    assert event.recorded_by == coordinator
    assert [e["kind"] for e in response.json()["events"]] == [kind]


def test_died_is_recorded_and_ends_the_referral(coordinator, api, referral):
    response = post_event(
        api, coordinator, referral, "died", at=timezone.now() - timedelta(minutes=5)
    )
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "died"
    assert {c["status"] for c in body["clocks"]} == {"cancelled"}
    assert [p["recommendation"] for p in body["prompts"]] == ["1.2.11"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "mri_performed", "occurred_at": "FUTURE"}, "occurred_at"),
        ({"kind": "mri_performed", "occurred_at": "2026-01-01T10:00:00"}, "occurred_at"),
        ({"kind": "scan_done"}, "kind"),
        ({"kind": "mri_performed", "colour": "red"}, "colour"),
        ({"kind": "entered_in_error", "details": "typo"}, "corrects"),
        ({}, "kind"),
    ],
)
def test_bad_events_are_400_naming_the_field_and_store_nothing(
    coordinator, api, referral, body, field
):
    if body.get("occurred_at") == "FUTURE":
        body["occurred_at"] = (timezone.now() + timedelta(hours=1)).isoformat()
    response = api(coordinator).post(EVENTS.format(referral.pk), body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert ClinicalEvent.objects.count() == 0


def test_events_are_for_clinicians_of_the_service(world, api, referral):
    assert post_event(api, world.referrer, referral, "mri_requested").status_code == 403
    assert post_event(api, world.coordinator_other, referral, "mri_requested").status_code == 404
    assert post_event(api, world.lead, referral, "mri_requested").status_code == 403
    assert ClinicalEvent.objects.count() == 0


def test_mri_performed_stops_the_mri_clock(coordinator, api, make_referral):
    referral = make_referral(now=timezone.now() - timedelta(hours=3))
    done = timezone.now() - timedelta(hours=1)
    response = post_event(api, coordinator, referral, "mri_performed", at=done)
    (mri,) = clocks(response)["mri"]
    assert mri["status"] == "met"
    assert mri["stopped_at"] is not None
    assert Clock.objects.get(referral=referral, kind="mri").stopped_at == done


def test_mri_after_the_deadline_is_met_late(coordinator, api, make_referral):
    referral = make_referral(now=timezone.now() - timedelta(hours=30))
    response = post_event(api, coordinator, referral, "mri_performed")
    assert clocks(response)["mri"][0]["status"] == "met_late"


def test_immobilisation_starts_the_stability_advice_clock_and_advice_stops_it(
    coordinator, api, referral
):
    immobilised = timezone.now() - timedelta(hours=2)
    response = post_event(api, coordinator, referral, "immobilisation_started", at=immobilised)
    clock = running(response, "stability_advice")
    assert clock["target_hours"] == 24
    assert clock["reference"] == "NG234 1.4.4"
    stored = Clock.objects.get(referral=referral, kind="stability_advice")
    assert stored.started_at == immobilised
    assert stored.due_at == immobilised + timedelta(hours=24)
    response = post_event(api, coordinator, referral, "stability_advice_given")
    assert clocks(response)["stability_advice"][0]["status"] == "met"


def test_radiotherapy_decision_starts_24_hours_and_delivery_stops_it(coordinator, api, referral):
    decided = timezone.now() - timedelta(hours=3)
    response = post_event(api, coordinator, referral, "rt_decision", at=decided)
    assert running(response, "radiotherapy")["target_hours"] == 24
    codes = [p["code"] for p in response.json()["prompts"]]
    assert "radiotherapy_8gy_single_fraction" in codes  # 1.10.5
    assert "radiotherapy_within_24_hours" in codes  # 1.10.4 and its exceptions
    assert "fertility_discussion" in codes  # 1.10.1
    response = post_event(api, coordinator, referral, "rt_delivered")
    assert clocks(response)["radiotherapy"][0]["status"] == "met"
    assert "radiotherapy_within_24_hours" not in [p["code"] for p in response.json()["prompts"]]


def test_events_entered_out_of_order_give_the_same_clock(coordinator, api, referral):
    decided = timezone.now() - timedelta(hours=5)
    delivered = timezone.now() - timedelta(hours=2)
    post_event(api, coordinator, referral, "rt_delivered", at=delivered)
    response = post_event(api, coordinator, referral, "rt_decision", at=decided)
    (clock,) = clocks(response)["radiotherapy"]
    assert clock["status"] == "met"
    stored = Clock.objects.get(referral=referral, kind="radiotherapy")
    assert (stored.started_at, stored.stopped_at) == (decided, delivered)


def test_a_stop_from_before_the_clock_started_does_not_stop_it(coordinator, api, referral):
    post_event(api, coordinator, referral, "rt_decision", at=timezone.now() - timedelta(hours=1))
    response = post_event(
        api, coordinator, referral, "rt_delivered", at=timezone.now() - timedelta(hours=2)
    )
    assert running(response, "radiotherapy")


def test_mscc_ruled_out_leaves_the_spinal_metastases_standards_running(coordinator, api, referral):
    """Changed for NG234 (docs/clinical-rules.md, section 4): this test used to expect every clock
    but acknowledgement cancelled and 1.8.2 shown after ``mscc_ruled_out``.
    MSCC excluded is not spinal metastases excluded: the referral becomes
    suspected spinal metastases, the 24-hour MRI is cancelled and the 1-week
    MRI (1.5.3) runs from suspicion; stability advice (1.4.4) keeps running;
    dexamethasone is stopped only when both are ruled out (1.8.2)."""
    post_event(api, coordinator, referral, "immobilisation_started")
    post_event(api, coordinator, referral, "dexamethasone_given")
    response = post_event(api, coordinator, referral, "mscc_ruled_out", details="MRI normal")
    body = response.json()
    assert body["category"] == "suspected_spinal_metastases"
    assert body["triage_category"] == "suspected_mscc"
    states = {kind: [c["status"] for c in cs] for kind, cs in clocks(response).items()}
    assert states == {
        "acknowledgement": ["running"],
        "mri": ["cancelled", "running"],
        "stability_advice": ["running"],
        "dexamethasone": ["met"],
    }
    cancelled, weekly = sorted(clocks(response)["mri"], key=lambda c: c["status"])
    assert cancelled["stop_reason"] == "No longer applies: MSCC ruled out."
    assert weekly["started_at"] == cancelled["started_at"]  # from suspicion
    assert weekly["target_hours"] == 7 * 24
    assert "advice" not in clocks(response)  # not started after the fact
    assert "dexamethasone_stop" not in [p["code"] for p in body["prompts"]]

    response = post_event(api, coordinator, referral, "spinal_metastases_ruled_out")
    states = {kind: [c["status"] for c in cs] for kind, cs in clocks(response).items()}
    assert states == {
        "acknowledgement": ["running"],
        "mri": ["cancelled", "cancelled"],
        "stability_advice": ["cancelled"],
        "dexamethasone": ["met"],
    }
    codes = [p["code"] for p in response.json()["prompts"]]
    assert codes[0] == "dexamethasone_stop"  # 1.8.2: both ruled out
    # Later events do not restart the pathway's clocks.
    response = post_event(api, coordinator, referral, "rt_decision")
    assert "radiotherapy" not in clocks(response)


def test_a_mistaken_stop_is_withdrawn_and_the_clock_runs_again(coordinator, api, make_referral):
    referral = make_referral(now=timezone.now() - timedelta(hours=30))
    post_event(api, coordinator, referral, "mri_performed")
    wrong = ClinicalEvent.objects.get(kind="mri_performed")
    response = post_event(
        api,
        coordinator,
        referral,
        "entered_in_error",
        corrects=str(wrong.pk),
        details="Wrong patient's scan",
    )
    assert response.status_code == 201, response.content
    mri = running(response, "mri")
    assert mri["status"] == "breached"  # its original due time has passed
    events = {e["kind"]: e for e in response.json()["events"]}
    assert events["mri_performed"]["withdrawn"] is True
    assert events["entered_in_error"]["corrects"] == str(wrong.pk)
    assert ClinicalEvent.objects.count() == 2  # nothing deleted
    assert "mri_within_24_hours" in [p["code"] for p in response.json()["prompts"]]


def test_a_mistaken_start_is_withdrawn_and_its_clock_cancelled(coordinator, api, referral):
    post_event(api, coordinator, referral, "rt_decision")
    wrong = ClinicalEvent.objects.get(kind="rt_decision")
    response = post_event(
        api,
        coordinator,
        referral,
        "entered_in_error",
        corrects=str(wrong.pk),
        details="Recorded on the wrong referral",
    )
    assert clocks(response)["radiotherapy"][0]["status"] == "cancelled"


def test_withdrawal_rules(coordinator, api, make_referral, now):
    referral = make_referral()
    api(coordinator).post(f"/api/v1/referrals/{referral.pk}/acknowledge/")
    post_event(api, coordinator, referral, "mri_requested")
    ack = ClinicalEvent.objects.get(kind="acknowledged")
    requested = ClinicalEvent.objects.get(kind="mri_requested")

    def withdraw(event_id, details="Mistake"):
        return post_event(
            api,
            coordinator,
            referral,
            "entered_in_error",
            corrects=str(event_id),
            details=details,
        )

    assert withdraw(ack.pk).status_code == 409
    assert withdraw(requested.pk, details="").status_code == 400
    assert withdraw(requested.pk).status_code == 201
    assert withdraw(requested.pk).status_code == 409  # already withdrawn
    other = make_referral()
    post_event(api, coordinator, other, "mri_requested")
    elsewhere = ClinicalEvent.objects.filter(referral=other).get()
    assert withdraw(elsewhere.pk).status_code == 400


def test_no_events_on_a_closed_referral(coordinator, api, referral):
    post_event(api, coordinator, referral, "died")
    response = post_event(api, coordinator, referral, "mri_performed")
    assert response.status_code == 409
    assert "no further events" in response.json()["detail"]


def test_dexamethasone_given_turns_the_advice_to_continuing_and_monitoring(
    coordinator, api, referral
):
    response = post_event(api, coordinator, referral, "dexamethasone_given")
    codes = [p["code"] for p in response.json()["prompts"]]
    assert "dexamethasone_16mg" not in codes
    assert "dexamethasone_continue" in codes
    assert "steroid_monitoring" in codes  # 1.8.8
    response = post_event(api, coordinator, referral, "surgery_performed")
    codes = [p["code"] for p in response.json()["prompts"]]
    assert "dexamethasone_taper" in codes  # 1.8.1: reduce after surgery


def test_not_appropriate_stops_a_running_clock_with_its_reason(coordinator, api, referral):
    mri = Clock.objects.get(referral=referral, kind="mri")
    url = f"/api/v1/referrals/{referral.pk}/clocks/{mri.pk}/not-appropriate/"
    client = api(coordinator)
    assert client.post(url, {"reason": " "}, format="json").status_code == 400
    response = client.post(url, {"reason": "Patient declined MRI"}, format="json")
    assert response.status_code == 200
    (clock,) = clocks(response)["mri"]
    assert clock["status"] == "cancelled"
    assert clock["not_appropriate"] is True
    assert clock["not_appropriate_reason"] == "Patient declined MRI"
    assert client.post(url, {"reason": "again"}, format="json").status_code == 409
    mri.refresh_from_db()
    assert mri.history.latest().history_user == coordinator


def test_not_appropriate_on_a_stopped_clock_keeps_its_times(coordinator, api, make_referral):
    referral = make_referral(now=timezone.now() - timedelta(hours=30))
    post_event(api, coordinator, referral, "mri_performed")
    mri = Clock.objects.get(referral=referral, kind="mri")
    url = f"/api/v1/referrals/{referral.pk}/clocks/{mri.pk}/not-appropriate/"
    response = api(coordinator).post(url, {"reason": "Too unwell to lie flat"}, format="json")
    (clock,) = clocks(response)["mri"]
    assert (clock["status"], clock["not_appropriate"]) == ("met_late", True)


def test_another_referrals_clock_is_404(coordinator, api, make_referral):
    mine, other = make_referral(), make_referral()
    clock = Clock.objects.filter(referral=other).first()
    url = f"/api/v1/referrals/{mine.pk}/clocks/{clock.pk}/not-appropriate/"
    assert api(coordinator).post(url, {"reason": "x"}, format="json").status_code == 404


def test_events_are_append_only(coordinator, api, referral):
    from core.models import AppendOnlyError

    post_event(api, coordinator, referral, "mri_requested")
    event = ClinicalEvent.objects.get()
    event.details = "edited"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
