"""Clocks after triage in a real browser at desktop and phone widths: a
coordinator records that MSCC is ruled out on a suspected-MSCC referral, sees
it move to suspected spinal metastases with the reason and the 1-week MRI
clock, then records a walking assessment. The measured dexamethasone clock
reads "measured, no target" and never shows a countdown. axe-core finds no
violation, and the page never scrolls sideways.

Screenshots go to /tmp, never into the repository.
"""

from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from pathways.models import ClinicalEvent
from tests.browser.conftest import sign_in
from tests.conftest import hours

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOTS = Path("/tmp/mscc-after-triage")  # noqa: S108 - outside the repository on purpose


def no_axe_violations(page: Page) -> None:
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("width", [1280, 390])
def test_mscc_ruled_out_and_walking_recorded_from_the_page(
    live_server: Any, world: Any, make_referral: Any, browser: Browser, width: int
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    referral = make_referral(now=timezone.now() - hours(2))
    page = sign_in(browser, live_server.url, "coordinator")
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/referrals/{referral.pk}/")
    clocks = page.locator("#clocks")
    dexamethasone = clocks.locator(".clock-row--dexamethasone")
    expect(dexamethasone).to_contain_text("Measured, no target")
    expect(dexamethasone).to_contain_text("never overdue")
    no_axe_violations(page)
    no_sideways_scroll(page)

    event = page.locator("#form-event")
    event.get_by_label("What happened").select_option("mscc_ruled_out")
    event.get_by_role("button", name="Record event").click()
    summary = page.locator("#summary")
    expect(summary).to_contain_text("Suspected spinal metastases")
    expect(summary).to_contain_text("MSCC ruled out, spinal metastases not ruled out")
    expect(clocks).to_contain_text("7 days")
    no_axe_violations(page)
    no_sideways_scroll(page)
    summary.screenshot(path=str(SCREENSHOTS / f"1-summary-{width}.png"))
    clocks.screenshot(path=str(SCREENSHOTS / f"1-clocks-{width}.png"))

    event.get_by_label("What happened").select_option("ambulatory_assessed")
    event.get_by_role("button", name="Record event").click()  # no answer: refused by name
    expect(event).to_contain_text("Say whether the person can walk")
    no_axe_violations(page)
    event.get_by_label("No: cannot walk").check()
    event.get_by_role("button", name="Record event").click()
    expect(page.locator("#timeline")).to_contain_text("Walking ability assessed")
    no_sideways_scroll(page)
    event.screenshot(path=str(SCREENSHOTS / f"2-walking-{width}.png"))
    assert (
        ClinicalEvent.objects.get(referral=referral, kind="ambulatory_assessed").ambulatory is False
    )
