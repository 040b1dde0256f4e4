"""The referral form chooses no clinical answer for the referrer (issue 11):
haematological malignancy, what imaging shows and pain on movement start
blank, must be answered on the page, and the page says why. The API keeps
its defaults (a public contract). The coordinator's number is shown where
the form says to phone."""

from typing import Any

import pytest
from django.test import Client

from referrals.models import Referral
from tests.conftest import referral_body
from tests.coordinator.test_pages import form_post, html, signed_in

MUST_ANSWER = ("haematological", "imaging_findings", "movement_pain")


def test_the_blank_form_has_no_clinical_answer_chosen(world: Any) -> None:
    response = signed_in(world.referrer).get("/referrals/new/")
    assert response.status_code == 200
    values = response.context["values"]
    for name in (*MUST_ANSWER, "cancer_status", "ambulatory", "neuro_progressing"):
        assert values[name] == "", name
    body = html(response)
    for name in MUST_ANSWER:
        assert f'name="{name}"' in body
    assert "checked" not in body.split('id="f-haematological"')[1].split("</fieldset>")[0]
    assert "No clinical answer is chosen for you" in body
    assert "would be read as a negative nobody gave" in body


@pytest.mark.parametrize("name", MUST_ANSWER)
def test_a_question_left_blank_is_a_400_naming_it_and_nothing_is_stored(
    world: Any, name: str
) -> None:
    response = signed_in(world.referrer).post("/referrals/new/", form_post(**{name: None}))
    assert response.status_code == 400
    assert response.context["errors"][name]
    assert f'href="#f-{name}"' in html(response)
    assert Referral.objects.count() == 0


def test_every_blank_question_is_listed_at_once_with_the_serializers_errors(world: Any) -> None:
    data = form_post(haematological=None, imaging_findings=None, movement_pain=None)
    data["patient_nhs_number"] = "123"
    response = signed_in(world.referrer).post("/referrals/new/", data)
    assert response.status_code == 400
    assert set(response.context["errors"]) >= {*MUST_ANSWER, "patient_nhs_number"}


def test_an_answered_no_is_stored_as_given(world: Any) -> None:
    data = form_post(haematological="suspected", imaging_findings="none", movement_pain="mild")
    assert signed_in(world.referrer).post("/referrals/new/", data).status_code == 302
    referral = Referral.objects.get()
    assert (referral.haematological, referral.imaging_findings, referral.movement_pain) == (
        "suspected",
        "none",
        "mild",
    )


def test_the_api_keeps_its_defaults_for_a_client_that_omits_them(world: Any) -> None:
    client = Client()
    client.force_login(world.referrer)
    body = referral_body()
    assert not set(MUST_ANSWER) & set(body)
    response = client.post("/api/v1/referrals/", body, content_type="application/json")
    assert response.status_code == 201, response.content
    referral = Referral.objects.get()
    assert (referral.haematological, referral.imaging_findings, referral.movement_pain) == (
        "no",
        "none",
        "none",
    )


def test_the_form_gives_the_coordinators_number_where_it_says_to_phone(world: Any) -> None:
    service = world.service
    service.coordinator_phone = "01632 960 123"
    service.save()
    body = html(signed_in(world.referrer).get("/referrals/new/"))
    lead = body.split('class="lead"')[1].split("</p>")[0]
    assert "also phone the MSCC coordinator now" in lead
    assert 'href="tel:01632960123"' in lead
    assert "01632 960 123" in lead
    assert "NG234 1.3.2" in lead


def test_without_a_number_the_form_says_to_use_the_services_own(world: Any) -> None:
    for service in type(world.service).objects.all():
        service.coordinator_phone = ""
        service.save()
    body = html(signed_in(world.referrer).get("/referrals/new/"))
    assert "on the number your MSCC service gave you" in body
