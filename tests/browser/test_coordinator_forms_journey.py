"""The referral page's suspicion-time and duplicate-link forms, used in a real
browser at desktop width and at 390 px (a phone at 3 a.m.): each refused
once beside its input, then accepted; axe-core finds no violation on the page
before, on the refusal and after, and at 390 px the page never scrolls
sideways. A referrer sees neither the warning nor the form.

Screenshots go to /tmp, never into the repository.
"""

from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from pathways.models import Clock
from referrals.models import Referral
from tests.browser.conftest import sign_in
from tests.conftest import hours
from tests.factories import patient_details

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOTS = Path("/tmp/mscc-forms")  # noqa: S108 - outside the repository on purpose
WIDTHS = [1280, 390]


def no_axe_violations(page: Page) -> None:
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def no_sideways_scroll(page: Page) -> None:
    """The page is no wider than the window (tables scroll inside their own regions)."""
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"the page is {widths[0]} px wide in a {widths[1]} px window"


def checked(page: Page) -> None:
    no_axe_violations(page)
    no_sideways_scroll(page)


def opened(browser: Browser, base_url: str, username: str, width: int, path: str) -> Page:
    page = sign_in(browser, base_url, username)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(base_url + path)
    return page


@pytest.mark.parametrize("width", WIDTHS)
def test_an_assumed_suspicion_time_is_corrected_from_the_page(
    live_server: Any, world: Any, make_referral: Any, browser: Browser, width: int
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    referral = make_referral(now=timezone.now() - hours(2))  # no suspicion time: assumed
    mri = referral.clocks.get(kind="mri")
    page = opened(browser, live_server.url, "coordinator", width, f"/referrals/{referral.pk}/")

    form = page.locator("#form-suspected-at")
    expect(form).to_be_visible()
    expect(form).to_contain_text("the time it was received is assumed")
    expect(page.locator("#summary")).to_contain_text("assumed")
    checked(page)
    page.screenshot(path=str(SCREENSHOTS / f"suspected-0-top-{width}.png"))  # what shows first
    form.screenshot(path=str(SCREENSHOTS / f"suspected-1-assumed-{width}.png"))

    # Sent without how the time is known: refused beside that input.
    earlier = timezone.localtime(referral.received_at - hours(20)).replace(second=0, microsecond=0)
    when = form.get_by_label("When MSCC or spinal metastases were first suspected")
    when.fill(earlier.strftime("%Y-%m-%dT%H:%M"))
    form.get_by_role("button", name="Save suspicion time").click()
    expect(page.locator("#error-summary")).to_be_focused()
    form = page.locator("#form-suspected-at")
    expect(form).to_contain_text("Nothing was recorded")
    reason = form.get_by_label("How the time is known")
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(form.locator(".field--error")).to_contain_text("This field is required.")
    expect(when).to_have_value(earlier.strftime("%Y-%m-%dT%H:%M"))  # what was typed stays
    checked(page)
    form.screenshot(path=str(SCREENSHOTS / f"suspected-2-refused-{width}.png"))

    reason.fill("GP letter: leg weakness noticed yesterday afternoon.")
    form.get_by_role("button", name="Save suspicion time").click()

    expect(page.locator(".messages")).to_contain_text("Suspicion time recorded")
    expect(page.locator("#summary")).not_to_contain_text("assumed")
    # Confirmed: folded away in the record column, ready to correct again.
    form = page.locator("#form-suspected-at")
    expect(form).to_contain_text("How it is known: GP letter")
    expect(form.get_by_role("button", name="Save suspicion time")).to_be_hidden()
    form.get_by_text("Correct the suspicion time").click()
    expect(form.get_by_role("button", name="Save suspicion time")).to_be_visible()
    checked(page)
    form.screenshot(path=str(SCREENSHOTS / f"suspected-3-confirmed-open-{width}.png"))
    page.screenshot(path=str(SCREENSHOTS / f"suspected-4-page-{width}.png"), full_page=True)

    moved = Clock.objects.get(pk=mri.pk)
    assert (moved.started_at, moved.due_at) == (earlier, earlier + hours(24))
    assert not Referral.objects.get(pk=referral.pk).suspected_at_assumed


@pytest.mark.parametrize("width", WIDTHS)
def test_a_re_referral_is_linked_as_a_duplicate_from_the_warning(
    live_server: Any, world: Any, make_referral: Any, browser: Browser, width: int
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    patient = patient_details()
    earlier = make_referral(now=timezone.now() - hours(3), patient=patient)
    later = make_referral(
        now=timezone.now() - hours(1), patient=patient, suspected_at=timezone.now() - hours(2)
    )
    page = opened(browser, live_server.url, "coordinator", width, f"/referrals/{later.pk}/")

    warning = page.locator("#duplicate-warning")
    expect(warning).to_contain_text(f"{earlier.reference} is also open")
    checked(page)
    page.screenshot(path=str(SCREENSHOTS / f"link-0-top-{width}.png"))  # what shows first
    warning.get_by_text("Close this referral as a duplicate").click()
    expect(warning).to_contain_text("as a duplicate and cancels its clocks")
    expect(warning.get_by_label("Duplicate of")).to_have_value(str(earlier.pk))
    checked(page)
    warning.screenshot(path=str(SCREENSHOTS / f"link-1-open-{width}.png"))

    # Sent without the reason: refused beside that input, the form open again.
    warning.get_by_role("button", name="Close as a duplicate").click()
    expect(page.locator("#error-summary")).to_be_focused()
    warning = page.locator("#duplicate-warning")
    reason = warning.get_by_label("Why these are the same episode")
    expect(reason).to_be_visible()
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(warning.locator(".field--error")).to_contain_text("This field is required.")
    checked(page)
    warning.screenshot(path=str(SCREENSHOTS / f"link-2-refused-{width}.png"))
    assert Referral.objects.get(pk=later.pk).duplicate_of_id is None

    reason.fill("Same episode: the ward and the GP both referred.")
    warning.get_by_role("button", name="Close as a duplicate").click()

    expect(page.locator(".messages")).to_contain_text(
        f"Closed as a duplicate of {earlier.reference}"
    )
    expect(page.locator("#summary")).to_contain_text(f"Duplicate of {earlier.reference}")
    expect(page.locator("#duplicate-warning")).to_have_count(0)
    expect(page.locator("#clocks")).not_to_contain_text("Running")
    checked(page)
    page.screenshot(path=str(SCREENSHOTS / f"link-3-closed-top-{width}.png"))
    page.screenshot(path=str(SCREENSHOTS / f"link-4-closed-{width}.png"), full_page=True)

    assert {c.status for c in Clock.objects.filter(referral=later)} == {"cancelled"}
    assert Referral.objects.get(pk=earlier.pk).status == earlier.status

    # The referrer's page of the closed referral says nothing of the other.
    theirs = opened(browser, live_server.url, "referrer", width, f"/referrals/{later.pk}/")
    expect(theirs.locator("#summary")).to_contain_text("Closed")
    expect(theirs.locator("main")).not_to_contain_text(earlier.reference)
    expect(theirs.locator("main")).not_to_contain_text("uplicate")
    checked(theirs)
    theirs.screenshot(path=str(SCREENSHOTS / f"link-5-referrer-top-{width}.png"))


def test_a_referrer_sees_no_warning_and_no_forms(
    live_server: Any, world: Any, make_referral: Any, browser: Browser
) -> None:
    patient = patient_details()
    make_referral(now=timezone.now() - hours(3), patient=patient)
    later = make_referral(now=timezone.now() - hours(1), patient=patient)
    page = opened(browser, live_server.url, "referrer", 390, f"/referrals/{later.pk}/")
    expect(page.locator("#summary")).to_be_visible()
    expect(page.locator("#duplicate-warning")).to_have_count(0)
    expect(page.locator("#form-suspected-at")).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text("uplicate")
    checked(page)
