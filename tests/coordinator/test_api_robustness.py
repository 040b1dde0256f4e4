"""Whatever JSON arrives, the answer is a 201 or a 4xx, never a 500, and a
refused body stores nothing (property-based, with hypothesis)."""

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pathways.models import Clock
from referrals.models import Patient, Referral
from tests.conftest import referral_body

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=8,
)
TOP_FIELDS = [
    *referral_body(),
    "suspected_at",
    "neuro_onset_at",
    "imaging_findings",
    "movement_pain",
    "performance_status",
    "frailty_score",
]
PATIENT_FIELDS = list(referral_body()["patient"])


@pytest.mark.slow
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    field=st.sampled_from(TOP_FIELDS),
    patient_field=st.sampled_from(PATIENT_FIELDS),
    value=JSON,
    where=st.sampled_from(["top", "patient", "drop"]),
)
def test_mutated_bodies_never_cause_a_server_error(
    world, api, settings, field, patient_field, value, where
):
    # Up to 150 referrals from one referrer: past the intake limit (60/h)
    # every answer would be 429 and the bodies would go unjudged.
    settings.MSCC_INTAKE_RATE_USER = settings.MSCC_INTAKE_RATE_ORG = "100000/h"
    body: dict[str, Any] = referral_body()
    if where == "top":
        body[field] = value
    elif where == "patient":
        body["patient"][patient_field] = value
    else:
        body.pop(field, None)
    before = (Referral.objects.count(), Patient.objects.count(), Clock.objects.count())
    response = api(world.referrer).post("/api/v1/referrals/", body, format="json")
    assert response.status_code in (201, 400, 403), (body, response.content)
    if response.status_code != 201:
        assert (Referral.objects.count(), Patient.objects.count(), Clock.objects.count()) == before
        assert response.json()  # says what was wrong


@pytest.mark.slow
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    query=st.dictionaries(
        st.sampled_from(
            [
                "status",
                "category",
                "open",
                "nhs_number",
                "received_from",
                "received_to",
                "page",
                "page_size",
            ]
        ),
        st.text(max_size=20),
        max_size=4,
    )
)
def test_list_filters_never_cause_a_server_error(world, api, query):
    response = api(world.coordinator).get("/api/v1/referrals/", query)
    assert response.status_code in (200, 400, 404), response.content


@pytest.mark.parametrize("field", ["service", "referring_organisation"])
@pytest.mark.parametrize("code", ["A-MS\x00CC", 12, "x" * 65])
def test_a_code_that_cannot_be_a_code_is_refused_by_name(world, api, field, code):
    """Found by the schema fuzzer (scripts/fuzz-api): a NUL character in the
    service's code reached PostgreSQL, which refused it, and the answer was a
    500."""
    body = referral_body(**{field: code})
    response = api(world.referrer).post("/api/v1/referrals/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
