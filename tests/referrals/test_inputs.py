"""The rules of a referral's input hold for every caller, not only the API:
intake refuses, naming each field, and stores nothing."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from coordinator.services import referral_create
from core.errors import DomainError
from referrals.inputs import PatientDetails
from referrals.models import Patient, Referral


def details(**overrides):
    values = {
        "nhs_number": "999 000 0018",
        "given_name": "Test",
        "family_name": "Patient",
        "date_of_birth": date(1950, 1, 1),
        "sex": "female",
        "postcode": "ls1 4ap",
    }
    values.update(overrides)
    return PatientDetails(**values)


def create(world, patient=None, **clinical):
    body = {"cancer_status": "current_or_past", "primary_tumour": "breast"}
    body.update(clinical)
    return referral_create(
        user=world.referrer,
        now=timezone.now(),
        organisation=world.gp,
        service=world.service,
        patient=patient or details(),
        clinical=body,
    )


@pytest.mark.parametrize(
    ("patient", "clinical", "fields"),
    [
        ({"nhs_number": "9990000019"}, {}, {"patient.nhs_number"}),
        ({"postcode": "NOT A CODE"}, {}, {"patient.postcode"}),
        ({"date_of_birth": date(2999, 1, 1)}, {}, {"patient.date_of_birth"}),
        ({"sex": "unknown"}, {}, {"patient.sex"}),
        ({"given_name": " "}, {}, {"patient.given_name"}),
        ({}, {"cancer_status": "maybe"}, {"cancer_status"}),
        ({}, {"neuro_features": ["limb_weakness", "itch"]}, {"neuro_features"}),
        ({}, {"primary_tumour": ""}, {"primary_tumour"}),
        ({}, {"performance_status": 7}, {"performance_status"}),
        ({}, {"presentation": "x" * 5001}, {"presentation"}),
        ({}, {"suspected_at": "FUTURE"}, {"suspected_at"}),
        ({}, {"neuro_onset_at": "NAIVE"}, {"neuro_onset_at"}),
        (
            {"nhs_number": "123"},
            {"movement_pain": "agony", "frailty_score": 0},
            {"patient.nhs_number", "movement_pain", "frailty_score"},
        ),
    ],
)
def test_intake_refuses_bad_input_from_any_caller_and_names_every_field(
    world, patient, clinical, fields
):
    now = timezone.now()
    if clinical.get("suspected_at") == "FUTURE":
        clinical = {**clinical, "suspected_at": now + timedelta(hours=1)}
    if clinical.get("neuro_onset_at") == "NAIVE":
        clinical = {**clinical, "neuro_onset_at": now.replace(tzinfo=None)}
    with pytest.raises(DomainError) as raised:
        create(world, details(**patient), **clinical)
    assert set(raised.value.errors) == fields
    assert raised.value.status_code == 400
    assert not Referral.objects.exists()
    assert not Patient.objects.exists()


def test_intake_normalises_what_it_takes(world):
    onset = timezone.now() - timedelta(hours=3)
    referral = create(world, neuro_features=["limb_weakness"], neuro_onset_at=onset)
    assert referral.patient.nhs_number == "9990000018"
    assert referral.patient.postcode == "LS1 4AP"
    assert referral.neuro_onset_at == onset


def test_a_time_a_little_ahead_of_the_server_reads_as_now(world):
    """Client clock skew within MSCC_FUTURE_SKEW_SECONDS is not a refusal."""
    referral = create(world, suspected_at=timezone.now() + timedelta(seconds=30))
    assert referral.suspected_at <= timezone.now()


def test_an_onset_time_without_any_neurological_feature_is_refused_by_name(world):
    """Issue 8: a contradiction is never silently resolved to the less urgent
    reading; an onset of no feature is refused, naming the field."""
    onset = timezone.now() - timedelta(hours=2)
    with pytest.raises(DomainError) as raised:
        create(world, pain_features=["progressive"], neuro_onset_at=onset)
    assert set(raised.value.errors) == {"neuro_onset_at"}
    assert not Referral.objects.exists()


def test_the_api_refuses_an_onset_time_without_a_neurological_feature(world, api):
    from tests.conftest import referral_body

    body = referral_body(
        neuro_features=[],
        pain_features=["progressive"],
        neuro_onset_at=(timezone.now() - timedelta(hours=2)).isoformat(),
    )
    response = api(world.referrer).post("/api/v1/referrals/", body, format="json")
    assert response.status_code == 400
    assert "neuro_onset_at" in response.json()
    assert not Referral.objects.exists()
