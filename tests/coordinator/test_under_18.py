"""NG234 is for adults: a child or young person is flagged, signposted to
paediatric or TYA oncology, and shown no adult dose; triage, clocks and
escalation stay (issue 8)."""

from datetime import date, timedelta

from django.test import Client
from django.utils import timezone

from tests.conftest import referral_body


def born_years_ago(years: int, days: int = 0) -> str:
    today = timezone.localdate()
    return (
        date(today.year - years, today.month, min(today.day, 28)) + timedelta(days=days)
    ).isoformat()


def create(world, api, date_of_birth):
    body = referral_body()
    body["patient"] = {**body["patient"], "date_of_birth": date_of_birth}
    response = api(world.referrer).post("/api/v1/referrals/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_a_17_year_old_is_outside_ng234_and_shown_no_adult_dose(world, api):
    answer = create(world, api, born_years_ago(17))
    assert answer["outside_ng234_population"] is True
    assert answer["category"] == "suspected_mscc"  # triage unchanged
    assert {c["kind"] for c in answer["clocks"]} >= {"acknowledgement", "mri"}  # clocks too
    codes = [p["code"] for p in answer["prompts"]]
    assert codes[0] == "outside_ng234_population"
    assert "no_adult_dose" in codes
    assert "dexamethasone_16mg" not in codes
    assert not any("16 mg" in p["text"] for p in answer["prompts"] if p["code"] != "no_adult_dose")

    # The detail (advice after events too) and the page say the same.
    detail = api(world.coordinator).get(f"/api/v1/referrals/{answer['id']}/").json()
    assert detail["outside_ng234_population"] is True
    later = [p["code"] for p in detail["prompts"]]
    assert later[0] == "outside_ng234_population"
    assert "no_adult_dose" in later  # in the advice that follows events too
    assert "dexamethasone_16mg" not in later
    page = Client()
    page.force_login(world.coordinator)
    text = page.get(f"/referrals/{answer['id']}/").content.decode()
    assert "outside NG234" in text
    assert "Offer 16 mg" not in text
    assert "NG234 scope (adults)" in text and "NG234 NG234" not in text  # cited once


def test_an_adult_on_their_18th_birthday_is_inside_ng234(world, api):
    answer = create(world, api, born_years_ago(18))
    assert answer["outside_ng234_population"] is False
    assert "dexamethasone_16mg" in [p["code"] for p in answer["prompts"]]
