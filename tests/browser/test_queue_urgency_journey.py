"""The queue at a glance in a real browser, at desktop and phone widths: an
overdue, a due-soon and an on-track referral in that order, each clock's
urgency in words; at 390 px each referral's category, clocks and Acknowledge
on screen with no sideways scroll. axe-core (WCAG 2.1 A and AA) finds no
violation on the queue, a referral's page and the printable list.

Screenshots go to /tmp/queue, never into the repository.
"""

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import sign_in
from tests.notifications.conftest import run

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOTS = Path("/tmp/queue")  # noqa: S108 - outside the repository on purpose


def no_axe_violations(page: Page) -> None:
    # Every rule axe runs by default: WCAG 2.1 A and AA, and best practice.
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.evaluate("document.body.scrollWidth <= window.innerWidth")


def inside_the_viewport(page: Page, locator: Any) -> None:
    box = locator.bounding_box()
    assert box is not None
    width = page.evaluate("window.innerWidth")
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= width


@pytest.mark.parametrize("width", [1280, 390])
def test_the_queue_says_how_near_each_clock_is(
    live_server: Any, world: Any, on_call: Any, make_referral: Any, browser: Browser, width: int
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    now = timezone.now()
    overdue = make_referral(now=now - timedelta(minutes=70))
    due_soon = make_referral(now=now - timedelta(minutes=26))
    on_track = make_referral(now=now - timedelta(minutes=2))
    # Suspected 20 hours before it arrived a minute ago: its 24-hour MRI
    # clock's first warning fell due before the referral did, and 4 hours
    # are left (due soon), while its acknowledgement is on track.
    early = make_referral(
        now=now - timedelta(minutes=1), suspected_at=now - timedelta(hours=20, minutes=1)
    )
    run(timezone.now())

    page = sign_in(browser, live_server.url, "coordinator")
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/queue/")
    rows = page.locator("tr.queue-row")
    expect(rows).to_have_count(4)
    ids = [rows.nth(i).get_attribute("id") for i in range(3)]
    assert ids == [f"row-{r.pk}" for r in (overdue, due_soon, on_track)]
    first, second, third = (page.locator(f"#row-{r.pk}") for r in (overdue, due_soon, on_track))
    expect(first).to_contain_text("Acknowledgement: OVERDUE by")
    expect(second).to_contain_text("Acknowledgement: Due soon:")
    expect(third).to_contain_text("Acknowledgement: On track:")
    expect(third).to_contain_text("MRI: On track: 23 h")
    expect(third).to_contain_text("Stage: awaiting acknowledgement")
    expect(page.get_by_role("link", name="Find a referral")).to_be_visible()
    for row in (first, second, third):
        for part in (".q-category", ".queue-clocks", ".clocks li >> nth=0"):
            expect(row.locator(part)).to_be_visible()
            inside_the_viewport(page, row.locator(part))
        button = row.get_by_role("button", name="Acknowledge")
        expect(button).to_be_visible()
        inside_the_viewport(page, button)
    no_sideways_scroll(page)
    no_axe_violations(page)
    page.screenshot(path=str(SCREENSHOTS / f"queue-{width}.png"), full_page=False)
    page.screenshot(path=str(SCREENSHOTS / f"queue-{width}-full.png"), full_page=True)

    # Acknowledge from the queue: the row answers in place, still in words.
    second.get_by_role("button", name="Acknowledge").click()
    expect(page.locator(f"#row-{due_soon.pk}")).to_contain_text("Acknowledged")
    expect(page.locator(f"#row-{due_soon.pk}")).to_contain_text("Stage: awaiting MRI")
    no_sideways_scroll(page)
    no_axe_violations(page)

    # The referral's page: clocks with urgency, the stage, escalation times.
    page.goto(f"{live_server.url}/referrals/{early.pk}/")
    expect(page.locator("#summary")).to_contain_text("Awaiting acknowledgement")
    page.screenshot(path=str(SCREENSHOTS / f"detail-{width}-top.png"))
    expect(page.locator("#clocks")).to_contain_text("Due soon: 3 h")
    escalations = page.locator("#escalations")
    expect(escalations).to_contain_text("Before the referral arrived")
    no_sideways_scroll(page)
    no_axe_violations(page)
    page.locator("#clocks").screenshot(path=str(SCREENSHOTS / f"detail-clocks-{width}.png"))
    escalations.locator("article").first.screenshot(
        path=str(SCREENSHOTS / f"detail-escalation-{width}.png")
    )
    page.screenshot(path=str(SCREENSHOTS / f"detail-{width}.png"), full_page=True)
    page.goto(f"{live_server.url}/referrals/{due_soon.pk}/")
    expect(page.locator("#clocks")).to_contain_text("On track: 23 h")
    no_sideways_scroll(page)
    no_axe_violations(page)

    page.goto(f"{live_server.url}/queue/print/")
    expect(page.locator("body")).to_contain_text("When printed: OVERDUE by")
    expect(page.locator("body")).to_contain_text("When printed: Due soon:")
    no_sideways_scroll(page)
    no_axe_violations(page)
    page.screenshot(path=str(SCREENSHOTS / f"print-{width}.png"), full_page=True)
