"""The alliance lead's audit dashboard in a real browser: the lead signs in
through the page and lands on the dashboard, narrows the period with the
filters, sees the charts with their tables and the SPC words, downloads the
CSV, and finds no accessibility violation (axe-core) at desktop width or at
390 px, where nothing scrolls sideways. No Content-Security-Policy violation
either (the charts are SVG in the page: no script, no inline style).

Screenshots go to /tmp, never into the repository.
"""

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from audit.summary_csv import COLUMNS
from tests.audit.data import FAMILY_NAME, audit_referrals
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOTS = Path("/tmp/mscc-audit")  # noqa: S108 - outside the repository on purpose

# Eight months: shown and suppressed months, met and missed standards.
PLAN = ((13, 0), (13, 6), (14, 7), (13, 0), (3, 0), (13, 0), (14, 0), (13, 6))


def no_violations(page: Page, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def no_sideways_scroll(page: Page) -> None:
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"the page is {widths[0]} px wide in a {widths[1]} px window"


def test_the_lead_reads_the_dashboard_and_downloads_the_csv(
    live_server: Any, world: Any, make_referral: Any, browser: Browser
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    world.alliance.population = 1_200_000
    world.alliance.save()
    made = audit_referrals(world, make_referral, PLAN)

    page = sign_in(browser, live_server.url, "lead")
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    # An alliance lead's first page is the dashboard (the last 12 months).
    expect(page).to_have_url(live_server.url + "/audit/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Audit: Alliance A")
    expect(page.get_by_role("link", name="Audit")).to_have_attribute("aria-current", "page")

    # --- The filters: the eight months of the referrals, by primary tumour. -----------
    page.get_by_label("From month").fill(made.first.label)
    page.get_by_label("To month").fill(made.last.label)
    page.get_by_label("Referrals each month by").select_option("primary_tumour")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(
        f"{live_server.url}/audit/?from={made.first.label}&to={made.last.label}"
        "&service=&breakdown=primary_tumour"
    )
    expect(page.locator(".audit-heading__period")).to_contain_text("(8 months")
    referrals = page.locator("#table-referrals")
    expect(referrals.locator("thead")).to_contain_text("Prostate")
    expect(referrals.locator("tr.row--total")).to_contain_text(str(sum(n for n, _ in PLAN)))
    expect(referrals).to_contain_text("suppressed")

    # Every chart is an image named by its caption, with its table beside it.
    charts = page.locator("svg[role=img]")
    assert charts.count() >= 12
    for index in range(charts.count()):
        caption = charts.nth(index).get_attribute("aria-labelledby")
        expect(page.locator(f"#{caption}")).not_to_be_empty()
    mri = page.locator("#standard-mri-suspected-mscc-24")
    expect(mri.get_by_role("heading", level=3)).to_have_text(
        "MRI within 24 hours of suspected MSCC"
    )
    expect(mri).to_contain_text("NG234 1.5.2; QS56 statement 3")
    expect(mri.locator(".spc-words")).to_contain_text("Variation.")
    expect(mri.locator(".spc-words")).to_contain_text("withheld for small numbers")
    expect(mri.locator("polyline.spc__path").first).to_be_visible()
    assert FAMILY_NAME not in page.content()

    # --- Accessibility and width: desktop, then a phone. ---------------------------------
    no_violations(page, 1280)
    page.screenshot(path=str(SCREENSHOTS / "dashboard-1280-top.png"))
    page.screenshot(path=str(SCREENSHOTS / "dashboard-1280.png"), full_page=True)
    mri.screenshot(path=str(SCREENSHOTS / "mri-1280.png"))
    page.locator("#incidence-primary-tumour").screenshot(
        path=str(SCREENSHOTS / "primary-tumour-1280.png")
    )
    page.locator("#referrals").screenshot(path=str(SCREENSHOTS / "referrals-1280.png"))
    no_violations(page, 390)
    no_sideways_scroll(page)
    page.screenshot(path=str(SCREENSHOTS / "dashboard-390-top.png"))
    page.screenshot(path=str(SCREENSHOTS / "dashboard-390.png"), full_page=True)
    mri.screenshot(path=str(SCREENSHOTS / "mri-390.png"))
    mri.locator("figure").screenshot(path=str(SCREENSHOTS / "mri-chart-390.png"))
    page.locator("#referrals").screenshot(path=str(SCREENSHOTS / "referrals-390.png"))
    page.locator("#incidence-primary-tumour").screenshot(
        path=str(SCREENSHOTS / "primary-tumour-390.png")
    )
    # Printed: the governance pack (filters left out), as wide as A4 inside
    # its margins (186 mm at 96 dots an inch).
    page.set_viewport_size({"width": 703, "height": 1000})
    page.emulate_media(media="print")
    page.evaluate("window.scrollTo(0, 0)")
    expect(page.locator(".audit-filters")).to_be_hidden()
    expect(page.locator("#suppression-note")).to_be_visible()
    no_sideways_scroll(page)  # nothing cut off the paper's edge
    page.screenshot(path=str(SCREENSHOTS / "print-top.png"))
    mri.screenshot(path=str(SCREENSHOTS / "print-mri.png"))
    page.emulate_media(media="screen")
    page.set_viewport_size({"width": 1280, "height": 900})

    # --- The CSV of the same filters. ------------------------------------------------------
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    download = download_info.value
    assert download.suggested_filename == (f"mscc-audit-A-{made.first.label}-{made.last.label}.csv")
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert tuple(rows[0]) == COLUMNS
    assert ["total", "referrals", "", "total", "", str(sum(n for n, _ in PLAN))] == rows[1][:6]
    assert FAMILY_NAME not in Path(download.path()).read_text(encoding="utf-8")

    # --- A bad month: the message beside the field. ----------------------------------------
    page.goto(f"{live_server.url}/audit/?from=2026-13")
    expect(page.locator(".field--error")).to_contain_text("The month must be 01 to 12.")
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    no_violations(page, 390)
    no_sideways_scroll(page)
    page.screenshot(path=str(SCREENSHOTS / "bad-month-390.png"), full_page=True)
    assert violations == []
