"""A closure entered in error, undone in a real browser at desktop and phone
widths: a coordinator withdraws a suspected-MSCC referral by mistake, reopens
it from the status panel with the reason, and sees it back with its clocks
running against their original due times. axe-core finds no violation on the
page, open or closed, at either width.

Screenshots go to /tmp, never into the repository.
"""

from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from pathways.models import Clock
from tests.browser.conftest import sign_in
from tests.conftest import hours

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOTS = Path("/tmp/mscc-reopen")  # noqa: S108 - outside the repository on purpose


def no_axe_violations(page: Page) -> None:
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


@pytest.mark.parametrize("width", [1280, 390])
def test_a_withdrawal_entered_in_error_is_reopened_from_the_page(
    live_server: Any, world: Any, make_referral: Any, browser: Browser, width: int
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    referral = make_referral(now=timezone.now() - hours(2))
    due = {c.pk: c.due_at for c in Clock.objects.filter(referral=referral)}

    page = sign_in(browser, live_server.url, "coordinator")
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/referrals/{referral.pk}/")
    no_axe_violations(page)

    status = page.locator("#form-status")
    status.get_by_label("Move to").select_option("withdrawn")
    status.get_by_label("Reason").fill("Referred to the wrong service.")
    status.get_by_role("button", name="Change status").click()
    expect(page.locator("#summary")).to_contain_text("Withdrawn")
    expect(status).to_contain_text("entered in error")
    no_axe_violations(page)
    status.screenshot(path=str(SCREENSHOTS / f"1-closed-{width}.png"))

    reopen = status.get_by_role("button", name="Reopen")
    reopen.click()  # without the reason: refused beside the input
    expect(status).to_contain_text("Say why the closure was entered in error")
    status.get_by_label("Why the closure was entered in error").fill(
        "Withdrew the wrong patient's referral."
    )
    status.get_by_role("button", name="Reopen").click()

    expect(page.locator("#summary")).to_contain_text("Received")
    expect(status.get_by_role("button", name="Change status")).to_be_visible()
    expect(page.locator("#clocks")).not_to_contain_text("Cancelled")
    no_axe_violations(page)
    page.screenshot(path=str(SCREENSHOTS / f"2-reopened-{width}.png"), full_page=True)

    clocks = Clock.objects.filter(referral=referral)
    assert {c.pk: c.due_at for c in clocks} == due
    assert {c.status for c in clocks} == {"running"}
