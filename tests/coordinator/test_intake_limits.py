"""Issue 9, item 6: intake limits. A referrer, and a
referring organisation, may send MSCC_INTAKE_RATE_USER and
MSCC_INTAKE_RATE_ORG referrals in any hour (60 and 600 by default) through
the API and the referral page; past a limit a 429 with Retry-After tells the
referrer to phone the coordinator. Coordinators and seniors are exempt."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from pathways.models import Clock
from referrals.models import Patient, Referral
from tests.conftest import referral_body
from tests.coordinator.test_pages import form_post, signed_in
from tests.factories import ReferrerFactory


def _counts() -> tuple[int, int, int]:
    return Referral.objects.count(), Patient.objects.count(), Clock.objects.count()


def test_a_flood_from_one_referrer_is_stopped_at_the_hourly_limit(world, api):
    """Before: all of 70 rapid referrals from one referrer were taken (the
    security test's referrer sent 3,691 in 45 s). After, with the default
    60/h: the first 60 are taken, the other 10 answered 429 with
    Retry-After, telling the referrer to phone, and nothing of them stored."""
    client = api(world.referrer)
    statuses = [
        client.post("/api/v1/referrals/", referral_body(), format="json").status_code
        for _ in range(70)
    ]
    assert statuses == [201] * 60 + [429] * 10
    before = _counts()
    refused = client.post("/api/v1/referrals/", referral_body(), format="json")
    assert refused.status_code == 429
    assert 3500 <= int(refused["Retry-After"]) <= 3600
    body = refused.json()
    assert body["code"] == "intake_limit"
    assert "You have sent 60 referrals in the last hour" in body["detail"]
    assert "phone the MSCC coordinator now on 01632 960 001" in body["detail"]
    assert _counts() == before


def test_the_organisation_limit_counts_all_its_referrers(world, api, settings):
    settings.MSCC_INTAKE_RATE_USER = "3/h"
    settings.MSCC_INTAKE_RATE_ORG = "5/h"
    colleague = ReferrerFactory(username="referrer-2", organisation=world.gp)
    first, second = api(world.referrer), api(colleague)
    assert [
        first.post("/api/v1/referrals/", referral_body(), format="json").status_code
        for _ in range(4)
    ] == [
        201,
        201,
        201,
        429,
    ]
    assert [
        second.post("/api/v1/referrals/", referral_body(), format="json").status_code
        for _ in range(3)
    ] == [
        201,
        201,
        429,
    ]
    refused = second.post("/api/v1/referrals/", referral_body(), format="json")
    assert "GP-A1 (GP-A1) has sent 5 referrals in the last hour" in refused.json()["detail"]
    # Another organisation of the alliance is counted on its own.
    other = api(world.referrer_same_alliance)
    created = other.post(
        "/api/v1/referrals/", referral_body(referring_organisation="GP-A2"), format="json"
    )
    assert created.status_code == 201


@pytest.mark.parametrize("role", ["coordinator", "senior"])
def test_coordinators_and_senior_clinicians_are_not_limited(world, api, settings, role):
    settings.MSCC_INTAKE_RATE_USER = "1/h"
    settings.MSCC_INTAKE_RATE_ORG = "1/h"
    client = api(getattr(world, role))
    statuses = [
        client.post("/api/v1/referrals/", referral_body(), format="json").status_code
        for _ in range(4)
    ]
    assert statuses == [201] * 4


def test_the_window_slides_and_retry_after_says_when_a_place_frees(world, api, settings):
    settings.MSCC_INTAKE_RATE_USER = "2/h"
    start = timezone.now()
    client = api(world.referrer)
    with time_machine.travel(start, tick=False) as clock:
        assert client.post("/api/v1/referrals/", referral_body(), format="json").status_code == 201
        clock.shift(timedelta(minutes=20))
        assert client.post("/api/v1/referrals/", referral_body(), format="json").status_code == 201
        clock.shift(timedelta(minutes=10))
        refused = client.post("/api/v1/referrals/", referral_body(), format="json")
        assert refused.status_code == 429
        # The first referral leaves the last hour 30 minutes from now.
        assert refused["Retry-After"] == str(30 * 60)
        assert "It can be sent here again in 30 minutes." in refused.json()["detail"]
        clock.shift(timedelta(minutes=30, seconds=1))
        assert client.post("/api/v1/referrals/", referral_body(), format="json").status_code == 201


def test_a_retry_of_a_referral_already_taken_is_replayed_not_refused(world, api, settings):
    settings.MSCC_INTAKE_RATE_USER = "1/h"
    client = api(world.referrer)
    body = referral_body()
    first = client.post("/api/v1/referrals/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201
    again = client.post("/api/v1/referrals/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert (again.status_code, again["Idempotency-Key-Replayed"]) == (201, "true")
    assert again.json()["id"] == first.json()["id"]
    assert client.post("/api/v1/referrals/", referral_body(), format="json").status_code == 429


def test_the_referral_page_answers_429_and_says_to_phone(world, settings):
    settings.MSCC_INTAKE_RATE_USER = "1/h"
    client = signed_in(world.referrer)
    assert client.post("/referrals/new/", form_post()).status_code == 302
    before = _counts()
    page = client.post("/referrals/new/", form_post())
    assert page.status_code == 429
    assert 3500 <= int(page["Retry-After"]) <= 3600
    text = page.content.decode()
    assert "There is a problem: nothing has been sent yet" in text
    assert "phone the MSCC coordinator now on 01632 960 001" in text
    assert _counts() == before


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_requests_at_once_cannot_all_take_the_last_place(world, api, settings):
    """Eight requests at once with one place left: exactly one is taken (the
    organisation's row lock orders the count and the insert)."""
    settings.MSCC_INTAKE_RATE_USER = "3/h"
    client = api(world.referrer)
    for _ in range(2):
        assert client.post("/api/v1/referrals/", referral_body(), format="json").status_code == 201
    statuses: list[int] = []
    barrier = threading.Barrier(8)

    def post() -> None:
        try:
            barrier.wait(timeout=30)
            statuses.append(
                api(world.referrer)
                .post("/api/v1/referrals/", referral_body(), format="json")
                .status_code
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [201] + [429] * 7
    assert Referral.objects.filter(referred_by=world.referrer).count() == 3


def test_a_rate_setting_that_cannot_be_read_stops_start_up() -> None:
    from core.rates import parse_rate

    assert parse_rate("60/h").count == 60
    assert parse_rate("600/day").period == timedelta(days=1)
    for bad in ("60", "x/h", "60/fortnight", ""):
        with pytest.raises(ValueError):
            parse_rate(bad)
