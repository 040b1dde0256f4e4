"""Finding a referral in a real browser at desktop and phone widths (issue
11): a coordinator types an NHS number with spaces, finds the one referral,
and the number never reaches the address; a mistyped number is refused
beside the box; the list filtered to overdue; the list downloaded as CSV
(the download checked, and recorded in the access log). axe-core finds no
violation and the page never scrolls sideways at either width.

Screenshots go to /tmp/search, never into the repository.
"""

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from referrals.models import PatientDataAccess
from tests.browser.conftest import sign_in
from tests.conftest import hours
from tests.factories import next_nhs_number, patient_details

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOTS = Path("/tmp/search")  # noqa: S108 - outside the repository on purpose


def no_axe_violations(page: Page) -> None:
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def checked(page: Page, name: str) -> None:
    no_axe_violations(page)
    no_sideways_scroll(page)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


@pytest.mark.parametrize("width", [1280, 390])
def test_a_coordinator_finds_filters_and_exports(
    live_server: Any, world: Any, make_referral: Any, browser: Browser, width: int
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    nhs = next_nhs_number()
    spaced = f"{nhs[:3]} {nhs[3:6]} {nhs[6:]}"
    late = make_referral(
        now=timezone.now() - hours(2),
        patient=patient_details(nhs_number=nhs, family_name="Lovelace", given_name="Ada"),
    )
    fresh = make_referral(patient=patient_details(family_name="Babbage", given_name="Charles"))
    elsewhere = make_referral(
        user=world.referrer_other,
        organisation=world.other_gp,
        service=world.other_service,
        patient=patient_details(family_name="Lovelace"),
    )

    page = sign_in(browser, live_server.url, "coordinator")
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/referrals/mine/")
    results = page.locator("#referral-results")
    expect(results).to_contain_text(fresh.reference)
    checked(page, f"1-list-{width}.png")

    # --- By NHS number, typed with spaces. ---------------------------------------
    page.get_by_label("NHS number, name or reference").fill(spaced)
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#search-count")).to_contain_text("1 referral found")
    expect(results).to_contain_text(late.reference)
    expect(results).to_contain_text("LOVELACE, Ada")
    expect(results).not_to_contain_text(fresh.reference)
    expect(results).not_to_contain_text(elsewhere.reference)
    assert page.url == f"{live_server.url}/referrals/mine/"
    assert nhs not in page.url
    expect(results.get_by_role("link", name=late.reference)).to_be_visible()
    checked(page, f"2-found-by-nhs-number-{width}.png")

    # --- A mistyped number: refused beside the box, nothing searched. ------------
    page.get_by_label("NHS number, name or reference").fill(spaced[:-1])
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#error-summary")).to_contain_text("An NHS number is 10 digits.")
    expect(page.locator("#f-q-error1")).to_contain_text("An NHS number is 10 digits.")
    expect(page.locator("#referral-results")).to_have_count(0)
    checked(page, f"3-refused-{width}.png")

    # --- Overdue only. --------------------------------------------------------------
    page.get_by_label("NHS number, name or reference").fill("")
    page.get_by_label("Clocks").select_option("overdue")
    page.get_by_role("button", name="Search").click()
    expect(results).to_contain_text(late.reference)
    expect(results).to_contain_text("Overdue")
    expect(results).to_contain_text("Acknowledgement: OVERDUE by")
    expect(results).not_to_contain_text(fresh.reference)
    checked(page, f"4-overdue-{width}.png")

    # --- The list found, as CSV. ----------------------------------------------------
    before = PatientDataAccess.objects.filter(view="page.referral_list.export").count()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download this referral as CSV").click()
    download = download_info.value
    assert download.suggested_filename.startswith("referrals-")
    assert download.suggested_filename.endswith(".csv")
    path = download.path()
    assert path is not None
    rows = list(csv.DictReader(io.StringIO(Path(path).read_text(encoding="utf-8"))))
    assert [r["reference"] for r in rows] == [late.reference]
    assert rows[0]["nhs_number"] == nhs
    assert rows[0]["clock_urgency"] == "overdue"
    assert (rows[0]["family_name"], rows[0]["given_name"]) == ("Lovelace", "Ada")
    export = PatientDataAccess.objects.filter(view="page.referral_list.export")
    assert export.count() == before + 1
    assert export.latest("at").referral_ids == [str(late.pk)]
    # The page is still the list: the download did not leave it.
    expect(results).to_contain_text(late.reference)

    # --- A referrer: their organisation's referrals only, and no download. ----------
    referrer = sign_in(browser, live_server.url, "referrer")
    referrer.set_viewport_size({"width": width, "height": 900})
    referrer.goto(f"{live_server.url}/referrals/mine/")
    referrer.get_by_label("NHS number, name or reference").fill("lovelace")
    referrer.get_by_role("button", name="Search").click()
    mine = referrer.locator("#referral-results")
    expect(mine).to_contain_text(late.reference)
    expect(mine).not_to_contain_text(elsewhere.reference)
    expect(referrer.get_by_role("button", name="as CSV")).to_have_count(0)
    checked(referrer, f"5-referrer-{width}.png")
