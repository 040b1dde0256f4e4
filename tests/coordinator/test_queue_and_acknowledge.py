"""The coordinator queue (most urgent first) and acknowledgement."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pathways.models import ClinicalEvent, Clock
from referrals.models import Referral

QUEUE = "/api/v1/queue/"


def _queue(api, user) -> list[dict]:
    response = api(user).get(QUEUE)
    assert response.status_code == 200
    return response.json()["results"]


def test_queue_orders_by_category_then_earliest_due_clock(world, api, make_referral):
    now = timezone.now()
    safety = make_referral(
        cancer_status="current_or_past",
        neuro_features=[],
        back_pain=True,
        now=now - timedelta(hours=3),
    )
    mets = make_referral(neuro_features=[], pain_features=["mechanical"], now=now)
    mscc_new = make_referral(now=now)
    # Suspected an hour before referral: its MRI clock is due sooner... but both
    # MSCC referrals are ordered by the earliest due running clock, which is the
    # 30-minute acknowledgement clock of the older one.
    mscc_old = make_referral(now=now - timedelta(minutes=20))
    order = [r["reference"] for r in _queue(api, world.coordinator)]
    assert order == [mscc_old.reference, mscc_new.reference, mets.reference, safety.reference]


def test_queue_excludes_closed_referrals(world, api, make_referral):
    referral = make_referral()
    Referral.objects.filter(pk=referral.pk).update(status="withdrawn")
    assert _queue(api, world.coordinator) == []


def test_overdue_clock_reads_breached_in_the_queue_at_once(world, api, make_referral):
    make_referral(now=timezone.now() - timedelta(minutes=31))
    clocks = {c["kind"]: c for c in _queue(api, world.coordinator)[0]["clocks"]}
    assert clocks["acknowledgement"]["status"] == "breached"
    assert clocks["acknowledgement"]["time_left"].startswith("OVERDUE by")


def test_queue_query_count_does_not_grow_with_the_queue(world, api, make_referral):
    client = api(world.coordinator)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(QUEUE).status_code == 200
        return len(queries)

    for _ in range(2):
        make_referral()
    small = count()
    for _ in range(20):
        make_referral(neuro_features=[], pain_features=["nocturnal"])
    assert count() == small


def test_acknowledge_stops_the_clock_and_records_the_event(world, api, make_referral):
    referral = make_referral()
    response = api(world.coordinator).post(f"/api/v1/referrals/{referral.pk}/acknowledge/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "triaged"
    clocks = {c["kind"]: c for c in body["clocks"]}
    assert clocks["acknowledgement"]["status"] == "met"
    assert clocks["mri"]["status"] == "running"
    event = ClinicalEvent.objects.get(referral=referral)
    assert event.kind == "acknowledged"
    assert event.recorded_by == world.coordinator


def test_late_acknowledgement_is_met_late(world, api, make_referral):
    referral = make_referral(now=timezone.now() - timedelta(hours=1))
    api(world.coordinator).post(f"/api/v1/referrals/{referral.pk}/acknowledge/")
    clock = Clock.objects.get(referral=referral, kind="acknowledgement")
    assert clock.status == "met_late"


def test_second_acknowledgement_is_a_409_that_says_who(world, api, make_referral):
    referral = make_referral()
    api(world.coordinator).post(f"/api/v1/referrals/{referral.pk}/acknowledge/")
    response = api(world.senior).post(f"/api/v1/referrals/{referral.pk}/acknowledge/")
    assert response.status_code == 409
    assert "Coordinator" in response.json()["detail"]
    assert ClinicalEvent.objects.count() == 1


def test_acknowledging_a_closed_referral_is_a_409(world, api, make_referral):
    referral = make_referral()
    Referral.objects.filter(pk=referral.pk).update(status="died")
    response = api(world.coordinator).post(f"/api/v1/referrals/{referral.pk}/acknowledge/")
    assert response.status_code == 409
    assert "closed" in response.json()["detail"]


def test_category_override_needs_a_reason_and_moves_the_clocks(world, api, make_referral):
    referral = make_referral(neuro_features=[], pain_features=["mechanical"])
    url = f"/api/v1/referrals/{referral.pk}/category/"
    client = api(world.coordinator)
    missing = client.post(url, {"category": "suspected_mscc", "reason": "  "}, format="json")
    assert missing.status_code == 400
    assert "reason" in missing.json()

    response = client.post(
        url,
        {"category": "suspected_mscc", "reason": "New leg weakness on phone review"},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["category"] == "suspected_mscc"
    assert body["triage_category"] == "suspected_spinal_metastases"
    assert body["prompts"][0]["recommendation"] == "1.3.2"
    by_status: dict[str, list] = {}
    for clock in body["clocks"]:
        by_status.setdefault(clock["status"], []).append((clock["kind"], clock["target_hours"]))
    # The week-long MRI clock and the advice clock are cancelled; the 24-hour
    # MRI clock runs from the same suspicion time.
    assert sorted(by_status["cancelled"]) == [("acknowledgement", 4), ("advice", 24), ("mri", 168)]
    assert sorted(by_status["running"]) == [("acknowledgement", 0.5), ("mri", 24)]
    mri = Clock.objects.get(referral=referral, kind="mri", status="running")
    assert mri.started_at == referral.suspected_at


def test_category_override_to_the_same_category_is_a_409(world, api, make_referral):
    referral = make_referral()
    response = api(world.coordinator).post(
        f"/api/v1/referrals/{referral.pk}/category/",
        {"category": "suspected_mscc", "reason": "x"},
        format="json",
    )
    assert response.status_code == 409


def test_unknown_category_is_a_400(world, api, make_referral):
    referral = make_referral()
    response = api(world.coordinator).post(
        f"/api/v1/referrals/{referral.pk}/category/",
        {"category": "urgent", "reason": "x"},
        format="json",
    )
    assert response.status_code == 400
    assert "category" in response.json()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_coordinators_acknowledging_at_once_make_one_acknowledgement(world, make_referral):
    import threading

    from rest_framework.test import APIClient

    from accounts.services import token_create

    referral = make_referral()
    tokens = [token_create(user=u).token for u in (world.coordinator, world.senior)]
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def acknowledge(token: str) -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        barrier.wait()
        try:
            statuses.append(
                client.post(f"/api/v1/referrals/{referral.pk}/acknowledge/").status_code
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=acknowledge, args=(t,)) for t in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 409]
    assert ClinicalEvent.objects.filter(referral=referral, kind="acknowledged").count() == 1
