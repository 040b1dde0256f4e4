"""Issue 9, item 8: under the Content-Security-Policy (no inline script or
style) the pages still work in a real browser, and the browser reports no
violation: the queue refreshes by htmx, the referral page's panels load, the
rota and notifications pages and the API docs page (Swagger UI) render."""

from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_pages_work_and_nothing_breaks_the_policy(
    live_server: Any, world: Any, make_referral: Any, browser: Browser
) -> None:
    referral = make_referral()
    page = sign_in(browser, live_server.url, "coordinator")
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text)
            if "Content Security Policy" in message.text
            or "Content-Security-Policy" in message.text
            else None
        ),
    )
    expect(page).to_have_url(live_server.url + "/queue/")
    assert page.evaluate("typeof window.htmx") == "object"
    # The queue's rows come back by htmx (its refresh), under the policy.
    with page.expect_response(lambda r: "/queue/rows/" in r.url, timeout=30_000) as rows:
        page.evaluate("htmx.trigger(document.querySelector('[hx-get*=\"/queue/rows/\"]'), 'load')")
    assert rows.value.status == 200
    page.goto(f"{live_server.url}/referrals/{referral.pk}/")
    expect(page.get_by_text(referral.reference).first).to_be_visible()
    # The escalations and badge styles now come from files: still applied.
    assert page.evaluate("getComputedStyle(document.querySelector('.site-header')).display") != ""
    for path in ("/rota/", "/notifications/", "/api/docs/"):
        page.goto(live_server.url + path)
    expect(page.locator(".swagger-ui").first).to_be_visible(timeout=30_000)
    assert violations == []
