"""Issue 9, item 8: an event's time within the person's life and the
episode. An ``occurred_at`` before the patient's date of birth, or more than
MSCC_EVENT_LOOKBACK_DAYS (90) before the earliest of suspicion, neurological
onset and receipt, is a mistyped date: a 400 naming the field, nothing stored."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from pathways.models import ClinicalEvent, Clock, MdtDecision
from tests.factories import patient_details
from tests.pathways.test_events import post_event
from tests.pathways.test_lifecycle import MDT, mdt_body

BORN_1955 = datetime(1955, 4, 1, 12, tzinfo=timezone.get_current_timezone())


def _stored(referral) -> tuple[int, list[tuple[str, str, object]]]:
    return ClinicalEvent.objects.filter(referral=referral).count(), sorted(
        Clock.objects.filter(referral=referral).values_list("kind", "status", "due_at")
    )


@pytest.mark.parametrize("kind", ["mri_performed", "dexamethasone_given", "died"])
def test_an_event_before_the_patient_was_born_is_refused_naming_occurred_at(
    coordinator, api, referral, kind
):
    """Before: stored (201), and the clocks judged by it. After: 400."""
    before = _stored(referral)
    response = post_event(api, coordinator, referral, kind, at=BORN_1955 - timedelta(days=1))
    assert response.status_code == 400, response.content
    assert response.json() == {
        "occurred_at": ["This is before the patient was born (1 April 1955): check the date."]
    }
    assert _stored(referral) == before


def test_an_event_long_before_the_episode_is_refused_and_one_within_it_taken(
    coordinator, api, make_referral
):
    received = timezone.now() - timedelta(hours=2)
    referral = make_referral(now=received, suspected_at=received - timedelta(days=10))
    too_early = received - timedelta(days=10 + 90, minutes=1)
    response = post_event(api, coordinator, referral, "mri_performed", at=too_early)
    assert response.status_code == 400
    (message,) = response.json()["occurred_at"]
    assert message.startswith(
        "This is more than 90 days before this referral's first suspicion, symptom onset "
        "or receipt ("
    )
    assert not ClinicalEvent.objects.filter(referral=referral).exists()
    within = received - timedelta(days=10 + 89)
    assert post_event(api, coordinator, referral, "mri_performed", at=within).status_code == 201


def test_the_look_back_runs_from_the_earliest_of_suspicion_onset_and_receipt(
    coordinator, api, make_referral, settings
):
    settings.MSCC_EVENT_LOOKBACK_DAYS = 30
    received = timezone.now() - timedelta(hours=2)
    referral = make_referral(
        now=received,
        suspected_at=received - timedelta(days=1),
        neuro_onset_at=received - timedelta(days=20),
    )
    ok = received - timedelta(days=49)  # 29 days before the onset
    refused = received - timedelta(days=51)  # 31 days before it
    assert post_event(api, coordinator, referral, "admitted", at=refused).status_code == 400
    assert post_event(api, coordinator, referral, "admitted", at=ok).status_code == 201


def test_an_mdt_decision_before_the_patient_was_born_is_refused_naming_decided_at(
    senior_clinician, api, make_referral
):
    referral = make_referral(patient=patient_details(date_of_birth=BORN_1955.date()))
    response = api(senior_clinician).post(
        MDT.format(referral.pk),
        mdt_body(decided_at=(BORN_1955 - timedelta(days=400)).isoformat()),
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()) == ["decided_at"]
    assert not MdtDecision.objects.exists()


def test_the_referral_page_shows_the_refusal_beside_the_time(world, make_referral):
    from tests.coordinator.test_pages import signed_in

    referral = make_referral()
    page = signed_in(world.coordinator).post(
        f"/referrals/{referral.pk}/events/",
        {"kind": "mri_performed", "occurred_at": "1950-01-01T09:00"},
        HTTP_HX_REQUEST="true",
    )
    assert page.status_code in (200, 400, 422)
    assert "This is before the patient was born" in page.content.decode()
    assert not ClinicalEvent.objects.filter(referral=referral).exists()
