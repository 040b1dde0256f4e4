"""Referral intake over the API: triage at once, first clocks, every bad input
refused with its field named and nothing stored."""

from datetime import timedelta

import pytest
from django.utils import timezone

from pathways.models import ClinicalEvent, Clock
from referrals.models import IdempotencyRecord, Patient, Referral
from tests.conftest import next_nhs_number, referral_body

URL = "/api/v1/referrals/"


def _stored() -> tuple[int, int, int, int, int]:
    return (
        Referral.objects.count(),
        Patient.objects.count(),
        Clock.objects.count(),
        ClinicalEvent.objects.count(),
        IdempotencyRecord.objects.count(),
    )


def test_create_answers_category_clocks_and_prompts(world, api):
    response = api(world.referrer).post(URL, referral_body(), format="json")
    assert response.status_code == 201, response.data
    body = response.json()
    assert body["category"] == "suspected_mscc"
    assert body["status"] == "received"
    assert body["reference"].startswith("MSCC-")
    for field in ("id", "received_at"):
        assert body[field]
    clocks = {c["kind"]: c for c in body["clocks"]}
    # Dexamethasone is measured (no target) where there are neurological
    # features (1.8.1): it records the time to the first dose.
    assert set(clocks) == {"acknowledgement", "mri", "dexamethasone"}
    assert clocks["dexamethasone"]["due_at"] is None
    assert clocks["dexamethasone"]["measured"] is True
    for clock in clocks.values():
        assert {"kind", "status", "started_at", "due_at", "stopped_at"} <= set(clock)
        assert clock["status"] == "running"
    assert clocks["acknowledgement"]["target_hours"] == 0.5
    assert clocks["mri"]["target_hours"] == 24
    assert body["prompts"][0] == {
        "code": "oncological_emergency",
        "recommendation": "1.3.2",
        "text": body["prompts"][0]["text"],
    }


def test_mri_clock_runs_from_suspicion_not_receipt(world, api):
    suspected = timezone.now() - timedelta(hours=1)
    body = referral_body(suspected_at=suspected.isoformat())
    response = api(world.referrer).post(URL, body, format="json")
    assert response.status_code == 201, response.data
    mri = next(c for c in response.json()["clocks"] if c["kind"] == "mri")
    left = timedelta(seconds=mri["seconds_left"])
    assert timedelta(hours=22, minutes=59) < left <= timedelta(hours=23)


def test_spinal_metastases_start_advice_and_one_week_mri(world, api):
    body = referral_body(neuro_features=[], pain_features=["mechanical"])
    response = api(world.referrer).post(URL, body, format="json")
    assert response.json()["category"] == "suspected_spinal_metastases"
    clocks = {c["kind"]: c["target_hours"] for c in response.json()["clocks"]}
    assert clocks == {"acknowledgement": 4, "advice": 24, "mri": 24 * 7}


# Changed (issue 8): only a whole-spine MRI starts the MRI clock met; the body
# now says which imaging it was (before, any imaging showing it did).
def test_imaging_already_showing_compression_starts_the_mri_clock_met(world, api):
    body = referral_body(imaging_findings="cord_compression", imaging_modality="mri_whole_spine")
    response = api(world.referrer).post(URL, body, format="json")
    mri = next(c for c in response.json()["clocks"] if c["kind"] == "mri")
    assert mri["status"] == "met"
    assert mri["stopped_at"] is not None


@pytest.mark.parametrize("modality", ["", "mri_partial", "ct", "other"])
def test_imaging_other_than_a_whole_spine_mri_leaves_the_mri_clock_and_advice(world, api, modality):
    body = referral_body(imaging_findings="cord_compression", imaging_modality=modality)
    if not modality:
        body.pop("imaging_modality")
    answer = api(world.referrer).post(URL, body, format="json").json()
    mri = next(c for c in answer["clocks"] if c["kind"] == "mri")
    assert (mri["status"], mri["stopped_at"]) == ("running", None)
    codes = [p["code"] for p in answer["prompts"]]
    assert "mri_within_24_hours" in codes  # 1.5.2
    assert "mri_whole_spine" in codes  # 1.5.5
    assert "ct_if_mri_contraindicated" in codes  # 1.5.7


def test_an_unknown_imaging_modality_is_refused_by_name(world, api):
    body = referral_body(imaging_findings="cord_compression", imaging_modality="xray")
    response = api(world.referrer).post(URL, body, format="json")
    assert response.status_code == 400
    assert "imaging_modality" in response.json()


def test_a_coordinator_may_log_a_phoned_in_referral_for_their_service(world, api):
    response = api(world.coordinator).post(
        URL, referral_body(referring_organisation="WARD-A"), format="json"
    )
    assert response.status_code == 201, response.data


def test_identity_mismatch_is_flagged_not_refused(world, api):
    first = referral_body()
    api(world.referrer).post(URL, first, format="json")
    second = referral_body(patient={**first["patient"], "date_of_birth": "1960-01-01"})
    response = api(world.referrer).post(URL, second, format="json")
    assert response.status_code == 201
    # The referrer is not told what is held (issue 8); the coordinator is.
    assert "identity_check_required" not in response.json()
    held = api(world.coordinator).get(f"{URL}{response.json()['id']}/").json()
    assert held["identity_check_required"] is True
    assert "date of birth" in held["identity_check_note"]
    # The record held is not overwritten by the second referral's details.
    assert (
        str(Patient.objects.get(nhs_number=first["patient"]["nhs_number"]).date_of_birth)
        == "1955-04-01"
    )
    assert Patient.objects.count() == 1


def _future(hours: float) -> str:
    return (timezone.now() + timedelta(hours=hours)).isoformat()


BAD_INPUTS = [
    ("invalid NHS number", {"patient.nhs_number": "9990000017"}, ("patient", "nhs_number")),
    ("short NHS number", {"patient.nhs_number": "12345"}, ("patient", "nhs_number")),
    ("unknown cancer status", {"cancer_status": "maybe"}, ("cancer_status",)),
    ("unknown pain feature", {"pain_features": ["toothache"]}, ("pain_features",)),
    ("unknown neuro feature", {"neuro_features": ["dizzy"]}, ("neuro_features",)),
    ("unknown imaging", {"imaging_findings": "fracture"}, ("imaging_findings",)),
    ("unknown movement pain", {"movement_pain": "agony"}, ("movement_pain",)),
    ("unknown sex", {"patient.sex": "x"}, ("patient", "sex")),
    ("future date of birth", {"patient.date_of_birth": "2999-01-01"}, ("patient", "date_of_birth")),
    ("bad postcode", {"patient.postcode": "NOT A CODE"}, ("patient", "postcode")),
    ("suspected_at in the future", {"suspected_at": "FUTURE"}, ("suspected_at",)),
    ("naive suspected_at", {"suspected_at": "2026-01-01T10:00:00"}, ("suspected_at",)),
    ("onset in the future", {"neuro_onset_at": "FUTURE"}, ("neuro_onset_at",)),
    (
        "suspicion before onset",
        {"neuro_onset_at": "PAST2", "suspected_at": "PAST3"},
        ("suspected_at",),
    ),
    ("unknown organisation", {"referring_organisation": "NOPE"}, ("referring_organisation",)),
    ("unknown service", {"service": "NOPE"}, ("service",)),
    ("service of another alliance", {"service": "B-MSCC"}, ("service",)),
    ("performance status out of range", {"performance_status": 5}, ("performance_status",)),
    ("frailty out of range", {"frailty_score": 0}, ("frailty_score",)),
    ("missing primary tumour", {"primary_tumour": ""}, ("primary_tumour",)),
    ("missing patient", {"patient": None}, ("patient",)),
    ("unknown field", {"cancer_stauts": "none"}, ("cancer_stauts",)),
    ("features not a list", {"neuro_features": "gait"}, ("neuro_features",)),
]


def _apply(body: dict, changes: dict) -> dict:
    now = timezone.now()
    stand_ins = {
        "FUTURE": _future(2),
        "PAST2": (now - timedelta(hours=2)).isoformat(),
        "PAST3": (now - timedelta(hours=3)).isoformat(),
    }
    for path, value in changes.items():
        value = stand_ins.get(value, value) if isinstance(value, str) else value
        if "." in path:
            outer, inner = path.split(".")
            body[outer][inner] = value
        else:
            body[path] = value
    return body


@pytest.mark.parametrize(("case", "changes", "field"), BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_is_a_400_naming_the_field_and_nothing_is_stored(
    world, api, case, changes, field
):
    before = _stored()
    response = api(world.referrer).post(URL, _apply(referral_body(), changes), format="json")
    assert response.status_code == 400, (case, response.status_code, response.content)
    errors = response.json()
    for key in field:
        assert key in errors, (case, errors)
        errors = errors[key]
    assert _stored() == before


def test_malformed_json_is_a_400(world, api):
    before = _stored()
    response = api(world.referrer).post(URL, '{"patient": {', content_type="application/json")
    assert response.status_code == 400
    assert "Malformed JSON" in response.json()["detail"]
    assert _stored() == before


@pytest.mark.parametrize("raw", ["[]", '"text"', "NaN", '{"a": NaN}'])
def test_json_that_is_not_an_object_is_a_400(world, api, raw):
    response = api(world.referrer).post(URL, raw, content_type="application/json")
    assert response.status_code == 400


def test_oversized_body_is_a_413(world, api, settings):
    before = _stored()
    body = referral_body(presentation="x" * (settings.API_MAX_BODY_BYTES + 10))
    response = api(world.referrer).post(URL, body, format="json")
    assert response.status_code == 413
    assert "too large" in response.json()["detail"]
    assert _stored() == before


def test_referrer_naming_another_organisation_is_a_403_naming_the_field(world, api):
    before = _stored()
    response = api(world.referrer).post(
        URL, referral_body(referring_organisation="GP-A2"), format="json"
    )
    assert response.status_code == 403
    assert "referring_organisation" in response.json()
    assert _stored() == before


def test_coordinator_naming_another_service_is_a_403(world, api):
    body = referral_body(referring_organisation="GP-B", service="B-MSCC")
    response = api(world.coordinator).post(URL, body, format="json")
    assert response.status_code == 403
    assert "service" in response.json()
    assert Referral.objects.count() == 0


def test_nhs_number_with_spaces_is_normalised(world, api):
    number = next_nhs_number()
    body = referral_body()
    body["patient"]["nhs_number"] = f"{number[:3]} {number[3:6]} {number[6:]}"
    response = api(world.referrer).post(URL, body, format="json")
    assert response.status_code == 201
    assert response.json()["patient"]["nhs_number"] == number
