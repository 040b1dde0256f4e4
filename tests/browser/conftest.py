"""What every browser test shares: Debian's chromium, launched through
Playwright's sync API (no pytest-playwright, never a downloaded browser),
and a signed-in page."""

from collections.abc import Iterator

import pytest
from django.db import connections
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.conftest import CHROMIUM, PASSWORD

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
