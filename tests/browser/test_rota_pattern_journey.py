"""The service admin's weekly rota pattern in a real browser, at desktop and
phone widths: from the week page, fill in a week (coordinator days and
nights, a 24-hour senior, but no coordinator on Saturday nights), preview it
over the next two weeks, see the gaps it leaves, apply it, and see the grid.
axe-core finds no violation on the week, pattern (form and preview) and gaps
pages, and no page scrolls sideways.

Screenshots go to /tmp/rota, never into the repository.
"""

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from notifications.models import Shift
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOTS = Path("/tmp/rota")  # noqa: S108 - outside the repository on purpose


def no_axe_violations(page: Page) -> None:
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def no_sideways_scroll_inside(page: Page) -> None:
    """On a phone the grid and the lists are stacked: no region of them
    scrolls sideways either (the week is read down the page)."""
    assert page.evaluate(
        "[...document.querySelectorAll('.table-wrap')]"
        ".every(el => el.scrollWidth <= el.clientWidth)"
    )


def checked(page: Page, name: str, width: int) -> None:
    no_axe_violations(page)
    no_sideways_scroll(page)
    if width <= 390:
        no_sideways_scroll_inside(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
    # The first screenfuls on their own, readable without scaling a long page down.
    height = page.evaluate("document.documentElement.scrollHeight")
    for n, top in enumerate(range(0, min(height, 4800), 1600)):
        clip = {"x": 0, "y": top, "width": width, "height": min(1600, height - top)}
        page.screenshot(
            path=str(SCREENSHOTS / f"{name}-{width}-part{n + 1}.png"), full_page=True, clip=clip
        )


def fill_row(page: Page, prefix: str, role: str, user: str, start: str, end: str) -> None:
    page.locator(f"#{prefix}-role").select_option(role)
    page.locator(f"#{prefix}-user").select_option(user)
    page.locator(f"#{prefix}-start").fill(start)
    page.locator(f"#{prefix}-end").fill(end)


@pytest.mark.parametrize("width", [1280, 390])
def test_the_admin_applies_a_weekly_pattern_over_two_weeks(
    live_server: Any, world: Any, browser: Browser, width: int
) -> None:
    page = sign_in(browser, live_server.url, "admin")
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/rota/")
    expect(page.get_by_role("heading", name="On-call rota")).to_be_visible()
    checked(page, "1-week-before", width)

    page.get_by_role("link", name="Apply a weekly pattern").click()
    expect(page.get_by_role("heading", name="Apply a weekly rota pattern")).to_be_visible()
    checked(page, "2-pattern-form", width)

    # Nothing filled in: the problem is said, linked to the week, and nothing saved.
    page.get_by_role("button", name="Preview").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Fill in at least one shift of the week")
    checked(page, "2-pattern-error", width)
    # A typo in a time is named beside its field.
    fill_row(page, "d0-0", "coordinator", "coordinator", "8am", "20:00")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#d0-0-start-error1")).to_contain_text("24-hour time like 08:00")
    checked(page, "2-pattern-field-error", width)

    for weekday in range(7):
        fill_row(page, f"d{weekday}-0", "coordinator", "coordinator", "08:00", "20:00")
        if weekday != 5:  # nobody on Saturday nights: a gap the preview must show
            fill_row(page, f"d{weekday}-1", "coordinator", "coordinator", "20:00", "08:00")
        fill_row(page, f"d{weekday}-2", "senior_clinician", "senior", "08:00", "08:00")
    page.get_by_role("button", name="Preview").click()

    preview = page.get_by_role("region", name="Preview")
    expect(preview).to_be_visible()
    expect(
        preview.get_by_text("This range would still have times with NOBODY ON CALL")
    ).to_be_visible()
    # Two Saturday nights, and the first Monday's early hours for both roles.
    expect(preview.locator(".stack-list__item--gap")).to_have_count(4)
    assert Shift.objects.count() == 0  # a preview saves nothing
    checked(page, "3-pattern-preview", width)
    preview.screenshot(path=str(SCREENSHOTS / f"3-preview-section-{width}.png"))

    page.get_by_role("button", name="Apply this pattern: add 40 shifts").click()
    expect(page.get_by_text("Pattern applied: 40 shifts added")).to_be_visible()
    assert Shift.objects.filter(service=world.service).count() == 40
    first = timezone.localdate() - timedelta(days=timezone.localdate().weekday()) + timedelta(7)
    assert page.url.endswith(f"/rota/?week={first.isoformat()}")
    expect(page.locator(".rota__part--gap").first).to_be_visible()
    checked(page, "4-week-after", width)

    page.get_by_role("link", name="Coverage gaps, next 14 days").click()
    expect(page.get_by_role("heading", name="Coverage gaps")).to_be_visible()
    checked(page, "5-gaps", width)
