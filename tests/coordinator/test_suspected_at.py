"""A blank suspicion time is assumed, shown so, and confirmed or corrected
by the coordinator (issue 8); the clocks that run from it move with it."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from pathways.models import Clock
from referrals.models import Referral
from tests.conftest import referral_body

URL = "/api/v1/referrals/{}/suspected-at/"


def create(api, user, **fields):
    body = referral_body(**fields)
    body.pop("suspected_at", None)
    response = api(user).post("/api/v1/referrals/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_a_blank_suspicion_time_is_assumed_and_corrected_by_the_coordinator(world, api):
    created = create(api, world.referrer)
    assert created["suspected_at_assumed"] is True
    referral = Referral.objects.get(pk=created["id"])
    assert referral.suspected_at == referral.received_at
    mri = Clock.objects.get(referral=referral, kind="mri")

    browser = Client()
    browser.force_login(world.coordinator)
    page = browser.get(f"/referrals/{referral.pk}/")
    assert page.status_code == 200
    assert "assumed" in page.content.decode()

    earlier = referral.received_at - timedelta(hours=20)
    answer = api(world.coordinator).post(
        URL.format(referral.pk),
        {"suspected_at": earlier.isoformat(), "reason": "GP letter: weakness noticed yesterday."},
        format="json",
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["suspected_at_assumed"] is False
    moved = Clock.objects.get(referral=referral, kind="mri")
    assert moved.pk == mri.pk  # the same clock, moved
    assert (moved.started_at, moved.due_at) == (earlier, earlier + timedelta(hours=24))
    referral.refresh_from_db()
    assert referral.suspected_at_reason == "GP letter: weakness noticed yesterday."
    assert referral.history.filter(suspected_at=referral.received_at).exists()  # kept


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"suspected_at": "FUTURE"}, "suspected_at"),
        ({"suspected_at": "AFTER_RECEIPT"}, "suspected_at"),
        ({"reason": ""}, "reason"),
        ({"suspected_at": "2026-11-01T10:00:00"}, "suspected_at"),  # no offset
        ({"extra": "x"}, "extra"),
    ],
)
def test_a_bad_correction_is_refused_by_name_and_changes_nothing(world, api, change, field):
    created = create(api, world.referrer)
    referral = Referral.objects.get(pk=created["id"])
    body = {
        "suspected_at": (referral.received_at - timedelta(hours=1)).isoformat(),
        "reason": "Phoned the GP.",
        **change,
    }
    if body["suspected_at"] == "FUTURE":
        body["suspected_at"] = (timezone.now() + timedelta(hours=2)).isoformat()
    if body["suspected_at"] == "AFTER_RECEIPT":
        body["suspected_at"] = (referral.received_at + timedelta(seconds=1)).isoformat()
    answer = api(world.coordinator).post(URL.format(referral.pk), body, format="json")
    assert answer.status_code == 400
    assert field in answer.json()
    referral.refresh_from_db()
    assert (referral.suspected_at, referral.suspected_at_assumed) == (referral.received_at, True)


def test_only_the_services_clinicians_may_correct_it(world, api):
    created = create(api, world.referrer)
    body = {"suspected_at": timezone.now().isoformat(), "reason": "x"}
    assert (
        api(world.referrer).post(URL.format(created["id"]), body, format="json").status_code == 403
    )
    other = api(world.coordinator_other).post(URL.format(created["id"]), body, format="json")
    assert other.status_code == 404


@pytest.mark.parametrize(
    ("days_ago", "message"),
    [
        (None, "between 1900 and 2100"),  # the year 108
        (40, "before the date of birth"),  # a baby born 30 days ago
        (120, "more than 90 days ago"),
    ],
)
def test_a_suspicion_time_outside_the_episode_is_refused_by_name(world, api, days_ago, message):
    """Found by the schema fuzzer (scripts/fuzz-api): a suspicion time in the
    year 108 was taken, and its clocks with it."""
    now = timezone.now()
    suspected_at = (
        "0108-10-03T17:03:44+00:00"
        if days_ago is None
        else (now - timedelta(days=days_ago)).isoformat()
    )
    born = (now - timedelta(days=30)).date().isoformat()
    body = referral_body(
        suspected_at=suspected_at, patient={**referral_body()["patient"], "date_of_birth": born}
    )
    refused = api(world.referrer).post("/api/v1/referrals/", body, format="json")
    assert refused.status_code == 400
    assert message in " ".join(refused.json()["suspected_at"])
    assert not Referral.objects.exists()

    patient = {**referral_body()["patient"], "date_of_birth": born}
    referral = Referral.objects.get(pk=create(api, world.referrer, patient=patient)["id"])
    corrected = api(world.coordinator).post(
        URL.format(referral.pk),
        {"suspected_at": suspected_at, "reason": "GP letter"},
        format="json",
    )
    assert corrected.status_code == 400
    assert "suspected_at" in corrected.json()
    referral.refresh_from_db()
    assert referral.suspected_at == referral.received_at  # unchanged


def test_an_onset_before_the_date_of_birth_is_refused_by_name(world, api):
    now = timezone.now()
    born = (now - timedelta(days=30)).date().isoformat()
    body = referral_body(
        patient={**referral_body()["patient"], "date_of_birth": born},
        neuro_onset_at=(now - timedelta(days=40)).isoformat(),
        suspected_at=(now - timedelta(days=1)).isoformat(),
    )
    refused = api(world.referrer).post("/api/v1/referrals/", body, format="json")
    assert refused.status_code == 400
    assert refused.json()["neuro_onset_at"] == ["The onset cannot be before the date of birth."]
    assert not Referral.objects.exists()
