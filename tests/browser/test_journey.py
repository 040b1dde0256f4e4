"""The whole journey in a real browser: a referrer refers a suspected-MSCC
case through the form and sees the category and advice; a coordinator finds
it at the top of the queue and acknowledges it.

Drives Debian's chromium through Playwright's sync API (no pytest-playwright).
Screenshots go to /tmp, never into the repository.
"""

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from referrals.models import Referral
from tests.browser.conftest import sign_in
from tests.conftest import next_nhs_number

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOTS = Path("/tmp/mscc-browser")  # noqa: S108 - outside the repository on purpose


def test_referral_to_acknowledgement(
    live_server: Any, world: Any, make_referral: Any, browser: Browser
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # Something less urgent already waiting, and older: the new emergency must
    # still come first.
    safety_net = make_referral(neuro_features=[], back_pain=True)
    assert safety_net.category == "safety_net"

    # --- The referrer refers. --------------------------------------------------
    page = sign_in(browser, live_server.url, "referrer")
    expect(page).to_have_url(live_server.url + "/referrals/mine/")
    page.get_by_role("link", name="New referral").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Refer a person")

    page.get_by_label("NHS number").fill(next_nhs_number())
    page.get_by_label("Given name").fill("Grace")
    page.get_by_label("Family name").fill("Hopper")
    page.get_by_label("Date of birth").fill("1950-12-09")
    page.get_by_label("Female", exact=True).check()
    page.get_by_label("Postcode").fill("LS1 4AP")
    page.get_by_label("Past or current diagnosis of cancer").check()
    page.get_by_label("Primary tumour").select_option("prostate")
    page.get_by_label("Limb weakness").check()
    # Nothing is chosen for the referrer (issue 11): each clinical question answered.
    page.locator("#f-haematological").get_by_label("No", exact=True).check()
    page.locator("#f-imaging_findings").get_by_label("No imaging yet", exact=False).check()
    page.locator("#f-movement_pain").get_by_label("Moderate", exact=True).check()
    page.get_by_label("Presentation").fill("Legs weak since this morning.")
    page.get_by_role("button", name="Send referral").click()

    expect(page.locator(".category-large")).to_contain_text("Suspected MSCC")
    expect(page.locator(".prompts")).to_contain_text("NG234 1.3.2")
    expect(page.locator(".prompts")).to_contain_text("contact the MSCC coordinator immediately")
    reference = page.locator(".page-heading .reference").inner_text()
    referral = Referral.objects.get(reference=reference)
    assert page.url == f"{live_server.url}/referrals/{referral.pk}/"
    page.screenshot(path=str(SCREENSHOTS / "referral-result.png"), full_page=True)

    # --- The coordinator acknowledges, from the queue. -----------------------------
    queue = sign_in(browser, live_server.url, "coordinator")
    expect(queue).to_have_url(live_server.url + "/queue/")
    rows = queue.locator("tr.queue-row")
    expect(rows).to_have_count(2)
    first = rows.first
    expect(first).to_contain_text(reference)
    expect(first).to_contain_text("Suspected MSCC")
    expect(rows.nth(1)).to_contain_text(safety_net.reference)
    expect(first).to_contain_text("Received, not yet acknowledged")
    queue.screenshot(path=str(SCREENSHOTS / "queue.png"), full_page=True)

    first.get_by_role("button", name="Acknowledge").click()
    row = queue.locator(f"#row-{referral.pk}")
    expect(row).to_contain_text("Triaged")
    expect(row).to_contain_text(f"Acknowledged {reference}.")
    expect(row.get_by_role("button", name="Acknowledge")).to_have_count(0)
    expect(row).not_to_contain_text("Acknowledgement:")  # the clock stopped
    queue.screenshot(path=str(SCREENSHOTS / "queue-acknowledged.png"), full_page=True)

    referral.refresh_from_db()
    assert referral.status == "triaged"
    assert referral.clocks.get(kind="acknowledgement").status == "met"
