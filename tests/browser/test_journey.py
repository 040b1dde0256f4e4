"""The whole journey in a real browser: a referrer refers a suspected-MSCC
case through the form and sees the category and advice; a coordinator finds
it at the top of the queue and acknowledges it.

Drives Debian's chromium through Playwright's sync API (no pytest-playwright).
Screenshots go to /tmp, never into the repository.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from playwright.sync_api import Browser, Page, expect, sync_playwright

from referrals.models import Referral
from tests.conftest import CHROMIUM, PASSWORD, next_nhs_number

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOTS = Path("/tmp/mscc-browser")  # noqa: S108 - outside the repository on purpose
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(autouse=True)
def _orm_beside_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    # Playwright's sync API runs an event loop in the test thread; Django would
    # otherwise refuse ORM calls made while it runs.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()
            # Django's connections are context-local, and Playwright's greenlets
            # give the test body a context of its own: the connection the test
            # opened there must be closed there, or it outlives the test and the
            # test database cannot be dropped (PostgreSQL).
            connections.close_all()


def sign_in(browser: Browser, base_url: str, username: str) -> Page:
    """A fresh browser context (its own cookies), signed in through the page."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="en-GB", timezone_id="Europe/London"
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(base_url + "/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    return page


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
