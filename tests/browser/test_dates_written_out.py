"""Dates are written out beside every date box (issue 11): a browser set to
US English draws a date-and-time box month first (mm/dd/yyyy), so what was
chosen is repeated in words, day first, beside it."""

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser
SCREENSHOTS = Path("/tmp/mscc-dates")  # noqa: S108 - outside the repository on purpose


def test_a_us_english_browser_sees_the_chosen_dates_written_out(
    live_server: Any, world: Any, browser: Browser
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="en-US", timezone_id="America/New_York"
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(live_server.url + "/")
    page.get_by_label("Username").fill("referrer")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(live_server.url + "/referrals/new/")

    birth = page.get_by_label("Date of birth")
    birth.fill("1950-04-03")
    expect(page.locator("#f-patient_date_of_birth + .date-words")).to_have_text(
        "Chosen: Mon 3 Apr 1950"
    )
    suspected = page.get_by_label("When MSCC or spinal metastases were first suspected")
    suspected.fill("2026-03-04T02:30")
    expect(page.locator("#f-suspected_at + .date-words")).to_have_text(
        "Chosen: Wed 4 Mar 2026, 02:30 UK time"
    )
    # Cleared, the words go too: never a stale date beside an empty box.
    suspected.fill("")
    expect(page.locator("#f-suspected_at + .date-words")).to_have_text("")
    page.locator("#f-patient_date_of_birth").locator("xpath=..").screenshot(
        path=str(SCREENSHOTS / "birth-390.png")
    )
    context.close()
