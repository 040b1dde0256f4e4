"""Two-factor in a real browser, as production runs it (MSCC_REQUIRE_2FA on):
a coordinator's first sign-in leads to setting up an authenticator app (the
QR code and the key shown on the page, the app's code typed in), recovery
codes are shown once, and the next sign-in asks for a code, where a recovery
code works. axe-core finds no violation on the pages, and none scrolls
sideways at 390 px.

The test reads the key off the page as a person would type it into their
app, and computes the app's code from it (RFC 6238)."""

import base64
import hmac
import time
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOTS = Path("/tmp/mscc-two-factor")  # noqa: S108 - outside the repository on purpose


def app_code(key_text: str) -> str:
    key = base64.b32decode(key_text.replace(" ", "") + "=" * (-len(key_text.replace(" ", "")) % 8))
    mac = hmac.new(key, int(time.time() // 30).to_bytes(8, "big"), "sha1").digest()
    offset = mac[-1] & 0x0F
    return f"{(int.from_bytes(mac[offset : offset + 4], 'big') & 0x7FFFFFFF) % 1_000_000:06d}"


def checked(page: Page) -> None:
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
    width = page.viewport_size["width"] if page.viewport_size else 1280
    page.set_viewport_size({"width": 390, "height": 900})
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"the page is {widths[0]} px wide in a {widths[1]} px window"
    page.set_viewport_size({"width": width, "height": 900})


def test_first_sign_in_sets_up_two_factor_and_the_next_asks_for_a_code(
    live_server: Any, world: Any, browser: Browser, settings: Any
) -> None:
    settings.MSCC_REQUIRE_2FA = True
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    # --- First sign-in: the password, then setting the app up. ---------------------
    page = sign_in(browser, live_server.url, "coordinator")
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-factor authentication")
    expect(
        page.get_by_role("img", name="QR code of the key for your authenticator app")
    ).to_be_visible()
    checked(page)
    page.screenshot(path=str(SCREENSHOTS / "setup.png"), full_page=True)
    # Nothing else opens until it is set up.
    page.goto(live_server.url + "/queue/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-factor authentication")

    page.get_by_label("Code from the app").fill("000000")
    page.get_by_role("button", name="Turn on two-factor").click()
    expect(page.locator(".field-error")).to_contain_text("does not match")
    key = page.locator("#totp-secret").inner_text()
    page.get_by_label("Code from the app").fill(app_code(key))
    page.get_by_role("button", name="Turn on two-factor").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10
    checked(page)
    page.get_by_role("link", name="I have kept them: go on").click()
    expect(page).to_have_url(live_server.url + "/queue/")

    # --- Signed out, then in again: the code step, with a recovery code. -------------
    page.get_by_role("button", name="Sign out").click()
    again = sign_in(browser, live_server.url, "coordinator")
    expect(again.get_by_role("heading", level=1)).to_have_text("Enter your code")
    checked(again)
    again.screenshot(path=str(SCREENSHOTS / "code.png"), full_page=True)
    again.get_by_label("Code").fill("123456")
    again.get_by_role("button", name="Sign in").click()
    expect(again.locator(".field-error")).to_contain_text("wrong or has expired")
    again.get_by_label("Code").fill(codes[0])
    again.get_by_role("button", name="Sign in").click()
    expect(again).to_have_url(live_server.url + "/queue/")
    expect(again.locator(".messages")).to_contain_text("9 left")
