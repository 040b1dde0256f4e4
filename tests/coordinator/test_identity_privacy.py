"""Issue 8, hazard H18: a referrer sees exactly the patient details they sent.

Organisation A has referred an NHS number; organisation B (in A's alliance,
or in another) then refers the same number with other details. Whatever B
is answered (the 201, a retried POST, the list, the detail, the pages) shows
only what B sent: never what the service holds (A's details), never the
identity check, which would tell B that someone referred this person to a
cancer service. The service's coordinator sees the held record, the mismatch
and what B sent.
"""

import importlib
import json
from typing import Any

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse

from referrals.models import Referral
from tests.conftest import next_nhs_number, referral_body

URL = "/api/v1/referrals/"

# What organisation A sent first: the record the service holds. Values that
# appear nowhere else in an answer, so a search of the whole text is exact.
HELD = {
    "given_name": "Augusta",
    "family_name": "Byron-King",
    "date_of_birth": "1941-03-07",
    "sex": "not_known",
    "postcode": "LS1 4AP",
}
# What organisation B sends for the same NHS number.
SENT = {
    "given_name": "Bea",
    "family_name": "Other",
    "date_of_birth": "1962-08-19",
    "sex": "male",
    "postcode": "YO1 7HH",
}
HELD_TEXTS = [
    "Augusta",
    "Byron-King",
    "BYRON-KING",
    "1941-03-07",
    "7 Mar 1941",
    "not_known",  # (the page's "Not known" is also the answer to other questions)
    "LS1 4AP",
    "identity_check",
    "patient_as_sent",
    "record held",
]


@pytest.fixture(params=["same_alliance", "other_alliance"])
def case(request: pytest.FixtureRequest, world: Any, api: Any) -> dict[str, Any]:
    """A's referral registered the NHS number; B's referrer then sends theirs.
    Returns who B is, the service's coordinator, and B's 201 answer."""
    nhs = next_nhs_number()
    first = api(world.referrer).post(
        URL, referral_body(patient={"nhs_number": nhs, **HELD}), format="json"
    )
    assert first.status_code == 201, first.data
    if request.param == "same_alliance":
        referrer, org, service, coordinator = (
            world.referrer_same_alliance,
            "GP-A2",
            "A-MSCC",
            world.coordinator,
        )
    else:
        referrer, org, service, coordinator = (
            world.referrer_other,
            "GP-B",
            "B-MSCC",
            world.coordinator_other,
        )
    body = referral_body(
        patient={"nhs_number": nhs, **SENT}, referring_organisation=org, service=service
    )
    created = api(referrer).post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY=f"privacy-{nhs}")
    assert created.status_code == 201, created.data
    return {
        "nhs": nhs,
        "body": body,
        "referrer": referrer,
        "coordinator": coordinator,
        "created": created,
        "referral": Referral.objects.get(pk=created.json()["id"]),
    }


def _no_held_values(text: str) -> None:
    for held in HELD_TEXTS:
        assert held not in text, held


def _sent_patient(case: dict[str, Any]) -> dict[str, Any]:
    return {"nhs_number": case["nhs"], **SENT}


# --- The API ---------------------------------------------------------------------------


def test_the_referrers_201_shows_only_what_they_sent(case: dict[str, Any]) -> None:
    answer = case["created"].json()
    assert answer["patient"] == _sent_patient(case)
    for field in ("identity_check_required", "identity_check_note", "patient_as_sent"):
        assert field not in answer
    _no_held_values(case["created"].content.decode())


def test_a_retried_post_answers_the_same_without_the_held_record(
    case: dict[str, Any], api: Any
) -> None:
    again = api(case["referrer"]).post(
        URL, case["body"], format="json", HTTP_IDEMPOTENCY_KEY=f"privacy-{case['nhs']}"
    )
    assert again.json() == case["created"].json()
    _no_held_values(again.content.decode())


def test_the_referrers_detail_and_list_show_only_what_they_sent(
    case: dict[str, Any], api: Any
) -> None:
    client = api(case["referrer"])
    detail = client.get(f"{URL}{case['referral'].pk}/")
    assert detail.status_code == 200
    assert detail.json()["patient"] == _sent_patient(case)
    assert "identity_check_note" not in detail.json()
    _no_held_values(detail.content.decode())

    listed = client.get(URL)
    (row,) = listed.json()["results"]
    assert row["patient"] == _sent_patient(case)
    assert "identity_check_required" not in row
    _no_held_values(listed.content.decode())
    # Searching by the NHS number finds only B's own referral, as B sent it.
    searched = client.get(URL, {"nhs_number": case["nhs"]})
    assert [r["id"] for r in searched.json()["results"]] == [str(case["referral"].pk)]
    _no_held_values(searched.content.decode())


def test_the_services_coordinator_sees_the_held_record_and_the_mismatch(
    case: dict[str, Any], api: Any
) -> None:
    client = api(case["coordinator"])
    detail = client.get(f"{URL}{case['referral'].pk}/").json()
    assert detail["patient"] == {"nhs_number": case["nhs"], **HELD}
    assert detail["identity_check_required"] is True
    note = detail["identity_check_note"]
    assert "given name" in note and "family name" in note and "date of birth" in note
    assert detail["patient_as_sent"] == _sent_patient(case)
    row = next(r for r in client.get("/api/v1/queue/").json()["results"] if r["id"] == detail["id"])
    assert row["identity_check_required"] is True
    assert row["patient"]["family_name"] == HELD["family_name"]
    assert row["patient_as_sent"]["family_name"] == SENT["family_name"]


def test_a_senior_clinician_sees_the_held_record_too(world: Any, api: Any) -> None:
    nhs = next_nhs_number()
    api(world.referrer).post(URL, referral_body(patient={"nhs_number": nhs, **HELD}), format="json")
    created = api(world.referrer_same_alliance).post(
        URL,
        referral_body(patient={"nhs_number": nhs, **SENT}, referring_organisation="GP-A2"),
        format="json",
    )
    detail = api(world.senior).get(f"{URL}{created.json()['id']}/").json()
    assert detail["patient"]["given_name"] == HELD["given_name"]
    assert detail["identity_check_required"] is True
    assert detail["patient_as_sent"]["given_name"] == SENT["given_name"]


# --- The pages -------------------------------------------------------------------------


def _page(user: Any, path: str) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


def test_the_referrers_pages_show_only_what_they_sent(case: dict[str, Any]) -> None:
    referral = case["referral"]
    for path in (
        reverse("referral_detail", args=[referral.pk]),
        reverse("referral_mine"),
    ):
        body = _page(case["referrer"], path)
        assert "OTHER, Bea" in body
        assert referral.patient.formatted_nhs_number in body
        assert "Check identity" not in body
        assert "The referral sent" not in body
        _no_held_values(body)
    detail = _page(case["referrer"], reverse("referral_detail", args=[referral.pk]))
    assert "19 Aug 1962" in detail
    assert "YO1 7HH" in detail
    assert "<dt>Sex</dt><dd>Male</dd>" in detail


def test_the_referrers_page_has_no_duplicate_warning_and_no_coordinator_forms(
    case: dict[str, Any],
) -> None:
    """B's referral repeats A's (in A's service, for the same alliance): the
    referrer is never told, nor offered the coordinator's link or
    suspicion-time forms."""
    referral = case["referral"]
    body = _page(case["referrer"], reverse("referral_detail", args=[referral.pk]))
    assert 'id="duplicate-warning"' not in body
    assert "duplicate" not in body.lower()
    assert reverse("referral_link", args=[referral.pk]) not in body
    assert reverse("referral_suspected_at", args=[referral.pk]) not in body
    assert 'id="form-suspected-at"' not in body
    others = Referral.objects.filter(patient=referral.patient).exclude(pk=referral.pk)
    for other in others:
        assert other.reference not in body
        assert str(other.pk) not in body


def test_the_coordinator_may_link_the_re_referral_from_its_page(
    case: dict[str, Any], world: Any
) -> None:
    referral = case["referral"]
    body = _page(case["coordinator"], reverse("referral_detail", args=[referral.pk]))
    if case["coordinator"] == world.coordinator_other:
        # Another alliance's service: nothing of A's referral to link to.
        assert 'id="duplicate-warning"' not in body
        return
    first = Referral.objects.exclude(pk=referral.pk).get(patient=referral.patient)
    assert 'id="duplicate-warning"' in body
    assert reverse("referral_link", args=[referral.pk]) in body
    assert f'<option value="{first.pk}" selected>{first.reference}' in body


def test_the_coordinators_page_shows_the_held_record_the_check_and_what_was_sent(
    case: dict[str, Any],
) -> None:
    body = _page(case["coordinator"], reverse("referral_detail", args=[case["referral"].pk]))
    assert "BYRON-KING, Augusta" in body
    assert "Check identity" in body
    assert "The referral sent: Bea Other" in body
    assert "The referral sent: 19 Aug 1962" in body
    assert "The referral sent: YO1 7HH" in body
    queue = _page(case["coordinator"], reverse("queue"))
    assert "Warning: check identity" in queue


def test_organisation_a_still_sees_what_it_sent(case: dict[str, Any], world: Any) -> None:
    """A's own referral matched nothing: A sees its details, never B's."""
    body = _page(world.referrer, reverse("referral_mine"))
    assert "BYRON-KING, Augusta" in body
    assert "Bea" not in body and "YO1 7HH" not in body


# --- Referrals made before the as-sent details were kept --------------------------------


def _legacy(referral: Referral, *, flagged: bool) -> None:
    Referral.objects.filter(pk=referral.pk).update(
        identity_check_required=flagged,
        identity_check_note="The given name differ ..." if flagged else "",
        sent_given_name="",
        sent_family_name="",
        sent_date_of_birth=None,
        sent_sex="",
        sent_postcode="",
    )


def test_an_old_referral_with_a_mismatch_shows_a_referrer_only_the_nhs_number(
    case: dict[str, Any], api: Any
) -> None:
    _legacy(case["referral"], flagged=True)
    detail = api(case["referrer"]).get(f"{URL}{case['referral'].pk}/")
    assert detail.json()["patient"] == {
        "nhs_number": case["nhs"],
        "given_name": None,
        "family_name": None,
        "date_of_birth": None,
        "sex": None,
        "postcode": None,
    }
    _no_held_values(detail.content.decode())
    page = _page(case["referrer"], reverse("referral_detail", args=[case["referral"].pk]))
    assert "Name not recorded" in page and "Not recorded" in page
    _no_held_values(page)
    # The coordinator still sees the held record and the check.
    held = api(case["coordinator"]).get(f"{URL}{case['referral'].pk}/").json()
    assert held["patient"]["given_name"] == HELD["given_name"]
    assert held["identity_check_required"] is True


def test_an_old_referral_without_a_mismatch_shows_the_details_it_matched(
    world: Any, api: Any
) -> None:
    created = api(world.referrer).post(
        URL, referral_body(patient=HELD | {"nhs_number": next_nhs_number()}), format="json"
    )
    referral = Referral.objects.get(pk=created.json()["id"])
    _legacy(referral, flagged=False)
    patient = api(world.referrer).get(f"{URL}{referral.pk}/").json()["patient"]
    assert patient["given_name"] == HELD["given_name"]
    assert patient["date_of_birth"] == HELD["date_of_birth"]
    assert patient["postcode"] == HELD["postcode"]


def test_the_backfill_copies_the_held_details_only_where_no_mismatch_was_flagged(
    case: dict[str, Any], world: Any
) -> None:
    matched = Referral.objects.exclude(pk=case["referral"].pk).get(patient=case["referral"].patient)
    _legacy(matched, flagged=False)
    _legacy(case["referral"], flagged=True)
    migration = importlib.import_module("referrals.migrations.0010_backfill_sent_details")
    migration.backfill(apps, None)
    matched.refresh_from_db()
    assert (matched.sent_given_name, matched.sent_family_name, matched.sent_postcode) == (
        HELD["given_name"],
        HELD["family_name"],
        HELD["postcode"],
    )
    assert str(matched.sent_date_of_birth) == HELD["date_of_birth"]
    assert matched.sent_sex == HELD["sex"]
    flagged = Referral.objects.get(pk=case["referral"].pk)
    assert flagged.sent_date_of_birth is None and flagged.sent_given_name == ""


def test_intake_keeps_what_was_sent_and_leaves_the_held_record(case: dict[str, Any]) -> None:
    referral = case["referral"]
    assert (referral.sent_given_name, referral.sent_family_name) == ("Bea", "Other")
    assert (referral.sent_sex, referral.sent_postcode) == ("male", "YO1 7HH")
    assert referral.patient.given_name == HELD["given_name"]
    # The history row carries the as-sent details too.
    assert referral.history.first().sent_family_name == "Other"


def test_no_referrer_json_carries_the_held_values(case: dict[str, Any], api: Any) -> None:
    """Every answer a referrer can get about the referral, searched whole."""
    client = api(case["referrer"])
    answers = [
        case["created"],
        client.get(URL),
        client.get(URL, {"nhs_number": case["nhs"]}),
        client.get(f"{URL}{case['referral'].pk}/"),
    ]
    for answer in answers:
        text = json.dumps(answer.json())
        _no_held_values(text)
        _no_held_values(answer.content.decode())
